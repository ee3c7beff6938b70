//! Per-host control groups of tier-1c hosts. `systemd-nspawn --keep-unit` (needed because the
//! machine's PID 1 is not systemd) puts the container below the cgroup of the process that
//! starts it, in `payload/` and `supervisor/`: started from one shared cgroup, two hosts would
//! share those. So each host's supervisor first moves itself into its own cgroup,
//! `rsible-testhosts/<netns>` in every hierarchy systemd uses; teardown kills what is left in
//! it and removes it. Nothing else of the machine's cgroups is touched.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Directory below each hierarchy's root that holds the hosts' cgroups.
const PARENT: &str = "rsible-testhosts";

/// The roots of the hierarchies systemd (in a container) uses: the unified one, and on a hybrid
/// or legacy layout also the named `systemd` one.
fn roots() -> Vec<PathBuf> {
    let base = Path::new("/sys/fs/cgroup");
    if base.join("cgroup.controllers").exists() {
        return vec![base.to_owned()];
    }
    ["systemd", "unified"]
        .iter()
        .map(|h| base.join(h))
        .filter(|p| p.join("cgroup.procs").exists())
        .collect()
}

/// The host's cgroup in every hierarchy (they may not exist).
pub(crate) fn host_dirs(netns: &str) -> Vec<PathBuf> {
    roots()
        .into_iter()
        .map(|r| r.join(PARENT).join(netns))
        .collect()
}

/// Creates the host's cgroups and returns them (the supervisor joins each).
pub(crate) fn create(netns: &str) -> Result<Vec<PathBuf>, Error> {
    let dirs = host_dirs(netns);
    if dirs.is_empty() {
        return Err(Error::Unsupported {
            tool: "/sys/fs/cgroup".into(),
            reason: "no cgroup hierarchy for systemd (neither unified nor name=systemd)".into(),
        });
    }
    for dir in &dirs {
        fs_err::create_dir_all(dir)?;
    }
    Ok(dirs)
}

/// Every process in the host's cgroups, their sub-cgroups included.
pub(crate) fn pids(netns: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for dir in host_dirs(netns) {
        collect_pids(&dir, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn collect_pids(dir: &Path, out: &mut Vec<i64>) {
    if let Ok(text) = std::fs::read_to_string(dir.join("cgroup.procs")) {
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<i64>().ok()),
        );
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                collect_pids(&entry.path(), out);
            }
        }
    }
}

/// Removes the host's (empty) cgroups, deepest first. Missing ones are fine.
pub(crate) fn remove(netns: &str) -> Result<(), Error> {
    let mut first_error = None;
    for dir in host_dirs(netns) {
        if let Err(e) = remove_tree(&dir) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn remove_tree(dir: &Path) -> Result<(), Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_tree(&entry.path())?;
        }
    }
    // A cgroup is removed with rmdir even though it still lists its control files.
    fs_err::remove_dir(dir)?;
    Ok(())
}

/// Network namespace names of every host cgroup on the machine (for `cleanup_stale`).
pub(crate) fn listed_hosts() -> Vec<String> {
    let mut names: Vec<String> = roots()
        .into_iter()
        .filter_map(|r| std::fs::read_dir(r.join(PARENT)).ok())
        .flat_map(|entries| entries.filter_map(Result::ok))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

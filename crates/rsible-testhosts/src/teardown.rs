//! Removing hosts: used by `HostSet`'s teardown and by `cleanup_stale` alike.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::network::{self, Subnet};
use crate::{cgroup, process};

/// Kills `groups` (supervisors and sshds with everything they started), then every process left
/// in `namespaces` or in their hosts' cgroups (tier 1c), reaps `children`, deletes the cgroups,
/// the namespaces and the subnet's bridge, and removes `run_dir`. Goes on after errors and
/// returns the first.
pub(crate) fn remove(
    groups: &[i64],
    namespaces: &[String],
    subnet: Option<Subnet>,
    run_dir: Option<&Path>,
    children: Vec<Child>,
) -> Result<(), Error> {
    // Supervisors first, or they would boot a host again once its PID 1 is gone.
    process::kill("KILL", groups);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids: Vec<i64> = namespaces
            .iter()
            .flat_map(|ns| {
                let mut pids = process::netns_pids(ns);
                pids.extend(cgroup::pids(ns));
                pids
            })
            .collect();
        if pids.is_empty() || Instant::now() >= deadline {
            break;
        }
        process::kill("KILL", &pids);
        std::thread::sleep(Duration::from_millis(20));
    }
    for mut child in children {
        let _ = child.wait();
    }
    let mut first_error = network::destroy(subnet, namespaces).err();
    for ns in namespaces {
        if let Err(e) = cgroup::remove(ns) {
            first_error.get_or_insert(e);
        }
    }
    if let Some(dir) = run_dir {
        if let Err(e) = remove_unmounted_dir(dir) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Removes `dir` unless something is mounted below it in this mount namespace: then deleting
/// would reach into the mounted filesystem (an overlay's lower layer is the shared cache).
pub(crate) fn remove_unmounted_dir(dir: &Path) -> Result<(), Error> {
    if !dir.exists() {
        return Ok(());
    }
    let mounts = fs_err::read_to_string("/proc/self/mountinfo")?;
    let prefix = dir.to_string_lossy().into_owned();
    if let Some(mount) = mounts
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .find(|m| m.starts_with(&prefix))
    {
        return Err(Error::Command {
            command: format!("rm -r {prefix}"),
            status: "refused".into(),
            stderr: format!("`{mount}` is mounted below it"),
        });
    }
    fs_err::remove_dir_all(dir)?;
    Ok(())
}

//! Removing what crashed runs left behind: every name the harness creates carries the owning
//! process (`rsth-<pid>-<subnet>-<host>` namespaces, `rsible-testhosts-<pid>-<subnet>` run
//! directories, lock files in `/run/rsible-testhosts` naming pid and start time), so leftovers
//! are told apart from host sets that are still in use.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::network::{self, NETNS_PREFIX};
use crate::rootfs::DEFAULT_CACHE_DIR;
use crate::{cgroup, process, teardown};

/// What [`cleanup_stale`] removed.
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// Processes killed (supervisors, sshds, anything left in the namespaces).
    pub processes: usize,
    /// Network namespaces deleted.
    pub namespaces: Vec<String>,
    /// Bridges and veths deleted.
    pub links: Vec<String>,
    /// Run directories and unfinished root filesystem builds removed.
    pub dirs: Vec<PathBuf>,
}

impl CleanupReport {
    /// Whether nothing was left over.
    pub fn is_empty(&self) -> bool {
        self.processes == 0
            && self.namespaces.is_empty()
            && self.links.is_empty()
            && self.dirs.is_empty()
    }
}

/// Removes the leftovers of host sets whose process has ended. Host sets of live processes
/// (this one included) are not touched, so this is safe to call at any time.
pub fn cleanup_stale() -> Result<CleanupReport, Error> {
    crate::check_support()?;
    let mut report = CleanupReport::default();
    let live: BTreeSet<(u32, u8)> = (0..=u8::MAX)
        .filter_map(|third| {
            let (pid, start) = network::lock_owner(third)?;
            process::alive(pid, start).then_some((pid, third))
        })
        .collect();
    let live_subnets: BTreeSet<u8> = live.iter().map(|&(_, third)| third).collect();

    // Tier-1c hosts' cgroups are named after their namespaces and may outlive them.
    let mut stale_namespaces: Vec<String> = network::list_namespaces()?
        .into_iter()
        .chain(cgroup::listed_hosts())
        .filter(|ns| parse_owner(ns.strip_prefix(NETNS_PREFIX)).is_some_and(|o| !live.contains(&o)))
        .collect();
    stale_namespaces.sort();
    stale_namespaces.dedup();
    let tmp = std::env::temp_dir();
    let stale_dirs: Vec<PathBuf> = fs_err::read_dir(&tmp)?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            parse_owner(name.strip_prefix("rsible-testhosts-")).is_some_and(|o| !live.contains(&o))
        })
        .map(|e| e.path())
        .collect();

    // Supervisors and sshds name their run directory on their command line.
    let markers: Vec<String> = stale_dirs
        .iter()
        .map(|d| format!("{}/", d.display()))
        .collect();
    let by_cmdline = processes_mentioning(&markers);
    let mut doomed: BTreeSet<i64> = by_cmdline.iter().copied().collect();
    doomed.extend(
        stale_namespaces
            .iter()
            .flat_map(|ns| process::netns_pids(ns)),
    );
    report.processes = doomed.len();
    let mut first_error =
        teardown::remove(&by_cmdline, &stale_namespaces, None, None, Vec::new()).err();
    report.namespaces = stale_namespaces;

    let stale_links: Vec<String> = network::list_links()?
        .into_iter()
        .filter(|link| link_subnet(link).is_some_and(|third| !live_subnets.contains(&third)))
        .collect();
    for link in &stale_links {
        let _ = process::output(std::process::Command::new("ip").args(["link", "del", link]));
    }
    report.links = stale_links;

    for dir in stale_dirs {
        match teardown::remove_unmounted_dir(&dir) {
            Ok(()) => report.dirs.push(dir),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    for third in 0..=u8::MAX {
        if let Some((pid, start)) = network::lock_owner(third) {
            if !process::alive(pid, start) {
                let _ = std::fs::remove_file(network::lock_path(third));
            }
        }
    }
    report
        .dirs
        .extend(remove_stale_builds(Path::new(DEFAULT_CACHE_DIR)));
    first_error.map_or(Ok(report), Err)
}

/// `<pid>-<subnet>[-…]` → (pid, subnet).
fn parse_owner(rest: Option<&str>) -> Option<(u32, u8)> {
    let mut parts = rest?.splitn(3, '-');
    let pid = parts.next()?.parse().ok()?;
    let third = parts.next()?.parse().ok()?;
    Some((pid, third))
}

/// The subnet of a harness link: `rsbr<subnet>` or `rsv<subnet>-<host>`.
fn link_subnet(link: &str) -> Option<u8> {
    if let Some(rest) = link.strip_prefix("rsbr") {
        return rest.parse().ok();
    }
    link.strip_prefix("rsv")?.split('-').next()?.parse().ok()
}

/// Pids of processes whose command line contains any of `markers`.
fn processes_mentioning(markers: &[String]) -> Vec<i64> {
    if markers.is_empty() {
        return Vec::new();
    }
    let own = i64::from(std::process::id());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i64>().ok())
        .filter(|&pid| pid != own)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|raw| {
                let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
                markers.iter().any(|m| cmdline.contains(m.as_str()))
            })
        })
        .collect()
}

/// Removes `<name>.tmp-<pid>-<start>` builds in `cache` whose builder has ended.
fn remove_stale_builds(cache: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((_, owner)) = name.rsplit_once(".tmp-") else {
            continue;
        };
        let Some((pid, start)) = owner.split_once('-') else {
            continue;
        };
        let (Ok(pid), Ok(start)) = (pid.parse(), start.parse()) else {
            continue;
        };
        if !process::alive(pid, start) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_comes_from_namespace_and_run_dir_names() {
        assert_eq!(parse_owner(Some("1234-7-h1")), Some((1234, 7)));
        assert_eq!(parse_owner(Some("1234-7-web-1")), Some((1234, 7)));
        assert_eq!(parse_owner(Some("1234-7")), Some((1234, 7)));
        assert_eq!(parse_owner(Some("1234-300-h1")), None);
        assert_eq!(parse_owner(Some("x-7-h1")), None);
        assert_eq!(parse_owner(None), None);
    }

    #[test]
    fn only_harness_links_have_a_subnet() {
        assert_eq!(link_subnet("rsbr12"), Some(12));
        assert_eq!(link_subnet("rsv12-40"), Some(12));
        assert_eq!(link_subnet("rsbrx"), None);
        assert_eq!(link_subnet("eth0"), None);
        assert_eq!(link_subnet("rsv"), None);
    }
}

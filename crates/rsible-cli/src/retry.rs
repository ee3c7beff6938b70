//! Retry files (`retry_files_enabled`): after a playbook in which hosts failed or were
//! unreachable, their names go to `<playbook>.retry` for `--limit @file`
//! (`executor/playbook_executor.py`).

use std::path::{Path, PathBuf};

use rsible_runner::Stats;

/// Where the retry file of `playbook` goes: `retry_files_save_path` if set, else beside it.
pub fn retry_path(playbook: &Path, save_dir: Option<&Path>) -> PathBuf {
    let abs = std::path::absolute(playbook).unwrap_or_else(|_| playbook.to_owned());
    let dir = save_dir
        .map(Path::to_path_buf)
        .or_else(|| abs.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let stem = abs
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!("{stem}.retry"))
}

/// The hosts that failed or were unreachable in one playbook, sorted.
pub fn hosts_to_retry(stats: &Stats) -> Vec<String> {
    let mut hosts: Vec<String> = stats
        .hosts
        .iter()
        .filter(|(_, s)| s.failed > 0 || s.unreachable > 0)
        .map(|(h, _)| h.clone())
        .collect();
    hosts.sort();
    hosts
}

/// Writes the file; the message to show on stdout, or the warning when it cannot be written.
pub fn write(path: &Path, hosts: &[String]) -> Result<String, String> {
    let body: String = hosts.iter().map(|h| format!("{h}\n")).collect();
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, body));
    match written {
        Ok(()) => Ok(format!("\tto retry, use: --limit @{}\n", path.display())),
        Err(e) => Err(format!(
            "Could not create retry file '{}'.\n\t{e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsible_runner::HostStats;

    #[test]
    fn failed_and_unreachable_hosts_sorted() {
        let mut stats = Stats::default();
        for (h, failed, unreachable) in [("web2", 1, 0), ("db", 0, 1), ("ok", 0, 0), ("web1", 2, 0)]
        {
            stats.hosts.insert(
                h.to_owned(),
                HostStats {
                    failed,
                    unreachable,
                    ..HostStats::default()
                },
            );
        }
        assert_eq!(hosts_to_retry(&stats), ["db", "web1", "web2"]);
        assert_eq!(
            retry_path(Path::new("/p/site.yml"), None),
            PathBuf::from("/p/site.retry")
        );
        assert_eq!(
            retry_path(Path::new("/p/site.yml"), Some(Path::new("/r"))),
            PathBuf::from("/r/site.retry")
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sub/site.retry");
        let msg = write(&path, &["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            msg,
            Ok(format!("\tto retry, use: --limit @{}\n", path.display()))
        );
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("a\nb\n")
        );
    }
}

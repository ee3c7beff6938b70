//! The harness of the article test: where programs and caches are, whether hosts can exist,
//! running a playbook program with a controlled environment and a time limit.

pub mod compare;
pub mod fixtures;
pub mod hosts;
pub mod http;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rsible_test_support::Sandbox;

pub use rsible_test_support::{repo_root, supported, Outcome};

/// One playbook run: apt installs, builds and a reboot on two hosts take a minute or two;
/// a hung program must not stall CI for its whole budget.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(600);

pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/article/fixtures")
}

/// Slow-to-build inputs kept between runs (the apt repository).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("RSIBLE_ARTICLE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/rsible-article-tests"))
}

pub fn ansible_playbook() -> PathBuf {
    rsible_test_support::ansible_playbook("this test needs")
}

pub fn rsible_playbook() -> PathBuf {
    rsible_test_support::rsible_playbook!()
}

/// The shared sandbox ([`rsible_test_support::Sandbox`]) of one program's runs: its root is the
/// scratch directory the fixtures are built in, `home/` and `ansible-local/` are the run's HOME
/// and local temp. The environment is the same clean one for every run, with a fixed `PATH`;
/// the hosts have Debian's python3 only, and play 1 runs locally with the machine's.
pub fn sandbox() -> Sandbox {
    Sandbox::builder("rsible-article-")
        .search_path("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .timeout(RUN_TIMEOUT)
        .build()
}

/// Runs a helper command that must succeed (tar, the repository builder, key generation).
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} failed ({}):\n{}{}",
        cmd,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies a directory tree keeping modes and symlinks.
pub fn copy_tree(src: &Path, dst: &Path) {
    run_ok(Command::new("cp").arg("-a").arg(src).arg(dst));
}

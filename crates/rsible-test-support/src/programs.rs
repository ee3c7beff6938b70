//! Where the repository and the two playbook programs are.

use std::path::{Path, PathBuf};

/// The oracle's location when `RSIBLE_ANSIBLE_PLAYBOOK` does not name another.
pub const DEFAULT_ANSIBLE_PLAYBOOK: &str = "/opt/ansible-venv/bin/ansible-playbook";

/// Every crate of the workspace sits two levels below its root, this one included.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where `ansible-playbook` is (`RSIBLE_ANSIBLE_PLAYBOOK`, else the venv's), without checking
/// that it is there.
pub fn ansible_playbook_path() -> PathBuf {
    std::env::var_os("RSIBLE_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ANSIBLE_PLAYBOOK))
}

/// `ansible-playbook` (see [`ansible_playbook_path`]), which must exist. `needs` completes the
/// failure message, e.g. "these tests need".
pub fn ansible_playbook(needs: &str) -> PathBuf {
    let path = ansible_playbook_path();
    assert!(
        path.is_file(),
        "ansible-playbook not found at {} (set RSIBLE_ANSIBLE_PLAYBOOK): {needs} real Ansible as \
         the oracle",
        path.display()
    );
    path
}

/// The `rsible-playbook` under test, as a `PathBuf`: the binary Cargo built for this very test
/// run (`CARGO_BIN_EXE_rsible-playbook`), never a path into `target/` that could be stale.
/// Cargo sets that variable only for the integration tests of the package owning the binary,
/// so the suites that run `rsible-playbook` are test targets of `rsible-cli`; elsewhere this
/// does not compile.
#[macro_export]
macro_rules! rsible_playbook {
    () => {
        // `RSIBLE_TEST_PLAYBOOK` pins a copy, so that a long run (the role corpus) is not
        // affected by a rebuild while it runs.
        ::std::env::var_os("RSIBLE_TEST_PLAYBOOK")
            .map(::std::path::PathBuf::from)
            .unwrap_or_else(|| ::std::path::PathBuf::from(env!("CARGO_BIN_EXE_rsible-playbook")))
    };
}

//! Where the repository and the two playbook programs are.

use std::path::{Path, PathBuf};

/// The oracle's location when `RSIBLE_ANSIBLE_PLAYBOOK` does not name another.
pub const DEFAULT_ANSIBLE_PLAYBOOK: &str = "/opt/ansible-venv/bin/ansible-playbook";

/// Every crate of the workspace sits two levels below its root, this one included.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `ansible-playbook` (`RSIBLE_ANSIBLE_PLAYBOOK`, else the venv's), which must exist. `needs`
/// completes the failure message, e.g. "these tests need".
pub fn ansible_playbook(needs: &str) -> PathBuf {
    let path = std::env::var_os("RSIBLE_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ANSIBLE_PLAYBOOK));
    assert!(
        path.is_file(),
        "ansible-playbook not found at {} (set RSIBLE_ANSIBLE_PLAYBOOK): {needs} real Ansible as \
         the oracle",
        path.display()
    );
    path
}

/// Where `rsible-playbook` should be, without checking that it is there. Cargo exposes
/// `CARGO_BIN_EXE_*` only within a package, so the binary of another crate is taken from the
/// target directory (or `RSIBLE_PLAYBOOK`).
pub fn rsible_playbook_path() -> PathBuf {
    if let Some(explicit) = std::env::var_os("RSIBLE_PLAYBOOK") {
        return PathBuf::from(explicit);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join("debug/rsible-playbook")
}

/// `rsible-playbook`, which must have been built; `build` is the command the failure message
/// suggests, e.g. "cargo build --workspace --bins".
pub fn rsible_playbook(build: &str) -> PathBuf {
    let path = rsible_playbook_path();
    assert!(
        path.is_file(),
        "rsible-playbook not found at {}: run `{build}` first (or set RSIBLE_PLAYBOOK to the \
         binary)",
        path.display()
    );
    path
}

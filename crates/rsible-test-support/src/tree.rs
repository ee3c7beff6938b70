//! Copying fixtures.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

/// Whether copied directories take the source's mode or the default one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirModes {
    Keep,
    Default,
}

/// Copies a directory tree keeping file modes and symlinks, which fixtures rely on.
pub fn copy_tree(src: &Path, dst: &Path, dir_modes: DirModes) {
    fs::create_dir_all(dst).unwrap_or_else(|err| panic!("{}: {err}", dst.display()));
    let entries = fs::read_dir(src).unwrap_or_else(|err| panic!("{}: {err}", src.display()));
    for entry in entries.flatten() {
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let meta =
            fs::symlink_metadata(&from).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
        if meta.file_type().is_symlink() {
            let target =
                fs::read_link(&from).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
            symlink(&target, &to).unwrap_or_else(|err| panic!("{}: {err}", to.display()));
        } else if meta.is_dir() {
            copy_tree(&from, &to, dir_modes);
            if dir_modes == DirModes::Keep {
                let _ = fs::set_permissions(&to, meta.permissions());
            }
        } else {
            fs::copy(&from, &to).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
        }
    }
}

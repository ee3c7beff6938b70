//! Copying fixtures.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use walkdir::WalkDir;

/// Whether copied directories take the source's mode or the default one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirModes {
    Keep,
    Default,
}

/// Copies a directory tree keeping file modes and symlinks, which fixtures rely on.
pub fn copy_tree(src: &Path, dst: &Path, dir_modes: DirModes) {
    // Children before their directory, so a read-only directory mode is set last.
    for entry in WalkDir::new(src).contents_first(true) {
        let entry = entry.unwrap_or_else(|err| panic!("{}: {err}", src.display()));
        let from = entry.path();
        let to = dst.join(from.strip_prefix(src).unwrap_or(from));
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|err| panic!("{}: {err}", parent.display()));
        }
        let kind = entry.file_type();
        if kind.is_symlink() {
            let target =
                fs::read_link(from).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
            symlink(&target, &to).unwrap_or_else(|err| panic!("{}: {err}", to.display()));
        } else if kind.is_dir() {
            fs::create_dir_all(&to).unwrap_or_else(|err| panic!("{}: {err}", to.display()));
            if dir_modes == DirModes::Keep && entry.depth() > 0 {
                let meta = entry
                    .metadata()
                    .unwrap_or_else(|err| panic!("{}: {err}", from.display()));
                let _ = fs::set_permissions(&to, meta.permissions());
            }
        } else {
            fs::copy(from, &to).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn copies_files_links_and_kept_dir_modes() {
        let src = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dst = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sub = src.path().join("sub");
        fs::create_dir(&sub).unwrap_or_else(|e| panic!("{e}"));
        fs::write(sub.join("f"), "x").unwrap_or_else(|e| panic!("{e}"));
        symlink("sub/f", src.path().join("link")).unwrap_or_else(|e| panic!("{e}"));
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o750))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = dst.path().join("copy");
        copy_tree(src.path(), &out, DirModes::Keep);
        assert_eq!(
            fs::read_to_string(out.join("sub/f")).ok().as_deref(),
            Some("x")
        );
        assert_eq!(
            fs::read_link(out.join("link")).ok(),
            Some(Path::new("sub/f").to_path_buf())
        );
        let mode = fs::metadata(out.join("sub")).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o750));
    }
}

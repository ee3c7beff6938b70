//! copy with a directory `src`: the controller tree is walked as Ansible's `_walk_dirs` does
//! and each file, directory and symlink is placed in turn.

use std::path::{Path, PathBuf};

use serde_json::json;
use walkdir::WalkDir;

use crate::args::Mode;
use crate::copy::one_file::copy_file;
use crate::copy::{file_args, Args, Source};
use crate::file;
use crate::util::failed;
use crate::{ModuleContext, ModuleError, ResultMap};

/// A directory src: `src/` copies its contents, `src` the directory itself.
pub(crate) fn copy_dir(
    ctx: &ModuleContext<'_>,
    a: &Args,
    src_arg: &str,
    found: &Path,
    dest: &str,
) -> Result<ResultMap, ModuleError> {
    let trailing = src_arg.ends_with('/');
    let mut shown = found.to_string_lossy().into_owned();
    if trailing && !shown.ends_with('/') {
        shown.push('/');
    }
    let base = if trailing {
        String::new()
    } else {
        found
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut walk = Walk::default();
    walk_dir(found, &base, a.local_follow.unwrap_or(true), &mut walk)
        .map_err(|e| ModuleError::Connection(crate::ConnectionError::Failed(e.to_string())))?;
    let dest = if dest.ends_with('/') {
        dest.to_owned()
    } else {
        format!("{dest}/")
    };
    let mut changed = false;
    let mut implicit = std::collections::BTreeSet::new();
    for (full, rel) in &walk.files {
        let how = crate::vault_src::Read::Copy { decrypt: a.decrypt };
        let data = match crate::vault_src::read(full, how) {
            Ok(Ok(d)) => d,
            Ok(Err(raised)) => return Err(raised),
            Err(e) => return Ok(failed(e.to_string())),
        };
        let src = Source {
            data,
            rel: rel.clone(),
            local: Some(full.clone()),
            inline: false,
            header: None,
        };
        let r = copy_file(ctx, a, &src, &dest, false, true)?;
        if r.get("failed") == Some(&json!(true)) {
            return Ok(r);
        }
        changed |= r.get("changed") == Some(&json!(true));
        let mut p = file::parent(rel);
        while !p.is_empty() && p != "/" {
            implicit.insert(p.clone());
            p = file::parent(&p);
        }
    }
    for rel in &walk.dirs {
        if implicit.contains(rel) {
            continue;
        }
        let fa = file_args(
            a,
            &file::join(&dest, rel),
            "directory",
            a.directory_mode.clone(),
            None,
        );
        let r = file::run_file(ctx, &fa)?;
        if r.get("failed") == Some(&json!(true)) {
            return Ok(r);
        }
        changed |= r.get("changed") == Some(&json!(true));
    }
    for (target, rel) in &walk.links {
        let mut fa = file_args(
            a,
            &file::join(&dest, rel),
            "link",
            a.mode.clone(),
            Some(target.clone()),
        );
        fa.force = true;
        fa.follow = false;
        if fa.mode == Some(Mode::Preserve) {
            fa.mode = None;
        }
        let r = file::run_file(ctx, &fa)?;
        if r.get("failed") == Some(&json!(true)) {
            return Ok(r);
        }
        changed |= r.get("changed") == Some(&json!(true));
    }
    let mut r = ResultMap::new();
    r.insert("changed".into(), json!(changed));
    r.insert("dest".into(), json!(dest));
    r.insert("src".into(), json!(shown));
    Ok(r)
}

#[derive(Default)]
struct Walk {
    files: Vec<(PathBuf, String)>,
    dirs: Vec<String>,
    links: Vec<(String, String)>,
}

/// The tree below `top`, in name order, each entry named `base/<path below top>`. With `follow`,
/// links are followed as `_walk_dirs(local_follow=True)` does: a link to a file is read from
/// its target, a link to a directory is walked, and what lies below it is read from the
/// target's real path; a link that leads nowhere, or back up the tree, is kept as a link.
fn walk_dir(top: &Path, base: &str, follow: bool, out: &mut Walk) -> std::io::Result<()> {
    // Each followed directory link (as walked) and its real path, outermost first.
    let mut followed: Vec<(PathBuf, PathBuf)> = Vec::new();
    let entries = WalkDir::new(top)
        .min_depth(1)
        .follow_links(follow)
        .sort_by_file_name();
    for entry in entries {
        let (path, is_link, file_type) = match entry {
            Ok(e) => (
                e.path().to_path_buf(),
                e.path_is_symlink(),
                Some(e.file_type()),
            ),
            Err(err) => match err.path().map(Path::to_path_buf) {
                Some(path) if fs_err::symlink_metadata(&path).is_ok_and(|m| m.is_symlink()) => {
                    (path, true, None)
                }
                _ => return Err(err.into()),
            },
        };
        let below = path.strip_prefix(top).unwrap_or(&path);
        let rel = below.iter().fold(base.to_owned(), |rel, name| {
            file::join(&rel, &name.to_string_lossy())
        });
        let source = followed
            .iter()
            .rev()
            .find_map(|(link, real)| Some(real.join(path.strip_prefix(link).ok()?)))
            .unwrap_or_else(|| path.clone());
        match file_type {
            Some(t) if is_link && follow && t.is_file() => {
                out.files.push((fs_err::canonicalize(&source)?, rel));
            }
            Some(t) if is_link && follow && t.is_dir() => {
                followed.push((path, fs_err::canonicalize(&source)?));
                out.dirs.push(rel);
            }
            _ if is_link => out.links.push((
                fs_err::read_link(&source)?.to_string_lossy().into_owned(),
                rel,
            )),
            Some(t) if t.is_dir() => out.dirs.push(rel),
            _ => out.files.push((source, rel)),
        }
    }
    Ok(())
}

//! copy with a directory `src`: the controller tree is walked as Ansible's `_walk_dirs` does
//! and each file, directory and symlink is placed in turn.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::args::Mode;
use crate::copy::{file_args, Args, Source};
use crate::copy_file::copy_file;
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
        let data = match fs_err::read(full) {
            Ok(d) => d,
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

fn walk_dir(dir: &Path, rel: &str, follow: bool, out: &mut Walk) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs_err::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs_err::DirEntry::file_name);
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let r = file::join(rel, &name);
        let meta = fs_err::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            let real = fs_err::canonicalize(&path).ok();
            match real {
                Some(real) if follow && real.is_file() => out.files.push((real, r)),
                Some(real) if follow && real.is_dir() => {
                    out.dirs.push(r.clone());
                    walk_dir(&real, &r, follow, out)?;
                }
                _ => out
                    .links
                    .push((fs_err::read_link(&path)?.to_string_lossy().into_owned(), r)),
            }
        } else if meta.is_dir() {
            out.dirs.push(r.clone());
            walk_dir(&path, &r, follow, out)?;
        } else {
            out.files.push((path, r));
        }
    }
    Ok(())
}

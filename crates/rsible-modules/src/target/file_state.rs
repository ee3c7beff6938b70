//! What the `file` module (and copy) learn about a path on the target in one script, and the
//! attribute changes (`set_fs_attributes_if_different`) derived from it.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::args::Mode;
use crate::ResultMap;
use rsible_connection::shell::quote;

/// One path as `stat -c '%f|%u|%g|%U|%G|%s|%h|%i'` saw it (lstat unless noted).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Info {
    pub exists: bool,
    pub kind: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub owner: String,
    pub group: String,
    pub size: u64,
    pub nlink: u64,
    pub ino: u64,
}

impl Info {
    pub(crate) fn parse(line: &str) -> Info {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() < 8 {
            return Info::default();
        }
        let raw = u32::from_str_radix(f[0], 16).unwrap_or(0);
        Info {
            exists: true,
            kind: raw & 0o170_000,
            mode: raw & 0o7777,
            uid: f[1].parse().unwrap_or(0),
            gid: f[2].parse().unwrap_or(0),
            owner: f[3].to_owned(),
            group: f[4].to_owned(),
            size: f[5].parse().unwrap_or(0),
            nlink: f[6].parse().unwrap_or(0),
            ino: f[7].parse().unwrap_or(0),
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.kind == 0o040_000
    }

    pub(crate) fn is_link(&self) -> bool {
        self.kind == 0o120_000
    }
}

/// Shell functions of the probes. `_i` prints the stat line of `$1` (`-` when absent); `$2` is
/// `-L` to follow. `_lt` prints a path's `l:` (lstat) and `t:` (followed) lines, running `stat`
/// a second time only for a symlink (raw mode `a…`). `_dn` sets `_d` to `dirname -- "$1"`
/// without a process, and `_me` sets `_u`/`_g` to `id -u`/`id -g` from `/proc/self/status` when
/// it can: every exec costs the target a millisecond or more.
pub(crate) const INFO_FN: &str = "_i() { if [ -e \"$1\" ] || [ -L \"$1\" ]; then stat $2 -c '%f|%u|%g|%U|%G|%s|%h|%i' -- \"$1\" 2>/dev/null || echo -; else echo -; fi; }
_lt() { _l=$(_i \"$1\"); echo \"l:$_l\"; case $_l in a*) echo \"t:$(_i \"$1\" -L)\" ;; *) echo \"t:$_l\" ;; esac; }
_dn() { _d=$1; while [ \"${_d%/}\" != \"$_d\" ] && [ \"$_d\" != / ]; do _d=${_d%/}; done; case $_d in */*) _d=${_d%/*}; while [ \"${_d%/}\" != \"$_d\" ]; do _d=${_d%/}; done; _d=${_d:-/} ;; *) _d=. ;; esac; }
_me() { _u=; if [ -r /proc/self/status ]; then while read -r _k _a _b _r; do case $_k in Uid:) _u=$_b ;; Gid:) _g=$_b; break ;; esac; done </proc/self/status; fi; [ -n \"$_u\" ] || { _u=$(id -u); _g=$(id -g); }; }
";

/// Everything the decision needs about a path, in one script's output.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// lstat of the path.
    pub l: Info,
    /// stat following links (the target for a link).
    pub t: Info,
    pub link_target: Option<String>,
    pub realpath: Option<String>,
    /// `src` (for link/hard) as the module resolves it.
    pub src: Info,
    pub owner_uid: Option<u32>,
    pub group_gid: Option<u32>,
    pub dir_empty: bool,
    /// `path_content` for the diff of removing a directory.
    pub content: Option<Value>,
    /// `(atime, mtime)` of the path, followed, when a time parameter asked for them.
    pub times: Option<(f64, f64)>,
    /// The epochs of explicit `access_time`/`modification_time`, converted on the target.
    pub epoch_atime: Option<f64>,
    pub epoch_mtime: Option<f64>,
}

impl State {
    /// `absent`, `link`, `directory`, `hard` or `file`, as Ansible's `get_state`.
    pub(crate) fn name(&self) -> &'static str {
        if !self.l.exists {
            "absent"
        } else if self.l.is_link() {
            "link"
        } else if self.l.is_dir() {
            "directory"
        } else if self.t.nlink > 1 {
            "hard"
        } else {
            "file"
        }
    }
}

/// Lists a directory's tree as `w:d path` / `w:f path` lines, in readdir order.
const WALK_CMD: &str = "if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then find \"$p\" -mindepth 1 \\( -type d -printf 'w:d %p\\n' \\) -o -printf 'w:f %p\\n'; fi\n";

/// Ansible's `path_content` of a directory about to be removed: `os.walk` order, which
/// lists each visited directory's subdirectories and files before descending.
pub(crate) fn path_content(top: &str, text: &str) -> Value {
    let mut children: std::collections::HashMap<String, Vec<(bool, String)>> =
        std::collections::HashMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("w:") else {
            continue;
        };
        let (kind, p) = rest.split_at(1.min(rest.len()));
        let p = p.trim_start_matches(' ').to_owned();
        children
            .entry(parent(&p))
            .or_default()
            .push((kind == "d", p));
    }
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    let mut stack = vec![top.trim_end_matches('/').to_owned()];
    while let Some(dir) = stack.pop() {
        let kids = children.remove(&dir).unwrap_or_default();
        let mut sub = Vec::new();
        for (is_dir, p) in kids {
            if is_dir {
                dirs.push(json!(p));
                sub.push(p);
            } else {
                files.push(json!(p));
            }
        }
        stack.extend(sub.into_iter().rev());
    }
    json!({"directories": dirs, "files": files})
}

/// `empty`: whether to test a directory for emptiness; `times`: lines printing the path's
/// current times (`file_times`), or nothing.
pub(crate) fn state_script(
    path: &str,
    src: Option<&str>,
    owner: Option<&str>,
    group: Option<&str>,
    walk: bool,
    empty: bool,
    times: &str,
) -> String {
    let mut s = String::from(INFO_FN);
    let _ = writeln!(s, "p={}", quote(path));
    // Before anything below reads a directory and so updates its atime.
    s.push_str(times);
    if walk {
        s.push_str(WALK_CMD);
    }
    s.push_str("_lt \"$p\"\n");
    s.push_str("if [ -L \"$p\" ]; then echo \"k:$(readlink -- \"$p\")\"; echo \"r:$(readlink -m -- \"$p\")\"; fi\n");
    if empty {
        // Only a link may replace an empty directory; listing it costs the directory's atime.
        s.push_str(
            "if [ -d \"$p\" ] && [ -z \"$(ls -A -- \"$p\" 2>/dev/null)\" ]; then echo e:; fi\n",
        );
    }
    if let Some(src) = src {
        let _ = writeln!(s, "echo \"s:$(_i {} -L)\"", quote(src));
    }
    if let Some(o) = owner {
        let _ = writeln!(s, "echo \"u:$(id -u -- {} 2>/dev/null)\"", quote(o));
    }
    if let Some(g) = group {
        let _ = writeln!(
            s,
            "echo \"g:$(getent group -- {} 2>/dev/null | cut -d: -f3)\"",
            quote(g)
        );
    }
    s
}

pub(crate) fn parse_state(text: &str) -> State {
    let mut st = State::default();
    for line in text.lines() {
        let Some((tag, v)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "l" => st.l = Info::parse(v),
            "t" => st.t = Info::parse(v),
            "k" => st.link_target = Some(v.to_owned()),
            "r" => st.realpath = Some(v.to_owned()),
            "e" => st.dir_empty = true,
            "s" => st.src = Info::parse(v),
            "u" => st.owner_uid = v.parse().ok(),
            "g" => st.group_gid = v.parse().ok(),
            "x" => {
                st.times = v
                    .split_once('|')
                    .and_then(|(a, m)| Some((a.parse().ok()?, m.parse().ok()?)));
            }
            "xa" => st.epoch_atime = v.parse().ok(),
            "xm" => st.epoch_mtime = v.parse().ok(),
            _ => {}
        }
    }
    st
}

/// Attribute changes (`set_fs_attributes_if_different`): what differs, as shell commands and
/// diff entries. `info` is the object whose attributes are compared (the link target when
/// following).
pub(crate) struct AttrPlan {
    pub cmds: Vec<String>,
    pub before: serde_json::Map<String, Value>,
    pub after: serde_json::Map<String, Value>,
}

pub(crate) fn plan_attrs(
    target: &str,
    info: &Info,
    mode: Option<&Mode>,
    owner: Option<&str>,
    group: Option<&str>,
    st: &State,
    new: bool,
) -> Result<AttrPlan, String> {
    let mut p = AttrPlan {
        cmds: Vec::new(),
        before: serde_json::Map::new(),
        after: serde_json::Map::new(),
    };
    let q = quote(target);
    if let Some(o) = owner {
        let want = o.parse::<u32>().ok().or(st.owner_uid);
        let Some(want) = want else {
            return Err(format!("chown failed: failed to look up user {o}"));
        };
        if new || info.uid != want {
            p.before.insert("owner".into(), json!(info.uid));
            p.after.insert("owner".into(), json!(want));
            p.cmds.push(format!("chown -h {want} -- {q}"));
        }
    }
    if let Some(g) = group {
        let want = g.parse::<u32>().ok().or(st.group_gid);
        let Some(want) = want else {
            return Err(format!("chgrp failed: failed to look up group {g}"));
        };
        if new || info.gid != want {
            p.before.insert("group".into(), json!(info.gid));
            p.after.insert("group".into(), json!(want));
            p.cmds.push(format!("chgrp -h {want} -- {q}"));
        }
    }
    if let Some(m) = mode {
        let want = m.resolve(info.mode, info.is_dir())?;
        if new || info.mode != want {
            p.before
                .insert("mode".into(), json!(format!("0{:03o}", info.mode)));
            p.after.insert("mode".into(), json!(format!("0{want:03o}")));
            p.cmds.push(format!("chmod {want:o} -- {q}"));
        }
    }
    Ok(p)
}

/// Ansible's `add_path_info`: attributes of whatever now sits at the path.
pub(crate) fn path_info(r: &mut ResultMap, l: &Info, t: &Info) {
    if !t.exists {
        return;
    }
    let state = if l.is_link() {
        "link"
    } else if l.is_dir() {
        "directory"
    } else if t.nlink > 1 {
        "hard"
    } else {
        "file"
    };
    r.insert("uid".into(), json!(l.uid));
    r.insert("gid".into(), json!(l.gid));
    r.insert("owner".into(), json!(l.owner));
    r.insert("group".into(), json!(l.group));
    r.insert("mode".into(), json!(format!("0{:03o}", l.mode)));
    r.insert("state".into(), json!(state));
    r.insert("size".into(), json!(l.size));
}

pub(crate) fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_owned(),
        Some(i) => path[..i].to_owned(),
        None => String::new(),
    }
}

pub(crate) fn basename(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

/// `os.path.join`: an absolute second part replaces the first.
pub(crate) fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_owned()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

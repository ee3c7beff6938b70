//! The decisions of Ansible's `file` module per `state`, as shell commands plus diff entries.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::args::Mode;
use crate::file::times::{StampPlan, Stamps};
use crate::file::Args;
use crate::target::file_state::{join, parent, plan_attrs, AttrPlan, Info, State};
use crate::util::failed;
use crate::ResultMap;
use rsible_connection::shell::quote;

#[derive(Default)]
pub(crate) struct Plan {
    pub(crate) cmds: Vec<String>,
    pub(crate) changed: bool,
    pub(crate) before: serde_json::Map<String, Value>,
    pub(crate) after: serde_json::Map<String, Value>,
    pub(crate) result: ResultMap,
    /// Path whose final attributes the result reports.
    pub(crate) report_path: String,
    /// The commands recurse into a tree and print `R:` when they changed something.
    pub(crate) recurse: bool,
    /// `(atime, mtime)` set on a path the commands create; they print its first times (`B:`).
    pub(crate) stamps_after: Option<(Option<f64>, Option<f64>)>,
}

impl Plan {
    fn new(path: &str, state: &str, prev: &str) -> Plan {
        let mut p = Plan {
            report_path: path.to_owned(),
            ..Plan::default()
        };
        p.before.insert("path".into(), json!(path));
        p.after.insert("path".into(), json!(path));
        if prev != state {
            p.before.insert("state".into(), json!(prev));
            p.after.insert("state".into(), json!(state));
        }
        p
    }

    fn add_attrs(&mut self, attrs: AttrPlan) {
        if !attrs.cmds.is_empty() {
            self.changed = true;
        }
        self.cmds.extend(attrs.cmds);
        self.before.extend(attrs.before);
        self.after.extend(attrs.after);
    }

    /// Mode, owner, group and times of a `target` that exists already (behind a link when
    /// `st` followed one).
    fn add_existing(
        &mut self,
        target: &str,
        st: &State,
        a: &Args,
        stamps: &Stamps,
    ) -> Result<(), ResultMap> {
        let info = if st.l.is_link() { &st.t } else { &st.l };
        self.add_mode_owner(target, info, a, st, target)?;
        self.add_stamps(stamps.plan_existing(target, st));
        Ok(())
    }

    /// `a`'s mode, owner and group for an existing `target` as `info` shows it; a failure
    /// names `path`.
    fn add_mode_owner(
        &mut self,
        target: &str,
        info: &Info,
        a: &Args,
        st: &State,
        path: &str,
    ) -> Result<(), ResultMap> {
        let attrs = plan_attrs(
            target,
            info,
            a.mode.as_ref(),
            a.owner.as_deref(),
            a.group.as_deref(),
            st,
            false,
        )
        .map_err(|e| fail_with(e, json!({"path": path})))?;
        self.add_attrs(attrs);
        Ok(())
    }

    fn add_stamps(&mut self, stamps: StampPlan) {
        self.changed |= stamps.changed;
        self.cmds.extend(stamps.cmds);
        self.before.extend(stamps.before);
        self.after.extend(stamps.after);
        self.stamps_after = stamps.from_apply;
    }
}

fn fail_with(msg: String, extra: Value) -> ResultMap {
    let mut f = failed(msg);
    if let Value::Object(m) = extra {
        f.extend(m);
    }
    f
}

pub(crate) fn plan_absent(path: &str, st: &State) -> Result<Plan, ResultMap> {
    let prev = st.name();
    let mut p = Plan::new(path, "absent", prev);
    p.result.insert("path".into(), json!(path));
    p.result.insert("state".into(), json!("absent"));
    if prev != "absent" {
        if prev == "directory" {
            let content = st
                .content
                .clone()
                .unwrap_or_else(|| json!({"directories": [], "files": []}));
            p.before.insert("path_content".into(), content);
        }
        p.changed = true;
        let flag = if prev == "directory" { "-rf" } else { "-f" };
        p.cmds.push(format!("rm {flag} -- {}", quote(path)));
    }
    Ok(p)
}

pub(crate) fn plan_file(
    path: &str,
    st: &State,
    a: &Args,
    stamps: &Stamps,
) -> Result<Plan, ResultMap> {
    let mut prev = st.name();
    let mut target = path.to_owned();
    if prev == "link" && a.follow {
        target = st.realpath.clone().unwrap_or_else(|| path.to_owned());
        prev = if !st.t.exists {
            "absent"
        } else if st.t.is_dir() {
            "directory"
        } else if st.t.nlink > 1 {
            "hard"
        } else {
            "file"
        };
    }
    if prev != "file" && prev != "hard" {
        return Err(fail_with(
            format!("file ({target}) is {prev}, cannot continue"),
            json!({"path": target, "state": prev}),
        ));
    }
    let mut p = Plan::new(&target, "file", prev);
    p.result.insert("path".into(), json!(target));
    p.add_existing(&target, st, a, stamps)?;
    p.report_path = target;
    Ok(p)
}

pub(crate) fn plan_directory(
    path: &str,
    st: &State,
    a: &Args,
    stamps: &Stamps,
) -> Result<Plan, ResultMap> {
    let mut prev = st.name();
    let mut target = path.to_owned();
    if a.follow && prev == "link" {
        target = st.realpath.clone().unwrap_or_else(|| path.to_owned());
        prev = if !st.t.exists {
            "absent"
        } else if st.t.is_dir() {
            "directory"
        } else {
            "file"
        };
    }
    let mut p = Plan::new(&target, "directory", prev);
    p.result.insert("path".into(), json!(target));
    p.report_path = target.clone();
    if prev == "absent" {
        p.changed = true;
        // Each missing component is created and given the attributes, like Ansible's loop.
        let abs = target.starts_with('/');
        let mut cur = String::new();
        let parts: Vec<&str> = target.trim_matches('/').split('/').collect();
        for (i, &part) in parts.iter().enumerate() {
            cur = if cur.is_empty() && !abs {
                part.to_owned()
            } else {
                format!("{cur}/{part}")
            };
            let q = quote(&cur);
            let mut line = format!("if [ ! -e {q} ]; then mkdir -- {q}");
            if let Some(m) = &a.mode {
                let mode = match m {
                    Mode::Symbolic(s) => s.clone(),
                    other => format!("{:o}", other.resolve(0o755, true).unwrap_or(0o755)),
                };
                let _ = write!(line, " && chmod {} -- {q}", quote(&mode));
            }
            if let Some(o) = &a.owner {
                let _ = write!(line, " && chown {} -- {q}", quote(o));
            }
            if let Some(g) = &a.group {
                let _ = write!(line, " && chgrp {} -- {q}", quote(g));
            }
            if stamps.active() && i + 1 < parts.len() {
                // Ansible sets the times of the full path right after creating the first
                // missing component, which fails while deeper ones are still missing.
                let msg = format!(
                    "Error while updating modification or access time: [Errno 2] No such file or directory: b'{target}'"
                );
                let _ = write!(line, "; echo {} >&2; exit 1", quote(&msg));
            }
            line.push_str("; fi");
            p.cmds.push(line);
        }
        p.add_stamps(stamps.plan_created(&target, st));
        return Ok(p);
    }
    if prev != "directory" {
        return Err(fail_with(
            format!("{target} already exists as a {prev}"),
            json!({"path": target}),
        ));
    }
    p.add_existing(&target, st, a, stamps)?;
    if a.recurse && (a.mode.is_some() || a.owner.is_some() || a.group.is_some()) {
        // Whether anything below changes is only known on the target: `-c` lists changes.
        let q = quote(&target);
        let mut probe = String::from("c=$( {");
        if let Some(o) = &a.owner {
            let _ = write!(probe, " chown -R -c {} -- {q};", quote(o));
        }
        if let Some(g) = &a.group {
            let _ = write!(probe, " chgrp -R -c {} -- {q};", quote(g));
        }
        if let Some(m) = &a.mode {
            let mode = match m {
                Mode::Symbolic(s) => s.clone(),
                other => format!("{:o}", other.resolve(0, false).unwrap_or(0)),
            };
            let _ = write!(probe, " chmod -R -c {} -- {q};", quote(&mode));
        }
        probe.push_str(" } ); [ -z \"$c\" ] || echo R:");
        p.cmds.push(probe);
        // Whether the tree changes is only known after applying (check mode cannot tell).
        p.recurse = true;
    }
    Ok(p)
}

pub(crate) fn plan_link(
    path: &str,
    st: &State,
    a: &Args,
    src: Option<&str>,
    absrc: Option<&str>,
) -> Result<Plan, ResultMap> {
    let prev = st.name();
    let src = match src {
        Some(s) => Some(s.to_owned()),
        None if a.follow && st.t.exists => st.link_target.clone(),
        None => None,
    };
    if !a.force && src.is_some() && !st.src.exists {
        return Err(fail_with(
            format!(
                "src file does not exist, use 'force=yes' if you really want to create the link: {}",
                absrc.unwrap_or_default()
            ),
            json!({"path": path, "src": src}),
        ));
    }
    match prev {
        "directory" if !a.force => {
            return Err(fail_with(
                format!("refusing to convert from directory to symlink for {path}"),
                json!({"path": path}),
            ))
        }
        "directory" if !st.dir_empty => {
            return Err(fail_with(
                format!("the directory {path} is not empty, refusing to convert it"),
                json!({"path": path}),
            ))
        }
        "file" | "hard" if !a.force => {
            return Err(fail_with(
                format!("refusing to convert from {prev} to symlink for {path}"),
                json!({"path": path}),
            ))
        }
        _ => {}
    }
    let mut p = Plan::new(path, "link", prev);
    let Some(src) = src else {
        return Err(failed("src is required for creating new symlinks"));
    };
    p.result.insert("dest".into(), json!(path));
    p.result.insert("src".into(), json!(src));
    if prev == "link" {
        if st.link_target.as_deref() != Some(src.as_str()) {
            p.before.insert("src".into(), json!(st.link_target));
            p.after.insert("src".into(), json!(src));
            p.changed = true;
        }
    } else {
        p.changed = true;
    }
    if p.changed {
        let (qs, qp) = (quote(&src), quote(path));
        if prev == "absent" {
            p.cmds.push(format!("ln -s -- {qs} {qp}"));
        } else {
            let tmp = quote(&join(
                &parent(path),
                &format!(".rsible.{}.tmp", crate::target::script::marker()),
            ));
            if prev == "directory" {
                p.cmds.push(format!("rmdir -- {qp}"));
            }
            p.cmds
                .push(format!("ln -s -- {qs} {tmp} && mv -Tf -- {tmp} {qp}"));
        }
    }
    // Attributes go to the link's target when following and it exists.
    if a.follow && st.src.exists {
        let target_info = if st.l.is_link() && !p.changed {
            &st.t
        } else {
            &st.src
        };
        let target = absrc.unwrap_or(path);
        p.add_mode_owner(target, target_info, a, st, path)?;
    }
    Ok(p)
}

pub(crate) fn plan_hard(
    path: &str,
    st: &State,
    a: &Args,
    src: Option<&str>,
) -> Result<Plan, ResultMap> {
    let prev = st.name();
    if prev != "hard" && src.is_none() {
        return Err(failed("src is required for creating new hardlinks"));
    }
    let fail = |msg: String| fail_with(msg, json!({"dest": path, "src": src}));
    if src.is_some() && !st.src.exists {
        return Err(fail("src does not exist".to_owned()));
    }
    let mut p = Plan::new(path, "hard", prev);
    p.result.insert("dest".into(), json!(path));
    p.result.insert("src".into(), json!(src));
    let same_inode = st.l.exists && st.src.exists && st.l.ino == st.src.ino;
    match prev {
        "absent" => p.changed = true,
        "link" => {
            if st.link_target.as_deref() != src {
                p.before.insert("src".into(), json!(st.link_target));
                p.after.insert("src".into(), json!(src));
                p.changed = true;
            }
        }
        "hard" => {
            if src.is_some() && !same_inode {
                if !a.force {
                    return Err(fail(
                        "Cannot link, different hard link exists at destination".to_owned(),
                    ));
                }
                p.changed = true;
            }
        }
        "file" => {
            if !a.force {
                return Err(fail(format!("Cannot link, {prev} exists at destination")));
            }
            p.changed = true;
        }
        _ => {
            if same_inode {
                let mut r = Plan::new(path, "hard", prev);
                r.result.insert("path".into(), json!(path));
                return Ok(r);
            }
            if !a.force {
                return Err(fail(
                    "Cannot link: different hard link exists at destination".to_owned(),
                ));
            }
            p.changed = true;
        }
    }
    if p.changed {
        let (qs, qp) = (quote(src.unwrap_or_default()), quote(path));
        if prev == "absent" {
            p.cmds.push(format!("ln -- {qs} {qp}"));
        } else {
            let tmp = quote(&join(
                &parent(path),
                &format!(".rsible.{}.tmp", crate::target::script::marker()),
            ));
            if prev == "directory" {
                p.cmds.push(format!("rmdir -- {qp}"));
            }
            p.cmds
                .push(format!("ln -- {qs} {tmp} && mv -Tf -- {tmp} {qp}"));
        }
    }
    // After linking, the path's attributes are those of src.
    let info = if p.changed { &st.src } else { &st.l };
    if info.exists {
        p.add_mode_owner(path, info, a, st, path)?;
    }
    Ok(p)
}

pub(crate) fn plan_touch(
    path: &str,
    st: &State,
    a: &Args,
    stamps: &Stamps,
) -> Result<Plan, ResultMap> {
    let prev = st.name();
    let mut p = Plan::new(path, "touch", prev);
    p.result.insert("dest".into(), json!(path));
    let q = quote(path);
    if prev == "absent" {
        p.changed = true;
        p.cmds.push(format!("[ -e {q} ] || : > {q}"));
    }
    let info = if prev == "absent" {
        Info {
            exists: true,
            mode: 0o644,
            kind: 0o100_000,
            ..st.l.clone()
        }
    } else {
        st.t.clone()
    };
    if let Ok(attrs) = plan_attrs(
        path,
        &info,
        a.mode.as_ref(),
        a.owner.as_deref(),
        a.group.as_deref(),
        st,
        prev == "absent",
    ) {
        p.add_attrs(attrs);
    }
    if prev == "absent" {
        p.add_stamps(stamps.plan_created(path, st));
    } else {
        p.add_stamps(stamps.plan_existing(path, st));
    }
    Ok(p)
}

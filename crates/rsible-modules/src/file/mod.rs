//! `file`: ensure a path is a file, directory, link or absent, with mode and ownership.
//!
//! ```yaml
//! - file: { path: ~/src/build, state: directory, mode: "0755" }
//! - file: { path: /usr/local/bin/tool, src: /opt/tool/bin/tool, state: link }
//! ```
//!
//! One round trip reads the current state (`stat`, `readlink`, `id`), the decision is made on
//! the controller as Ansible's `file` module makes it, and a second round trip (skipped in check
//! mode or when nothing changes) applies it and reports the final state.

pub(crate) mod plan;
pub(crate) mod times;

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec, Mode};
use crate::file::plan::{plan_absent, plan_directory, plan_file, plan_hard, plan_link, plan_touch};
use crate::file::times::{created_diff, Stamps};
pub(crate) use crate::target::file_state::{
    basename, join, parent, parse_state, path_content, path_info, state_script, Info, State,
    INFO_FN,
};
use crate::target::script::{expand_path, run_script};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "file",
    ArgSpec::new(
        "file",
        &[
            "_diff_peek",
            "_original_basename",
            "access_time",
            "access_time_format",
            "attributes",
            "follow",
            "force",
            "group",
            "mode",
            "modification_time",
            "modification_time_format",
            "owner",
            "path",
            "recurse",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "src",
            "state",
            "unsafe_writes",
            "attr",
            "dest",
            "name",
        ],
    )
    .aliases(&["attr", "dest", "name"]),
);

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "accepted like Ansible's argument_spec; SELinux and chattr are not applied"
)]
pub(crate) struct Args {
    #[serde(
        default,
        alias = "dest",
        alias = "name",
        deserialize_with = "de_opt_string"
    )]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub state: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub recurse: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub src: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub follow: bool,
    #[serde(
        default,
        rename = "_original_basename",
        deserialize_with = "de_opt_string"
    )]
    pub original_basename: Option<String>,
    #[serde(default, rename = "_diff_peek")]
    pub diff_peek: Option<Value>,
    #[serde(default)]
    pub access_time: Option<Value>,
    #[serde(default)]
    pub access_time_format: Option<Value>,
    #[serde(default)]
    pub modification_time: Option<Value>,
    #[serde(default)]
    pub modification_time_format: Option<Value>,
    #[serde(default, alias = "attr")]
    pub attributes: Option<Value>,
    #[serde(default)]
    pub selevel: Option<Value>,
    #[serde(default)]
    pub serole: Option<Value>,
    #[serde(default)]
    pub setype: Option<Value>,
    #[serde(default)]
    pub seuser: Option<Value>,
    #[serde(default)]
    pub unsafe_writes: Option<Value>,
}

impl Args {
    /// The `file` call other modules make to set what they manage: `state` at `path` with
    /// these attributes, links followed, nothing else asked.
    pub(crate) fn attributes_of(
        path: &str,
        state: &str,
        mode: Option<Mode>,
        owner: Option<String>,
        group: Option<String>,
        src: Option<String>,
    ) -> Self {
        Self {
            path: Some(path.to_owned()),
            state: Some(state.to_owned()),
            mode,
            owner,
            group,
            recurse: false,
            src,
            force: false,
            follow: true,
            original_basename: None,
            diff_peek: None,
            access_time: None,
            access_time_format: None,
            modification_time: None,
            modification_time_format: None,
            attributes: None,
            selevel: None,
            serole: None,
            setype: None,
            seuser: None,
            unsafe_writes: None,
        }
    }
}

pub(crate) struct File;
pub(crate) static FILE: File = File;

impl Module for File {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        run_file(ctx, &a).map(ModuleOutput::from)
    }
}

const STATES: &[&str] = &["absent", "directory", "file", "hard", "link", "touch"];

/// The `file` module proper, also used by copy for attribute-only updates.
pub(crate) fn run_file(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    run_file_known(ctx, a, None)
}

/// `run_file` when the caller already probed `a.path` (a regular file, `state: file`) with
/// `state_script`'s output: copy's checksum probe, so an unchanged copy costs one command.
pub(crate) fn run_file_with_state(
    ctx: &ModuleContext<'_>,
    a: &Args,
    st: State,
) -> Result<ResultMap, ModuleError> {
    run_file_known(ctx, a, Some(st))
}

fn run_file_known(
    ctx: &ModuleContext<'_>,
    a: &Args,
    known: Option<State>,
) -> Result<ResultMap, ModuleError> {
    let Some(path) = a.path.as_deref() else {
        return Ok(failed("missing required arguments: path"));
    };
    if let Some(s) = a.state.as_deref() {
        if !STATES.contains(&s) {
            return Ok(failed(format!(
                "value of state must be one of: {}, got: {s}",
                STATES.join(", ")
            )));
        }
    }
    let mut path = expand_path(ctx, path)?;
    let src = match a.src.as_deref() {
        Some(s) => Some(expand_path(ctx, s)?),
        None => None,
    };
    let probe_src = |path: &str, st: Option<&State>| -> Option<String> {
        let src = src.as_deref()?;
        match a.state.as_deref() {
            Some("hard") => Some(src.to_owned()),
            Some("link") => {
                // Relative link sources resolve against the link's directory.
                let base = match st {
                    Some(st) if !st.l.is_link() && st.l.is_dir() => path.to_owned(),
                    _ => parent(path),
                };
                Some(if src.starts_with('/') {
                    src.to_owned()
                } else {
                    join(&base, src)
                })
            }
            _ => None,
        }
    };
    // A defaulted state is never touch, so unset times mean "preserve" for it.
    let stamps = Stamps::from_args(a, a.state.as_deref().unwrap_or("file"));
    let read = |path: &str, probe: Option<String>| -> Result<State, ModuleError> {
        let times = match &stamps {
            Ok(s)
                if matches!(
                    a.state.as_deref(),
                    None | Some("file" | "directory" | "touch")
                ) =>
            {
                s.probe_lines()
            }
            _ => String::new(),
        };
        let script = state_script(
            path,
            probe.as_deref(),
            a.owner.as_deref(),
            a.group.as_deref(),
            a.state.as_deref() == Some("absent") && ctx.diff,
            a.state.as_deref() == Some("link"),
            &times,
        );
        let out = run_script(ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut st = parse_state(&text);
        if text.contains("\nw:") || text.starts_with("w:") {
            st.content = Some(path_content(path, &text));
        }
        Ok(st)
    };
    let mut st = match known {
        Some(st) => st,
        None => read(&path, probe_src(&path, None))?,
    };
    // A directory path for file/touch/hard means the file inside it named after src.
    if !matches!(a.state.as_deref(), Some("link" | "absent")) && st.t.is_dir() {
        let base = a
            .original_basename
            .clone()
            .or_else(|| src.as_deref().map(basename));
        if let Some(b) = base {
            path = join(&path, &b);
            st = read(&path, probe_src(&path, None))?;
        }
    }
    let prev = st.name();
    let state = a.state.clone().unwrap_or_else(|| {
        if prev != "absent" {
            prev.to_owned()
        } else if a.recurse {
            "directory".to_owned()
        } else {
            "file".to_owned()
        }
    });
    if a.recurse && state != "directory" {
        let mut f = failed("recurse option requires state to be 'directory'");
        f.insert("path".into(), json!(path));
        return Ok(f);
    }
    let stamps = match &stamps {
        Ok(s) => s.clone(),
        // Every state but absent reads the times first.
        Err(msg) if state != "absent" => return Ok(failed(msg.clone())),
        Err(_) => Stamps::preserve(),
    };
    let plan = match state.as_str() {
        "absent" => plan_absent(&path, &st),
        "file" => plan_file(&path, &st, a, &stamps),
        "directory" => plan_directory(&path, &st, a, &stamps),
        "link" => plan_link(
            &path,
            &st,
            a,
            src.as_deref(),
            probe_src(&path, Some(&st)).as_deref(),
        ),
        "hard" => plan_hard(&path, &st, a, src.as_deref()),
        _ => plan_touch(&path, &st, a, &stamps),
    };
    let mut plan = match plan {
        Ok(p) => p,
        Err(mut fail) => {
            // fail_json goes through add_path_info like exit_json.
            if fail.get("path") == Some(&json!(path)) {
                path_info(&mut fail, &st.l, &st.t);
            }
            return Ok(fail);
        }
    };
    let mut r = std::mem::take(&mut plan.result);
    r.insert("changed".into(), json!(plan.changed));
    let touch_absent_check = ctx.check_mode && state == "touch" && prev == "absent";
    let (l, t) = if (plan.changed || plan.recurse) && !ctx.check_mode && !plan.cmds.is_empty() {
        let mut script = String::from(INFO_FN);
        script.push_str("set -e\n");
        for c in &plan.cmds {
            script.push_str(c);
            script.push('\n');
        }
        let _ = writeln!(script, "p={}; _lt \"$p\"", quote(&plan.report_path));
        let out = run_script(ctx, script)?;
        if out.rc != 0 {
            let mut f = failed(String::from_utf8_lossy(&out.stderr).trim().to_owned());
            f.insert("path".into(), json!(path));
            return Ok(f);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        if text.lines().any(|l| l == "R:") {
            plan.changed = true;
            r.insert("changed".into(), json!(true));
        }
        let first = text.lines().find_map(|l| l.strip_prefix("B:"));
        if let (Some(times), Some(after)) = (first, plan.stamps_after) {
            created_diff(times, after, &mut plan.before, &mut plan.after);
        }
        let after = parse_state(&text);
        (after.l, after.t)
    } else if plan.report_path == path {
        (st.l.clone(), st.t.clone())
    } else {
        let s2 = read(&plan.report_path, None)?;
        (s2.l, s2.t)
    };
    if ctx.diff && (state != "absent" || plan.changed) && !touch_absent_check {
        r.insert(
            "diff".into(),
            json!({"before": plan.before, "after": plan.after}),
        );
    }
    if state != "absent" {
        path_info(&mut r, &l, &t);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, keys, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(env: &Env, a: Value) -> ResultMap {
        let conn = LocalConnection::new();
        FILE.run(&env.ctx(&conn), &args(a)).result()
    }

    // Results compared with ansible-playbook 2.19 -v / json callback for the same tasks.
    #[test]
    fn directory_is_created_then_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let d = format!("{}/a/b", dir.path().display());
        let env = Env {
            diff: true,
            ..Env::default()
        };
        let r = run(
            &env,
            json!({"path": d, "state": "directory", "mode": "0750"}),
        );
        assert_eq!(
            keys(&r),
            ["changed", "diff", "gid", "group", "mode", "owner", "path", "size", "state", "uid"]
        );
        assert_eq!(
            (&r["changed"], &r["mode"], &r["state"]),
            (&json!(true), &json!("0750"), &json!("directory"))
        );
        assert_eq!(
            r["diff"],
            json!({"before": {"path": d, "state": "absent"}, "after": {"path": d, "state": "directory"}})
        );
        let r = run(
            &env,
            json!({"path": d, "state": "directory", "mode": "0750"}),
        );
        assert_eq!(r["changed"], false);
        assert_eq!(
            r["diff"],
            json!({"before": {"path": d}, "after": {"path": d}})
        );
        let r = run(
            &Env::default(),
            json!({"path": d, "state": "directory", "mode": "u=rwx,g=,o="}),
        );
        assert_eq!((&r["changed"], &r["mode"]), (&json!(true), &json!("0700")));
        assert!(r.get("diff").is_none());
    }

    #[test]
    fn touch_file_mode_and_absent() {
        let dir = tempfile::tempdir().unwrap();
        let f = format!("{}/f", dir.path().display());
        let r = run(&Env::default(), json!({"path": f, "state": "touch"}));
        assert_eq!(
            keys(&r),
            ["changed", "dest", "gid", "group", "mode", "owner", "size", "state", "uid"]
        );
        assert_eq!((&r["state"], &r["size"]), (&json!("file"), &json!(0)));
        let r = run(&Env::default(), json!({"path": f, "state": "file"}));
        assert_eq!(
            keys(&r),
            ["changed", "gid", "group", "mode", "owner", "path", "size", "state", "uid"]
        );
        assert_eq!(r["changed"], false);
        let env = Env {
            diff: true,
            ..Env::default()
        };
        let r = run(&env, json!({"path": f, "mode": "0600"}));
        assert_eq!(r["changed"], true);
        assert_eq!(
            r["diff"],
            json!({"before": {"path": f, "mode": "0644"}, "after": {"path": f, "mode": "0600"}})
        );
        let r = run(&Env::default(), json!({"path": f, "state": "absent"}));
        assert_eq!(
            r,
            crate::util::map(json!({"changed": true, "path": f, "state": "absent"}))
        );
        let r = run(&Env::default(), json!({"path": f, "state": "absent"}));
        assert_eq!(r["changed"], false);
        let r = run(&Env::default(), json!({"path": f, "state": "file"}));
        assert_eq!(r["msg"], format!("file ({f}) is absent, cannot continue"));
        assert_eq!(r["failed"], true);
    }

    #[test]
    fn symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let f = format!("{}/f", dir.path().display());
        let l = format!("{}/l", dir.path().display());
        std::fs::write(&f, "").unwrap();
        let r = run(
            &Env::default(),
            json!({"path": l, "state": "link", "src": f}),
        );
        assert_eq!(
            keys(&r),
            ["changed", "dest", "gid", "group", "mode", "owner", "size", "src", "state", "uid"]
        );
        assert_eq!(
            (&r["changed"], &r["mode"], &r["state"]),
            (&json!(true), &json!("0777"), &json!("link"))
        );
        assert_eq!(std::fs::read_link(&l).unwrap().to_string_lossy(), f);
        let r = run(
            &Env::default(),
            json!({"path": l, "state": "link", "src": f}),
        );
        assert_eq!(r["changed"], false);
        let r = run(
            &Env::default(),
            json!({"path": l, "state": "link", "src": "nope"}),
        );
        assert_eq!(
            r["msg"],
            format!("src file does not exist, use 'force=yes' if you really want to create the link: {}/nope", dir.path().display())
        );
        let r = run(
            &Env::default(),
            json!({"path": l, "state": "link", "src": "nope", "force": true}),
        );
        assert_eq!(r["changed"], true);
        assert_eq!(std::fs::read_link(&l).unwrap().to_string_lossy(), "nope");
    }

    #[test]
    fn check_mode_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = format!("{}/x", dir.path().display());
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        let r = run(&env, json!({"path": d, "state": "directory"}));
        assert_eq!(r, crate::util::map(json!({"changed": true, "path": d})));
        assert!(!std::path::Path::new(&d).exists());
    }

    #[test]
    fn unknown_parameter() {
        let r = run(&Env::default(), json!({"path": "/x", "bogus": 1}));
        assert_eq!(r["msg"], "Unsupported parameters for (file) module: bogus. Supported parameters include: _diff_peek, _original_basename, access_time, access_time_format, attributes, follow, force, group, mode, modification_time, modification_time_format, owner, path, recurse, selevel, serole, setype, seuser, src, state, unsafe_writes (attr, dest, name).");
    }
}

//! `group`: groups on a Linux target with `groupadd`/`groupmod`/`groupdel`, as ansible-core's
//! `Linux` group class drives them.
//!
//! ```yaml
//! - group: { name: docker, gid: 1750 }
//! ```
//!
//! One probe (`getent group`, the tools' paths), then the one command that makes the
//! difference, then the group read again for the result.

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::accounts::{parse_probe, probe_script, Ask, Probe};
use crate::target::script::{marker, run_script, task_request};
use crate::util::failed;
use crate::{ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "group",
    ArgSpec::new(
        "group",
        &[
            "force",
            "gid",
            "gid_max",
            "gid_min",
            "local",
            "name",
            "non_unique",
            "state",
            "system",
        ],
    ),
);

#[derive(Debug, Default)]
struct Opts {
    state: String,
    name: String,
    force: bool,
    gid: Option<i64>,
    system: bool,
    local: bool,
    non_unique: bool,
    gid_min: Option<i64>,
    gid_max: Option<i64>,
}

fn read_opts(args: &serde_json::Map<String, Value>) -> Result<Result<Opts, String>, ModuleError> {
    let mut p = Params::new(&INFO.args, args, &[])?;
    p.required("name");
    let o = Opts {
        state: p
            .choice("state", &["absent", "present"])
            .unwrap_or_else(|| "present".into()),
        name: p.str("name").unwrap_or_default(),
        force: p.bool("force").unwrap_or(false),
        gid: p.int("gid"),
        system: p.bool("system").unwrap_or(false),
        local: p.bool("local").unwrap_or(false),
        non_unique: p.bool("non_unique").unwrap_or(false),
        gid_min: p.int("gid_min"),
        gid_max: p.int("gid_max"),
    };
    if let Some(e) = p.error() {
        return Ok(Err(e));
    }
    if o.non_unique && o.gid.is_none() {
        return Ok(Err(
            "non_unique is True but all of the following are missing: gid".into(),
        ));
    }
    if o.force && o.local {
        return Ok(Err("force is not a valid option for local, force=True and local=True are mutually exclusive".into()));
    }
    if o.local {
        for (opt, set) in [
            ("gid_min", o.gid_min.is_some()),
            ("gid_max", o.gid_max.is_some()),
        ] {
            if set {
                return Ok(Err(format!("'{opt}' can not be used with 'local'")));
            }
        }
    }
    Ok(Ok(o))
}

/// The group database's answer for `name` (`grp.getgrnam`, or the local file with `local`).
fn exists(o: &Opts, probe: &Probe) -> Result<bool, String> {
    if o.local {
        return probe.local.ok_or_else(|| {
            "'local: true' specified but unable to find local group file /etc/group to parse."
                .to_owned()
        });
    }
    Ok(probe.groups.iter().any(|g| g.name == o.name))
}

/// `groupadd`'s arguments after the program.
fn add_args(o: &Opts) -> Vec<String> {
    let mut a = Vec::new();
    if let Some(gid) = o.gid {
        a.extend(["-g".to_owned(), gid.to_string()]);
        if o.non_unique {
            a.push("-o".into());
        }
    }
    if o.system {
        a.push("-r".into());
    }
    if let Some(v) = o.gid_min {
        a.extend(["-K".to_owned(), format!("GID_MIN={v}")]);
    }
    if let Some(v) = o.gid_max {
        a.extend(["-K".to_owned(), format!("GID_MAX={v}")]);
    }
    a.push(o.name.clone());
    a
}

/// `groupmod`'s arguments after the program, empty when the gid is already right.
fn mod_args(o: &Opts, probe: &Probe) -> Vec<String> {
    let current = probe
        .groups
        .iter()
        .find(|g| g.name == o.name)
        .map(|g| g.gid);
    let mut a = Vec::new();
    if let Some(gid) = o.gid.filter(|g| Some(*g) != current) {
        a.extend(["-g".to_owned(), gid.to_string()]);
        if o.non_unique {
            a.push("-o".into());
        }
    }
    if !a.is_empty() {
        a.push(o.name.clone());
    }
    a
}

/// `_local_check_gid_exists`: with `local`, another group must not hold the gid.
fn local_gid_taken(o: &Opts, probe: &Probe) -> Option<String> {
    let gid = o.gid.filter(|g| *g != 0)?;
    probe
        .groups
        .iter()
        .find(|g| g.gid == gid && g.name != o.name)
        .map(|g| format!("GID '{gid}' already exists with group '{}'", g.name))
}

pub(crate) struct Group;
pub(crate) static GROUP: Group = Group;

impl Module for Group {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let o = match read_opts(args)? {
            Ok(o) => o,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let m = marker();
        let prefix = if o.local { "lgroup" } else { "group" };
        let bins = [
            format!("{prefix}add"),
            format!("{prefix}mod"),
            format!("{prefix}del"),
        ];
        let probe = |bins: Vec<&str>| -> Result<Probe, ModuleError> {
            let ask = Ask {
                local_file: o.local.then_some("group"),
                bins,
                ..Ask::default()
            };
            let out = run_script(ctx, probe_script(&m, &o.name, &ask))?;
            Ok(parse_probe(
                &m,
                &o.name,
                &String::from_utf8_lossy(&out.stdout),
            ))
        };
        let p = probe(bins.iter().map(String::as_str).collect())?;
        let present = match exists(&o, &p) {
            Ok(e) => e,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let fail_cmd = |err: &str| {
            let mut r = failed(err);
            r.insert("name".into(), json!(o.name));
            Ok(ModuleOutput::from(r))
        };
        let check_changed = || {
            Ok(ModuleOutput::from(crate::util::map(
                json!({"changed": true}),
            )))
        };
        let bin = |name: &str| p.bin(name);
        let mut argv: Vec<String> = Vec::new();
        if o.state == "absent" {
            if present {
                if ctx.check_mode {
                    return check_changed();
                }
                match bin(&bins[2]) {
                    Ok(b) => argv.push(b),
                    Err(msg) => return Ok(failed(msg).into()),
                }
                if o.force {
                    argv.push("-f".into());
                }
                argv.push(o.name.clone());
            }
        } else if !present {
            if ctx.check_mode {
                return check_changed();
            }
            if o.local {
                if let Some(msg) = local_gid_taken(&o, &p) {
                    return Ok(failed(msg).into());
                }
            }
            match bin(&bins[0]) {
                Ok(b) => argv.push(b),
                Err(msg) => return Ok(failed(msg).into()),
            }
            argv.extend(add_args(&o));
        } else {
            if o.local {
                if let Some(msg) = local_gid_taken(&o, &p) {
                    return Ok(failed(msg).into());
                }
            }
            let b = match bin(&bins[1]) {
                Ok(b) => b,
                Err(msg) => return Ok(failed(msg).into()),
            };
            let a = mod_args(&o, &p);
            if !a.is_empty() {
                argv.push(b);
                argv.extend(a);
            }
        }
        let mut r = ResultMap::new();
        r.insert("name".into(), json!(o.name));
        r.insert("state".into(), json!(o.state));
        let mut changed = false;
        if !argv.is_empty() {
            changed = true;
            // `group_mod` alone obeys check mode here; add and delete returned above.
            if !ctx.check_mode {
                let out = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
                let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                if out.rc != 0 {
                    return fail_cmd(&stderr);
                }
                for (key, text) in [("stdout", stdout), ("stderr", stderr)] {
                    if !text.is_empty() {
                        r.insert(
                            format!("{key}_lines"),
                            Value::Array(crate::util::py_splitlines(&text)),
                        );
                        r.insert(key.into(), json!(text));
                    }
                }
            }
        }
        r.insert("changed".into(), json!(changed));
        let after = probe(Vec::new())?;
        if exists(&o, &after).unwrap_or(false) {
            r.insert("system".into(), json!(o.system));
            let gid = after
                .groups
                .iter()
                .find(|g| g.name == o.name)
                .map(|g| g.gid);
            r.insert("gid".into(), json!(gid));
        }
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::accounts::parse_group;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    fn opts(v: Value) -> Result<Opts, String> {
        read_opts(&args(v)).unwrap()
    }

    fn probe(groups: &[&str]) -> Probe {
        Probe {
            groups: groups.iter().filter_map(|g| parse_group(g)).collect(),
            ..Probe::default()
        }
    }

    #[test]
    fn commands_follow_the_module() {
        let o = opts(json!({"name": "team", "gid": "2000", "non_unique": true, "system": true}))
            .unwrap();
        assert_eq!(add_args(&o), ["-g", "2000", "-o", "-r", "team"]);
        let p = probe(&["team:x:2000:", "other:x:2001:"]);
        assert!(mod_args(&o, &p).is_empty());
        let o = opts(json!({"name": "team", "gid": 2001})).unwrap();
        assert_eq!(mod_args(&o, &p), ["-g", "2001", "team"]);
        let local = opts(json!({"name": "team", "gid": 2001, "local": true})).unwrap();
        assert_eq!(
            local_gid_taken(&local, &p).as_deref(),
            Some("GID '2001' already exists with group 'other'")
        );
    }

    // Messages from ansible-core 2.19 runs of `group:` with these arguments.
    #[test]
    fn arguments_are_refused_as_ansible_does() {
        let msg = |a: Value| {
            let conn = FakeConnection::default();
            let r = GROUP.run(&Env::default().ctx(&conn), &args(a)).result();
            assert!(conn.execs.lock().unwrap().is_empty());
            r["msg"].as_str().unwrap_or_default().to_owned()
        };
        assert_eq!(
            msg(json!({"name": "g", "non_unique": true})),
            "non_unique is True but all of the following are missing: gid"
        );
        assert_eq!(
            msg(json!({"name": "g", "force": true, "local": true})),
            "force is not a valid option for local, force=True and local=True are mutually exclusive"
        );
        assert_eq!(
            msg(json!({"name": "g", "gid": "x"})),
            "argument 'gid' is of type str and we were unable to convert to int: \"'x'\" cannot be converted to an int"
        );
        assert_eq!(
            msg(json!({"name": "g", "bogus": 1})),
            "Unsupported parameters for (group) module: bogus. Supported parameters include: force, gid, gid_max, gid_min, local, name, non_unique, state, system."
        );
    }
}

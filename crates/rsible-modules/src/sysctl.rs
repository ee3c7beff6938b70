//! `ansible.posix.sysctl`: a kernel parameter in a sysctl file and, optionally, in the
//! running kernel (`sysctl -w`, `sysctl -p FILE`).
//!
//! ```yaml
//! - ansible.posix.sysctl: { name: vm.swappiness, value: "5", sysctl_set: true }
//! ```
//!
//! The current value (`sysctl -e -n NAME`) and the file are read first; the file is
//! rewritten (temp file beside it, renamed) only when its entry differs, the kernel is
//! touched only with `sysctl_set` (a differing value) or `reload` (after a change), never in
//! check mode.

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::script::{marker, run_script, task_request, BIN_PATH_FN};
use crate::util::failed;
use crate::{
    Collection, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput,
    PutOptions,
};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "sysctl",
    ArgSpec::new(
        "ansible.posix.sysctl",
        &[
            "ignoreerrors",
            "name",
            "reload",
            "state",
            "sysctl_file",
            "sysctl_set",
            "value",
            "key",
            "val",
        ],
    )
    .aliases(&["key", "val"]),
)
.in_collection(Collection::Posix);

const TRUE: &[&str] = &["y", "yes", "on", "1", "true", "t"];
const FALSE: &[&str] = &["n", "no", "off", "0", "false", "f"];

/// `_parse_value`: booleans as `1`/`0`, other text stripped.
fn parse_value(v: Option<&str>) -> String {
    match v {
        None => String::new(),
        Some(s) if TRUE.contains(&s.to_lowercase().as_str()) => "1".into(),
        Some(s) if FALSE.contains(&s.to_lowercase().as_str()) => "0".into(),
        Some(s) => s.trim().to_owned(),
    }
}

/// `_values_is_equal`: the same whitespace-separated words.
fn values_equal(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.split_whitespace().eq(b.split_whitespace()))
}

/// The file's lines (stripped) and its `key=value` entries, first spelling of a key kept
/// as the module's dict keeps the last.
fn read_file(text: &str) -> (Vec<String>, std::collections::HashMap<String, String>) {
    let mut lines = Vec::new();
    let mut values = std::collections::HashMap::new();
    for line in text.split_inclusive('\n') {
        let line = line.trim().to_owned();
        if !(line.is_empty() || line.starts_with(['#', ';']) || !line.contains('=')) {
            if let Some((k, v)) = line.split_once('=') {
                values.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        lines.push(line);
    }
    (lines, values)
}

/// `fix_lines`: the file with `name`'s first entry set (or dropped), later duplicates
/// dropped, and `name` appended when it was missing.
fn fix_lines(lines: &[String], name: &str, value: &str, present: bool) -> Vec<String> {
    let mut checked: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in lines {
        if line.trim().is_empty() || line.trim().starts_with(['#', ';']) || !line.contains('=') {
            out.push(line.clone());
            continue;
        }
        let Some((k, v)) = line.trim().split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if checked.iter().any(|c| c == k) {
            continue;
        }
        checked.push(k.to_owned());
        if k == name {
            if present {
                out.push(format!("{k}={value}"));
            }
        } else {
            out.push(format!("{k}={v}"));
        }
    }
    if present && !checked.iter().any(|c| c == name) {
        out.push(format!("{name}={value}"));
    }
    out
}

/// `_stderr_failed`: sysctl may exit 0 and still have failed.
fn stderr_failed(err: &str) -> bool {
    regex::Regex::new(
        r#"(?m)^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$"#,
    )
    .is_ok_and(|r| r.is_match(err))
}

const LANG_C: [(&str, &str); 3] = [("LANG", "C"), ("LC_ALL", "C"), ("LC_MESSAGES", "C")];

pub(crate) struct Sysctl;
pub(crate) static SYSCTL: Sysctl = Sysctl;

impl Module for Sysctl {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(&INFO.args, args, &[("key", "name"), ("val", "value")])?;
        p.required("name");
        let name = p.str("name").unwrap_or_default();
        let value = p.str("value");
        let state = p
            .choice("state", &["present", "absent"])
            .unwrap_or_else(|| "present".into());
        let reload = p.bool("reload").unwrap_or(true);
        let sysctl_set = p.bool("sysctl_set").unwrap_or(false);
        let ignoreerrors = p.bool("ignoreerrors").unwrap_or(false);
        let file = p
            .str("sysctl_file")
            .unwrap_or_else(|| "/etc/sysctl.conf".into());
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        let present = state == "present";
        if present && value.is_none() {
            return Ok(
                failed("state is present but all of the following are missing: value").into(),
            );
        }
        if name.is_empty() {
            return Ok(failed("name cannot be blank").into());
        }
        if present && value.as_deref() == Some("") {
            return Ok(failed("value cannot be blank").into());
        }
        let file = crate::target::script::expand_path(ctx, &file)?;
        let name = name.trim().to_owned();
        let value = parse_value(value.as_deref());

        let m = marker();
        let script = format!(
            "{BIN_PATH_FN}if b=$(_bin sysctl); then echo \"{m} BIN $b\"; else echo \"{m} NOBIN $b\"; exit 0; fi\n\
             f={}; echo \"{m} REAL $(realpath -m -- \"$f\")\"\n\
             if [ -f \"$f\" ]; then if [ -r \"$f\" ]; then echo '{m} FILE'; exec cat -- \"$f\"; else echo '{m} UNREADABLE'; fi; fi\n",
            quote(&file)
        );
        let out = run_script(ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (mut bin, mut real, mut content) = (String::new(), file.clone(), String::new());
        let mut rest = text.as_str();
        while let Some(end) = rest.find('\n') {
            let (line, after) = (&rest[..end], &rest[end + 1..]);
            let Some(tag) = line.strip_prefix(&format!("{m} ")) else {
                break;
            };
            if let Some(msg) = tag.strip_prefix("NOBIN ") {
                return Ok(failed(msg).into());
            } else if let Some(b) = tag.strip_prefix("BIN ") {
                bin = b.to_owned();
            } else if let Some(r) = tag.strip_prefix("REAL ") {
                real = r.to_owned();
            } else if tag == "UNREADABLE" {
                return Ok(failed(format!(
                    "Failed to open {file}: [Errno 13] Permission denied: '{file}'"
                ))
                .into());
            } else if tag == "FILE" {
                content = after.to_owned();
                break;
            }
            rest = after;
        }
        if bin.is_empty() {
            return Ok(failed(format!(
                "could not inspect the target's sysctl: {}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            ))
            .into());
        }
        let exec = |argv: Vec<String>| {
            let mut req = ExecRequest::argv(argv);
            req.env.extend(
                LANG_C
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
            ctx.conn.exec(&task_request(ctx, req))
        };
        let cur = exec(vec![bin.clone(), "-e".into(), "-n".into(), name.clone()])?;
        let proc_value = (cur.rc == 0).then(|| String::from_utf8_lossy(&cur.stdout).into_owned());

        let (lines, values) = read_file(&content);
        let file_value = values.get(&name).cloned();
        let fixed = fix_lines(&lines, &name, &value, present);
        let (mut changed, mut write_file, mut set_proc) = (false, false, false);
        match &file_value {
            None if present => (changed, write_file) = (true, true),
            None => {}
            Some(v) if !v.is_empty() && !present => (changed, write_file) = (true, true),
            Some(v) if *v != value => (changed, write_file) = (true, true),
            Some(_) if reload && !values_equal(proc_value.as_deref(), &value) => changed = true,
            Some(_) => {}
        }
        if sysctl_set && present && !values_equal(proc_value.as_deref(), &value) {
            changed = true;
            set_proc = proc_value.is_some();
        }
        if !ctx.check_mode {
            if set_proc {
                let mut argv = vec![bin.clone()];
                if ignoreerrors {
                    argv.push("-e".into());
                }
                argv.extend(["-w".to_owned(), format!("{name}={value}")]);
                let out = exec(argv)?;
                let err = String::from_utf8_lossy(&out.stderr).into_owned();
                if out.rc != 0 || stderr_failed(&err) {
                    return Ok(failed(format!(
                        "setting {name} failed: {}{err}",
                        String::from_utf8_lossy(&out.stdout)
                    ))
                    .into());
                }
            }
            if write_file {
                let text: String = fixed.iter().map(|l| format!("{}\n", l.trim())).collect();
                let opts = PutOptions {
                    mode: None,
                    become_: ctx.become_.clone(),
                };
                ctx.conn.put_file(text.as_bytes(), &real, &opts)?;
            }
            if changed && reload {
                let mut argv = vec![bin.clone()];
                if ignoreerrors {
                    argv.push("-e".into());
                }
                argv.extend(["-p".to_owned(), file.clone()]);
                let out = exec(argv)?;
                let err = String::from_utf8_lossy(&out.stderr).into_owned();
                if out.rc != 0 || stderr_failed(&err) {
                    return Ok(failed(format!(
                        "Failed to reload sysctl: {}{err}",
                        String::from_utf8_lossy(&out.stdout)
                    ))
                    .into());
                }
            }
        }
        Ok(crate::util::map(json!({ "changed": changed })).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn file_lines_are_fixed_as_the_module_does() {
        let (lines, values) = read_file("# c\n a = 1 \nb=2\na=3\n;x\n");
        assert_eq!(values.get("a").map(String::as_str), Some("3"));
        assert_eq!(
            fix_lines(&lines, "a", "9", true),
            ["# c", "a=9", "b=2", ";x"]
        );
        assert_eq!(fix_lines(&lines, "a", "", false), ["# c", "b=2", ";x"]);
        assert_eq!(
            fix_lines(&lines, "new.key", "1 2", true),
            ["# c", "a=1", "b=2", ";x", "new.key=1 2"]
        );
    }

    #[test]
    fn values_compare_by_words() {
        assert_eq!(parse_value(Some("Yes")), "1");
        assert_eq!(parse_value(Some(" 4096 87380 ")), "4096 87380");
        assert!(values_equal(Some("4096\t87380\n"), "4096 87380"));
        assert!(!values_equal(None, "1"));
        assert!(stderr_failed(
            "sysctl: setting key \"a.b\": Invalid argument\n"
        ));
    }

    // Messages from ansible.posix 2.1.0 runs (see crates/rsible-cli/tests/modules/system.rs).
    #[test]
    fn arguments_are_refused_as_ansible_does() {
        let msg = |a: Value| {
            let conn = FakeConnection::default();
            let r = SYSCTL.run(&Env::default().ctx(&conn), &args(a)).result();
            assert!(conn.execs.lock().unwrap().is_empty());
            r["msg"].as_str().unwrap_or_default().to_owned()
        };
        assert_eq!(
            msg(json!({"name": "vm.x"})),
            "state is present but all of the following are missing: value"
        );
        assert_eq!(
            msg(json!({"name": "", "state": "absent"})),
            "name cannot be blank"
        );
        assert_eq!(
            msg(json!({"key": "vm.x", "val": ""})),
            "value cannot be blank"
        );
    }
}

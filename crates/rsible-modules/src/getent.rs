//! `getent`: a name service database of the target as `ansible_facts.getent_<database>`.
//!
//! ```yaml
//! - getent: { database: passwd, key: root }
//! - debug: var=ansible_facts.getent_passwd.root
//! ```
//!
//! Runs `getent DATABASE [KEY] [-s SERVICE]` and splits each line into its key and the rest,
//! as the module does. Reading changes nothing, so check mode runs it too.

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::script::{bin_path, task_request};
use crate::util::{failed, py_splitlines};
use crate::{ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "getent",
    ArgSpec::new(
        "getent",
        &["database", "fail_key", "key", "service", "split"],
    ),
);

/// The databases whose entries split at `:` without `split:`.
const COLON: &[&str] = &["passwd", "shadow", "group", "gshadow"];

pub(crate) struct Getent;
pub(crate) static GETENT: Getent = Getent;

/// Python's `str.split(sep)` (`None`: runs of whitespace, ends ignored).
fn py_split(line: &str, sep: Option<&str>) -> Vec<String> {
    match sep {
        Some(s) => line.split(s).map(str::to_owned).collect(),
        None => line.split_whitespace().map(str::to_owned).collect(),
    }
}

/// The facts tree for `getent`'s output: each line's first field is the key of the others; a
/// key seen again turns its value into a list of the records.
fn entries(out: &str, sep: Option<&str>) -> serde_json::Map<String, Value> {
    let mut tree = serde_json::Map::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in py_splitlines(out) {
        let line = line.as_str().unwrap_or_default();
        let mut record = py_split(line, sep);
        if record.is_empty() {
            // `''.split()` is `[]`: the module's `record[0]` fails on a blank line.
            continue;
        }
        let key = record.remove(0);
        let rest = json!(record);
        match seen.get_mut(&key) {
            Some(n) => {
                if *n == 1 {
                    let first = tree.remove(&key).unwrap_or(Value::Null);
                    tree.insert(key.clone(), json!([first]));
                }
                if let Some(Value::Array(list)) = tree.get_mut(&key) {
                    list.push(rest);
                }
                *n += 1;
            }
            None => {
                tree.insert(key.clone(), rest);
                seen.insert(key, 1);
            }
        }
    }
    tree
}

impl Module for Getent {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(&INFO.args, args, &[])?;
        p.required("database");
        let database = p.str("database").unwrap_or_default();
        let key = p.str("key");
        let service = p.str("service");
        let split = p.str("split");
        let fail_key = p.bool("fail_key").unwrap_or(true);
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        let bin_text = match bin_path(ctx, "getent")? {
            Ok(b) => b,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let mut argv = vec![bin_text, database.clone()];
        argv.extend(key.clone());
        if let Some(s) = service {
            argv.extend(["-s".to_owned(), s]);
        }
        let sep = split.or_else(|| COLON.contains(&database.as_str()).then(|| ":".to_owned()));
        if sep.as_deref() == Some("") {
            return Ok(failed("empty separator").into());
        }
        let out = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
        let tree = format!("getent_{database}");
        let msg = match out.rc {
            0 => {
                let text = String::from_utf8_lossy(&out.stdout);
                let facts = json!({ tree: entries(&text, sep.as_deref()) });
                let r: ResultMap =
                    crate::util::map(json!({"changed": false, "ansible_facts": facts}));
                return Ok(r.into());
            }
            1 => "Missing arguments, or database unknown.",
            2 => {
                let msg = "One or more supplied key could not be found in the database.";
                if !fail_key {
                    let mut entries = serde_json::Map::new();
                    entries.insert(key.unwrap_or_else(|| "None".into()), Value::Null);
                    let r = crate::util::map(json!({
                        "changed": false, "ansible_facts": { tree: entries }, "msg": msg,
                    }));
                    return Ok(r.into());
                }
                msg
            }
            3 => "Enumeration not supported on this database.",
            _ => "Unexpected failure!",
        };
        Ok(failed(msg).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn lines_become_keyed_records() {
        let t = entries("root:x:0:0:root:/root:/bin/bash\n", Some(":"));
        assert_eq!(
            Value::Object(t),
            json!({"root": ["x", "0", "0", "root", "/root", "/bin/bash"]})
        );
        // `getent hosts` lists an address once per name: the second turns it into a list.
        let t = entries("::1   localhost ip6-localhost\n::1   ip6-loopback\n", None);
        assert_eq!(
            Value::Object(t),
            json!({"::1": [["localhost", "ip6-localhost"], ["ip6-loopback"]]})
        );
    }

    #[test]
    fn missing_key_is_a_failure_or_a_null() {
        let env = Env::default();
        let conn = FakeConnection::with_outputs(vec![
            FakeConnection::out(0, "/usr/bin/getent\n", ""),
            FakeConnection::out(2, "", ""),
        ]);
        let r = GETENT
            .run(
                &env.ctx(&conn),
                &args(json!({"database": "passwd", "key": "nobody-here", "fail_key": false})),
            )
            .result();
        assert_eq!(
            Value::Object(r),
            json!({"changed": false, "ansible_facts": {"getent_passwd": {"nobody-here": null}},
                   "msg": "One or more supplied key could not be found in the database."})
        );
        assert_eq!(conn.lines()[1], "/usr/bin/getent passwd nobody-here");
        let conn = FakeConnection::with_outputs(vec![
            FakeConnection::out(0, "/usr/bin/getent\n", ""),
            FakeConnection::out(1, "", ""),
        ]);
        let r = GETENT
            .run(&env.ctx(&conn), &args(json!({"database": "nope"})))
            .result();
        assert_eq!(r["msg"], "Missing arguments, or database unknown.");
    }
}

//! `debconf`: a package's debconf answers, read with `debconf-show` (passwords with
//! `debconf-get-selections`) and set with `debconf-set-selections`.
//!
//! ```yaml
//! - debconf: { name: tzdata, question: tzdata/Areas, vtype: select, value: Europe }
//! ```

use serde_json::{json, Value};

use crate::args::{scalar_text, ArgSpec};
use crate::params::Params;
use crate::target::script::{run_script, task_request, BIN_PATH_FN};
use crate::util::failed;
use crate::{ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "debconf",
    ArgSpec::new(
        "debconf",
        &[
            "name",
            "question",
            "unseen",
            "value",
            "vtype",
            "answer",
            "pkg",
            "selection",
            "setting",
        ],
    )
    .aliases(&["answer", "pkg", "selection", "setting"]),
);

const VTYPES: &[&str] = &[
    "boolean",
    "error",
    "multiselect",
    "note",
    "password",
    "seen",
    "select",
    "string",
    "text",
    "title",
];

/// `debconf-show` output: `question: value`, the `*` of seen questions dropped, in order.
fn selections(out: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for line in crate::util::py_splitlines(out) {
        let line = line.as_str().unwrap_or_default();
        if let Some((k, v)) = line.split_once(':') {
            m.insert(k.trim_matches('*').trim().to_owned(), json!(v.trim()));
        }
    }
    m
}

/// `get_password_value`: the answer in `debconf-get-selections` output (tab-separated).
fn password_value(out: &str, pkg: &str, question: &str, vtype: &str) -> Option<String> {
    for line in out.split('\n') {
        if !line.starts_with(pkg) {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() <= 3 {
            return Some(String::new());
        }
        if f[1] == question && f[2] == vtype {
            return Some(f[3].to_owned());
        }
    }
    None
}

/// A value as the module compares it: text, or a sorted list for `multiselect` lists.
#[derive(Debug, PartialEq)]
enum Answer {
    Text(String),
    List(Vec<String>),
    /// Neither: never equal to what debconf holds.
    Other(Value),
}

pub(crate) struct Debconf;
pub(crate) static DEBCONF: Debconf = Debconf;

impl Module for Debconf {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut p = Params::new(
            &INFO.args,
            args,
            &[
                ("pkg", "name"),
                ("selection", "question"),
                ("setting", "question"),
                ("answer", "value"),
            ],
        )?;
        p.required("name");
        let pkg = p.str("name").unwrap_or_default();
        let question = p.str("question");
        let vtype = p.choice("vtype", VTYPES);
        let unseen = p.bool("unseen").unwrap_or(false);
        if let Some(e) = p.error() {
            return Ok(failed(e).into());
        }
        let raw = ["value", "answer"]
            .iter()
            .find_map(|k| args.get(*k).filter(|v| !v.is_null()))
            .cloned();
        let given = [question.is_some(), vtype.is_some(), raw.is_some()];
        if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
            return Ok(failed("parameters are required together: question, vtype, value").into());
        }
        let bins = run_script(
            ctx,
            format!(
                "{BIN_PATH_FN}for b in debconf-show debconf-set-selections debconf-get-selections; do if r=$(_bin $b); then echo \"ok $r\"; else echo \"no $r\"; fi; done"
            ),
        )?;
        let bins_text = String::from_utf8_lossy(&bins.stdout).into_owned();
        let bin: Vec<Result<String, String>> = bins_text
            .lines()
            .map(|l| match l.split_once(' ') {
                Some(("ok", p)) => Ok(p.to_owned()),
                Some((_, msg)) => Err(msg.to_owned()),
                None => Err(l.to_owned()),
            })
            .collect();
        let bin_of = |i: usize| {
            bin.get(i)
                .cloned()
                .unwrap_or_else(|| Err("cannot find the debconf tools".into()))
        };
        let exec = |argv: Vec<String>, stdin: Option<String>| -> Result<_, ModuleError> {
            let mut req = ExecRequest::argv(argv);
            req.stdin = stdin.map(String::into_bytes);
            Ok(ctx.conn.exec(&task_request(ctx, req))?)
        };
        let show = match bin_of(0) {
            Ok(b) => b,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let out = exec(vec![show, pkg.clone()], None)?;
        if out.rc != 0 {
            return Ok(failed(String::from_utf8_lossy(&out.stderr)).into());
        }
        let mut prev = selections(&String::from_utf8_lossy(&out.stdout));
        let (Some(question), Some(vtype), Some(raw)) = (question, vtype, raw) else {
            return Ok(
                crate::util::map(json!({"changed": false, "msg": "", "current": prev})).into(),
            );
        };
        let mut value = match &raw {
            Value::String(s) => Answer::Text(s.clone()),
            Value::Array(items) if vtype == "multiselect" => {
                Answer::List(items.iter().map(scalar_text).collect())
            }
            other => Answer::Other(other.clone()),
        };
        if vtype == "boolean" {
            value = Answer::Text(scalar_text(&raw).to_lowercase());
        }
        // The module sorts a multiselect list only to compare it with an existing answer.
        if let (Answer::List(l), true) = (&mut value, prev.contains_key(&question)) {
            l.sort();
        }
        let changed = match prev.get(&question) {
            None => true,
            Some(existing) => {
                let existing = existing.as_str().unwrap_or_default().to_owned();
                let existing = match vtype.as_str() {
                    "boolean" => Answer::Text(existing.to_lowercase()),
                    "password" => {
                        let getsel = match bin_of(2) {
                            Ok(b) => b,
                            Err(msg) => return Ok(failed(msg).into()),
                        };
                        let o = exec(vec![getsel], None)?;
                        if o.rc != 0 {
                            return Ok(failed(format!(
                                "Failed to get the value '{question}' from '{pkg}': {}",
                                String::from_utf8_lossy(&o.stderr)
                            ))
                            .into());
                        }
                        match password_value(
                            &String::from_utf8_lossy(&o.stdout),
                            &pkg,
                            &question,
                            &vtype,
                        ) {
                            Some(v) => Answer::Text(v),
                            None => Answer::Other(Value::Null),
                        }
                    }
                    "multiselect" if matches!(value, Answer::List(_)) => {
                        let mut l: Vec<String> =
                            existing.split(',').map(|i| i.trim().to_owned()).collect();
                        l.sort();
                        Answer::List(l)
                    }
                    _ => Answer::Text(existing),
                };
                value != existing || matches!(value, Answer::Other(_))
            }
        };
        if !changed {
            return Ok(
                crate::util::map(json!({"changed": false, "msg": "", "current": prev})).into(),
            );
        }
        let text = match &value {
            Answer::Text(s) => s.clone(),
            Answer::List(_) => raw
                .as_array()
                .map(|a| a.iter().map(scalar_text).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
            Answer::Other(v) => scalar_text(v),
        };
        let mut msg = String::new();
        if !ctx.check_mode {
            let setsel = match bin_of(1) {
                Ok(b) => b,
                Err(m) => return Ok(failed(m).into()),
            };
            let mut argv = vec![setsel];
            if unseen {
                argv.push("-u".into());
            }
            let data = format!("{pkg} {question} {vtype} {text}\n");
            let o = exec(argv, Some(data))?;
            if o.rc != 0 {
                return Ok(failed(String::from_utf8_lossy(&o.stderr)).into());
            }
            msg = String::from_utf8_lossy(&o.stdout).into_owned();
        }
        // What the module reports: the value as given (a multiselect list joined once set).
        let shown = match (&value, ctx.check_mode) {
            (Answer::List(l), true) => json!(l),
            (Answer::Other(v), true) => v.clone(),
            _ => json!(text),
        };
        let mut curr = serde_json::Map::new();
        curr.insert(question.clone(), shown);
        let previous = match prev.remove(&question) {
            Some(v) => {
                let mut m = serde_json::Map::new();
                m.insert(question.clone(), v);
                m
            }
            None => {
                prev.insert(question.clone(), json!(""));
                prev
            }
        };
        let diff = if ctx.diff {
            let mut after = previous.clone();
            after.extend(curr.clone());
            json!({"before": previous, "after": after})
        } else {
            json!({})
        };
        let r = json!({
            "changed": true, "msg": msg, "current": curr, "previous": previous, "diff": diff,
        });
        Ok(crate::util::map(r).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debconf_show_output_is_read() {
        let m = selections("* tzdata/Areas: Europe\n  tzdata/Zones/Etc: UTC\n  a/b: x: y\n");
        assert_eq!(
            Value::Object(m),
            json!({"tzdata/Areas": "Europe", "tzdata/Zones/Etc": "UTC", "a/b": "x: y"})
        );
    }

    #[test]
    fn passwords_come_from_get_selections() {
        let out =
            "mysql-server\tmysql-server/root_password\tpassword\tsecret\nother\tq\tstring\tv\n";
        assert_eq!(
            password_value(
                out,
                "mysql-server",
                "mysql-server/root_password",
                "password"
            ),
            Some("secret".into())
        );
        assert_eq!(
            password_value("pkg\tq\tpassword\n", "pkg", "q", "password"),
            Some(String::new())
        );
    }
}

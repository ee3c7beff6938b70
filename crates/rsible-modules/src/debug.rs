//! `debug`: print a message or a variable (controller only).
//!
//! ```yaml
//! - debug: var=result.stdout_lines
//! - debug: { msg: "hello {{ name }}", verbosity: 1 }
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_int, parse, ArgSpec};
use crate::util::map;
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo =
    ModuleInfo::builtin("debug", ArgSpec::new("debug", &["msg", "var", "verbosity"]))
        .kind(Kind::Controller);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default)]
    msg: Option<Value>,
    #[serde(default)]
    var: Option<String>,
    #[serde(default, deserialize_with = "de_opt_int")]
    verbosity: Option<i64>,
}

pub(crate) struct Debug;
pub(crate) static DEBUG: Debug = Debug;

impl Module for Debug {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = match parse(&INFO.args, args) {
            Ok(a) => a,
            // An action plugin's argument failure carries no `changed`.
            Err(refusal) => {
                let mut out = ModuleOutput::from(refusal);
                out.result.remove("changed");
                return Ok(out);
            }
        };
        if a.msg.is_some() && a.var.is_some() {
            return Ok(map(
                json!({"failed": true, "msg": "parameters are mutually exclusive: msg|var"}),
            )
            .into());
        }
        if a.verbosity.unwrap_or(0) > i64::from(ctx.verbosity) {
            return Ok(map(json!({
                "changed": false, "failed": false, "skipped": true,
                "skipped_reason": "Verbosity threshold not met.",
            }))
            .into());
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        if let Some(var) = a.var {
            match ctx.templar.eval_expr(&var, ctx.vars, ctx.origin) {
                Ok(v) => {
                    r.insert(var, v);
                }
                // ansible-core 2.19 shows an undefined value as a marker plus a warning.
                Err(rsible_template::TemplateError::Undefined { message, .. }) => {
                    r.insert(var, json!(format!("<< error 1 - {message} >>")));
                    r.insert(
                        "warnings".into(),
                        json!([format!(
                            "Encountered 1 template error.\nerror 1 - {message}"
                        )]),
                    );
                }
                // A vaulted value that cannot be decrypted: Ansible names the expression.
                Err(rsible_template::TemplateError::Caused(mut c)) => {
                    c.context =
                        "Error while resolving `var` expression: Error rendering expression"
                            .to_owned();
                    return Err(rsible_template::TemplateError::Caused(c).into());
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            r.insert("msg".into(), a.msg.unwrap_or_else(|| json!("Hello world!")));
        }
        r.insert("_ansible_verbose_always".into(), json!(true));
        r.insert("failed".into(), json!(false));
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    fn run(env: &Env, a: Value) -> ResultMap {
        let fake = FakeConnection::default();
        let r = DEBUG.run(&env.ctx(&fake), &args(a)).result();
        assert!(fake.lines().is_empty());
        r
    }

    // Shapes from ansible-playbook 2.19 (json callback) for the same tasks.
    #[test]
    fn msg_default_and_verbosity() {
        let r = run(&Env::default(), json!({}));
        assert_eq!(r["msg"], "Hello world!");
        assert_eq!(r["_ansible_verbose_always"], true);
        let r = run(&Env::default(), json!({"msg": "x", "verbosity": 3}));
        assert_eq!(
            r,
            map(
                json!({"changed": false, "failed": false, "skipped": true, "skipped_reason": "Verbosity threshold not met."})
            )
        );
        let r = run(
            &Env {
                verbosity: 3,
                ..Env::default()
            },
            json!({"msg": "x", "verbosity": "3"}),
        );
        assert_eq!(r["msg"], "x");
    }

    // ansible-playbook 2.19 json callback for `debug: var=inventory_hostname` / `var=nope`.
    #[test]
    fn var_defined_and_undefined() {
        let mut env = Env::default();
        env.vars
            .insert("inventory_hostname".into(), json!("localhost"));
        let r = run(&env, json!({"var": "inventory_hostname"}));
        assert_eq!(
            r,
            map(
                json!({"_ansible_verbose_always": true, "changed": false, "failed": false, "inventory_hostname": "localhost"})
            )
        );
        let r = run(&env, json!({"var": "nope"}));
        assert_eq!(r["nope"], "<< error 1 - 'nope' is undefined >>");
        assert_eq!(
            r["warnings"],
            json!(["Encountered 1 template error.\nerror 1 - 'nope' is undefined"])
        );
    }

    #[test]
    fn bad_params() {
        let r = run(&Env::default(), json!({"msg": "x", "bogus": 1}));
        assert_eq!(
            r,
            map(
                json!({"failed": true, "msg": "Unsupported parameters for (debug) module: bogus. Supported parameters include: msg, var, verbosity."})
            )
        );
        let r = run(&Env::default(), json!({"msg": "x", "var": "y"}));
        assert_eq!(r["msg"], "parameters are mutually exclusive: msg|var");
    }
}

//! `assert`: fail unless every condition holds (controller only).
//!
//! ```yaml
//! - assert:
//!     that: [ "ansible_distribution == 'Debian'", "x is defined" ]
//!     fail_msg: "not Debian"
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_string_list, parse, ArgSpec};
use crate::util::failed;
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "assert",
    ArgSpec::new(
        "assert",
        &["fail_msg", "msg", "quiet", "success_msg", "that"],
    )
    .aliases(&["msg"]),
)
.kind(Kind::Controller);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, alias = "msg")]
    fail_msg: Option<Value>,
    #[serde(default)]
    success_msg: Option<Value>,
    #[serde(default, deserialize_with = "de_bool")]
    quiet: bool,
    #[serde(default, deserialize_with = "de_string_list")]
    that: Vec<String>,
}

pub(crate) struct Assert;
pub(crate) static ASSERT: Assert = Assert;

impl Module for Assert {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        if !args.contains_key("that") && INFO.args.check(args).is_ok() {
            return Ok(failed("missing required arguments: that").into());
        }
        let a: Args = parse(&INFO.args, args)?;
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        if !a.quiet {
            r.insert("_ansible_verbose_always".into(), json!(true));
        }
        for that in &a.that {
            if !ctx.templar.eval_condition(that, ctx.vars, ctx.origin)? {
                r.insert("failed".into(), json!(true));
                r.insert("evaluated_to".into(), json!(false));
                r.insert("assertion".into(), json!(that));
                r.insert(
                    "msg".into(),
                    a.fail_msg.unwrap_or_else(|| json!("Assertion failed")),
                );
                return Ok(r.into());
            }
        }
        r.insert(
            "msg".into(),
            a.success_msg
                .unwrap_or_else(|| json!("All assertions passed")),
        );
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn params_are_checked() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = ASSERT
            .run(&env.ctx(&fake), &args(json!({"that": ["1"], "bogus": 1})))
            .result();
        assert_eq!(
            r["msg"],
            "Unsupported parameters for (assert) module: bogus. Supported parameters include: fail_msg, quiet, success_msg, that (msg)."
        );
        let r = ASSERT.run(&env.ctx(&fake), &args(json!({}))).result();
        assert_eq!(r["msg"], "missing required arguments: that");
    }

    // Shape from ansible-playbook 2.19 (json callback): `that: ["1 == 1", "1 == 2"]`.
    #[test]
    fn first_false_condition_fails() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = ASSERT
            .run(
                &env.ctx(&fake),
                &args(json!({"that": ["1 == 1", "1 == 2"]})),
            )
            .result();
        assert_eq!(
            r,
            crate::util::map(json!({
                "_ansible_verbose_always": true, "assertion": "1 == 2", "changed": false,
                "evaluated_to": false, "failed": true, "msg": "Assertion failed"
            }))
        );
        let r = ASSERT
            .run(
                &env.ctx(&fake),
                &args(json!({"that": "1 == 2", "msg": "boom"})),
            )
            .result();
        assert_eq!(r["msg"], "boom");
        let r = ASSERT
            .run(&env.ctx(&fake), &args(json!({"that": ["1 == 1"]})))
            .result();
        assert_eq!(
            r,
            crate::util::map(
                json!({"_ansible_verbose_always": true, "changed": false, "msg": "All assertions passed"})
            )
        );
    }

    #[test]
    fn quiet_drops_verbose_always() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = ASSERT
            .run(
                &env.ctx(&fake),
                &args(json!({"that": "true", "quiet": "yes", "success_msg": "yay"})),
            )
            .result();
        assert_eq!(r, crate::util::map(json!({"changed": false, "msg": "yay"})));
    }
}

//! `fail`: fail the task with a message (controller only).
//!
//! ```yaml
//! - fail: { msg: "unsupported distribution" }
//! ```

use serde_json::{json, Value};

use crate::args::{ArgSpec, Unknown};
use crate::util::failed;
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "fail",
    ArgSpec::new("fail", &["msg"]).unknown(Unknown::InvalidOptions),
)
.kind(Kind::Controller);

pub(crate) struct Fail;
pub(crate) static FAIL: Fail = Fail;

impl Module for Fail {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        INFO.args.check(args)?;
        let mut r = failed("");
        r.insert(
            "msg".into(),
            args.get("msg")
                .cloned()
                .unwrap_or_else(|| json!("Failed as requested from task")),
        );
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn default_and_custom_message() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = FAIL.run(&env.ctx(&fake), &args(json!({}))).result();
        assert_eq!(r, failed("Failed as requested from task"));
        let r = FAIL
            .run(&env.ctx(&fake), &args(json!({"msg": "boom"})))
            .result();
        assert_eq!(r["msg"], "boom");
        let r = FAIL
            .run(&env.ctx(&fake), &args(json!({"msg": "x", "bogus": 1})))
            .result();
        assert_eq!(r, failed("Invalid options for fail: bogus"));
    }
}

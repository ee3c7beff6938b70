//! `fail`: fail the task with a message (controller only).
//!
//! ```yaml
//! - fail: { msg: "unsupported distribution" }
//! ```

use serde_json::{json, Value};

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct Fail;
pub(crate) static FAIL: Fail = Fail;

impl Module for Fail {
    fn name(&self) -> &'static str {
        "fail"
    }

    fn params(&self) -> &'static [&'static str] {
        &["msg"]
    }

    fn controller_only(&self) -> bool {
        true
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError> {
        let mut bad: Vec<&str> = args
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "msg")
            .collect();
        if !bad.is_empty() {
            bad.sort_unstable();
            return Ok(failed(format!(
                "Invalid options for fail: {}",
                bad.join(",")
            )));
        }
        let mut r = failed("");
        r.insert(
            "msg".into(),
            args.get("msg")
                .cloned()
                .unwrap_or_else(|| json!("Failed as requested from task")),
        );
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection};

    #[test]
    fn default_and_custom_message() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = FAIL.run(&env.ctx(&fake), &args(json!({}))).unwrap();
        assert_eq!(r, failed("Failed as requested from task"));
        let r = FAIL
            .run(&env.ctx(&fake), &args(json!({"msg": "boom"})))
            .unwrap();
        assert_eq!(r["msg"], "boom");
        let r = FAIL
            .run(&env.ctx(&fake), &args(json!({"msg": "x", "bogus": 1})))
            .unwrap();
        assert_eq!(r, failed("Invalid options for fail: bogus"));
    }
}

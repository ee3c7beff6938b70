//! `ping`: prove the target answers.
//!
//! ```yaml
//! - ping:
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_string, parse, ArgSpec};
use crate::target::script::run_script;
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin("ping", ArgSpec::new("ping", &["data"]));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    data: Option<String>,
}

pub(crate) struct Ping;
pub(crate) static PING: Ping = Ping;

impl Module for Ping {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let data = a.data.unwrap_or_else(|| "pong".to_owned());
        if data == "crash" {
            return Ok(failed("boom").into());
        }
        // The round trip is the point: an unreachable host errors here.
        let out = run_script(ctx, "true".to_owned())?;
        if out.rc != 0 {
            return Ok(failed(String::from_utf8_lossy(&out.stderr).trim().to_owned()).into());
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        r.insert("ping".into(), json!(data));
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn pong() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = PING.run(&env.ctx(&fake), &args(json!({}))).result();
        assert_eq!(
            r,
            crate::util::map(json!({"changed": false, "ping": "pong"}))
        );
        assert_eq!(fake.lines(), ["/bin/sh -c true"]);
        let r = PING
            .run(&env.ctx(&fake), &args(json!({"data": "x"})))
            .result();
        assert_eq!(r["ping"], "x");
    }
}

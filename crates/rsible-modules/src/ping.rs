//! `ping`: prove the target answers.
//!
//! ```yaml
//! - ping:
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_string, parse, Spec};
use crate::target::script::run_script;
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

const SPEC: Spec = Spec {
    display: "ping",
    names: &["data"],
    aliases: &[],
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    data: Option<String>,
}

pub(crate) struct Ping;
pub(crate) static PING: Ping = Ping;

impl Module for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }

    fn resolved_name(&self) -> String {
        SPEC.display.to_owned()
    }

    fn params(&self) -> &'static [&'static str] {
        SPEC.names
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError> {
        let a: Args = match parse(&SPEC, args) {
            Ok(a) => a,
            Err(fail) => return Ok(fail),
        };
        let data = a.data.unwrap_or_else(|| "pong".to_owned());
        if data == "crash" {
            return Ok(failed("boom"));
        }
        // The round trip is the point: an unreachable host errors here.
        let out = run_script(ctx, "true".to_owned())?;
        if out.rc != 0 {
            return Ok(failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        r.insert("ping".into(), json!(data));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection};

    #[test]
    fn pong() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let r = PING.run(&env.ctx(&fake), &args(json!({}))).unwrap();
        assert_eq!(
            r,
            crate::util::map(json!({"changed": false, "ping": "pong"}))
        );
        assert_eq!(fake.lines(), ["/bin/sh -c true"]);
        let r = PING
            .run(&env.ctx(&fake), &args(json!({"data": "x"})))
            .unwrap();
        assert_eq!(r["ping"], "x");
    }
}

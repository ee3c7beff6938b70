//! `raw`: a command line sent as it is, through the connection's shell, with no module around
//! it — what bootstraps a host that has nothing installed.
//!
//! ```yaml
//! - raw: apt-get install -y python3
//!   args: { executable: /bin/bash }
//! ```
//!
//! As Ansible's action: `<executable or /bin/sh> -c '<line>'`, on a terminal over ssh (so stderr
//! joins stdout there), always `changed`, failed on a non-zero rc, skipped in check mode. The
//! task's `environment` does not reach it (a warning says so), and unknown options are ignored,
//! as the action plugin ignores them.

use serde_json::{json, Value};

use rsible_connection::{Command, ExecRequest};

use crate::args::{ArgSpec, Unknown};
use crate::target::script::low_level_cwd;
use crate::util::set_output;
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "raw",
    ArgSpec::new("raw", &["_raw_params", "executable"]).unknown(Unknown::Accepted),
)
.kind(Kind::Action)
.without_async()
.free_form();

pub(crate) struct Raw;
pub(crate) static RAW: Raw = Raw;

impl Module for Raw {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut result = ResultMap::new();
        if !ctx.environment.is_empty() {
            result.insert(
                "warnings".into(),
                json!(["raw module does not support the environment keyword"]),
            );
        }
        if ctx.check_mode {
            result.insert("changed".into(), Value::Bool(false));
            result.insert("skipped".into(), Value::Bool(true));
            return Ok(result.into());
        }
        let line = args
            .get("_raw_params")
            .map(rsible_template::py_str)
            .unwrap_or_default();
        let executable = args
            .get("executable")
            .filter(|v| !v.is_null() && **v != Value::Bool(false))
            .map(rsible_template::py_str);
        let mut req = ExecRequest {
            command: Command::Shell {
                script: line,
                executable,
            },
            ..ExecRequest::shell("")
        }
        .with_become(ctx.become_.as_ref());
        req.cwd = low_level_cwd(ctx);
        let out = ctx.conn.exec_tty(&req)?;
        result.insert("rc".into(), Value::from(out.rc));
        set_output(
            &mut result,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        result.insert("changed".into(), Value::Bool(true));
        if out.rc != 0 {
            result.insert("failed".into(), Value::Bool(true));
            result.insert("msg".into(), Value::from("non-zero return code"));
        }
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult as _};

    #[test]
    fn the_line_goes_to_the_executable_as_one_quoted_argument() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let a = args(json!({"_raw_params": "echo 'a b' $HOME", "executable": "/bin/bash"}));
        let r = RAW.run(&env.ctx(&fake), &a).result();
        assert_eq!(r["changed"], json!(true));
        let lines = fake.lines();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].ends_with("/bin/bash -c 'echo '\"'\"'a b'\"'\"' $HOME'"),
            "{lines:?}"
        );
    }

    #[test]
    fn check_mode_runs_nothing() {
        let fake = FakeConnection::default();
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        let r = RAW
            .run(&env.ctx(&fake), &args(json!({"_raw_params": "reboot"})))
            .result();
        assert_eq!(r["skipped"], json!(true));
        assert!(fake.lines().is_empty());
    }
}

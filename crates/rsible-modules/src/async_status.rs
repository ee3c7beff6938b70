//! `async_status`: the state of an `async:` job started earlier on the same target.
//!
//! ```yaml
//! - command: ./long-build.sh
//!   async: 3600
//!   poll: 0
//!   register: build
//! - async_status:
//!     jid: "{{ build.ansible_job_id }}"
//!   register: job
//!   until: job.finished
//!   retries: 100
//!   delay: 30
//! ```
//!
//! The job file is looked up as the task's (become) user, so `become` must match the task
//! that started the job. Results are shaped as 2.19's action plugin returns them: `started`
//! and `finished` as booleans, `results_file` (status) or `erased` (cleanup), and once the job
//! has finished, the job's own result (`rc`, `stdout`, `stdout_lines`, …).

use serde::Deserialize;
use serde_json::Value;

use crate::args::{parse, ArgSpec};
use crate::async_job::{async_dir, cleanup_in, status_in};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "async_status",
    ArgSpec::new("async_status", &["jid", "mode"]),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The `ansible_job_id` of the job.
    #[serde(default)]
    jid: Option<Value>,
    /// `status` (default) or `cleanup`, which deletes the job file.
    #[serde(default)]
    mode: Option<Value>,
}

pub(crate) struct AsyncStatus;
pub(crate) static ASYNC_STATUS: AsyncStatus = AsyncStatus;

impl Module for AsyncStatus {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(jid) = a.jid.as_ref().map(crate::args::scalar_text) else {
            return Ok(failed("missing required arguments: jid").into());
        };
        let mode = a
            .mode
            .as_ref()
            .map_or_else(|| "status".to_owned(), crate::args::scalar_text);
        if mode != "status" && mode != "cleanup" {
            return Ok(failed(format!(
                "value of mode must be one of: status, cleanup, got: {mode}"
            ))
            .into());
        }
        let dir = async_dir(ctx)?;
        if mode == "cleanup" {
            cleanup_in(ctx, &dir, &jid).map(ModuleOutput::from)
        } else {
            status_in(ctx, &dir, &jid).map(ModuleOutput::from)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(env: &Env, a: Value) -> crate::ResultMap {
        ASYNC_STATUS
            .run(&env.ctx(&LocalConnection::new()), &args(a))
            .result()
    }

    // Messages from ansible-playbook 2.19 runs of the same tasks.
    #[test]
    fn arguments_are_checked_like_ansible() {
        let env = Env::default();
        assert_eq!(
            run(&env, json!({}))["msg"],
            "missing required arguments: jid"
        );
        assert_eq!(
            run(&env, json!({"jid": "x", "mode": "bogus"}))["msg"],
            "value of mode must be one of: status, cleanup, got: bogus"
        );
        assert_eq!(
            run(&env, json!({"jid": "x", "_async_dir": "/tmp"}))["msg"],
            "Unsupported parameters for (async_status) module: _async_dir. Supported parameters include: jid, mode."
        );
    }

    #[test]
    fn status_then_cleanup_of_a_job_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::default();
        env.vars.insert(
            "ansible_async_dir".into(),
            json!(dir.path().to_string_lossy()),
        );
        let path = dir.path().join("j5.5");
        std::fs::write(&path, r#"{"changed": true, "rc": 1, "stdout": "a\nb"}"#).unwrap();
        let r = run(&env, json!({"jid": "j5.5"}));
        assert_eq!(
            (&r["finished"], &r["rc"], &r["stdout_lines"]),
            (&json!(true), &json!(1), &json!(["a", "b"]))
        );
        assert_eq!(r["results_file"], json!(path.to_string_lossy()));
        let r = run(&env, json!({"jid": "j5.5", "mode": "cleanup"}));
        assert_eq!(r["erased"], json!(path.to_string_lossy()));
        assert!(!path.exists());
        let r = run(&env, json!({"jid": "j5.5", "mode": "cleanup"}));
        assert_eq!(
            (&r["msg"], &r["failed"]),
            (&json!("could not find job"), &json!(true))
        );
    }
}

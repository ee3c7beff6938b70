//! `wait_for_connection`: wait until the target answers again (after a reboot).
//!
//! ```yaml
//! - wait_for_connection:
//!     delay: 1
//!     timeout: 60
//! ```
//!
//! As Ansible's action: sleep `delay`, then until `timeout` seconds have passed, re-open the
//! transport (for SSH that drops the ControlPersist master, which a reboot left dead) and run
//! a trivial command, where Ansible runs its `ping` module; between failures sleep `sleep`.
//! `connect_timeout` is accepted and, as with Ansible's ssh connection, unused.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::{ArgSpec, Unknown};
use crate::target::script::task_request;
use crate::util::{failed, map};
use crate::{ExecRequest, Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "wait_for_connection",
    ArgSpec::new(
        "wait_for_connection",
        &["connect_timeout", "delay", "sleep", "timeout"],
    )
    .unknown(Unknown::InvalidOptions),
)
.kind(Kind::Action);

pub(crate) struct WaitForConnection;
pub(crate) static WAIT_FOR_CONNECTION: WaitForConnection = WaitForConnection;

/// Python's `int(v)` for a task argument, or its error text.
pub(crate) fn py_int(v: &Value) -> Result<i64, String> {
    let invalid = |s: &str| format!("invalid literal for int() with base 10: '{s}'");
    match v {
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            // int() truncates a float toward zero.
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| invalid(&n.to_string())),
        Value::String(s) => s.trim().replace('_', "").parse().map_err(|_| invalid(s)),
        Value::Null => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"
                .to_owned(),
        ),
        other => Err(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            if other.is_array() { "list" } else { "dict" }
        )),
    }
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0))
}

/// One end-to-end test: a fresh transport, then a command on the target.
fn ping(ctx: &ModuleContext<'_>) -> Result<(), String> {
    ctx.conn.reset().map_err(|e| e.to_string())?;
    let out = ctx
        .conn
        .exec(&task_request(ctx, ExecRequest::argv(["true"])))
        .map_err(|e| e.to_string())?;
    if out.rc == 0 {
        Ok(())
    } else {
        Err("ping test failed".to_owned())
    }
}

impl Module for WaitForConnection {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let get = |key: &str, default: i64| match args.get(key) {
            None => Ok(default),
            Some(v) => py_int(v).map_err(|e| failed(format!("Task failed: {e}"))),
        };
        let (delay, sleep, timeout) = match (get("delay", 0), get("sleep", 1), get("timeout", 600))
        {
            (Ok(d), Ok(s), Ok(t)) => (d, s, t),
            (Err(f), _, _) | (_, Err(f), _) | (_, _, Err(f)) => return Ok(f.into()),
        };
        if let Err(f) = get("connect_timeout", 5) {
            return Ok(f.into());
        }
        if ctx.check_mode {
            return Ok(map(json!({"skipped": true})).into());
        }
        INFO.args.check(args)?;
        let start = Instant::now();
        std::thread::sleep(secs(delay));
        // A timeout beyond what the clock can represent waits for as long as it takes.
        let deadline = Instant::now().checked_add(secs(timeout));
        let mut error = String::new();
        let mut result = map(json!({"changed": false}));
        let mut ok = false;
        while deadline.is_none_or(|d| Instant::now() < d) {
            match ping(ctx) {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err(e) => {
                    error = e;
                    std::thread::sleep(secs(sleep));
                }
            }
        }
        if !ok {
            result.insert("failed".into(), json!(true));
            result.insert(
                "msg".into(),
                json!(format!("timed out waiting for ping module test: {error}")),
            );
        }
        result.insert("elapsed".into(), json!(start.elapsed().as_secs()));
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::testing::{args, Env, RunResult};
    use crate::{Connection, ConnectionError, ExecOutput, PutOptions};
    use rsible_connection::local::LocalConnection;

    /// A host that refuses the first `down` attempts, as one does while it reboots.
    struct Rebooting {
        down: usize,
        execs: AtomicUsize,
        resets: AtomicUsize,
    }

    impl Rebooting {
        fn new(down: usize) -> Self {
            Self {
                down,
                execs: AtomicUsize::new(0),
                resets: AtomicUsize::new(0),
            }
        }
    }

    impl Connection for Rebooting {
        fn host(&self) -> &str {
            "rebooting"
        }

        fn exec(&self, _req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
            if self.execs.fetch_add(1, Ordering::SeqCst) < self.down {
                return Err(ConnectionError::Unreachable(
                    "Failed to connect to the host via ssh: Connection refused".into(),
                ));
            }
            Ok(ExecOutput::default())
        }

        fn put_file(&self, _: &[u8], _: &str, _: &PutOptions) -> Result<(), ConnectionError> {
            Ok(())
        }

        fn reset(&self) -> Result<(), ConnectionError> {
            self.resets.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn run(conn: &dyn Connection, env: &Env, a: Value) -> crate::ResultMap {
        WAIT_FOR_CONNECTION.run(&env.ctx(conn), &args(a)).result()
    }

    // Expected results from ansible-playbook 2.19 runs of the same tasks (`connection: local`).
    #[test]
    fn reachable_host_answers_at_once() {
        let r = run(
            &LocalConnection::new(),
            &Env::default(),
            json!({"timeout": 3}),
        );
        assert_eq!(r, map(json!({"changed": false, "elapsed": 0})));
        let r = run(
            &LocalConnection::new(),
            &Env::default(),
            json!({"timeout": "3", "delay": 1}),
        );
        assert_eq!(r, map(json!({"changed": false, "elapsed": 1})));
    }

    #[test]
    fn retries_with_a_fresh_transport_until_the_host_is_back() {
        let conn = Rebooting::new(2);
        let r = run(&conn, &Env::default(), json!({"sleep": 0, "timeout": 10}));
        assert_eq!(r, map(json!({"changed": false, "elapsed": 0})));
        assert_eq!(conn.resets.load(Ordering::SeqCst), 3);
        assert_eq!(conn.execs.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn gives_up_after_timeout_with_the_last_error() {
        let conn = Rebooting::new(usize::MAX);
        let r = run(&conn, &Env::default(), json!({"sleep": 1, "timeout": 1}));
        assert_eq!(
            r,
            map(json!({
                "changed": false, "failed": true, "elapsed": 1,
                "msg": "timed out waiting for ping module test: Failed to connect to the host via ssh: Connection refused",
            }))
        );
    }

    #[test]
    fn bad_arguments_and_check_mode() {
        let conn = LocalConnection::new();
        let r = run(&conn, &Env::default(), json!({"timeout": 3, "foo": 1}));
        assert_eq!(r["msg"], "Invalid options for wait_for_connection: foo");
        let r = run(&conn, &Env::default(), json!({"timeout": "x"}));
        assert_eq!(
            r["msg"],
            "Task failed: invalid literal for int() with base 10: 'x'"
        );
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        assert_eq!(run(&conn, &env, json!({})), map(json!({"skipped": true})));
    }
}

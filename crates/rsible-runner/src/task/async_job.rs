//! `async:` — the module started detached on the target, then polled until it finishes or its
//! time is up, as Ansible's task executor does.

use std::sync::mpsc::Sender;
use std::time::Duration;

use rsible_connection::ConnectionError;
use rsible_modules::{Module, ModuleContext, ModuleError, ModuleOutput, ResultMap};
use rsible_template::Value;

use super::module_call;
use super::pool::{AsyncKind, Event};
use super::resolve::AsyncJob;
use super::HostJob;
use crate::keyword_number::int_sleep_error;
use crate::outcome::failed_result;
use crate::template_node::{python_str, truthy};

/// Why an async run ended without a result.
pub(super) enum AsyncError {
    Module(ModuleError),
    /// The job was started, then every poll in its time lost the connection (the host went
    /// away, typically because the job rebooted it). ansible-core up to 2.18 failed the task
    /// then, so `ignore_errors` lets the play go on — the `shutdown -r now` + `async: 1,
    /// poll: 1` + `ignore_errors` idiom, which the reference article uses, relies on it.
    /// ansible-core 2.19 marks the host UNREACHABLE instead, as if the job had never started;
    /// rsible keeps the earlier behaviour on purpose (docs/status.md, "Deliberate
    /// differences").
    PollLost(String),
    /// `poll` is a wait Python cannot take (the job was started).
    Sleep(&'static str),
}

/// Runs a module as an async job: started, then (with `poll > 0`) polled, each poll reported.
pub(super) fn run_async(
    job: &HostJob<'_>,
    ctx: &ModuleContext<'_>,
    module: &dyn Module,
    args: &serde_json::Map<String, Value>,
    settings: AsyncJob,
    tx: &Sender<Event>,
) -> Result<ModuleOutput, AsyncError> {
    let AsyncJob { secs, poll } = settings;
    let started = module_call::start_async(module, ctx, args, secs).map_err(AsyncError::Module)?;
    let Some(jid) = started.result.get("ansible_job_id").map(python_str) else {
        // The module ran to completion (it has no detachable remote part).
        return Ok(started);
    };
    if poll == 0 || started.result.get("failed").is_some_and(truthy) {
        return Ok(started);
    }
    if let Some(msg) = int_sleep_error(poll) {
        return Err(AsyncError::Sleep(msg));
    }
    let report = |kind, result: &ResultMap| {
        let _ = tx.send(Event::Async {
            kind,
            host: job.host.clone(),
            result: result.clone(),
        });
    };
    let last = poll_until_done(ctx, &jid, secs, poll, &report)?;
    if !last.get("finished").is_some_and(truthy) {
        let mut r = failed_result(format!(
            "async task did not complete within the requested time - {secs}s"
        ));
        r.insert("async_result".into(), Value::Object(last));
        report(AsyncKind::Failed, &r);
        return Ok(r.into());
    }
    module_call::cleanup_async(ctx, &jid);
    let kind = if last.get("failed").is_some_and(truthy) {
        AsyncKind::Failed
    } else {
        AsyncKind::Ok
    };
    report(kind, &last);
    // The job's own result: its `ansible_facts` are host facts, as for any module.
    Ok(last.into())
}

/// Polls every `poll` seconds for up to `secs`; the last status seen. A poll that loses the
/// connection is retried on a fresh one until the time is up.
fn poll_until_done(
    ctx: &ModuleContext<'_>,
    jid: &str,
    secs: u64,
    poll: i128,
    report: &dyn Fn(AsyncKind, &ResultMap),
) -> Result<ResultMap, AsyncError> {
    let mut time_left = i64::try_from(secs).unwrap_or(i64::MAX);
    // Below the sleep bound the caller checked, so it fits.
    let step = i64::try_from(poll).unwrap_or(i64::MAX);
    let mut last = ResultMap::new();
    while time_left > 0 {
        std::thread::sleep(Duration::from_secs(step.unsigned_abs()));
        match module_call::poll_async(ctx, jid) {
            Ok(r) => {
                if r.get("finished").is_some_and(truthy) || r.get("failed").is_some_and(truthy) {
                    return Ok(r);
                }
                time_left -= step;
                report(AsyncKind::Poll, &r);
                last = r;
            }
            Err(e) => {
                let _ = ctx.conn.reset();
                time_left -= step;
                if time_left <= 0 {
                    return Err(match e {
                        ModuleError::Connection(ConnectionError::Unreachable(msg)) => {
                            AsyncError::PollLost(msg)
                        }
                        e => AsyncError::Module(e),
                    });
                }
            }
        }
    }
    Ok(last)
}

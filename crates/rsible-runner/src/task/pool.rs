//! The fork pool: a task's hosts run on up to `forks` threads; what they report comes back
//! over a channel and reaches the callback from the main thread, in the order it happened.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use rsible_modules::ResultMap;

use super::host::run_host;
use super::HostJob;
use crate::outcome::{HostOutcome, Status};
use crate::shared::Shared;
use crate::{Callback, ErrorLink, ResultEvent, TaskInfo};

/// What a worker reports while it runs a task, in the order things happen.
pub(crate) enum Event {
    Item {
        host: String,
        delegated_to: Option<String>,
        result: ResultMap,
        ignore_errors: bool,
        error: Option<Vec<ErrorLink>>,
    },
    Retry {
        host: String,
        delegated_to: Option<String>,
        result: ResultMap,
    },
    /// An async job was polled, finished, or failed (`ASYNC POLL/OK/FAILED on host`).
    Async {
        kind: AsyncKind,
        host: String,
        result: ResultMap,
    },
    /// A line the module prints on the controller (`display.display`).
    Display(String),
    Done(Box<HostOutcome>),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum AsyncKind {
    Poll,
    Ok,
    Failed,
}

/// Which results the pool shows as they come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shown {
    /// Every result.
    All,
    /// An include's: not its ok results (its files are shown instead).
    Include,
    /// An inventory action's (`add_host`, `group_by`): neither ok items nor the hosts'
    /// outcomes, which the play shows once it applied the change ([`show_outcome`]), as
    /// Ansible's strategy does.
    Inventory,
}

/// Runs `jobs` on up to `forks` threads (fewer under the task's `throttle`), reporting events
/// as they come; the hosts' outcomes in the order they finished.
pub(crate) fn dispatch(
    shared: &Shared<'_>,
    cb: &dyn Callback,
    info: &TaskInfo,
    jobs: &[HostJob<'_>],
    shown: Shown,
    throttle: Option<usize>,
) -> Vec<HostOutcome> {
    let (tx, rx) = mpsc::channel::<Event>();
    let forks = shared
        .opts
        .forks
        .min(throttle.unwrap_or(usize::MAX))
        .max(1)
        .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let mut reporter = Reporter {
        cb,
        info,
        mode: shown,
        shown: Vec::new(),
        outcomes: Vec::with_capacity(jobs.len()),
    };
    std::thread::scope(|s| {
        for _ in 0..forks {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                run_host(shared, job, &tx);
            });
        }
        drop(tx);
        for ev in rx {
            reporter.report(ev);
        }
    });
    reporter.outcomes
}

/// Hands worker events to the callback.
struct Reporter<'a> {
    cb: &'a dyn Callback,
    info: &'a TaskInfo,
    mode: Shown,
    /// The same pointer is shown once per task, not once per host.
    shown: Vec<String>,
    outcomes: Vec<HostOutcome>,
}

impl Reporter<'_> {
    fn report(&mut self, ev: Event) {
        let (cb, info) = (self.cb, self.info);
        match ev {
            Event::Item {
                host,
                delegated_to,
                result,
                ignore_errors,
                error,
            } => {
                let event = ResultEvent {
                    host: &host,
                    delegated_to: delegated_to.as_deref(),
                    result: &result,
                    ignore_errors,
                    item: result.get(&info.loop_var),
                    error: error.as_deref(),
                };
                match HostOutcome::status_of(&result) {
                    Status::Failed | Status::Unreachable => cb.runner_item_on_failed(info, &event),
                    Status::Skipped => cb.runner_item_on_skipped(info, &event),
                    _ if self.mode != Shown::All => {}
                    _ => {
                        if info.diff && result.contains_key("diff") {
                            cb.on_file_diff(info, &event);
                        }
                        cb.runner_item_on_ok(info, &event);
                    }
                }
            }
            Event::Retry {
                host,
                delegated_to,
                result,
            } => cb.runner_retry(info, &plain(&host, delegated_to.as_deref(), &result)),
            Event::Display(text) => cb.display(&text),
            Event::Async { kind, host, result } => {
                let event = plain(&host, None, &result);
                match kind {
                    AsyncKind::Poll => cb.runner_on_async_poll(info, &event),
                    AsyncKind::Ok => cb.runner_on_async_ok(info, &event),
                    AsyncKind::Failed => cb.runner_on_async_failed(info, &event),
                }
            }
            Event::Done(outcome) => {
                self.done(&outcome);
                self.outcomes.push(*outcome);
            }
        }
    }

    fn done(&mut self, outcome: &HostOutcome) {
        let (cb, info) = (self.cb, self.info);
        for d in &outcome.diagnostics {
            let text = d.to_string();
            if !self.shown.contains(&text) {
                cb.diagnostic(d);
                self.shown.push(text);
            }
        }
        if self.mode != Shown::Inventory {
            show_outcome(cb, info, outcome, self.mode == Shown::Include);
        }
    }
}

/// A host's outcome of a task, to the callback; an include's ok results are not shown.
pub(crate) fn show_outcome(
    cb: &dyn Callback,
    info: &TaskInfo,
    outcome: &HostOutcome,
    is_include: bool,
) {
    let event = ResultEvent {
        host: &outcome.host,
        delegated_to: outcome.delegated_to.as_deref(),
        result: &outcome.result,
        ignore_errors: if outcome.status == Status::Unreachable {
            outcome.ignore_unreachable
        } else {
            outcome.ignore_errors
        },
        item: None,
        error: outcome.error.as_deref(),
    };
    match outcome.status {
        Status::Failed => cb.runner_on_failed(info, &event),
        Status::Skipped => cb.runner_on_skipped(info, &event),
        Status::Unreachable => cb.runner_on_unreachable(info, &event),
        Status::Ok | Status::Changed if is_include => cb.runner_on_include_ok(info),
        Status::Ok | Status::Changed => {
            if info.diff && outcome.result.contains_key("diff") {
                cb.on_file_diff(info, &event);
            }
            cb.runner_on_ok(info, &event);
        }
    }
}

/// An event without item, error or `ignore_errors`.
fn plain<'a>(
    host: &'a str,
    delegated_to: Option<&'a str>,
    result: &'a ResultMap,
) -> ResultEvent<'a> {
    ResultEvent {
        host,
        delegated_to,
        result,
        ignore_errors: false,
        item: None,
        error: None,
    }
}

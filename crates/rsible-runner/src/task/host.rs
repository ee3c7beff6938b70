//! One task on one host: its host-level keywords, then the task once or once per loop item,
//! folded into the [`HostOutcome`] the play applies.

use std::sync::mpsc::Sender;

use rsible_modules::ResultMap;

use super::attempt::run_item;
use super::fault::{ItemResult, TaskFault};
use super::items::run_loop;
use super::module_call::{split_facts, unsupported_params};
use super::normalise::mark_exception;
use super::pool::Event;
use super::resolve::HostKeywords;
use super::HostJob;
use crate::outcome::{HostOutcome, Status};
use crate::shared::Shared;

/// Runs one task on one host and reports item/retry events and the outcome through `tx`.
pub(crate) fn run_host(shared: &Shared<'_>, job: &HostJob<'_>, tx: &Sender<Event>) {
    let outcome = run_host_inner(shared, job, tx);
    let _ = tx.send(Event::Done(Box::new(outcome)));
}

fn run_host_inner(shared: &Shared<'_>, job: &HostJob<'_>, tx: &Sender<Event>) -> HostOutcome {
    let task = job.task;
    let keywords = HostKeywords::resolve(shared, job);
    let outcome = HostOutcome {
        host: job.host.clone(),
        delegated_to: None,
        result: ResultMap::new(),
        status: Status::Ok,
        ignore_errors: keywords.ignore_errors,
        ignore_unreachable: keywords.ignore_unreachable,
        error: None,
        register: keywords.register.clone(),
        facts: None,
        set_facts: None,
        included_vars: None,
        delegated_facts: Vec::new(),
        inventory: Vec::new(),
        diagnostics: Vec::new(),
    };
    let Some((kind, node)) = &task.keywords.loop_ else {
        let pass = run_item(shared, job, &keywords, &job.vars, tx);
        let outcome = HostOutcome {
            diagnostics: unsupported_params(task, pass.item.refused.as_ref()),
            delegated_to: pass.delegate,
            ..outcome
        };
        return finish(outcome, pass.item);
    };
    // A looped task's result is shown delegated as `delegate_to` is written.
    let outcome = HostOutcome {
        delegated_to: keywords.delegate_as_written.clone(),
        ..outcome
    };
    match run_loop(shared, job, &keywords, kind, node, tx) {
        Ok(item) => finish(outcome, item),
        Err(f) => fault(outcome, f),
    }
}

/// A host whose task failed before any item ran.
fn fault(mut outcome: HostOutcome, mut f: TaskFault) -> HostOutcome {
    mark_exception(&mut f.result);
    outcome.result = f.result;
    outcome.status = Status::Failed;
    outcome.error = Some(f.chain);
    outcome
}

/// The host's outcome from its (aggregated) result and the facts it (or its items) set.
fn finish(mut outcome: HostOutcome, item: ItemResult) -> HostOutcome {
    let ItemResult {
        mut result,
        chain,
        facts,
        inventory,
        delegated_facts,
        ..
    } = item;
    outcome.inventory = inventory;
    outcome.delegated_facts = delegated_facts;
    mark_exception(&mut result);
    (outcome.facts, outcome.set_facts, outcome.included_vars) = split_facts(facts);
    outcome.status = HostOutcome::status_of(&result);
    outcome.result = result;
    outcome.error = chain;
    outcome
}

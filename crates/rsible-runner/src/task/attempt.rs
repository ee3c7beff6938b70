//! One pass of a task — one loop item, or the task without a loop: `when`, the module and its
//! arguments, the keywords resolved once, then the attempts `until`/`retries` ask for.

use std::sync::mpsc::Sender;

use rsible_connection::ConnectionError;
use rsible_modules::{Module, ModuleContext, ModuleError, ModuleOutput, ResultMap};
use rsible_template::{TemplateError, Value, Vars};

use super::args::{render_args, RawParams};
use super::async_job::{run_async, AsyncError};
use super::fault::{
    conditional_fault, failure_chain, fill_missing_msg, raised_chain, unreachable, ItemResult,
    TaskFault,
};
use super::module_call::{self, INCLUDE_ROLE, INCLUDE_TASKS};
use super::normalise::{apply_changed_failed_when, normalise, with_registered};
use super::pool::Event;
use super::resolve::{self, HostKeywords, ResolvedTask, Unresolved};
use super::HostJob;
use crate::connect::transport_name;
use crate::keyword_number::sleep_float;
use crate::outcome::failed_result;
use crate::shared::Shared;
use crate::template_node::{eval_condition_node, truthy};

/// What one pass came to, and where it ran.
pub(super) struct Pass {
    pub item: ItemResult,
    /// `delegate_to` of the pass (as written when it did not template).
    pub delegate: Option<String>,
}

/// One pass of the task (one loop item, or the whole task without a loop).
pub(super) fn run_item(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    keywords: &HostKeywords,
    vars: &Vars,
    tx: &Sender<Event>,
) -> Pass {
    let (delegate, mut item) = match resolve::delegate(shared, job, vars) {
        Ok(d) => (d.clone(), run_delegated(shared, job, keywords, d, vars, tx)),
        Err((f, written)) => (written, f.into_item()),
    };
    // `delegate_facts`: what the pass learned belongs to the host it ran on (ansible-core's
    // `get_delegated_hosts`), not to the host whose task it is.
    if let (true, Some(to)) = (keywords.delegate_facts, &delegate) {
        if let Some(facts) = item.facts.take() {
            item.delegated_facts.push((to.clone(), facts));
        }
    }
    let delegate = delegate.map(|d| delegate_label(shared, &job.host, d));
    Pass { item, delegate }
}

/// How a result shows the host it was delegated to: with its address when the inventory
/// gives it another (`h1 -> h2(10.0.0.2)`), as the default callback's `host_label` does from
/// `_ansible_delegated_vars`.
pub(super) fn delegate_label(shared: &Shared<'_>, host: &str, delegate: String) -> String {
    if delegate == host {
        return delegate;
    }
    let vars = crate::vars::inventory_vars(&shared.inventory, &delegate);
    let addr = vars
        .get("ansible_host")
        .or_else(|| vars.get("ansible_ssh_host"))
        .map(crate::template_node::python_str);
    match addr {
        Some(a) if a != delegate => format!("{delegate}({a})"),
        _ => delegate,
    }
}

/// The pass once `delegate_to` is known.
fn run_delegated(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    keywords: &HostKeywords,
    delegate: Option<String>,
    vars: &Vars,
    tx: &Sender<Event>,
) -> ItemResult {
    let task = job.task;
    if let Some(not_run) = check_when(shared, job, vars) {
        return not_run;
    }
    if task.module == INCLUDE_TASKS {
        return name_include(shared, job, vars);
    }
    if task.module == INCLUDE_ROLE {
        return name_role_include(shared, job, vars);
    }
    let Some(module) = module_call::find(&task.module) else {
        let why = module_call::unimplemented(task);
        return TaskFault::new(task, None, &why, Some(task.module_key.span)).into_item();
    };
    let action = module_call::reports_as_action(module);
    let fqcn = module_call::fqcn(module);
    let raw = module_call::raw_params(module);
    let resolved = match ResolvedTask::resolve(shared, job, keywords, delegate, vars, &fqcn, raw) {
        Ok(r) => r,
        Err(Unresolved::Keyword(e)) => return e.fault(task).into_item(),
        // Modules that run on the target report `changed: false` even here; actions don't.
        Err(Unresolved::Args(f)) if action => return f.into_item(),
        Err(Unresolved::Args(f)) => return f.unchanged().into_item(),
        Err(Unresolved::Unreachable(msg)) => return unreachable(task, &msg),
    };
    if resolved.async_job.is_some() && !module_call::supports_async(module) {
        // Raised by the action, naming it as the task writes it.
        let msg = format!("This action ({}) does not support async.", task.module);
        let mut r = failed_result(msg);
        r.insert("changed".into(), Value::Bool(false));
        let chain = raised_chain(task, &r, None);
        return (r, chain).into();
    }
    let attempts = Attempts {
        shared,
        job,
        module,
        task: &resolved,
        vars,
        action,
        tx,
    };
    attempts.run()
}

/// The role's and the task's `when:`, in order: a skipped result for the first that does not
/// hold, a fault for one that cannot be evaluated, `None` when all hold.
pub(crate) fn check_when(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Option<ItemResult> {
    let task = job.task;
    let role_when = task
        .role
        .as_ref()
        .map(|r| r.when.as_slice())
        .unwrap_or_default();
    for cond in role_when.iter().chain(&task.keywords.when) {
        match eval_condition_node(&shared.templar, cond, vars, &job.origin) {
            Ok(true) => {}
            Ok(false) => {
                let mut r = ResultMap::new();
                r.insert("changed".into(), Value::Bool(false));
                r.insert("false_condition".into(), cond.to_value());
                r.insert(
                    "skip_reason".into(),
                    Value::from("Conditional result was False"),
                );
                r.insert("skipped".into(), Value::Bool(true));
                return Some((r, None).into());
            }
            Err(e) => return Some(conditional_fault(task, &e, cond).into_item()),
        }
    }
    None
}

/// `include_tasks` on one host (and item): the runner reads and runs the file later; here it
/// is only named.
fn name_include(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars) -> ItemResult {
    let fqcn = module_call::builtin_fqcn(INCLUDE_TASKS);
    match render_args(shared, job, vars, &fqcn, RawParams::Argument) {
        Ok(args) => {
            let mut r = ResultMap::new();
            r.insert("changed".into(), Value::Bool(false));
            r.insert(
                "include".into(),
                Value::from(module_call::include_file(&args)),
            );
            (r, None).into()
        }
        Err(f) => f.into_item(),
    }
}

/// `include_role` on one host (and item): its arguments templated (`include_args`, as
/// Ansible's task executor returns them); the runner loads and runs the role later.
fn name_role_include(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars) -> ItemResult {
    let fqcn = module_call::builtin_fqcn(INCLUDE_ROLE);
    match render_args(shared, job, vars, &fqcn, RawParams::Template) {
        Ok(args) => {
            let mut r = ResultMap::new();
            r.insert("changed".into(), Value::Bool(false));
            r.insert("include_args".into(), Value::Object(args));
            (r, None).into()
        }
        Err(f) => f.into_item(),
    }
}

/// The attempts of one pass, all reading the same resolved keywords.
struct Attempts<'a> {
    shared: &'a Shared<'a>,
    job: &'a HostJob<'a>,
    module: &'a dyn Module,
    task: &'a ResolvedTask<'a>,
    vars: &'a Vars,
    /// Failures read "Action failed" (see [`module_call::reports_as_action`]).
    action: bool,
    tx: &'a Sender<Event>,
}

impl Attempts<'_> {
    fn run(&self) -> ItemResult {
        let task = self.job.task;
        let total = self.task.retries.attempts;
        let register = self.task.host.register.as_deref();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let ModuleOutput {
                mut result,
                facts,
                inventory,
                refused,
                cause,
                raised,
                module_failure,
            } = match self.once() {
                Ok(out) => out,
                Err(not_run) => return *not_run,
            };
            let finished = |mut result: ResultMap, by_action: bool| {
                let chain = if raised {
                    raised_chain(task, &result, cause.as_deref())
                } else if let Some(msg) = &module_failure {
                    let mut shown = result.clone();
                    shown.insert("msg".into(), Value::from(msg.as_str()));
                    failure_chain(task, &shown, false, cause.as_deref())
                } else {
                    failure_chain(task, &result, by_action, cause.as_deref())
                };
                fill_missing_msg(&mut result, chain.as_deref());
                ItemResult {
                    result,
                    chain,
                    facts: facts.clone(),
                    inventory: inventory.iter().map(|c| (None, c.clone())).collect(),
                    refused: refused.clone(),
                    delegated_facts: Vec::new(),
                }
            };
            normalise(&mut result);
            if total > 1 {
                result.insert("attempts".into(), Value::from(attempt));
            }
            apply_changed_failed_when(
                &self.shared.templar,
                task,
                &self.job.origin,
                self.vars,
                register,
                &mut result,
            );
            if total <= 1 {
                return finished(result, self.action);
            }
            match self.done(&result) {
                Err(f) => return f.into_item(),
                Ok(true) => return finished(result, self.action),
                Ok(false) => {}
            }
            if attempt >= total {
                // When the last attempt did not fail by itself, Ansible (not the module) fails it.
                let by_module = result.get("failed").is_some_and(truthy);
                result.insert("attempts".into(), Value::from(total - 1));
                result.insert("failed".into(), Value::Bool(true));
                return finished(result, self.action || !by_module);
            }
            self.report_retry(&result, total);
            if let Err(msg) = sleep_float(self.task.retries.delay) {
                return TaskFault::new(task, None, &msg, None)
                    .unchanged()
                    .into_item();
            }
        }
    }

    /// Whether the task is done trying: `until`, or "not failed" when only `retries` is set.
    fn done(&self, result: &ResultMap) -> Result<bool, TaskFault> {
        let Some(until) = self.job.task.keywords.until.as_ref() else {
            return Ok(!result.get("failed").is_some_and(truthy));
        };
        let vars = with_registered(self.vars, self.task.host.register.as_deref(), result);
        eval_condition_node(&self.shared.templar, until, &vars, &self.job.origin)
            .map_err(|e| conditional_fault(self.job.task, &e, until))
    }

    fn report_retry(&self, result: &ResultMap, total: u32) {
        let mut shown = result.clone();
        shown.insert("_ansible_retry".into(), Value::Bool(true));
        shown.insert("retries".into(), Value::from(total));
        let _ = self.tx.send(Event::Retry {
            host: self.job.host.clone(),
            delegated_to: self
                .task
                .delegate
                .clone()
                .map(|d| delegate_label(self.shared, &self.job.host, d)),
            result: shown,
        });
    }

    /// One call of the module (or one async job): its result, or what the pass comes to when
    /// the call gave none.
    fn once(&self) -> Result<ModuleOutput, Box<ItemResult>> {
        let task = self.job.task;
        let display = |text: &str| {
            let _ = self.tx.send(Event::Display(text.to_owned()));
        };
        let ctx = self.context(&display);
        let run = match (&self.task.become_, self.task.async_job) {
            (Err(unknown), _) if !module_call::runs_on_controller(self.module) => {
                let transport = transport_name(&self.task.conn_info);
                Err(AsyncError::Module(ModuleError::Connection(
                    unknown.clone().over(transport),
                )))
            }
            (_, Some(settings)) => run_async(
                self.job,
                &ctx,
                self.module,
                &self.task.args,
                settings,
                self.tx,
            ),
            (_, None) => {
                module_call::call(self.module, &ctx, &self.task.args).map_err(AsyncError::Module)
            }
        };
        match run {
            Ok(r) => Ok(r),
            Err(AsyncError::Sleep(msg)) => Err(Box::new(
                TaskFault::new(task, None, msg, None)
                    .unchanged()
                    .into_item(),
            )),
            Err(AsyncError::PollLost(msg)) => Err(Box::new(
                TaskFault::new(task, None, &msg, None)
                    .unchanged()
                    .into_item(),
            )),
            Err(AsyncError::Module(ModuleError::Connection(ConnectionError::Unreachable(msg)))) => {
                Err(Box::new(unreachable(task, &msg)))
            }
            Err(AsyncError::Module(ModuleError::Connection(e))) => {
                Ok(failed_result(e.to_string()).into())
            }
            Err(AsyncError::Module(ModuleError::Template(e))) => {
                // An undecryptable value met by an expression the action evaluates itself
                // (`debug`'s `var`): Ansible points at that argument.
                let e = match e {
                    TemplateError::Caused(mut c) if c.context.contains("`var`") => {
                        c.span = task.args.get("var").map(|n| n.span).or(c.span);
                        TemplateError::Caused(c)
                    }
                    e => e,
                };
                let fault = TaskFault::template(task, &e);
                // Raised inside an action that handles files (`template`): its result says
                // nothing changed.
                let fault = if module_call::runs_on_controller(self.module) {
                    fault
                } else {
                    fault.unchanged()
                };
                Err(Box::new(fault.into_item()))
            }
            Err(AsyncError::Module(ModuleError::RaisedFrom { message, origin })) => Err(Box::new(
                TaskFault::new(task, None, &message, Some(origin))
                    .unchanged()
                    .into_item(),
            )),
            Err(AsyncError::Module(ModuleError::Raised(msg))) => Err(Box::new(
                TaskFault::new(task, None, &msg, None)
                    .unchanged()
                    .into_item(),
            )),
            // `module_call` turns refusals into results; kept apart for completeness.
            Err(AsyncError::Module(ModuleError::Args(e))) => Ok(ModuleOutput::from(e)),
        }
    }

    fn context<'c>(&'c self, display: &'c (dyn Fn(&str) + Sync)) -> ModuleContext<'c> {
        let shared = self.shared;
        ModuleContext {
            conn: self.task.conn.as_ref(),
            templar: &shared.templar,
            vars: self.vars,
            origin: &self.job.origin,
            role_path: self.job.task.role.as_ref().map(|r| r.path.clone()),
            playbook_dir: shared.playbook.dir.clone(),
            become_: self.task.become_.clone().unwrap_or_default(),
            environment: self.task.environment.clone(),
            check_mode: self.task.check_mode,
            diff: self.task.diff,
            verbosity: shared.opts.verbosity,
            connection_info: Some(self.task.conn_info.clone()),
            display,
            action: self.job.task.module_key.key_string(),
        }
    }
}

//! One task on one host: loop items, `when`, argument templating, the module, `until` retries,
//! and Ansible's result normalisation.

use std::sync::mpsc::Sender;
use std::time::Duration;

use rsible_connection::{Become, BecomeMethod, ConnectionError, UnknownBecomeMethod};
use rsible_modules::{ArgsError, Facts, Kind, ModuleContext, ModuleError, ModuleOutput, ResultMap};
use rsible_parser::{LoopKind, Node, NodeKind, Task};
use rsible_source::Span;
use rsible_template::{Origin, TemplateError, Value, Vars};

use crate::connect::transport_name;
use crate::keyword_number::{int_sleep_error, sleep_float, to_float, to_int, NotANumber};
use crate::outcome::{failed_result, HostOutcome, Status};
use crate::run::Shared;
use crate::template_node::{eval_condition_node, origin_for, python_str, render_node, truthy};
use crate::{ErrorLink, TaskInfo};

/// For Ansible's "Unsupported parameters for (…) module: a, b." failure, a pointer at each
/// offending key in the task, with the closest supported name as a hint.
fn unsupported_params(task: &Task, refused: Option<&ArgsError>) -> Vec<rsible_source::Diagnostic> {
    let Some(ArgsError::Unsupported {
        unknown,
        names,
        aliases,
        ..
    }) = refused
    else {
        return Vec::new();
    };
    let Some(pairs) = task.args.as_map() else {
        return Vec::new();
    };
    unknown
        .iter()
        .filter_map(|name| {
            let (key, _) = pairs.iter().find(|(k, _)| k.as_str() == Some(name))?;
            let mut d = rsible_source::Diagnostic::error(format!(
                "`{name}` is not a parameter of the `{}` module",
                task.module
            ))
            .with_span(Some(key.span));
            if let Some(best) = names
                .iter()
                .chain(aliases)
                .map(|s| (strsim::levenshtein(name, s), *s))
                .filter(|(d, _)| *d <= 2)
                .min_by_key(|(d, _)| *d)
            {
                d = d.with_hint(format!("did you mean `{}`?", best.1));
            }
            Some(d)
        })
        .collect()
}

/// What a module run gives besides its result: facts for the host, its refusal of the task's
/// arguments (for diagnostics) and the cause of its failure (for the error chain). Written by the attempt that called the module.
#[derive(Default)]
struct ModuleSide {
    facts: Option<Facts>,
    refused: Option<ArgsError>,
    cause: Option<String>,
}

impl ModuleSide {
    fn take(&mut self, out: ModuleOutput) -> ResultMap {
        self.facts = out.facts;
        self.refused = out.refused;
        self.cause = out.cause;
        out.result
    }
}

/// Facts of a loop's items, in item order: later items win, as Ansible applies them.
fn merge_facts(acc: &mut Option<Facts>, next: Option<Facts>) {
    match (acc.as_mut(), next) {
        (_, None) => {}
        (Some(Facts::Host(a)), Some(Facts::Host(b)))
        | (Some(Facts::Vars(a)), Some(Facts::Vars(b))) => {
            a.extend(b);
        }
        (_, Some(b)) => *acc = Some(b),
    }
}

/// Where a condition's error points: a syntax error at the expression's start, as Ansible.
fn conditional_span(e: &TemplateError, cond: &Node) -> Option<rsible_source::Span> {
    match e {
        TemplateError::Syntax { .. } => Some(cond.span),
        _ => e.span().or(Some(cond.span)),
    }
}

/// `Error while evaluating conditional: …`, once (the template layer may have said it).
fn conditional_message(e: &TemplateError) -> String {
    if let TemplateError::Syntax { .. } = e {
        // Jinja's wording for a bare expression; minijinja says the same thing differently.
        let m = e.ansible_message();
        let detail = m.strip_prefix("Syntax error in template: ").unwrap_or(&m);
        let detail = if detail.starts_with("unexpected end of template") {
            "unexpected 'end of template'"
        } else {
            detail
        };
        return format!("Syntax error in expression: {detail}");
    }
    let m = e.ansible_message();
    // A non-string condition is reported bare (Ansible's `_validate_conditional`).
    if m.starts_with("Error while evaluating conditional")
        || m == "Conditional expressions must be strings."
    {
        m
    } else {
        format!("Error while evaluating conditional: {m}")
    }
}

/// The dynamic include the runner handles itself.
pub(crate) const INCLUDE_TASKS: &str = "include_tasks";

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
    Done(HostOutcome),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum AsyncKind {
    Poll,
    Ok,
    Failed,
}

/// Everything a worker needs to run `task` on `host`.
pub(crate) struct HostJob<'a> {
    pub host: String,
    pub task: &'a Task,
    pub info: &'a TaskInfo,
    pub vars: Vars,
    /// Play-level `environment:` node, merged under the task's.
    pub play_environment: Option<&'a Node>,
    pub play_become: (Option<&'a Node>, Option<&'a Node>, Option<&'a Node>),
    pub play_connection: Option<&'a Node>,
    pub origin: Origin,
}

/// A failure caused by an error rather than the module: the result, plus the chain shown in
/// Ansible 2.19's `[ERROR]:` block.
struct TaskFault {
    result: ResultMap,
    chain: Vec<ErrorLink>,
}

impl TaskFault {
    /// A failure raised while preparing or judging the task, as Ansible 2.19 chains it:
    /// `Task failed.` at the task, then `what` (at `what_span`), then the cause at its value.
    fn new(
        task: &Task,
        what: Option<(&str, Option<Span>)>,
        cause: &str,
        cause_span: Option<Span>,
    ) -> Self {
        let mut chain = vec![ErrorLink {
            message: "Task failed.".to_owned(),
            origin: Some(task.span),
            keep_apart: false,
        }];
        if let Some((what, span)) = what {
            chain.push(ErrorLink {
                message: format!("{what}."),
                origin: span,
                keep_apart: false,
            });
        }
        chain.push(ErrorLink {
            message: cause.to_owned(),
            origin: cause_span,
            keep_apart: false,
        });
        Self {
            result: failed_result(join_chain(&chain)),
            chain,
        }
    }
}

/// Joins chain messages as Ansible does for `msg`: outer parts lose their final `.` and are
/// followed by `: `.
pub(crate) fn join_chain(chain: &[ErrorLink]) -> String {
    let mut out = String::new();
    for (i, link) in chain.iter().enumerate() {
        let last = i + 1 == chain.len();
        let m = link.message.as_str();
        if last {
            out.push_str(m);
        } else {
            out.push_str(m.strip_suffix('.').unwrap_or(m));
            out.push_str(": ");
        }
    }
    out
}

impl HostJob<'_> {
    fn flag(
        &self,
        shared: &Shared<'_>,
        node: Option<&Node>,
        vars: &Vars,
    ) -> Result<bool, TemplateError> {
        match node {
            None => Ok(false),
            Some(n) => Ok(truthy(&render_node(
                &shared.templar,
                n,
                vars,
                &self.origin,
            )?)),
        }
    }

    fn string(
        &self,
        shared: &Shared<'_>,
        node: Option<&Node>,
        vars: &Vars,
    ) -> Result<Option<String>, TemplateError> {
        match node {
            None => Ok(None),
            Some(n) => match render_node(&shared.templar, n, vars, &self.origin)? {
                Value::Null => Ok(None),
                v => Ok(Some(python_str(&v))),
            },
        }
    }
}

/// Runs one task on one host and reports item/retry events and the outcome through `tx`.
pub(crate) fn run_host(shared: &Shared<'_>, job: &HostJob<'_>, tx: &Sender<Event>) {
    let outcome = run_host_inner(shared, job, tx);
    let _ = tx.send(Event::Done(outcome));
}

fn run_host_inner(shared: &Shared<'_>, job: &HostJob<'_>, tx: &Sender<Event>) -> HostOutcome {
    let task = job.task;
    let kw = &task.keywords;
    let register = kw
        .register
        .as_ref()
        .and_then(Node::as_str)
        .map(str::to_owned);
    let mut outcome = HostOutcome {
        host: job.host.clone(),
        delegated_to: None,
        result: ResultMap::new(),
        status: Status::Ok,
        ignore_errors: false,
        error: None,
        register,
        facts: None,
        set_facts: None,
        diagnostics: Vec::new(),
    };
    let ignore = job.flag(shared, kw.ignore_errors.as_ref(), &job.vars);
    outcome.ignore_errors = ignore.unwrap_or(false);

    let delegate = match job.string(shared, kw.delegate_to.as_ref(), &job.vars) {
        Ok(d) => d,
        Err(e) => {
            let span = e.span();
            return fault(
                outcome,
                TaskFault::new(task, None, &e.ansible_message(), span),
            );
        }
    };
    outcome.delegated_to.clone_from(&delegate);

    let Some((kind, loop_node)) = &kw.loop_ else {
        let mut side = ModuleSide::default();
        let (result, chain) = run_item(shared, job, &job.vars, delegate.as_deref(), tx, &mut side);
        outcome.diagnostics = unsupported_params(task, side.refused.as_ref());
        return finish(outcome, result, chain, side.facts);
    };

    let items = match loop_items(shared, job, kind, loop_node) {
        Ok(items) => items,
        Err(fault_) => return fault(outcome, fault_),
    };
    let loop_var = job.info.loop_var.clone();
    let control = kw.loop_control.as_ref();
    let index_var = control
        .and_then(|c| c.get("index_var"))
        .and_then(Node::as_str);
    let extended = control
        .and_then(|c| c.get("extended"))
        .is_some_and(|n| truthy(&n.to_value()));
    let count = items.len();
    let mut results = Vec::with_capacity(items.len());
    let (mut any_changed, mut any_failed, mut all_skipped) = (false, false, !items.is_empty());
    let mut facts = None;
    for (index, item) in items.iter().enumerate() {
        let mut vars = job.vars.clone();
        vars.insert(loop_var.clone(), item.clone());
        vars.insert("ansible_loop_var".into(), Value::from(loop_var.as_str()));
        if let Some(iv) = index_var {
            vars.insert(iv.to_owned(), Value::from(index));
        }
        if extended {
            vars.insert("ansible_loop".into(), loop_info(&items, index));
        }
        let mut side = ModuleSide::default();
        let (mut r, chain) = run_item(shared, job, &vars, delegate.as_deref(), tx, &mut side);
        merge_facts(&mut facts, side.facts);
        mark_exception(&mut r);
        // Ansible's loop gives every item result a `changed`, even one that failed early.
        r.entry("changed").or_insert(Value::Bool(false));
        r.insert(loop_var.clone(), item.clone());
        r.insert("ansible_loop_var".into(), Value::from(loop_var.as_str()));
        if let Some(iv) = index_var {
            r.insert(iv.to_owned(), Value::from(index));
            r.insert("ansible_index_var".into(), Value::from(iv));
        }
        if extended {
            r.insert("ansible_loop".into(), loop_info(&items, index));
        }
        if let Some(label) = loop_label(shared, job, &vars) {
            r.insert("_ansible_item_label".into(), label);
        }
        let st = HostOutcome::status_of(&r);
        any_changed |= r.get("changed").is_some_and(truthy);
        any_failed |= st == Status::Failed;
        all_skipped &= st == Status::Skipped;
        if st == Status::Unreachable {
            return finish(outcome, r, None, facts);
        }
        let _ = tx.send(Event::Item {
            host: job.host.clone(),
            delegated_to: delegate.clone(),
            result: r.clone(),
            ignore_errors: outcome.ignore_errors,
            error: chain,
        });
        results.push(Value::Object(r));
    }
    let mut agg = ResultMap::new();
    if count == 0 {
        agg.insert("changed".into(), Value::Bool(false));
        agg.insert("skipped".into(), Value::Bool(true));
        agg.insert("skipped_reason".into(), Value::from("No items in the list"));
        agg.insert("results".into(), Value::Array(Vec::new()));
        return finish(outcome, agg, None, None);
    }
    agg.insert("changed".into(), Value::Bool(any_changed));
    if any_failed {
        agg.insert("failed".into(), Value::Bool(true));
        agg.insert("msg".into(), Value::from("One or more items failed"));
    } else {
        agg.insert("msg".into(), Value::from("All items completed"));
    }
    agg.insert("results".into(), Value::Array(results));
    agg.insert("skipped".into(), Value::Bool(all_skipped));
    finish(outcome, agg, None, facts)
}

/// `ansible_loop` for `loop_control.extended`.
fn loop_info(items: &[Value], index: usize) -> Value {
    let n = items.len();
    let mut m = serde_json::Map::new();
    m.insert("allitems".into(), Value::Array(items.to_vec()));
    m.insert("index".into(), Value::from(index + 1));
    m.insert("index0".into(), Value::from(index));
    m.insert("revindex".into(), Value::from(n - index));
    m.insert("revindex0".into(), Value::from(n - index - 1));
    m.insert("first".into(), Value::Bool(index == 0));
    m.insert("last".into(), Value::Bool(index + 1 == n));
    m.insert("length".into(), Value::from(n));
    if index > 0 {
        m.insert("previtem".into(), items[index - 1].clone());
    }
    if index + 1 < n {
        m.insert("nextitem".into(), items[index + 1].clone());
    }
    Value::Object(m)
}

/// Ansible 2.19 gives every failed result an `exception` (shown only at -vvv; registered).
fn mark_exception(r: &mut ResultMap) {
    if r.get("failed").is_some_and(truthy) && !r.get("unreachable").is_some_and(truthy) {
        r.entry("exception")
            .or_insert_with(|| Value::from("(traceback unavailable)"));
    }
}

fn fault(mut outcome: HostOutcome, mut f: TaskFault) -> HostOutcome {
    mark_exception(&mut f.result);
    outcome.result = f.result;
    outcome.status = Status::Failed;
    outcome.error = Some(f.chain);
    outcome
}

fn finish(
    mut outcome: HostOutcome,
    mut result: ResultMap,
    chain: Option<Vec<ErrorLink>>,
    facts: Option<Facts>,
) -> HostOutcome {
    mark_exception(&mut result);
    match facts {
        Some(Facts::Host(f)) => outcome.facts = Some(f),
        Some(Facts::Vars(f)) => outcome.set_facts = Some(f),
        None => {}
    }
    outcome.status = HostOutcome::status_of(&result);
    outcome.result = result;
    outcome.error = chain;
    outcome
}

/// The list a `loop:`/`with_*:` runs over.
fn loop_items(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    kind: &LoopKind,
    node: &Node,
) -> Result<Vec<Value>, TaskFault> {
    let value = render_node(&shared.templar, node, &job.vars, &job.origin)
        .map_err(|e| loop_fault(job.task, &e))?;
    match kind {
        LoopKind::Loop => match value {
            Value::Array(items) => Ok(items),
            other => Err(TaskFault::new(
                job.task,
                None,
                &format!(
                    "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
                    python_str(&other)
                ),
                Some(node.span),
            )),
        },
        LoopKind::With(name) => {
            let terms = match value {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                other => vec![other],
            };
            shared
                .templar
                .run_lookup(name, &terms, &job.vars, &origin_for(node, &job.origin))
                .map_err(|e| loop_fault(job.task, &e))
        }
    }
}

fn loop_fault(task: &Task, e: &TemplateError) -> TaskFault {
    TaskFault::new(
        task,
        Some(("Error while resolving loop items", None)),
        &e.ansible_message(),
        e.span(),
    )
}

fn loop_label(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars) -> Option<Value> {
    let label = job.task.keywords.loop_control.as_ref()?.get("label")?;
    render_node(&shared.templar, label, vars, &job.origin).ok()
}

/// One pass of the task (one loop item, or the whole task without a loop).
fn run_item(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    delegate: Option<&str>,
    tx: &Sender<Event>,
    side: &mut ModuleSide,
) -> (ResultMap, Option<Vec<ErrorLink>>) {
    let task = job.task;
    let kw = &task.keywords;
    let role_when = task
        .role
        .as_ref()
        .map(|r| r.when.as_slice())
        .unwrap_or_default();
    for cond in role_when.iter().chain(&kw.when) {
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
                return (r, None);
            }
            Err(e) => {
                let f = TaskFault::new(
                    task,
                    None,
                    &conditional_message(&e),
                    conditional_span(&e, cond),
                );
                return (f.result, Some(f.chain));
            }
        }
    }

    if task.module == INCLUDE_TASKS {
        // The runner reads and runs the file; here it is only named (per host and item).
        return match render_args(shared, job, vars, "ansible.builtin.include_tasks") {
            Ok(args) => {
                let file = args
                    .get("file")
                    .or_else(|| args.get("_raw_params"))
                    .map(python_str)
                    .unwrap_or_default();
                let mut r = ResultMap::new();
                r.insert("changed".into(), Value::Bool(false));
                r.insert("include".into(), Value::from(file));
                (r, None)
            }
            Err(f) => (f.result, Some(f.chain)),
        };
    }
    let Some(module) = rsible_modules::find_module(&task.module) else {
        let f = TaskFault::new(
            task,
            None,
            &format!("couldn't resolve module/action '{}'", task.module),
            Some(task.module_key.span),
        );
        return (f.result, Some(f.chain));
    };
    let info = module.info();
    let fqcn = info.id.fqcn();
    // Failures an action plugin reports itself read "Action failed" in Ansible 2.19; these
    // actions never hand their verdict to a module on the target.
    let action = info.kind != Kind::Remote;

    let args = match render_args(shared, job, vars, &fqcn) {
        Ok(a) => a,
        Err(mut f) => {
            // Modules that run on the target report `changed: false` even here; actions don't.
            if !action {
                f.result.insert("changed".into(), Value::Bool(false));
            }
            return (f.result, Some(f.chain));
        }
    };
    let ctx_parts = match context_parts(shared, job, vars) {
        Ok(p) => p,
        Err(e) => {
            let f = TaskFault::new(task, None, &e.ansible_message(), e.span());
            return (f.result, Some(f.chain));
        }
    };
    let (conn, conn_info) = match shared.connection(job, vars, delegate) {
        Ok(c) => c,
        Err(msg) => return unreachable(task, &msg),
    };

    let settings =
        until_settings(shared, job, vars).and_then(|u| Ok((u, async_settings(shared, job, vars)?)));
    let ((attempts_total, delay), async_settings) = match settings {
        Ok(r) => r,
        Err(e) => {
            let mut f = e.fault(task);
            f.result.insert("changed".into(), Value::Bool(false));
            return (f.result, Some(f.chain));
        }
    };
    if async_settings.is_some() && !info.supports_async {
        let mut r = failed_result(format!("This action ({}) does not support async.", fqcn));
        r.insert("changed".into(), Value::Bool(false));
        let chain = failure_chain(task, &r, true, None);
        return (r, chain);
    }
    let register = kw.register.as_ref().and_then(Node::as_str);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let ctx = ModuleContext {
            conn: conn.as_ref(),
            templar: &shared.templar,
            vars,
            origin: &job.origin,
            role_path: task.role.as_ref().map(|r| r.path.clone()),
            playbook_dir: shared.playbook.dir.clone(),
            become_: ctx_parts.become_.clone().unwrap_or_default(),
            environment: ctx_parts.environment.clone(),
            check_mode: ctx_parts.check_mode,
            diff: shared.opts.diff,
            verbosity: shared.opts.verbosity,
            connection_info: Some(conn_info.clone()),
        };
        let run = match (&ctx_parts.become_, async_settings) {
            (Err(unknown), _) if info.kind != Kind::Controller => Err(AsyncError::Module(
                ModuleError::Connection(unknown.clone().over(transport_name(&conn_info))),
            )),
            (_, Some((secs, poll))) => run_async(shared, job, &ctx, module, &args, secs, poll, tx),
            (_, None) => module.run(&ctx, &args).map_err(AsyncError::Module),
        };
        let run = match run {
            Err(AsyncError::Sleep(msg)) => {
                let mut f = TaskFault::new(task, None, msg, None);
                f.result.insert("changed".into(), Value::Bool(false));
                return (f.result, Some(f.chain));
            }
            Err(AsyncError::PollLost(msg)) => {
                let mut f = TaskFault::new(task, None, &msg, None);
                f.result.insert("changed".into(), Value::Bool(false));
                return (f.result, Some(f.chain));
            }
            Err(AsyncError::Module(e)) => Err(e),
            Ok(r) => Ok(r),
        };
        let mut result = match run {
            Ok(out) => side.take(out),
            Err(ModuleError::Args(e)) => side.take(ModuleOutput::from(e)),
            Err(ModuleError::Connection(ConnectionError::Unreachable(msg))) => {
                return unreachable(task, &msg);
            }
            Err(ModuleError::Connection(e)) => failed_result(e.to_string()),
            Err(ModuleError::Template(e)) => {
                let f = TaskFault::new(task, None, &e.ansible_message(), e.span());
                return (f.result, Some(f.chain));
            }
        };
        normalise(&mut result);
        if attempts_total > 1 {
            result.insert("attempts".into(), Value::from(attempt));
        }
        apply_changed_failed_when(shared, job, vars, register, &mut result);
        if attempts_total <= 1 {
            let chain = failure_chain(task, &result, action, side.cause.as_deref());
            return (result, chain);
        }
        // `until`, or "not failed" when only `retries` is set, decides whether to try again.
        let mut uvars = vars.clone();
        if let Some(name) = register {
            uvars.insert(name.to_owned(), Value::Object(result.clone()));
        }
        let done = match kw.until.as_ref() {
            Some(until) => match eval_condition_node(&shared.templar, until, &uvars, &job.origin) {
                Ok(b) => b,
                Err(e) => {
                    let f = TaskFault::new(
                        task,
                        None,
                        &conditional_message(&e),
                        conditional_span(&e, until),
                    );
                    return (f.result, Some(f.chain));
                }
            },
            None => !result.get("failed").is_some_and(truthy),
        };
        if done {
            let chain = failure_chain(task, &result, action, side.cause.as_deref());
            return (result, chain);
        }
        if attempt >= attempts_total {
            // When the last attempt did not fail by itself, Ansible (not the module) fails it.
            let by_module = result.get("failed").is_some_and(truthy);
            result.insert("attempts".into(), Value::from(attempts_total - 1));
            result.insert("failed".into(), Value::Bool(true));
            let chain = failure_chain(task, &result, action || !by_module, side.cause.as_deref());
            return (result, chain);
        }
        let mut shown = result.clone();
        shown.insert("_ansible_retry".into(), Value::Bool(true));
        shown.insert("retries".into(), Value::from(attempts_total));
        let _ = tx.send(Event::Retry {
            host: job.host.clone(),
            delegated_to: delegate.map(str::to_owned),
            result: shown,
        });
        if let Err(msg) = sleep_float(delay) {
            let mut f = TaskFault::new(task, None, &msg, None);
            f.result.insert("changed".into(), Value::Bool(false));
            return (f.result, Some(f.chain));
        }
    }
}

/// `async:` (seconds) and `poll:` (default 15), when `async` is above zero; a `poll` of zero
/// or less starts the job and moves on.
fn async_settings(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<Option<(u64, i128)>, KeywordError> {
    let kw = &job.task.keywords;
    let secs = keyword_number(shared, job, vars, kw.async_.as_ref(), "async_val", to_int)?;
    let poll = keyword_number(shared, job, vars, kw.poll.as_ref(), "poll", to_int)?;
    let Some(secs) = secs.filter(|s| *s > 0) else {
        return Ok(None);
    };
    Ok(Some((
        u64::try_from(secs).unwrap_or(u64::MAX),
        poll.unwrap_or(15).max(0),
    )))
}

/// Why an async run ended without a result.
enum AsyncError {
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

/// Runs a module as an async job: started detached on the target, then (with `poll > 0`)
/// polled until it finishes or its time is up, as Ansible's task executor does.
#[expect(clippy::too_many_arguments, reason = "one call site, all needed")]
fn run_async(
    _shared: &Shared<'_>,
    job: &HostJob<'_>,
    ctx: &ModuleContext<'_>,
    module: &dyn rsible_modules::Module,
    args: &serde_json::Map<String, Value>,
    secs: u64,
    poll: i128,
    tx: &Sender<Event>,
) -> Result<ModuleOutput, AsyncError> {
    let started =
        rsible_modules::start_async(module, ctx, args, secs).map_err(AsyncError::Module)?;
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
    let mut time_left = i64::try_from(secs).unwrap_or(i64::MAX);
    // Below the sleep bound checked above, so it fits.
    let step = i64::try_from(poll).unwrap_or(i64::MAX);
    let mut last = started.result;
    while time_left > 0 {
        std::thread::sleep(Duration::from_secs(step.unsigned_abs()));
        match rsible_modules::poll_async(ctx, &jid) {
            Ok(r) => {
                if r.get("finished").is_some_and(truthy) || r.get("failed").is_some_and(truthy) {
                    last = r;
                    break;
                }
                time_left -= step;
                let _ = tx.send(Event::Async {
                    kind: AsyncKind::Poll,
                    host: job.host.clone(),
                    result: r.clone(),
                });
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
    if !last.get("finished").is_some_and(truthy) {
        let mut r = failed_result(format!(
            "async task did not complete within the requested time - {secs}s"
        ));
        r.insert("async_result".into(), Value::Object(last));
        let _ = tx.send(Event::Async {
            kind: AsyncKind::Failed,
            host: job.host.clone(),
            result: r.clone(),
        });
        return Ok(r.into());
    }
    let _ = rsible_modules::cleanup_async(ctx, &jid);
    let kind = if last.get("failed").is_some_and(truthy) {
        AsyncKind::Failed
    } else {
        AsyncKind::Ok
    };
    let _ = tx.send(Event::Async {
        kind,
        host: job.host.clone(),
        result: last.clone(),
    });
    // The job's own result: its `ansible_facts` are host facts, as for any module.
    Ok(last.into())
}

/// The `[ERROR]:` chain Ansible 2.19 shows for a failed result: `Module failed` for modules that
/// ran on the target, `Action failed` for controller-side actions and `failed_when` verdicts.
fn failure_chain(
    task: &Task,
    result: &ResultMap,
    action: bool,
    cause: Option<&str>,
) -> Option<Vec<ErrorLink>> {
    if !result.get("failed").is_some_and(truthy) {
        return None;
    }
    let kind = if action || result.contains_key("failed_when_result") {
        "Action failed."
    } else {
        "Module failed."
    };
    let mut chain = vec![
        ErrorLink {
            message: "Task failed.".to_owned(),
            origin: Some(task.span),
            keep_apart: false,
        },
        ErrorLink {
            message: kind.to_owned(),
            origin: None,
            keep_apart: false,
        },
    ];
    if let Some(msg) = result.get("msg").map(python_str).filter(|m| !m.is_empty()) {
        chain.push(ErrorLink {
            message: msg,
            origin: None,
            keep_apart: false,
        });
    }
    if let Some(cause) = cause.filter(|c| !c.is_empty()) {
        chain.push(ErrorLink {
            message: cause.to_owned(),
            origin: None,
            keep_apart: false,
        });
    }
    Some(chain)
}

/// An UNREACHABLE result and its chain.
fn unreachable(task: &Task, msg: &str) -> (ResultMap, Option<Vec<ErrorLink>>) {
    let mut r = ResultMap::new();
    r.insert("changed".into(), Value::Bool(false));
    r.insert("msg".into(), Value::from(format!("Task failed: {msg}")));
    r.insert("unreachable".into(), Value::Bool(true));
    let chain = vec![
        ErrorLink {
            message: "Task failed.".to_owned(),
            origin: Some(task.span),
            keep_apart: false,
        },
        ErrorLink {
            message: msg.to_owned(),
            origin: None,
            keep_apart: false,
        },
    ];
    (r, Some(chain))
}

/// A keyword whose value could not be used: a template error, or a value that is not a
/// number of the keyword's type (named as Ansible names the attribute).
enum KeywordError {
    Template(TemplateError),
    Number {
        keyword: &'static str,
        span: Span,
        error: NotANumber,
    },
}

impl From<TemplateError> for KeywordError {
    fn from(e: TemplateError) -> Self {
        Self::Template(e)
    }
}

impl KeywordError {
    fn fault(self, task: &Task) -> TaskFault {
        match self {
            Self::Template(e) => TaskFault::new(task, None, &e.ansible_message(), e.span()),
            Self::Number {
                keyword,
                span,
                error,
            } => {
                let mut f = TaskFault::new(
                    task,
                    Some((&format!("Error processing keyword '{keyword}'"), Some(span))),
                    &error.to_string(),
                    Some(span),
                );
                if let Some(last) = f.chain.last_mut() {
                    last.keep_apart = true;
                }
                f
            }
        }
    }
}

/// A numeric keyword's value, templated, converted with `convert`; `None` when unset or null.
fn keyword_number<T>(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    node: Option<&Node>,
    keyword: &'static str,
    convert: fn(&Value) -> Result<T, NotANumber>,
) -> Result<Option<T>, KeywordError> {
    let Some(node) = node else { return Ok(None) };
    let value = render_node(&shared.templar, node, vars, &job.origin)?;
    if value.is_null() {
        return Ok(None);
    }
    convert(&value)
        .map(Some)
        .map_err(|error| KeywordError::Number {
            keyword,
            span: node.span,
            error,
        })
}

/// (attempts in all, delay) as Ansible counts them: one run plus `retries` (3 when only
/// `until` is set, none when `retries` is zero or less); a task with neither makes one attempt.
fn until_settings(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<(u32, f64), KeywordError> {
    let kw = &job.task.keywords;
    let retries = keyword_number(shared, job, vars, kw.retries.as_ref(), "retries", to_int)?;
    // `.inf` and `.nan` have no JSON form: taken from the YAML node itself.
    let delay = match kw.delay.as_ref().map(|n| &n.kind) {
        Some(NodeKind::Float(f)) if !f.is_finite() => Some(*f),
        _ => keyword_number(shared, job, vars, kw.delay.as_ref(), "delay", to_float)?,
    };
    let attempts = match retries {
        // More attempts than anyone waits for; the bound keeps the count in a u32.
        Some(r) => 1 + u32::try_from(r.clamp(0, 100_000)).unwrap_or(100_000),
        None if kw.until.is_some() => 4,
        None => 1,
    };
    let delay = delay.unwrap_or(5.0);
    Ok((attempts, if delay < 0.0 { 1.0 } else { delay }))
}

/// Templated module arguments, `omit` removed. A failure names the argument, as Ansible does.
fn render_args(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    fqcn: &str,
) -> Result<serde_json::Map<String, Value>, TaskFault> {
    let mut out = serde_json::Map::new();
    let Some(pairs) = job.task.args.as_map() else {
        return Ok(out);
    };
    for (k, v) in pairs {
        let key = k.key_string();
        match render_node(&shared.templar, v, vars, &job.origin) {
            Ok(value) => {
                if !is_omit(&value, &shared.omit) {
                    out.insert(key, strip_omit(value, &shared.omit));
                }
            }
            Err(e) => {
                return Err(TaskFault::new(
                    job.task,
                    Some((
                        &format!("Finalization of task args for '{fqcn}' failed"),
                        Some(job.task.module_key.span),
                    )),
                    &format!(
                        "Error while resolving value for '{key}': {}",
                        e.ansible_message()
                    ),
                    e.span().or(Some(v.span)),
                ));
            }
        }
    }
    Ok(out)
}

fn is_omit(v: &Value, omit: &str) -> bool {
    v.as_str() == Some(omit)
}

fn strip_omit(v: Value, omit: &str) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|i| !is_omit(i, omit))
                .map(|i| strip_omit(i, omit))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, i)| !is_omit(i, omit))
                .map(|(k, i)| (k, strip_omit(i, omit)))
                .collect(),
        ),
        other => other,
    }
}

struct ContextParts {
    /// An unknown `become_method` fails the task only where a request would run as the
    /// become user (not for controller-only actions such as `debug`).
    become_: Result<Option<Become>, UnknownBecomeMethod>,
    environment: Vec<(String, String)>,
    check_mode: bool,
}

fn context_parts(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<ContextParts, TemplateError> {
    let kw = &job.task.keywords;
    let role_become = job.task.role.as_ref().and_then(|r| r.become_.as_ref());
    let become_node = kw.become_.as_ref().or(role_become).or(job.play_become.0);
    let becomes = match become_node {
        Some(n) => truthy(&render_node(&shared.templar, n, vars, &job.origin)?),
        None => shared.opts.become_ || vars.get("ansible_become").is_some_and(truthy),
    };
    let become_ = if becomes {
        let user = job
            .string(shared, kw.become_user.as_ref().or(job.play_become.1), vars)?
            .or_else(|| shared.opts.become_user.clone())
            .or_else(|| vars.get("ansible_become_user").map(python_str))
            .unwrap_or_else(|| "root".to_owned());
        let method = job
            .string(
                shared,
                kw.become_method.as_ref().or(job.play_become.2),
                vars,
            )?
            .or_else(|| shared.opts.become_method.clone())
            .unwrap_or_else(|| "sudo".to_owned());
        let flags = job.string(shared, kw.become_flags.as_ref(), vars)?;
        let password = shared.opts.become_password.clone().or_else(|| {
            vars.get("ansible_become_password")
                .or_else(|| vars.get("ansible_become_pass"))
                .map(python_str)
        });
        method.parse::<BecomeMethod>().map(|method| {
            Some(Become {
                method,
                user,
                flags,
                password,
            })
        })
    } else {
        Ok(None)
    };

    let mut environment: Vec<(String, String)> = Vec::new();
    for node in [job.play_environment, kw.environment.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Value::Object(map) = render_node(&shared.templar, node, vars, &job.origin)? {
            for (k, v) in map {
                environment.retain(|(ek, _)| *ek != k);
                environment.push((k, python_str(&v)));
            }
        }
    }
    let check_mode = match kw.check_mode.as_ref() {
        Some(n) => truthy(&render_node(&shared.templar, n, vars, &job.origin)?),
        None => shared.opts.check,
    };
    Ok(ContextParts {
        become_,
        environment,
        check_mode,
    })
}

/// Ansible's normalisation of a module result (`executor/task_executor.py`).
fn normalise(r: &mut ResultMap) {
    for (text, lines) in [("stdout", "stdout_lines"), ("stderr", "stderr_lines")] {
        if let Some(Value::String(s)) = r.get(text) {
            if !r.contains_key(lines) {
                let l: Vec<Value> = s.lines().map(Value::from).collect();
                r.insert(lines.into(), Value::Array(l));
            }
        }
    }
    if !r.contains_key("failed") {
        let failed = match r.get("rc") {
            Some(Value::Number(n)) => n.as_i64() != Some(0),
            Some(Value::String(s)) => s != "0",
            _ => false,
        };
        r.insert("failed".into(), Value::Bool(failed));
    }
    if !r.contains_key("changed") {
        r.insert("changed".into(), Value::Bool(false));
    }
}

/// `changed_when` / `failed_when`, with the result visible under the `register` name. As in
/// Ansible, an error in either marks the task failed and is kept in `<cond>_when_result`.
fn apply_changed_failed_when(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    register: Option<&str>,
    result: &mut ResultMap,
) {
    let kw = &job.task.keywords;
    if result.contains_key("skipped") || (kw.changed_when.is_empty() && kw.failed_when.is_empty()) {
        return;
    }
    let all = |conds: &[Node], result: &ResultMap| -> Result<bool, TemplateError> {
        let mut v = vars.clone();
        if let Some(name) = register {
            v.insert(name.to_owned(), Value::Object(result.clone()));
        }
        for c in conds {
            if !eval_condition_node(&shared.templar, c, &v, &job.origin)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let mut condname = "changed";
    let outcome = (|| -> Result<(), TemplateError> {
        if !kw.changed_when.is_empty() {
            let changed = all(&kw.changed_when, result)?;
            result.insert("changed".into(), Value::Bool(changed));
        }
        condname = "failed";
        if !kw.failed_when.is_empty() {
            let failed = all(&kw.failed_when, result)?;
            result.insert("failed_when_result".into(), Value::Bool(failed));
            result.insert("failed".into(), Value::Bool(failed));
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        result.insert("failed".into(), Value::Bool(true));
        result.insert(
            format!("{condname}_when_result"),
            Value::from(e.ansible_message()),
        );
    }
}

/// True for nodes that are empty maps (a task with only free-form args).
#[allow(dead_code)]
pub(crate) fn is_empty_map(n: &Node) -> bool {
    matches!(&n.kind, NodeKind::Map(m) if m.is_empty())
}

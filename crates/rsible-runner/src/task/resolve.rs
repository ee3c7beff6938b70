//! A task's keywords resolved once: per host before its loop ([`HostKeywords`]), then per
//! loop item ([`delegate`], then [`ResolvedTask`]), each templated, converted and inherited
//! in one place. The attempts read only these values.

use std::sync::Arc;

use rsible_connection::{Become, BecomeMethod, Connection, UnknownBecomeMethod};
use rsible_modules::ConnectionInfo;
use rsible_parser::{Node, NodeKind};
use rsible_template::{TemplateError, Value, Vars};

use super::args::{render_args, RawParams};
use super::fault::{KeywordError, TaskFault};
use super::HostJob;
use crate::keyword_number::{to_float, to_int, NotANumber};
use crate::shared::Shared;
use crate::template_node::{python_str, render_node, truthy};

/// What a task's keywords come to for one host, whatever the loop item.
pub(crate) struct HostKeywords {
    /// `register:` name.
    pub register: Option<String>,
    /// `ignore_errors`; a value that does not template counts as false.
    pub ignore_errors: bool,
    /// `ignore_unreachable`; a value that does not template counts as false.
    pub ignore_unreachable: bool,
    /// `delegate_facts`: facts go to the host the task is delegated to.
    pub delegate_facts: bool,
    /// `delegate_to` as written: what a looped task's result is shown delegated to, as
    /// Ansible shows it (each item shows its own, templated).
    pub delegate_as_written: Option<String>,
}

impl HostKeywords {
    pub(crate) fn resolve(shared: &Shared<'_>, job: &HostJob<'_>) -> Self {
        let kw = &job.task.keywords;
        Self {
            register: kw
                .register
                .as_ref()
                .and_then(Node::as_str)
                .map(str::to_owned),
            ignore_errors: flag(shared, job, job.keywords().ignore_errors(), &job.vars)
                .unwrap_or(false),
            ignore_unreachable: flag(shared, job, job.keywords().ignore_unreachable(), &job.vars)
                .unwrap_or(false),
            delegate_facts: flag(shared, job, kw.delegate_facts.as_ref(), &job.vars)
                .unwrap_or(false),
            delegate_as_written: kw.delegate_to.as_ref().map(|n| python_str(&n.to_value())),
        }
    }
}

/// `delegate_to` for one host and item, templated before anything else (Ansible's
/// `_calculate_delegate_to`, before even `when`). `Err` (the task's failure) holds the
/// delegate as written, which is what Ansible shows the failed result delegated to.
pub(crate) fn delegate(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<Option<String>, (TaskFault, Option<String>)> {
    let node = job.task.keywords.delegate_to.as_ref();
    string(shared, job, node, vars).map_err(|e| {
        let written = node.map(|n| python_str(&n.to_value()));
        (TaskFault::template(job.task, &e).unchanged(), written)
    })
}

/// How often a task is tried: attempts in all, and the wait between two.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retries {
    pub attempts: u32,
    pub delay: f64,
}

/// `async:` seconds and `poll:` interval of a task that runs as an async job.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AsyncJob {
    pub secs: u64,
    /// Zero or less: started, then left running.
    pub poll: i128,
}

/// A task's keywords for one host and one loop item, and its arguments (which Ansible
/// validates in the same pass).
pub(crate) struct ResolvedTask<'h> {
    pub host: &'h HostKeywords,
    /// `delegate_to`, templated for this item.
    pub delegate: Option<String>,
    /// An unknown `become_method` fails the task only where a request would run as the
    /// become user (not for controller-only actions such as `debug`).
    pub become_: Result<Option<Become>, UnknownBecomeMethod>,
    pub environment: Vec<(String, String)>,
    pub check_mode: bool,
    /// `diff`: the task's or play's keyword, else `--diff` (what modules see as `_ansible_diff`).
    pub diff: bool,
    /// The module arguments, templated, `omit` taken out.
    pub args: serde_json::Map<String, Value>,
    pub retries: Retries,
    pub async_job: Option<AsyncJob>,
    /// The connection to the host, or to the delegate.
    pub conn: Arc<dyn Connection>,
    pub conn_info: ConnectionInfo,
}

/// Why a task could not be resolved; each gives the task a different result.
pub(crate) enum Unresolved {
    /// A keyword did not template or convert.
    Keyword(KeywordError),
    /// An argument did not template.
    Args(TaskFault),
    /// No connection could be had: the host is unreachable.
    Unreachable(String),
}

impl From<KeywordError> for Unresolved {
    fn from(e: KeywordError) -> Self {
        Self::Keyword(e)
    }
}

impl<'h> ResolvedTask<'h> {
    /// Resolves in the order ansible-core's task executor validates, so that of several bad
    /// values the same one is reported: the play context's keywords (`check_mode`, then
    /// `become`, `become_method`, `become_user`, `become_flags`), then the task's
    /// (`environment`, the arguments — `fqcn` names the module in their errors — `async`,
    /// `delay`, `poll`, `retries`), and only then the connection.
    pub(crate) fn resolve(
        shared: &Shared<'_>,
        job: &HostJob<'_>,
        host: &'h HostKeywords,
        delegate: Option<String>,
        vars: &Vars,
        fqcn: &str,
        raw: RawParams,
    ) -> Result<Self, Unresolved> {
        let keywords = job.keywords();
        let check_mode = keyword(shared, job, vars, keywords.check_mode(), "check_mode")?
            .map_or(shared.opts.check, |v| truthy(&v));
        let diff = keywords.diff().unwrap_or(shared.opts.diff);
        let become_ = become_(shared, job, vars)?;
        let environment = environment(shared, job, vars)?;
        let args = render_args(shared, job, vars, fqcn, raw).map_err(Unresolved::Args)?;
        let kw = &job.task.keywords;
        let async_secs = number(shared, job, vars, kw.async_.as_ref(), "async_val", to_int)?;
        let delay = delay(shared, job, vars)?;
        let poll = number(shared, job, vars, kw.poll.as_ref(), "poll", to_int)?;
        let retries = number(shared, job, vars, kw.retries.as_ref(), "retries", to_int)?;
        let (conn, conn_info) = crate::connect::connection(shared, job, vars, delegate.as_deref())
            .map_err(Unresolved::Unreachable)?;
        Ok(Self {
            host,
            delegate,
            become_,
            environment,
            check_mode,
            diff,
            args,
            retries: Retries::of(retries, delay, kw.until.is_some()),
            async_job: AsyncJob::of(async_secs, poll),
            conn,
            conn_info,
        })
    }
}

fn render(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    node: &Node,
    vars: &Vars,
) -> Result<Value, TemplateError> {
    render_node(&shared.templar, node, vars, &job.origin)
}

fn flag(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    node: Option<&Node>,
    vars: &Vars,
) -> Result<bool, TemplateError> {
    node.map_or(Ok(false), |n| Ok(truthy(&render(shared, job, n, vars)?)))
}

fn string(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    node: Option<&Node>,
    vars: &Vars,
) -> Result<Option<String>, TemplateError> {
    match node {
        None => Ok(None),
        Some(n) => match render(shared, job, n, vars)? {
            Value::Null => Ok(None),
            v => Ok(Some(python_str(&v))),
        },
    }
}

/// A keyword's value, templated; `None` when unset. A template error names the keyword.
fn keyword(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    node: Option<&Node>,
    keyword: &'static str,
) -> Result<Option<Value>, KeywordError> {
    let Some(node) = node else { return Ok(None) };
    render(shared, job, node, vars)
        .map(Some)
        .map_err(|error| KeywordError::Template {
            keyword,
            span: node.span,
            error,
        })
}

/// A string keyword (`null` counts as unset).
fn keyword_str(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    node: Option<&Node>,
    name: &'static str,
) -> Result<Option<String>, KeywordError> {
    Ok(keyword(shared, job, vars, node, name)?
        .filter(|v| !v.is_null())
        .map(|v| python_str(&v)))
}

/// `become` and its user, method and flags (each templated whether or not the task becomes,
/// as Ansible's play context does); the command line and the host's variables fill in what
/// the keywords leave open.
fn become_(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<Result<Option<Become>, UnknownBecomeMethod>, KeywordError> {
    let keywords = job.keywords();
    let opts = shared.opts;
    let becomes = keyword(shared, job, vars, keywords.become_(), "become")?;
    let method = keyword_str(shared, job, vars, keywords.become_method(), "become_method")?;
    let user = keyword_str(shared, job, vars, keywords.become_user(), "become_user")?;
    let flags = keyword_str(shared, job, vars, keywords.become_flags(), "become_flags")?;
    let becomes = match becomes {
        Some(v) => truthy(&v),
        None => opts.become_ || vars.get("ansible_become").is_some_and(truthy),
    };
    if !becomes {
        return Ok(Ok(None));
    }
    let user = user
        .or_else(|| opts.become_user.clone())
        .or_else(|| vars.get("ansible_become_user").map(python_str))
        .unwrap_or_else(|| "root".to_owned());
    let method = method
        .or_else(|| opts.become_method.clone())
        .unwrap_or_else(|| "sudo".to_owned());
    let password = opts.become_password.clone().or_else(|| {
        vars.get("ansible_become_password")
            .or_else(|| vars.get("ansible_become_pass"))
            .map(python_str)
    });
    Ok(method.parse::<BecomeMethod>().map(|method| {
        Some(Become {
            method,
            user,
            flags,
            password,
        })
    }))
}

/// `environment:` of the play and the task, merged in order.
fn environment(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<Vec<(String, String)>, KeywordError> {
    let mut environment: Vec<(String, String)> = Vec::new();
    for node in job.keywords().environments() {
        let value = render(shared, job, node, vars).map_err(KeywordError::Environment)?;
        if let Value::Object(map) = value {
            for (k, v) in map {
                environment.retain(|(ek, _)| *ek != k);
                environment.push((k, python_str(&v)));
            }
        }
    }
    Ok(environment)
}

/// `loop_control.pause`: seconds to wait between items (before every item but the first).
pub(super) fn loop_pause(shared: &Shared<'_>, job: &HostJob<'_>) -> Result<f64, KeywordError> {
    let node = job
        .task
        .keywords
        .loop_control
        .as_ref()
        .and_then(|c| c.get("pause"));
    Ok(number(shared, job, &job.vars, node, "pause", to_float)?.unwrap_or(0.0))
}

/// A numeric keyword's value, templated, converted with `convert`; `None` when unset or null.
fn number<T>(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    node: Option<&Node>,
    keyword_name: &'static str,
    convert: fn(&Value) -> Result<T, NotANumber>,
) -> Result<Option<T>, KeywordError> {
    let Some(node) = node else { return Ok(None) };
    let Some(value) = keyword(shared, job, vars, Some(node), keyword_name)? else {
        return Ok(None);
    };
    if value.is_null() {
        return Ok(None);
    }
    let span = node.span;
    convert(&value)
        .map(Some)
        .map_err(|error| KeywordError::Number {
            keyword: keyword_name,
            span,
            error,
        })
}

/// `delay`: `.inf` and `.nan` have no JSON form, so they are taken from the YAML node itself.
fn delay(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars) -> Result<Option<f64>, KeywordError> {
    let node = job.task.keywords.delay.as_ref();
    match node.map(|n| &n.kind) {
        Some(NodeKind::Float(f)) if !f.is_finite() => Ok(Some(*f)),
        _ => number(shared, job, vars, node, "delay", to_float),
    }
}

impl Retries {
    /// Attempts and delay as Ansible counts them: one run plus `retries` (3 when only `until`
    /// is set, none when `retries` is zero or less); a task with neither makes one attempt.
    fn of(retries: Option<i128>, delay: Option<f64>, until: bool) -> Self {
        let attempts = match retries {
            // More attempts than anyone waits for; the bound keeps the count in a u32.
            Some(r) => 1 + u32::try_from(r.clamp(0, 100_000)).unwrap_or(100_000),
            None if until => 4,
            None => 1,
        };
        let delay = delay.unwrap_or(5.0);
        Self {
            attempts,
            delay: if delay < 0.0 { 1.0 } else { delay },
        }
    }
}

impl AsyncJob {
    /// `async:` (seconds) and `poll:` (default 15), when `async` is above zero; a `poll` of
    /// zero or less starts the job and moves on.
    fn of(secs: Option<i128>, poll: Option<i128>) -> Option<Self> {
        let secs = secs.filter(|s| *s > 0)?;
        Some(Self {
            secs: u64::try_from(secs).unwrap_or(u64::MAX),
            poll: poll.unwrap_or(15).max(0),
        })
    }
}

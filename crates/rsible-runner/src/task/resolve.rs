//! A task's keywords resolved once: per host before its loop ([`HostKeywords`]), then per
//! loop item ([`ResolvedTask`]), each templated, converted and inherited in one place. The
//! attempts read only these values.

use std::sync::Arc;

use rsible_connection::{Become, BecomeMethod, Connection, UnknownBecomeMethod};
use rsible_modules::ConnectionInfo;
use rsible_parser::{Node, NodeKind};
use rsible_template::{TemplateError, Value, Vars};

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
    /// `delegate_to`, templated.
    pub delegate: Option<String>,
}

impl HostKeywords {
    /// The keywords, and the fault that fails the host's whole task when `delegate_to` does
    /// not template (`register` and `ignore_errors` still apply to that failure).
    pub(crate) fn resolve(shared: &Shared<'_>, job: &HostJob<'_>) -> (Self, Option<TaskFault>) {
        let kw = &job.task.keywords;
        let mut keywords = Self {
            register: kw
                .register
                .as_ref()
                .and_then(Node::as_str)
                .map(str::to_owned),
            ignore_errors: flag(shared, job, job.keywords().ignore_errors(), &job.vars)
                .unwrap_or(false),
            delegate: None,
        };
        match string(shared, job, kw.delegate_to.as_ref(), &job.vars) {
            Ok(delegate) => {
                keywords.delegate = delegate;
                (keywords, None)
            }
            Err(e) => (keywords, Some(TaskFault::template(job.task, &e))),
        }
    }
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

/// A task's keywords for one host and one loop item.
pub(crate) struct ResolvedTask<'h> {
    pub host: &'h HostKeywords,
    /// An unknown `become_method` fails the task only where a request would run as the
    /// become user (not for controller-only actions such as `debug`).
    pub become_: Result<Option<Become>, UnknownBecomeMethod>,
    pub environment: Vec<(String, String)>,
    pub check_mode: bool,
    /// The connection to the host, or to the delegate.
    pub conn: Arc<dyn Connection>,
    pub conn_info: ConnectionInfo,
    pub retries: Retries,
    pub async_job: Option<AsyncJob>,
}

/// Why a task's keywords could not be resolved; each gives the task a different result.
pub(crate) enum Unresolved {
    /// `become*`, `environment` or `check_mode` did not template.
    Template(TemplateError),
    /// No connection could be had: the host is unreachable.
    Unreachable(String),
    /// `retries`, `delay`, `async` or `poll` did not template or convert.
    Keyword(KeywordError),
}

impl<'h> ResolvedTask<'h> {
    /// Resolves in Ansible's order, so that of several bad keywords the same one is reported:
    /// become, environment and check mode; the connection; then the numbers.
    pub(crate) fn resolve(
        shared: &Shared<'_>,
        job: &HostJob<'_>,
        host: &'h HostKeywords,
        vars: &Vars,
    ) -> Result<Self, Unresolved> {
        let become_ = become_(shared, job, vars).map_err(Unresolved::Template)?;
        let environment = environment(shared, job, vars).map_err(Unresolved::Template)?;
        let check_mode = match job.keywords().check_mode() {
            Some(n) => truthy(&render(shared, job, n, vars).map_err(Unresolved::Template)?),
            None => shared.opts.check,
        };
        let (conn, conn_info) =
            crate::connect::connection(shared, job, vars, host.delegate.as_deref())
                .map_err(Unresolved::Unreachable)?;
        let retries = retries(shared, job, vars).map_err(Unresolved::Keyword)?;
        let async_job = async_job(shared, job, vars).map_err(Unresolved::Keyword)?;
        Ok(Self {
            host,
            become_,
            environment,
            check_mode,
            conn,
            conn_info,
            retries,
            async_job,
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

/// `become` and its user, method and flags; the command line and the host's variables fill
/// in what the keywords leave open.
fn become_(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<Result<Option<Become>, UnknownBecomeMethod>, TemplateError> {
    let keywords = job.keywords();
    let opts = shared.opts;
    let becomes = match keywords.become_() {
        Some(n) => truthy(&render(shared, job, n, vars)?),
        None => opts.become_ || vars.get("ansible_become").is_some_and(truthy),
    };
    if !becomes {
        return Ok(Ok(None));
    }
    let user = string(shared, job, keywords.become_user(), vars)?
        .or_else(|| opts.become_user.clone())
        .or_else(|| vars.get("ansible_become_user").map(python_str))
        .unwrap_or_else(|| "root".to_owned());
    let method = string(shared, job, keywords.become_method(), vars)?
        .or_else(|| opts.become_method.clone())
        .unwrap_or_else(|| "sudo".to_owned());
    let flags = string(shared, job, keywords.become_flags(), vars)?;
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
) -> Result<Vec<(String, String)>, TemplateError> {
    let mut environment: Vec<(String, String)> = Vec::new();
    for node in job.keywords().environments() {
        if let Value::Object(map) = render(shared, job, node, vars)? {
            for (k, v) in map {
                environment.retain(|(ek, _)| *ek != k);
                environment.push((k, python_str(&v)));
            }
        }
    }
    Ok(environment)
}

/// A numeric keyword's value, templated, converted with `convert`; `None` when unset or null.
fn number<T>(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    node: Option<&Node>,
    keyword: &'static str,
    convert: fn(&Value) -> Result<T, NotANumber>,
) -> Result<Option<T>, KeywordError> {
    let Some(node) = node else { return Ok(None) };
    let value = render(shared, job, node, vars)?;
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

/// Attempts and delay as Ansible counts them: one run plus `retries` (3 when only `until` is
/// set, none when `retries` is zero or less); a task with neither makes one attempt.
fn retries(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars) -> Result<Retries, KeywordError> {
    let kw = &job.task.keywords;
    let retries = number(shared, job, vars, kw.retries.as_ref(), "retries", to_int)?;
    // `.inf` and `.nan` have no JSON form: taken from the YAML node itself.
    let delay = match kw.delay.as_ref().map(|n| &n.kind) {
        Some(NodeKind::Float(f)) if !f.is_finite() => Some(*f),
        _ => number(shared, job, vars, kw.delay.as_ref(), "delay", to_float)?,
    };
    let attempts = match retries {
        // More attempts than anyone waits for; the bound keeps the count in a u32.
        Some(r) => 1 + u32::try_from(r.clamp(0, 100_000)).unwrap_or(100_000),
        None if kw.until.is_some() => 4,
        None => 1,
    };
    let delay = delay.unwrap_or(5.0);
    Ok(Retries {
        attempts,
        delay: if delay < 0.0 { 1.0 } else { delay },
    })
}

/// `async:` (seconds) and `poll:` (default 15), when `async` is above zero; a `poll` of zero
/// or less starts the job and moves on.
fn async_job(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
) -> Result<Option<AsyncJob>, KeywordError> {
    let kw = &job.task.keywords;
    let secs = number(shared, job, vars, kw.async_.as_ref(), "async_val", to_int)?;
    let poll = number(shared, job, vars, kw.poll.as_ref(), "poll", to_int)?;
    let Some(secs) = secs.filter(|s| *s > 0) else {
        return Ok(None);
    };
    Ok(Some(AsyncJob {
        secs: u64::try_from(secs).unwrap_or(u64::MAX),
        poll: poll.unwrap_or(15).max(0),
    }))
}

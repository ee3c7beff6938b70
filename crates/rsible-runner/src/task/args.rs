//! Module arguments: each value templated with its own position, `omit` taken out; arguments
//! given as one template (`args: "{{ x }}"`, `assert: "{{ item }}"`) resolved to a mapping
//! underneath the ones written out.

use rsible_parser::{Node, NodeKind};
use rsible_template::{Templar, TemplateError, Value};

use super::fault::TaskFault;
use super::module_call::{expression_arg, ExpressionArg};
use super::HostJob;
use crate::shared::Shared;
use crate::template_node::{origin_for, render_node};

/// How an action takes `_raw_params` (the text of `module: text`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RawParams {
    /// Free-form modules (`command`, `include_tasks`): the text is an argument.
    Argument,
    /// Every other action: a template there stands for the whole argument mapping.
    Template,
}

/// Templated module arguments, `omit` removed. A failure names the argument, as Ansible does.
pub(super) fn render_args(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &rsible_template::Vars,
    fqcn: &str,
    raw: RawParams,
) -> Result<serde_json::Map<String, Value>, TaskFault> {
    let mut out = serde_json::Map::new();
    let Some(pairs) = job.task.args.as_map() else {
        return Ok(out);
    };
    let finalization = || {
        (
            format!("Finalization of task args for '{fqcn}' failed"),
            Some(job.task.module_key.span),
        )
    };
    // Ansible layers them: the written arguments over the action's template, over `args:`'s.
    let mut layers: Vec<(u8, &Node)> = Vec::new();
    for (k, v) in pairs {
        let key = k.key_string();
        let layer = match (key.as_str(), raw, v.as_str()) {
            ("_variable_params", _, _) => Some(0),
            ("_raw_params", RawParams::Template, Some(text)) if Templar::is_template(text) => {
                Some(1)
            }
            ("_raw_params", RawParams::Template, Some(_)) => {
                return Err(TaskFault::new(
                    job.task,
                    None,
                    &format!("Action '{fqcn}' does not support raw params."),
                    Some(job.task.module_key.span),
                )
                // Raised while the task is validated, before any action plugin: Ansible's
                // result then has `changed` whatever the action.
                .unchanged());
            }
            _ => None,
        };
        if let Some(order) = layer {
            layers.push((order, v));
            continue;
        }
        if let Some(kind) = expression_arg(fqcn, &key) {
            if let Some(value) = expression(shared, job, vars, kind, v)? {
                out.insert(key, value);
                continue;
            }
        }
        match render_node(&shared.templar, v, vars, &job.origin) {
            Ok(value) => {
                if !is_omit(&value, &shared.omit) {
                    out.insert(key, strip_omit(value, &shared.omit));
                }
            }
            // Raised from another error: the cause is its own section. One with no place of its
            // own (a lookup's `from e`) leaves the message without a full stop.
            Err(TemplateError::Caused(c)) => {
                let (what, span) = finalization();
                let stop = if c.origin.is_some() { "." } else { "" };
                return Err(TaskFault::new(
                    job.task,
                    Some((&what, span)),
                    &format!(
                        "Error while resolving value for '{key}': {}{stop}",
                        c.context
                    ),
                    c.span.or(Some(v.span)),
                )
                .caused_by(&c.cause, c.origin));
            }
            Err(e) => {
                let (what, span) = finalization();
                return Err(TaskFault::new(
                    job.task,
                    Some((&what, span)),
                    &format!(
                        "Error while resolving value for '{key}': {}",
                        e.ansible_message()
                    ),
                    e.span().or(Some(v.span)),
                ));
            }
        }
    }
    layers.sort_by_key(|(order, _)| std::cmp::Reverse(*order));
    // `module_defaults` lie under every layer the task writes.
    let defaults = super::module_defaults::for_task(job);
    for node in layers.into_iter().map(|(_, n)| n).chain(defaults) {
        let (what, span) = finalization();
        let value = render_node(&shared.templar, node, vars, &job.origin).map_err(|e| {
            TaskFault::new(
                job.task,
                Some((&what, span)),
                &e.ansible_message(),
                e.span().or(Some(node.span)),
            )
        })?;
        let Value::Object(map) = value else {
            return Err(TaskFault::new(
                job.task,
                Some((&what, span)),
                &format!(
                    "Task args must resolve to a 'dict' not '{}'.",
                    rsible_modules::py_type(&value)
                ),
                Some(node.span),
            ));
        };
        for (k, v) in map {
            if !is_omit(&v, &shared.omit) {
                out.entry(k).or_insert_with(|| strip_omit(v, &shared.omit));
            }
        }
    }
    Ok(out)
}

/// An argument the action evaluates itself: refused when untrusted (`!unsafe`, or a template
/// that builds the expression), else the value the action gets; `None` to render it as any
/// other argument.
fn expression(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &rsible_template::Vars,
    kind: ExpressionArg,
    v: &Node,
) -> Result<Option<Value>, TaskFault> {
    let untrusted = |node: &Node| TemplateError::Untrusted {
        span: Some(node.span),
    };
    match (kind, &v.kind) {
        (ExpressionArg::DebugVar, NodeKind::Str(_)) if v.untrusted => {
            let e = untrusted(v);
            Err(TaskFault::new(
                job.task,
                Some(("Error while resolving `var` expression", Some(v.span))),
                &e.ansible_message(),
                e.span(),
            )
            .apart()
            .with_help(&e))
        }
        (ExpressionArg::Conditions, NodeKind::Str(_)) if v.untrusted => {
            Err(TaskFault::template(job.task, &untrusted(v)).unchanged())
        }
        (ExpressionArg::Conditions, NodeKind::Str(text)) => {
            match shared
                .templar
                .conditions_list(text, vars, &origin_for(v, &job.origin))
            {
                Ok(Some(list)) => Ok(Some(list)),
                Ok(None) => Ok(Some(Value::String(text.clone()))),
                Err(e) => Err(TaskFault::template(job.task, &e).unchanged()),
            }
        }
        (ExpressionArg::Conditions, NodeKind::Seq(items)) => {
            match items.iter().find(|i| i.untrusted) {
                Some(item) => Err(TaskFault::template(job.task, &untrusted(item)).unchanged()),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

fn is_omit(v: &Value, omit: &str) -> bool {
    v.as_str() == Some(omit)
}

/// `omit` inside lists and maps drops the entry, as in Ansible.
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

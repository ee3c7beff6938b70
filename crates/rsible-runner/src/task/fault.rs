//! Failures that come from an error rather than from a module's verdict, and the error chains
//! Ansible 2.19 prints for them as an `[ERROR]:` block (outer error first, each cause after).

use rsible_modules::{ArgsError, Facts, InventoryChange, ResultMap};
use rsible_parser::{Node, Task};
use rsible_source::Span;
use rsible_template::{TemplateError, Value};

use crate::keyword_number::NotANumber;
use crate::outcome::failed_result;
use crate::template_node::{python_str, truthy};
use crate::ErrorLink;

/// What one pass of a task (one loop item, or the task without a loop) comes to: the result,
/// the chain to show when it failed because of an error, and what the module gave besides
/// its result.
pub(crate) struct ItemResult {
    pub result: ResultMap,
    pub chain: Option<Vec<ErrorLink>>,
    pub facts: Option<Facts>,
    /// What `add_host`/`group_by` change in the inventory, with the loop item's index.
    pub inventory: Vec<(Option<usize>, InventoryChange)>,
    /// The module's refusal of the task's arguments, for diagnostics at the keys.
    pub refused: Option<ArgsError>,
    /// Under `delegate_facts`: the facts of each pass, for the host it was delegated to.
    pub delegated_facts: Vec<(String, Facts)>,
}

impl From<(ResultMap, Option<Vec<ErrorLink>>)> for ItemResult {
    /// A result that did not come from a module (skipped, failed before the call).
    fn from((result, chain): (ResultMap, Option<Vec<ErrorLink>>)) -> Self {
        Self {
            result,
            chain,
            facts: None,
            inventory: Vec::new(),
            refused: None,
            delegated_facts: Vec::new(),
        }
    }
}

/// A failure caused by an error rather than the module: the result, plus the chain shown in
/// Ansible 2.19's `[ERROR]:` block.
pub(crate) struct TaskFault {
    pub result: ResultMap,
    pub chain: Vec<ErrorLink>,
}

impl TaskFault {
    /// A failure raised while preparing or judging the task, as Ansible 2.19 chains it:
    /// `Task failed.` at the task, then `what` (at `what_span`), then the cause at its value.
    pub(crate) fn new(
        task: &Task,
        what: Option<(&str, Option<Span>)>,
        cause: &str,
        cause_span: Option<Span>,
    ) -> Self {
        let mut chain = vec![link("Task failed.", Some(task.span))];
        if let Some((what, span)) = what {
            chain.push(link(&format!("{what}."), span));
        }
        chain.push(link(cause, cause_span));
        Self {
            result: failed_result(join_chain(&chain)),
            chain,
        }
    }

    /// A template error met while preparing the task, at the template's position.
    pub(crate) fn template(task: &Task, e: &TemplateError) -> Self {
        if let TemplateError::Caused(c) = e {
            return Self::new(task, Some((&c.context, c.span)), &c.cause, c.origin);
        }
        Self::new(task, None, &e.ansible_message(), e.span()).with_help(e)
    }

    /// One more cause at the end of the chain, always its own section (Ansible's
    /// `<<< caused by >>>`), at `span` when it has a place.
    #[must_use]
    pub(crate) fn caused_by(mut self, cause: &str, span: Option<Span>) -> Self {
        self.chain.push(ErrorLink {
            keep_apart: span.is_none(),
            ..link(cause, span)
        });
        self.result = failed_result(join_chain(&self.chain));
        self
    }

    /// The error's help text (an untrusted template's) after the chain, as Ansible prints it.
    #[must_use]
    pub(crate) fn with_help(mut self, e: &TemplateError) -> Self {
        if let Some(last) = self.chain.last_mut() {
            last.help = e.help().map(str::to_owned);
        }
        self
    }

    /// Modules that run on the target report `changed: false` even when they never ran.
    #[must_use]
    pub(crate) fn unchanged(mut self) -> Self {
        self.result.insert("changed".into(), Value::Bool(false));
        self
    }

    /// Ansible keeps the last cause apart: it has a cause of its own.
    #[must_use]
    pub(crate) fn apart(mut self) -> Self {
        if let Some(last) = self.chain.last_mut() {
            last.keep_apart = true;
        }
        self
    }

    /// The same failure raised before the task itself ran (loop control), which Ansible does
    /// not chain under "Task failed.".
    #[must_use]
    pub(crate) fn outside_task(mut self) -> Self {
        if self.chain.len() > 1 {
            self.chain.remove(0);
            self.result = failed_result(join_chain(&self.chain));
        }
        self
    }

    pub(crate) fn into_item(self) -> ItemResult {
        (self.result, Some(self.chain)).into()
    }
}

fn link(message: &str, origin: Option<Span>) -> ErrorLink {
    ErrorLink {
        message: message.to_owned(),
        origin,
        keep_apart: false,
        help: None,
    }
}

/// Joins chain messages as Ansible does for `msg`: outer parts lose their final `.` and are
/// followed by `: `.
fn join_chain(chain: &[ErrorLink]) -> String {
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

/// The `[ERROR]:` chain of a failure the action raised: `Task failed: <msg>`, then the error
/// it was raised from, if any.
pub(crate) fn raised_chain(
    task: &Task,
    result: &ResultMap,
    cause: Option<&str>,
) -> Option<Vec<ErrorLink>> {
    if !result.get("failed").is_some_and(truthy) {
        return None;
    }
    let msg = result.get("msg").map(python_str).unwrap_or_default();
    let mut chain = vec![link("Task failed.", Some(task.span))];
    match cause.filter(|c| !c.is_empty()) {
        // The error it was raised from is its own `<<< caused by >>>` section (the action
        // re-raised it with the same text, which Ansible then shows once).
        Some(cause) => {
            // (An `AnsibleError` rather than an `AnsibleActionFail`: its result's `msg` reads
            // `Task failed: <cause>`.)
            if msg != cause && msg.strip_prefix("Task failed: ") != Some(cause) {
                chain.push(link(&msg, None));
            }
            chain.push(ErrorLink {
                keep_apart: true,
                ..link(cause, None)
            });
        }
        None => chain.push(link(&msg, None)),
    }
    Some(chain)
}

/// The `[ERROR]:` chain Ansible 2.19 shows for a failed result: `Module failed` for modules that
/// ran on the target, `Action failed` for controller-side actions and `failed_when` verdicts.
pub(crate) fn failure_chain(
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
    let mut chain = vec![link("Task failed.", Some(task.span)), link(kind, None)];
    match result.get("msg").map(python_str).filter(|m| !m.is_empty()) {
        Some(msg) => chain.push(link(&msg, None)),
        // A failed result without `msg` (include_vars puts its reason under `message`); a
        // module that raised (its exception is the cause) has none either.
        None if !result.contains_key("msg") && cause.is_none() => {
            chain.push(link("Unknown error.", None));
        }
        None => {}
    }
    // The exception a module chained to its failure (`fail_json(…, exception=…)`).
    if let Some(cause) = cause.filter(|c| !c.is_empty()) {
        chain.push(link(cause, None));
    }
    Some(chain)
}

/// A failed result without `msg` gets the whole chain as its `msg`, as Ansible shows it.
pub(crate) fn fill_missing_msg(result: &mut ResultMap, chain: Option<&[ErrorLink]>) {
    if let Some(chain) = chain {
        if !result.contains_key("msg") {
            result.insert("msg".into(), Value::from(join_chain(chain)));
        }
    }
}

/// An UNREACHABLE result and its chain.
pub(crate) fn unreachable(task: &Task, msg: &str) -> ItemResult {
    let mut r = ResultMap::new();
    r.insert("changed".into(), Value::Bool(false));
    r.insert("msg".into(), Value::from(format!("Task failed: {msg}")));
    r.insert("unreachable".into(), Value::Bool(true));
    // The implicit `Gathering Facts` task (its module key is the play itself) was written
    // nowhere: Ansible's report has no origin then.
    let implicit = task.module == super::GATHER_FACTS && task.module_key.span == task.span;
    let origin = (!implicit).then_some(task.span);
    let chain = vec![link("Task failed.", origin), link(msg, None)];
    (r, Some(chain)).into()
}

/// A keyword whose value could not be used, reported as ansible-core reports it (named as it
/// names the attribute, `async_val` for `async`).
pub(crate) enum KeywordError {
    /// The value did not template: `Error processing keyword 'x': <cause>` at the value.
    Template {
        keyword: &'static str,
        span: Span,
        error: TemplateError,
    },
    /// `environment` did not template: its own validation says so in three parts.
    Environment(TemplateError),
    /// The value is not a number of the keyword's type.
    Number {
        keyword: &'static str,
        span: Span,
        error: NotANumber,
    },
}

impl KeywordError {
    /// The task's failure; `changed: false`, as for any task that failed before it ran.
    pub(crate) fn fault(self, task: &Task) -> TaskFault {
        let f = match self {
            Self::Template {
                keyword,
                span,
                error,
            } => TaskFault::new(
                task,
                None,
                &format!(
                    "Error processing keyword '{keyword}': {}",
                    error.ansible_message()
                ),
                Some(span),
            ),
            Self::Environment(error) => {
                let mut f = TaskFault::new(
                    task,
                    Some(("Error processing keyword 'environment'", None)),
                    &error.ansible_message(),
                    error.span(),
                );
                // Its own section, though Ansible can say no more of where it is than the
                // value (`Origin: <unknown>`, which the chain has no way to carry).
                for link in f.chain.iter_mut().skip(1) {
                    link.keep_apart = true;
                }
                f
            }
            Self::Number {
                keyword,
                span,
                error,
            } => TaskFault::new(
                task,
                Some((&format!("Error processing keyword '{keyword}'"), Some(span))),
                &error.to_string(),
                Some(span),
            )
            .apart(),
        };
        f.unchanged()
    }
}

/// A failed `when:`/`until:` expression, at the condition.
pub(crate) fn conditional_fault(task: &Task, e: &TemplateError, cond: &Node) -> TaskFault {
    // Ansible renders the condition as an expression; the vault's error is its cause.
    if let TemplateError::Caused(c) = e {
        return TaskFault::new(
            task,
            Some(("Error rendering expression", c.span.or(Some(cond.span)))),
            &c.cause,
            c.origin,
        );
    }
    TaskFault::new(
        task,
        None,
        &conditional_message(e),
        conditional_span(e, cond),
    )
    .with_help(e)
}

/// Where a condition's error points: a syntax error at the expression's start, as Ansible.
fn conditional_span(e: &TemplateError, cond: &Node) -> Option<Span> {
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
    // A non-string condition is reported bare (Ansible's `_validate_conditional`), and so is
    // a refused untrusted one (raised before any evaluation).
    if matches!(e, TemplateError::Untrusted { .. })
        || m.starts_with("Error while evaluating conditional")
        || m == "Conditional expressions must be strings."
    {
        m
    } else {
        format!("Error while evaluating conditional: {m}")
    }
}

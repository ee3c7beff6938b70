//! Loops: the items of `loop:`/`with_<lookup>:`, the variables each item adds
//! (`loop_control`), and the aggregate result Ansible builds from the item results.

use std::sync::mpsc::Sender;

use rsible_modules::{Facts, ResultMap};
use rsible_parser::{LoopKind, Node, Task};
use rsible_template::{TemplateError, Value, Vars};

use super::attempt::run_item;
use super::fault::{ItemResult, TaskFault};
use super::module_call::merge_facts;
use super::normalise::mark_item_exception;
use super::pool::Event;
use super::resolve::{loop_pause, HostKeywords};
use super::HostJob;
use crate::keyword_number::sleep_float;
use crate::outcome::{HostOutcome, Status};
use crate::shared::Shared;
use crate::template_node::{origin_for, python_str, render_node, truthy};

/// `loop_control` as the items need it.
struct Control<'a> {
    loop_var: &'a str,
    index_var: Option<&'a str>,
    extended: bool,
}

impl<'a> Control<'a> {
    fn of(job: &HostJob<'a>) -> Self {
        let control = job.task.keywords.loop_control.as_ref();
        Self {
            loop_var: &job.info.loop_var,
            index_var: control
                .and_then(|c| c.get("index_var"))
                .and_then(Node::as_str),
            extended: control
                .and_then(|c| c.get("extended"))
                .is_some_and(|n| truthy(&n.to_value())),
        }
    }

    /// The variables one item adds, into `vars` (the item's variables, or with `result` its
    /// result, which also names the index variable).
    fn add(&self, vars: &mut ResultMap, items: &[Value], index: usize, result: bool) {
        vars.insert(self.loop_var.to_owned(), items[index].clone());
        vars.insert("ansible_loop_var".into(), Value::from(self.loop_var));
        if let Some(iv) = self.index_var {
            vars.insert(iv.to_owned(), Value::from(index));
            if result {
                vars.insert("ansible_index_var".into(), Value::from(iv));
            }
        }
        if self.extended {
            vars.insert("ansible_loop".into(), loop_info(items, index));
        }
    }
}

/// Runs the task once per item, reporting each item, and aggregates their results; with the
/// facts the items set, in order, as Ansible applies each item's. `Err` when the items cannot
/// be had.
pub(super) fn run_loop(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    keywords: &HostKeywords,
    kind: &LoopKind,
    node: &Node,
    tx: &Sender<Event>,
) -> Result<ItemResult, TaskFault> {
    let items = match loop_items(shared, job, kind, node) {
        Ok(items) => items,
        // Ansible keeps an undefined variable of the loop until `when` has been evaluated
        // without an item: a false `when` skips the task (`loop: "{{ x }}"` + `when: x is
        // defined`); otherwise the loop's error stands, before the condition's.
        Err((fault, true)) => {
            return match super::attempt::check_when(shared, job, &job.vars) {
                Some(skip) if skip.result.get("skipped") == Some(&Value::Bool(true)) => Ok(skip),
                _ => Err(fault),
            }
        }
        Err((fault, false)) => return Err(fault),
    };
    let pause = loop_pause(shared, job).map_err(|e| e.fault(job.task).outside_task())?;
    let control = Control::of(job);
    let mut results = Vec::with_capacity(items.len());
    let mut facts: Option<Facts> = None;
    let mut inventory = Vec::new();
    let mut delegated_facts = Vec::new();
    let mut summary = Summary {
        count: items.len(),
        changed: false,
        failed: false,
        unreachable: false,
        all_skipped: !items.is_empty(),
    };
    for index in 0..items.len() {
        if index > 0 {
            sleep_float(pause)
                .map_err(|msg| TaskFault::new(job.task, None, &msg, None).unchanged())?;
        }
        let mut vars = job.vars.clone();
        // Facts earlier items set are variables of the later ones, as Ansible updates the
        // task's variables after each item; extra vars still win over them.
        if let Some(Facts::Vars(learned) | Facts::Host(learned) | Facts::Included(learned)) = &facts
        {
            let below_extra = learned
                .iter()
                .filter(|(k, _)| !shared.extra_vars.contains_key(*k));
            vars.extend(below_extra.map(|(k, v)| (k.clone(), v.clone())));
        }
        control.add(&mut vars, &items, index, false);
        let pass = run_item(shared, job, keywords, &vars, tx);
        let mut r = pass.item.result;
        merge_facts(&mut facts, pass.item.facts);
        delegated_facts.extend(pass.item.delegated_facts);
        inventory.extend(
            pass.item
                .inventory
                .into_iter()
                .map(|(_, c)| (Some(index), c)),
        );
        mark_item_exception(&mut r);
        // Ansible's loop gives every item result a `changed`, even one that failed early.
        r.entry("changed").or_insert(Value::Bool(false));
        control.add(&mut r, &items, index, true);
        if let Some(label) = loop_label(shared, job, &vars) {
            r.insert("_ansible_item_label".into(), label);
        }
        let st = HostOutcome::status_of(&r);
        summary.changed |= r.get("changed").is_some_and(truthy);
        summary.failed |= st == Status::Failed;
        // An unreachable item does not end the loop: the next may reach its host.
        summary.unreachable |= st == Status::Unreachable;
        summary.all_skipped &= st == Status::Skipped;
        let _ = tx.send(Event::Item {
            host: job.host.clone(),
            delegated_to: pass.delegate,
            result: r.clone(),
            ignore_errors: keywords.ignore_errors,
            error: pass.item.chain,
        });
        results.push(Value::Object(r));
    }
    Ok(ItemResult {
        facts,
        inventory,
        delegated_facts,
        ..(summary.aggregate(results), None).into()
    })
}

/// What the items came to.
struct Summary {
    count: usize,
    changed: bool,
    failed: bool,
    unreachable: bool,
    all_skipped: bool,
}

impl Summary {
    /// The task's result from its items' (Ansible's `_run_loop` and the strategy's summary).
    fn aggregate(&self, results: Vec<Value>) -> ResultMap {
        let mut agg = ResultMap::new();
        if self.count == 0 {
            agg.insert("changed".into(), Value::Bool(false));
            agg.insert("skipped".into(), Value::Bool(true));
            agg.insert("skipped_reason".into(), Value::from("No items in the list"));
            agg.insert("results".into(), Value::Array(Vec::new()));
            return agg;
        }
        agg.insert("changed".into(), Value::Bool(self.changed));
        if self.failed {
            agg.insert("failed".into(), Value::Bool(true));
            agg.insert("msg".into(), Value::from("One or more items failed"));
        } else if self.all_skipped {
            agg.insert("msg".into(), Value::from("All items skipped"));
        } else {
            agg.insert("msg".into(), Value::from("All items completed"));
        }
        if self.unreachable {
            agg.insert("unreachable".into(), Value::Bool(true));
        }
        agg.insert("results".into(), Value::Array(results));
        agg.insert("skipped".into(), Value::Bool(self.all_skipped));
        agg
    }
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

/// The list a `loop:`/`with_*:` runs over.
fn loop_items(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    kind: &LoopKind,
    node: &Node,
) -> Result<Vec<Value>, (TaskFault, bool)> {
    let value = render_node(&shared.templar, node, &job.vars, &job.origin).map_err(|e| {
        let undefined = matches!(e, TemplateError::Undefined { .. });
        (loop_fault(job.task, &e), undefined)
    })?;
    match kind {
        LoopKind::Loop => match value {
            Value::Array(items) => Ok(items),
            other => Err((TaskFault::new(
                job.task,
                None,
                &format!(
                    "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
                    python_str(&other)
                ),
                Some(node.span),
            ), false)),
        },
        LoopKind::With(name) => {
            let terms = match value {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                other => vec![other],
            };
            shared
                .templar
                .run_loop_lookup(
                    name,
                    &terms,
                    &job.vars,
                    &origin_for(node, &job.origin),
                    &job.task.module_key.key_string(),
                )
                .map_err(|e| {
                    let undefined = matches!(e, TemplateError::Undefined { .. });
                    (loop_fault(job.task, &e), undefined)
                })
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

/// The variables an item's result brings back for conditions judged after the loop (Ansible's
/// `_get_item_vars`): the loop variable, the index variable, `ansible_loop`.
pub(crate) fn item_vars_of(item: &ResultMap, default_loop_var: &str) -> Vars {
    let mut vars = Vars::new();
    let loop_var = item
        .get("ansible_loop_var")
        .and_then(Value::as_str)
        .unwrap_or(default_loop_var);
    let index_var = item.get("ansible_index_var").and_then(Value::as_str);
    for name in [Some(loop_var), index_var, Some("ansible_loop")]
        .into_iter()
        .flatten()
    {
        if let Some(v) = item.get(name) {
            vars.insert(name.to_owned(), v.clone());
        }
    }
    vars
}

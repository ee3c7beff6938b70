//! What Ansible's task executor does to a module's result before anyone sees it: `failed`
//! from `rc`, the `*_lines` lists, `changed_when`/`failed_when`, and the `exception` every
//! failure carries.

use rsible_modules::ResultMap;
use rsible_parser::{Node, Task};
use rsible_template::{Origin, Templar, TemplateError, Value, Vars};

use crate::template_node::{eval_condition_node, truthy};

/// Ansible's normalisation of a module result (`executor/task_executor.py`).
pub(super) fn normalise(r: &mut ResultMap) {
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

/// Ansible 2.19 gives every failed result an `exception` (shown only at -vvv; registered).
pub(super) fn mark_exception(r: &mut ResultMap) {
    if r.get("failed").is_some_and(truthy) && !r.get("unreachable").is_some_and(truthy) {
        add_exception(r);
    }
}

/// [`mark_exception`] for a loop item, whose unreachable result carries one too (it is kept
/// in the loop's `results`, where nothing hides it).
pub(super) fn mark_item_exception(r: &mut ResultMap) {
    if r.get("failed").is_some_and(truthy) || r.get("unreachable").is_some_and(truthy) {
        add_exception(r);
    }
}

fn add_exception(r: &mut ResultMap) {
    r.entry("exception")
        .or_insert_with(|| Value::from("(traceback unavailable)"));
}

/// `changed_when` / `failed_when`, with the result visible under the `register` name. As in
/// Ansible, an error in either marks the task failed and is kept in `<cond>_when_result`.
/// The play judges `add_host`/`group_by` results again once their `changed` is known.
pub(crate) fn apply_changed_failed_when(
    templar: &Templar,
    task: &Task,
    origin: &Origin,
    vars: &Vars,
    register: Option<&str>,
    result: &mut ResultMap,
) {
    let kw = &task.keywords;
    if result.contains_key("skipped") || (kw.changed_when.is_empty() && kw.failed_when.is_empty()) {
        return;
    }
    let all = |conds: &[Node], result: &ResultMap| -> Result<bool, TemplateError> {
        let v = with_registered(vars, register, result);
        for c in conds {
            if !eval_condition_node(templar, c, &v, origin)? {
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

/// `vars` with the result under its `register` name, for conditions that judge it.
pub(super) fn with_registered(vars: &Vars, register: Option<&str>, result: &ResultMap) -> Vars {
    let mut v = vars.clone();
    if let Some(name) = register {
        v.insert(name.to_owned(), Value::Object(result.clone()));
    }
    v
}

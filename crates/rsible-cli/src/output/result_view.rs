//! How a result dict is turned into what the callback shows: `TaskResult.as_callback_task_result`
//! (`executor/task_result.py`), `_clean_results` and `_dump_results` (`plugins/callback/__init__.py`).

use rsible_runner::TaskInfo;
pub use rsible_template::py_truthy;
use serde_json::{Map, Value};

use super::python::{json_dumps, py_str};

type ResultMap = Map<String, Value>;

/// Kept when a result is censored for `no_log`.
const PRESERVE: &[&str] = &[
    "attempts",
    "changed",
    "retries",
    "_ansible_no_log",
    "exception",
    "warnings",
    "deprecations",
];
/// Internal keys the callback still needs.
const CLEAN_EXCEPTIONS: &[&str] = &[
    "_ansible_verbose_always",
    "_ansible_item_label",
    "_ansible_no_log",
    "_ansible_verbose_override",
];
/// Removed from a `debug` result shown with `var:`.
const HIDE_IN_DEBUG: &[&str] = &[
    "changed",
    "failed",
    "skipped",
    "invocation",
    "skip_reason",
    "ansible_loop_var",
    "ansible_index_var",
    "ansible_loop",
];
const DEBUG_ALLOWED_KEYS: &[&str] = &["msg", "exception", "warnings", "deprecations"];
const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// `debug` under each name Ansible accepts for it (`C._ACTION_DEBUG`).
pub fn is_debug(module: &str) -> bool {
    matches!(
        module,
        "debug" | "ansible.builtin.debug" | "ansible.legacy.debug"
    )
}

fn is_no_log(task: &TaskInfo, result: &ResultMap) -> bool {
    task.no_log || result.get("_ansible_no_log").is_some_and(py_truthy)
}

fn censor(result: &ResultMap) -> ResultMap {
    let mut out = ResultMap::new();
    for key in PRESERVE {
        if let Some(v) = result.get(*key) {
            out.insert((*key).to_owned(), v.clone());
        }
    }
    out.insert("censored".to_owned(), Value::String(CENSORED.to_owned()));
    out
}

/// The result as callbacks receive it: `failed`/`skipped` dropped (the event says it), internal
/// keys stripped, everything hidden under `no_log`.
pub fn callback_view(task: &TaskInfo, result: &ResultMap) -> ResultMap {
    let view = if is_no_log(task, result) {
        let mut censored = censor(result);
        if let Some(Value::Array(items)) = result.get("results") {
            let items = items
                .iter()
                .map(|item| match item {
                    Value::Object(m) if m.get("_ansible_no_log").is_some_and(py_truthy) => {
                        Value::Object(censor(m))
                    }
                    other => other.clone(),
                })
                .collect();
            censored.insert("results".to_owned(), Value::Array(items));
        }
        censored
    } else {
        let mut view: ResultMap = result
            .iter()
            .filter(|(k, _)| {
                let hidden = matches!(k.as_str(), "failed" | "skipped")
                    || (is_debug(&task.module) && k.as_str() == "invocation");
                !hidden
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        strip_internal_keys(&mut view, CLEAN_EXCEPTIONS);
        view
    };
    view
}

/// Removes `_ansible_*` keys at every depth, except `keep`.
pub fn strip_internal_keys(map: &mut ResultMap, keep: &[&str]) {
    map.retain(|k, _| !k.starts_with("_ansible_") || keep.contains(&k.as_str()));
    for v in map.values_mut() {
        strip_value(v, keep);
    }
}

fn strip_value(v: &mut Value, keep: &[&str]) {
    match v {
        Value::Object(m) => strip_internal_keys(m, keep),
        Value::Array(items) => items.iter_mut().for_each(|i| strip_value(i, keep)),
        _ => {}
    }
}

/// `_clean_results`: a `debug` result shows only its message, or only the variable.
pub fn clean_results(view: &mut ResultMap, module: &str) {
    if !is_debug(module) {
        return;
    }
    if view.contains_key("msg") {
        view.retain(|k, _| DEBUG_ALLOWED_KEYS.contains(&k.as_str()) || k.starts_with('_'));
    } else {
        for k in HIDE_IN_DEBUG {
            view.shift_remove(*k);
        }
    }
}

/// `_run_is_verbose`.
pub fn run_is_verbose(view: &ResultMap, verbosity: u8, above: u8) -> bool {
    let always = view.get("_ansible_verbose_always") == Some(&Value::Bool(true));
    let override_ = view
        .get("_ansible_verbose_override")
        .is_some_and(|v| v != &Value::Bool(false));
    (verbosity > above || always) && !override_
}

/// `_dump_results` with the json result format.
pub fn dump_results(view: &ResultMap, verbosity: u8) -> String {
    let indent =
        (view.get("_ansible_verbose_always").is_some_and(py_truthy) || verbosity > 2).then_some(4);
    let mut abridged = view.clone();
    strip_internal_keys(&mut abridged, &[]);
    if verbosity < 3 {
        abridged.shift_remove("invocation");
        abridged.shift_remove("diff");
    }
    for k in ["exception", "warnings", "deprecations"] {
        abridged.shift_remove(k);
    }
    json_dumps(&Value::Object(abridged), indent)
}

/// `_get_item_label`: censored under `no_log`, else `_ansible_item_label`, else `item`.
pub fn get_item_label(task: &TaskInfo, view: &ResultMap, item: Option<&Value>) -> String {
    if view.get("_ansible_no_log").is_some_and(py_truthy) || task.no_log {
        return "(censored due to no_log)".to_owned();
    }
    view.get("_ansible_item_label")
        .or_else(|| view.get("item"))
        .or(item)
        .map_or_else(|| "None".to_owned(), py_str)
}

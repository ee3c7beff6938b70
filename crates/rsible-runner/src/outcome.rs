use rsible_modules::{InventoryChange, ResultMap};
use rsible_template::{Value, Vars};

use crate::ErrorLink;

/// How one host came out of one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
    Unreachable,
}

/// One host's result of one task, handed from a worker to the main thread.
#[derive(Debug)]
pub(crate) struct HostOutcome {
    pub host: String,
    pub delegated_to: Option<String>,
    pub result: ResultMap,
    pub status: Status,
    pub ignore_errors: bool,
    /// `ignore_unreachable`: an unreachable result is counted `ok` and `ignored`, and the host
    /// stays in the play.
    pub ignore_unreachable: bool,
    pub error: Option<Vec<ErrorLink>>,
    /// `register:` name.
    pub register: Option<String>,
    /// Facts gathered (setup) to merge into the host's facts.
    pub facts: Option<Vars>,
    /// `set_fact` values.
    pub set_facts: Option<Vars>,
    /// `include_vars` values.
    pub included_vars: Option<Vars>,
    /// Under `delegate_facts`: facts for the hosts the task was delegated to.
    pub delegated_facts: Vec<(String, rsible_modules::Facts)>,
    /// What `add_host`/`group_by` change in the inventory, with the loop item's index: the
    /// play applies them before the outcome is shown.
    pub inventory: Vec<(Option<usize>, InventoryChange)>,
    /// rsible's own pointers for the user (stderr), e.g. where an unsupported parameter is.
    pub diagnostics: Vec<rsible_source::Diagnostic>,
}

impl HostOutcome {
    pub(crate) fn status_of(result: &ResultMap) -> Status {
        let flag = |k: &str| result.get(k).is_some_and(crate::template_node::truthy);
        if flag("unreachable") {
            Status::Unreachable
        } else if flag("failed") {
            Status::Failed
        } else if flag("skipped") {
            Status::Skipped
        } else if flag("changed") {
            Status::Changed
        } else {
            Status::Ok
        }
    }
}

/// A result dict with just `msg` and `failed`.
pub(crate) fn failed_result(msg: impl Into<String>) -> ResultMap {
    let mut r = ResultMap::new();
    r.insert("failed".into(), Value::Bool(true));
    r.insert("msg".into(), Value::String(msg.into()));
    r
}

//! Everything the runner knows about particular modules, in one place: which action names
//! exist, how Ansible names a module, which ones run on the controller or support `async`,
//! how facts come back, and how an unsupported-parameter failure is pointed at. The rest of
//! the runner asks these functions and never looks at a module's name, so a `Module` trait
//! that describes itself replaces this file's bodies and nothing else.

use rsible_modules::{Module, ModuleContext, ModuleError, ResultMap};
use rsible_parser::Task;
use rsible_source::Diagnostic;
use rsible_template::{Value, Vars};

use crate::template_node::python_str;

/// The dynamic include the runner handles itself.
pub(crate) const INCLUDE_TASKS: &str = "include_tasks";

/// `meta:` tasks, run by the runner itself.
pub(crate) const META: &str = "meta";

/// The module of the implicit `Gathering Facts` task.
pub(crate) const GATHER_FACTS: &str = "setup";

/// The result key that marks `set_fact`'s facts apart from gathered ones until the runner
/// stores them.
const SET_FACT_MARK: &str = "_rsible_set_fact";

/// An item result with this key is shown but left out of the loop's `results`.
const HIDE_MARK: &str = "_rsible_hide";

/// Every action a task may name: the modules, plus what the runner runs itself.
pub(crate) fn action_names() -> Vec<String> {
    let mut names = rsible_modules::module_names();
    names.push(INCLUDE_TASKS.to_owned());
    names.push(META.to_owned());
    names
}

pub(crate) fn find(name: &str) -> Option<&'static dyn Module> {
    rsible_modules::find_module(name)
}

/// The name Ansible resolves a module to, for its messages.
pub(crate) fn fqcn(m: &dyn Module) -> String {
    fqcn_of(m.name())
}

/// The fully qualified name of an action the runner runs itself (`include_tasks`).
pub(crate) fn builtin_fqcn(action: &str) -> String {
    format!("ansible.builtin.{action}")
}

fn fqcn_of(name: &str) -> String {
    match name {
        "synchronize" | "authorized_key" => format!("ansible.posix.{name}"),
        "modprobe" => format!("community.general.{name}"),
        _ => builtin_fqcn(name),
    }
}

/// Actions that never touch the target (`debug`, `set_fact`, `assert`, `fail`): an unusable
/// `become_method` does not fail them.
pub(crate) fn runs_on_controller(m: &dyn Module) -> bool {
    m.controller_only()
}

/// Failures these report read "Action failed" in Ansible 2.19 rather than "Module failed":
/// their action plugin gives the verdict itself, not a module on the target. They also keep
/// `changed` out of a failure to template their arguments.
pub(crate) fn reports_as_action(m: &dyn Module) -> bool {
    m.controller_only() || m.name() == "wait_for_connection"
}

/// Whether `async:` may be used with the module (Ansible's action plugins that refuse it).
pub(crate) fn supports_async(m: &dyn Module) -> bool {
    !(reports_as_action(m) || matches!(m.name(), "copy" | "template" | "wait_for_connection"))
}

/// Whether the task may read `hostvars` without naming it in the playbook (a template file).
pub(crate) fn may_read_hostvars(task: &Task) -> bool {
    task.module == "template"
}

/// Runs the module once. Facts it sets are marked in the result until [`take_facts`].
pub(crate) fn call(
    m: &dyn Module,
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
) -> Result<ResultMap, ModuleError> {
    let mut result = m.run(ctx, args)?;
    mark_set_fact(m, &mut result);
    Ok(result)
}

/// Starts the module as an async job (see [`rsible_modules::start_async`]).
pub(crate) fn start_async(
    m: &dyn Module,
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
    secs: u64,
) -> Result<ResultMap, ModuleError> {
    rsible_modules::start_async(m, ctx, args, secs)
}

pub(crate) fn poll_async(ctx: &ModuleContext<'_>, jid: &str) -> Result<ResultMap, ModuleError> {
    rsible_modules::poll_async(ctx, jid)
}

pub(crate) fn cleanup_async(ctx: &ModuleContext<'_>, jid: &str) {
    // Only leftovers in the target's temp directory are at stake.
    let _ = rsible_modules::cleanup_async(ctx, jid);
}

fn mark_set_fact(m: &dyn Module, result: &mut ResultMap) {
    if m.name() == "set_fact" {
        result.insert(SET_FACT_MARK.into(), Value::Bool(true));
    }
}

/// Facts a result carries, by kind, taken out of the marks [`call`] left.
#[derive(Default)]
pub(crate) struct Facts {
    /// Gathered (`setup`): stored as the host's facts.
    pub gathered: Option<Vars>,
    /// `set_fact`: stored with registered values.
    pub set: Option<Vars>,
}

impl Facts {
    /// Adds `later`'s facts over these (a loop's items, in order).
    pub(crate) fn merge(&mut self, later: Self) {
        for (mine, theirs) in [
            (&mut self.gathered, later.gathered),
            (&mut self.set, later.set),
        ] {
            if let Some(theirs) = theirs {
                mine.get_or_insert_with(Vars::new).extend(theirs);
            }
        }
    }
}

pub(crate) fn take_facts(result: &mut ResultMap) -> Facts {
    let mut facts = Facts::default();
    if let Some(found) = result.get("ansible_facts").and_then(Value::as_object) {
        if result.contains_key(SET_FACT_MARK) {
            facts.set = Some(found.clone());
        } else {
            facts.gathered = Some(found.clone());
        }
    }
    result.remove(SET_FACT_MARK);
    facts
}

/// Whether an item result stays out of its loop's `results`.
pub(crate) fn hidden_item(result: &ResultMap) -> bool {
    result.contains_key(HIDE_MARK)
}

/// Keys a registered result does not keep: Ansible's internal ones, and rsible's marks.
pub(crate) fn internal_key(key: &str) -> bool {
    key.starts_with("_ansible") || key.starts_with("_rsible") || key == "invocation"
}

/// For Ansible's "Unsupported parameters for (…) module: a, b." failure, a pointer at each
/// offending key in the task, with the closest supported name as a hint.
pub(crate) fn unsupported_params(task: &Task, result: &ResultMap) -> Vec<Diagnostic> {
    let Some((names, supported)) = result
        .get("msg")
        .and_then(Value::as_str)
        .and_then(split_unsupported)
    else {
        return Vec::new();
    };
    let Some(pairs) = task.args.as_map() else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|name| {
            let (key, _) = pairs.iter().find(|(k, _)| k.as_str() == Some(name))?;
            let mut d = Diagnostic::error(format!(
                "`{name}` is not a parameter of the `{}` module",
                task.module
            ))
            .with_span(Some(key.span));
            if let Some(best) = supported
                .iter()
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

/// (the unsupported names, the supported ones) from the module's message.
fn split_unsupported(msg: &str) -> Option<(Vec<&str>, Vec<&str>)> {
    let rest = msg.strip_prefix("Unsupported parameters for (")?;
    let (_, rest) = rest.split_once(") module: ")?;
    let (names, supported) = rest
        .split_once(". Supported parameters include: ")
        .unwrap_or((rest, ""));
    let supported = supported
        .trim_end_matches('.')
        .split(", ")
        .map(|s| s.split(" (").next().unwrap_or(s))
        .collect();
    Some((names.trim_end_matches('.').split(", ").collect(), supported))
}

/// The text an `include_tasks` names its file with.
pub(crate) fn include_file(args: &serde_json::Map<String, Value>) -> String {
    args.get("file")
        .or_else(|| args.get("_raw_params"))
        .map(python_str)
        .unwrap_or_default()
}

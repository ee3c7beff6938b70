//! Where the runner meets modules: which action names exist, what a module's `ModuleInfo`
//! means for the runner (its name in messages, controller or target, async), the call and its
//! typed output (facts, refused arguments), and how a refusal is pointed at in the task. The
//! runner never looks at a module's name.

use rsible_modules::{
    ArgsError, Facts, Kind, Module, ModuleContext, ModuleError, ModuleOutput, ResultMap,
};
use rsible_parser::Task;
use rsible_source::Diagnostic;
use rsible_template::{Value, Vars};

use super::args::RawParams;
use crate::template_node::python_str;

/// The dynamic include the runner handles itself.
pub(crate) const INCLUDE_TASKS: &str = "include_tasks";

/// The dynamic role include the runner handles itself.
pub(crate) const INCLUDE_ROLE: &str = "include_role";

/// `meta:` tasks, run by the runner itself.
pub(crate) const META: &str = "meta";

/// The module of the implicit `Gathering Facts` task.
pub(crate) const GATHER_FACTS: &str = "setup";

/// Every action a task may name: the modules, plus what the runner runs itself.
pub(crate) fn action_names() -> Vec<String> {
    let mut names = rsible_modules::module_names();
    names.push(INCLUDE_TASKS.to_owned());
    names.push(INCLUDE_ROLE.to_owned());
    names.push(META.to_owned());
    names
}

pub(crate) fn find(name: &str) -> Option<&'static dyn Module> {
    rsible_modules::find_module(name)
}

/// Modules a playbook's tasks name that Ansible knows and rsible does not implement, each once,
/// sorted (for `--syntax-check`'s warning).
pub fn unimplemented_modules(playbook: &rsible_parser::Playbook) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    for play in &playbook.plays {
        let role_tasks = play.roles.iter().flat_map(|r| r.tasks.iter());
        let tasks = play
            .pre_tasks
            .iter()
            .chain(&play.tasks)
            .chain(&play.post_tasks)
            .chain(&play.handlers)
            .chain(role_tasks);
        for task in tasks {
            if ![INCLUDE_TASKS, INCLUDE_ROLE, META].contains(&task.module.as_str())
                && find(&task.module).is_none()
            {
                names.insert(task.module_key.key_string());
            }
        }
    }
    names.into_iter().collect()
}

/// Why a task whose module parsed cannot run: Ansible knows the module, rsible does not have
/// it (yet).
pub(crate) fn unimplemented(task: &Task) -> String {
    let written = task.module_key.key_string();
    match rsible_modules::resolve_module_name(&written) {
        Some(fqcn) if fqcn != written => {
            format!("The module '{written}' ({fqcn}) is not implemented by rsible yet.")
        }
        Some(_) => format!("The module '{written}' is not implemented by rsible yet."),
        // Parsed, yet Ansible would not resolve it by name: a module of a `library/` directory.
        None => format!(
            "The module '{written}' comes from a library/ directory: rsible does not run custom \
             (Python) modules, since it runs no Python on the targets."
        ),
    }
}

/// The name Ansible resolves a module to, for its messages.
pub(crate) fn fqcn(m: &dyn Module) -> String {
    m.info().id.fqcn()
}

/// The fully qualified name of an action the runner runs itself (`include_tasks`).
pub(crate) fn builtin_fqcn(action: &str) -> String {
    format!("ansible.builtin.{action}")
}

/// Actions that never touch the target (`debug`, `set_fact`, `assert`, `fail`): an unusable
/// `become_method` does not fail them.
pub(crate) fn runs_on_controller(m: &dyn Module) -> bool {
    m.info().kind == Kind::Controller
}

/// Failures these report read "Action failed" in Ansible 2.19 rather than "Module failed":
/// their action plugin gives the verdict itself, not a module on the target. They also keep
/// `changed` out of a failure to template their arguments.
pub(crate) fn reports_as_action(m: &dyn Module) -> bool {
    m.info().kind != Kind::Remote
}

/// Whether `async:` may be used with the module (Ansible's action plugins that refuse it).
pub(crate) fn supports_async(m: &dyn Module) -> bool {
    m.info().supports_async
}

/// What the text of `module: text` is to the module: free-form modules take it as an
/// argument; for the others a template there stands for all the arguments.
pub(crate) fn raw_params(m: &dyn Module) -> RawParams {
    if m.info().free_form {
        RawParams::Argument
    } else {
        RawParams::Template
    }
}

/// An argument the action evaluates as an expression itself: Ansible hands it over unrendered
/// (the actions' `finalize_task_arg`), so its trust is checked here.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpressionArg {
    /// `debug`'s `var`, resolved inside the action.
    DebugVar,
    /// `assert`'s `that`, resolved while the arguments are finalized.
    Conditions,
}

pub(crate) fn expression_arg(fqcn: &str, key: &str) -> Option<ExpressionArg> {
    match (fqcn, key) {
        ("ansible.builtin.debug", "var") => Some(ExpressionArg::DebugVar),
        ("ansible.builtin.assert", "that") => Some(ExpressionArg::Conditions),
        _ => None,
    }
}

/// Whether the task's module runs once per play, on its first host (`add_host`: Ansible's
/// `BYPASS_HOST_LOOP`).
pub(crate) fn bypasses_host_loop(task: &Task) -> bool {
    find(&task.module).is_some_and(|m| m.info().bypass_host_loop)
}

/// Whether the task's results are inventory changes the play applies before showing them
/// (`add_host`, `group_by`).
pub(crate) fn changes_inventory(task: &Task) -> bool {
    find(&task.module).is_some_and(|m| m.info().changes_inventory)
}

/// Whether a task may read `hostvars` without naming it: a template's file may. `hostvars` is
/// every host's variables, so building it for each host of a task costs hosts² — a template
/// named literally is read once to tell. One that pulls in other files or lookups, is
/// encrypted or cannot be found may read it.
pub(crate) fn may_read_hostvars(task: &Task, search: &[std::path::PathBuf]) -> bool {
    if task.module != "template" {
        return false;
    }
    let src = task.args.as_map().and_then(|pairs| {
        let (_, v) = pairs.iter().find(|(k, _)| k.as_str() == Some("src"))?;
        v.as_str()
    });
    let Some(src) = src else { return true };
    if rsible_template::Templar::is_template(src) {
        return true;
    }
    let path = std::path::Path::new(src);
    let text = if path.is_absolute() {
        std::fs::read_to_string(path).ok()
    } else {
        search
            .iter()
            .map(|d| d.join(src))
            .find(|p| p.is_file())
            .and_then(|p| std::fs::read_to_string(p).ok())
    };
    text.is_none_or(|t| {
        t.starts_with("$ANSIBLE_VAULT")
            || [
                "hostvars", "include", "import", "extends", "lookup", "query", "q(",
            ]
            .iter()
            .any(|w| t.contains(w))
    })
}

/// Runs the module once. A refusal of the arguments becomes Ansible's failed result, with the
/// typed refusal kept for [`unsupported_params`].
pub(crate) fn call(
    m: &dyn Module,
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
) -> Result<ModuleOutput, ModuleError> {
    match m.run(ctx, args) {
        Err(ModuleError::Args(e)) => Ok(ModuleOutput::from(e)),
        other => other,
    }
}

/// Starts the module as an async job (see [`rsible_modules::start_async`]).
pub(crate) fn start_async(
    m: &dyn Module,
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
    secs: u64,
) -> Result<ModuleOutput, ModuleError> {
    match rsible_modules::start_async(m, ctx, args, secs) {
        Err(ModuleError::Args(e)) => Ok(ModuleOutput::from(e)),
        other => other,
    }
}

pub(crate) fn poll_async(ctx: &ModuleContext<'_>, jid: &str) -> Result<ResultMap, ModuleError> {
    rsible_modules::poll_async(ctx, jid)
}

pub(crate) fn cleanup_async(ctx: &ModuleContext<'_>, jid: &str) {
    // Only leftovers in the target's temp directory are at stake.
    let _ = rsible_modules::cleanup_async(ctx, jid);
}

/// Facts of a loop's items, in item order: later items win, as Ansible applies them.
pub(crate) fn merge_facts(acc: &mut Option<Facts>, next: Option<Facts>) {
    match (acc.as_mut(), next) {
        (_, None) => {}
        (Some(Facts::Host(a)), Some(Facts::Host(b)))
        | (Some(Facts::Vars(a)), Some(Facts::Vars(b)))
        | (Some(Facts::Included(a)), Some(Facts::Included(b))) => a.extend(b),
        (_, Some(b)) => *acc = Some(b),
    }
}

/// Where a host's facts go: gathered ones (`setup`) become the host's facts, `set_fact`'s are
/// stored with registered values, `include_vars`' at their own level.
pub(crate) fn split_facts(facts: Option<Facts>) -> (Option<Vars>, Option<Vars>, Option<Vars>) {
    match facts {
        Some(Facts::Host(f)) => (Some(f), None, None),
        Some(Facts::Vars(f)) => (None, Some(f), None),
        Some(Facts::Included(f)) => (None, None, Some(f)),
        None => (None, None, None),
    }
}

/// Keys a registered result does not keep: Ansible's internal ones.
pub(crate) fn internal_key(key: &str) -> bool {
    key.starts_with("_ansible") || key == "invocation"
}

/// For Ansible's "Unsupported parameters for (…) module: a, b." failure, a pointer at each
/// offending key in the task, with the closest supported name as a hint.
pub(crate) fn unsupported_params(task: &Task, refused: Option<&ArgsError>) -> Vec<Diagnostic> {
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
            let mut d = Diagnostic::error(format!(
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

/// The text an `include_tasks` names its file with.
pub(crate) fn include_file(args: &serde_json::Map<String, Value>) -> String {
    args.get("file")
        .or_else(|| args.get("_raw_params"))
        .map(python_str)
        .unwrap_or_default()
}

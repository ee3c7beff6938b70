//! Which keywords Ansible accepts where (ansible-core 2.19 `playbook/*.py` field attributes), and
//! which of those rsible runs.

use crate::{Node, NodeKind, ParseError};

/// Where a keyword may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Play,
    /// A block, an `import_tasks`/`include_tasks` statement: keywords their tasks inherit.
    Block,
    Task,
}

/// What rsible does with a keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The runner applies it.
    Runs,
    /// Accepted only with a value that means what Ansible does when the keyword is absent;
    /// anything else is refused with the reason.
    DefaultOnly(Default, &'static str),
    /// Refused wherever it is written, with the reason.
    Refused(&'static str),
}

/// The value of a [`Status::DefaultOnly`] keyword that changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    False,
    Zero,
    Str(&'static str),
}

impl Default {
    fn matches(self, value: &Node) -> bool {
        match (self, &value.kind) {
            (_, NodeKind::Null) | (Self::False, NodeKind::Bool(false)) => true,
            (Self::Zero, NodeKind::Int(0)) => true,
            (Self::False, NodeKind::Str(s)) => {
                matches!(
                    s.to_ascii_lowercase().as_str(),
                    "no" | "false" | "off" | "n" | "0"
                )
            }
            (Self::Zero, NodeKind::Str(s)) => s.trim() == "0",
            (Self::Str(d), NodeKind::Str(s)) => s == d,
            _ => false,
        }
    }

    fn describe(self) -> String {
        match self {
            Self::False => "false".to_owned(),
            Self::Zero => "0".to_owned(),
            Self::Str(s) => s.to_owned(),
        }
    }
}

/// One keyword: its name, where Ansible accepts it, and what rsible does with it.
#[derive(Clone, Copy, Debug)]
pub struct Keyword {
    pub name: &'static str,
    pub scopes: &'static [Scope],
    pub status: Status,
}

const PLAY_ONLY: &[Scope] = &[Scope::Play];
const BLOCK_TASK: &[Scope] = &[Scope::Block, Scope::Task];
const TASK_ONLY: &[Scope] = &[Scope::Task];
const EVERYWHERE: &[Scope] = &[Scope::Play, Scope::Block, Scope::Task];

const fn kw(name: &'static str, scopes: &'static [Scope], status: Status) -> Keyword {
    Keyword {
        name,
        scopes,
        status,
    }
}

use Status::{DefaultOnly, Refused, Runs};

/// Every keyword of ansible-core 2.19's plays, blocks and tasks (`playbook/*.py` field
/// attributes) except the module itself, `block`/`rescue`/`always` and `with_<lookup>`; the
/// runner reads exactly those marked [`Status::Runs`]. `docs/status.md` lists the same
/// (a test compares them).
pub const KEYWORDS: &[Keyword] = &[
    kw("name", EVERYWHERE, Runs),
    kw("hosts", PLAY_ONLY, Runs),
    kw("gather_facts", PLAY_ONLY, Runs),
    kw("gather_subset", PLAY_ONLY, Runs),
    kw("vars_files", PLAY_ONLY, Runs),
    kw("roles", PLAY_ONLY, Runs),
    kw("pre_tasks", PLAY_ONLY, Runs),
    kw("tasks", PLAY_ONLY, Runs),
    kw("post_tasks", PLAY_ONLY, Runs),
    kw("handlers", PLAY_ONLY, Runs),
    kw("serial", PLAY_ONLY, Runs),
    kw("strategy", PLAY_ONLY, Runs),
    kw("order", PLAY_ONLY, Runs),
    kw("force_handlers", PLAY_ONLY, Runs),
    kw("max_fail_percentage", PLAY_ONLY, Runs),
    kw(
        "gather_timeout",
        PLAY_ONLY,
        Refused("fact gathering has no time limit yet"),
    ),
    kw(
        "vars_prompt",
        PLAY_ONLY,
        Refused("rsible does not prompt yet"),
    ),
    kw(
        "fact_path",
        PLAY_ONLY,
        Refused("local facts are not gathered yet"),
    ),
    kw("connection", EVERYWHERE, Runs),
    kw("environment", EVERYWHERE, Runs),
    kw("become", EVERYWHERE, Runs),
    kw("become_user", EVERYWHERE, Runs),
    kw("become_method", EVERYWHERE, Runs),
    kw("become_flags", EVERYWHERE, Runs),
    kw("remote_user", EVERYWHERE, Runs),
    kw("tags", EVERYWHERE, Runs),
    kw("check_mode", EVERYWHERE, Runs),
    kw("diff", EVERYWHERE, Runs),
    kw("ignore_errors", EVERYWHERE, Runs),
    kw("no_log", EVERYWHERE, Runs),
    kw("run_once", EVERYWHERE, Runs),
    kw("any_errors_fatal", EVERYWHERE, Runs),
    kw("vars", EVERYWHERE, Runs),
    kw("ignore_unreachable", EVERYWHERE, Runs),
    kw("throttle", EVERYWHERE, Runs),
    kw(
        "timeout",
        EVERYWHERE,
        DefaultOnly(Default::Zero, "tasks have no time limit yet"),
    ),
    kw(
        "port",
        EVERYWHERE,
        Refused("set the port with `ansible_port` (the keyword is not applied yet)"),
    ),
    kw(
        "become_exe",
        EVERYWHERE,
        Refused("become runs `sudo` or `su` from PATH"),
    ),
    kw("module_defaults", EVERYWHERE, Runs),
    // rsible has one module for each short name, so the search list changes no resolution.
    kw("collections", EVERYWHERE, Runs),
    kw(
        "debugger",
        EVERYWHERE,
        Refused("rsible has no task debugger"),
    ),
    kw("when", BLOCK_TASK, Runs),
    kw("delegate_to", BLOCK_TASK, Runs),
    kw("delegate_facts", BLOCK_TASK, Runs),
    kw("args", TASK_ONLY, Runs),
    kw("action", TASK_ONLY, Runs),
    kw("local_action", TASK_ONLY, Runs),
    kw("loop", TASK_ONLY, Runs),
    kw("loop_control", TASK_ONLY, Runs),
    kw("register", TASK_ONLY, Runs),
    kw("until", TASK_ONLY, Runs),
    kw("retries", TASK_ONLY, Runs),
    kw("delay", TASK_ONLY, Runs),
    kw("changed_when", TASK_ONLY, Runs),
    kw("failed_when", TASK_ONLY, Runs),
    kw("async", TASK_ONLY, Runs),
    kw("poll", TASK_ONLY, Runs),
    kw("notify", TASK_ONLY, Runs),
    kw("listen", TASK_ONLY, Runs),
];

/// The keyword `name` as written in `scope`, if Ansible accepts it there.
pub fn keyword(name: &str, scope: Scope) -> Option<&'static Keyword> {
    KEYWORDS
        .iter()
        .find(|k| k.name == name && k.scopes.contains(&scope))
}

/// Keyword names accepted in `scope` (for "did you mean" suggestions).
pub(crate) fn names<'a>(scope: Scope) -> impl Iterator<Item = &'a str> {
    KEYWORDS
        .iter()
        .filter(move |k| k.scopes.contains(&scope))
        .map(|k| -> &'a str { k.name })
}

/// Refuses a keyword, or a value of it, that the runner does not apply: what Ansible would do
/// with it matters, so it is an error rather than silence.
/// A refused keyword is shown at its name, a refused value at the value.
pub(crate) fn check_runs(
    name: &str,
    scope: Scope,
    key: &Node,
    value: &Node,
) -> Result<(), ParseError> {
    let Some(k) = keyword(name, scope) else {
        return Ok(());
    };
    let refuse = |message: String, reason: &str, at: &Node| ParseError::Invalid {
        message,
        span: at.span,
        hint: Some(reason.to_owned()),
    };
    match k.status {
        Runs => Ok(()),
        DefaultOnly(default, _) if default.matches(value) => Ok(()),
        DefaultOnly(default, reason) => Err(refuse(
            format!(
                "`{name}` is not supported by rsible yet (except `{name}: {}`)",
                default.describe()
            ),
            reason,
            value,
        )),
        Refused(reason) => Err(refuse(
            format!("`{name}` is not supported by rsible yet"),
            reason,
            key,
        )),
    }
}

/// `meta:` actions the runner does not carry out yet, with the reason; the others
/// (`flush_handlers noop end_play end_batch end_host end_role clear_facts clear_host_errors
/// reset_connection`) run.
pub const META_REFUSED: &[(&str, &str)] =
    &[("refresh_inventory", "the inventory is read once per run")];

/// Refuses a `meta:` action the runner would otherwise skip, and `end_role` where
/// ansible-core's loader refuses it (`playbook/helpers.py`): in a handler, outside a role.
pub(crate) fn check_meta(
    args: &Node,
    task: &Node,
    handler: bool,
    in_role: bool,
) -> Result<(), ParseError> {
    let Some(raw) = args.get("_raw_params").or_else(|| args.get("free_form")) else {
        return Ok(());
    };
    let Some(action) = raw.as_str().map(str::trim) else {
        return Ok(());
    };
    if action == "end_role" && (handler || !in_role) {
        let message = if handler {
            "Cannot execute 'end_role' from a handler"
        } else {
            "Cannot execute 'end_role' from outside of a role"
        };
        return Err(ParseError::Invalid {
            message: message.to_owned(),
            span: task.span,
            hint: None,
        });
    }
    match META_REFUSED.iter().find(|(name, _)| *name == action) {
        Some((name, reason)) => Err(ParseError::Invalid {
            message: format!("`meta: {name}` is not supported by rsible yet"),
            span: raw.span,
            hint: Some((*reason).to_owned()),
        }),
        None => Ok(()),
    }
}

/// Task-like entries (they are actions in Ansible) that rsible does not run yet, unless the
/// runner lists them among its modules (then they are passed through as module tasks).
pub(crate) const UNSUPPORTED_ACTIONS: &[&str] = &[
    "include_tasks",
    "include_role",
    "import_role",
    "include",
    "import_playbook",
];

/// Collections whose modules rsible provides under their short name.
pub(crate) const COLLECTIONS: &[&str] = &[
    "ansible.builtin.",
    "ansible.legacy.",
    "ansible.posix.",
    "community.general.",
];

/// `ansible.builtin.copy` → `copy` for the collections rsible knows.
pub(crate) fn short_name(name: &str) -> &str {
    COLLECTIONS
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .unwrap_or(name)
}

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let short = short_name(name);
    let limit = (short.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(short, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: NodeKind) -> Node {
        Node {
            kind,
            span: rsible_source::Span::point(
                rsible_source::SourceId(0),
                rsible_source::Position::new(1, 1),
            ),
            style: None,
            untrusted: false,
        }
    }

    #[test]
    fn default_values_are_accepted_others_refused() {
        let str_node = |s: &str| node(NodeKind::Str(s.to_owned()));
        let key = str_node("k");
        for (name, value) in [
            ("strategy", str_node("linear")),
            ("order", str_node("inventory")),
            ("ignore_unreachable", str_node("no")),
            ("throttle", node(NodeKind::Int(0))),
            ("throttle", str_node("0")),
            ("ignore_unreachable", node(NodeKind::Null)),
            ("max_fail_percentage", node(NodeKind::Int(100))),
            ("throttle", node(NodeKind::Int(1))),
            ("ignore_unreachable", node(NodeKind::Bool(true))),
            ("strategy", str_node("free")),
        ] {
            assert!(
                check_runs(name, Scope::Play, &key, &value).is_ok(),
                "{name}"
            );
        }
        for (name, value) in [
            ("gather_timeout", node(NodeKind::Int(10))),
            ("port", node(NodeKind::Int(22))),
            ("timeout", node(NodeKind::Int(5))),
        ] {
            assert!(
                check_runs(name, Scope::Play, &key, &value).is_err(),
                "{name}"
            );
        }
        // A keyword of another scope is left to the caller (unknown keyword, or a module).
        assert!(check_runs("gather_timeout", Scope::Task, &key, &str_node("5")).is_ok());
    }

    #[test]
    fn every_keyword_is_listed_once_per_scope() {
        for scope in [Scope::Play, Scope::Block, Scope::Task] {
            let mut seen: Vec<&str> = names(scope).collect();
            let all = seen.len();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), all, "{scope:?}");
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let mods = ["apt", "copy", "command", "shell"];
        assert_eq!(suggest("aptt", mods), Some("apt".to_owned()));
        assert_eq!(
            suggest("ansible.builtin.comand", mods),
            Some("command".to_owned())
        );
        assert_eq!(suggest("frobnicate", mods), None);
    }
}

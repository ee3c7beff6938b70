//! Which keywords Ansible accepts where (ansible-core 2.19 `playbook/*.py` field attributes), and
//! which of those rsible runs.

/// Play keywords rsible implements.
pub(crate) const PLAY: &[&str] = &[
    "name",
    "hosts",
    "connection",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "vars",
    "vars_files",
    "roles",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "environment",
    "become",
    "become_user",
    "become_method",
    "become_flags",
    "remote_user",
    "tags",
    "check_mode",
    "ignore_errors",
    "ignore_unreachable",
    "serial",
    "any_errors_fatal",
    "strategy",
    "force_handlers",
    "max_fail_percentage",
    "order",
    "no_log",
    "diff",
    "run_once",
    "port",
    "throttle",
    "timeout",
];

/// Play keywords Ansible accepts that rsible does not run yet.
pub(crate) const PLAY_UNSUPPORTED: &[&str] = &[
    "vars_prompt",
    "module_defaults",
    "collections",
    "debugger",
    "fact_path",
    "become_exe",
];

/// Task keywords rsible implements (besides the module, `name`, `args`, `action`,
/// `local_action`, `loop` and `with_*`).
pub(crate) const TASK: &[&str] = &[
    "name",
    "args",
    "action",
    "local_action",
    "loop",
    "register",
    "when",
    "loop_control",
    "until",
    "retries",
    "delay",
    "ignore_errors",
    "ignore_unreachable",
    "changed_when",
    "failed_when",
    "delegate_to",
    "delegate_facts",
    "run_once",
    "become",
    "become_user",
    "become_method",
    "become_flags",
    "environment",
    "async",
    "poll",
    "tags",
    "notify",
    "no_log",
    "vars",
    "check_mode",
    "diff",
    "connection",
    "remote_user",
    "any_errors_fatal",
    "throttle",
    "timeout",
    "port",
];

/// Task keywords Ansible accepts that rsible does not run yet.
pub(crate) const TASK_UNSUPPORTED: &[&str] =
    &["module_defaults", "debugger", "collections", "become_exe"];

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

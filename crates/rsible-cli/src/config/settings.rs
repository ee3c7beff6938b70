//! Every `ansible.cfg` setting ansible-core 2.19 reads (`config/base.yml` and the options of the
//! built-in plugins rsible stands in for), and what rsible does with each.

/// How a value is converted (Ansible's `ensure_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Int,
    /// Comma-separated, each item stripped and unquoted.
    List,
    /// `~`, `$VAR` expanded; relative to the config file's directory.
    Path,
    /// Comma-separated paths (`inventory`).
    PathList,
    /// Colon-separated paths (`roles_path`).
    PathSpec,
    /// A plain string that the ssh plugin expands later, relative to the working directory
    /// (`control_path_dir`).
    CwdPath,
}

/// What rsible does with a setting found in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Applied as Ansible applies it.
    Honoured,
    /// Read and ignored without a word: it only tunes machinery rsible does not have (Python
    /// interpreters, plugin paths, temp dirs, cowsay…) or only cosmetics.
    Accepted,
    /// Ansible applies it and rsible does not: a warning, unless the value is this one
    /// (Ansible's default, which changes nothing).
    Ignored(Option<&'static str>),
    /// ansible-core 2.19 does not read it either; the text says what to use instead.
    NotAnsible(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub struct Setting {
    pub section: &'static str,
    pub key: &'static str,
    /// The environment variables that override the file, in Ansible's order (the last one
    /// set wins).
    pub env: &'static [&'static str],
    pub kind: Kind,
    pub support: Support,
}

const fn honoured(
    section: &'static str,
    key: &'static str,
    env: &'static [&'static str],
    kind: Kind,
) -> Setting {
    Setting {
        section,
        key,
        env,
        kind,
        support: Support::Honoured,
    }
}

const fn accepted(section: &'static str, key: &'static str) -> Setting {
    Setting {
        section,
        key,
        env: &[],
        kind: Kind::Str,
        support: Support::Accepted,
    }
}

const fn ignored(
    section: &'static str,
    key: &'static str,
    harmless: Option<&'static str>,
) -> Setting {
    Setting {
        section,
        key,
        env: &[],
        kind: Kind::Str,
        support: Support::Ignored(harmless),
    }
}

const fn not_ansible(section: &'static str, key: &'static str, why: &'static str) -> Setting {
    Setting {
        section,
        key,
        env: &[],
        kind: Kind::Str,
        support: Support::NotAnsible(why),
    }
}

const D: &str = "defaults";
const PE: &str = "privilege_escalation";
const SSH: &str = "ssh_connection";

/// The settings rsible applies. Where Ansible reads one value from several places (a key in
/// two sections), they are listed in Ansible's order: the last one present wins.
pub const HONOURED: &[Setting] = &[
    honoured(D, "inventory", &["ANSIBLE_INVENTORY"], Kind::PathList),
    honoured(D, "remote_user", &["ANSIBLE_REMOTE_USER"], Kind::Str),
    honoured(D, "remote_port", &["ANSIBLE_REMOTE_PORT"], Kind::Int),
    honoured(
        D,
        "private_key_file",
        &["ANSIBLE_PRIVATE_KEY_FILE"],
        Kind::Path,
    ),
    honoured(D, "host_key_checking", HOST_KEY_CHECKING, Kind::Bool),
    honoured(SSH, "host_key_checking", HOST_KEY_CHECKING, Kind::Bool),
    honoured(D, "forks", &["ANSIBLE_FORKS"], Kind::Int),
    honoured(D, "roles_path", &["ANSIBLE_ROLES_PATH"], Kind::PathSpec),
    honoured(
        D,
        "collections_path",
        &["ANSIBLE_COLLECTIONS_PATH"],
        Kind::PathSpec,
    ),
    honoured(D, "home", &["ANSIBLE_HOME"], Kind::Path),
    honoured(D, "timeout", TIMEOUT, Kind::Int),
    honoured(SSH, "timeout", TIMEOUT, Kind::Int),
    honoured(D, "transport", &["ANSIBLE_TRANSPORT"], Kind::Str),
    honoured(
        D,
        "stdout_callback",
        &["ANSIBLE_STDOUT_CALLBACK"],
        Kind::Str,
    ),
    honoured(
        D,
        "callbacks_enabled",
        &["ANSIBLE_CALLBACKS_ENABLED"],
        Kind::List,
    ),
    honoured(
        D,
        "retry_files_enabled",
        &["ANSIBLE_RETRY_FILES_ENABLED"],
        Kind::Bool,
    ),
    honoured(
        D,
        "retry_files_save_path",
        &["ANSIBLE_RETRY_FILES_SAVE_PATH"],
        Kind::Path,
    ),
    honoured(D, "gathering", &["ANSIBLE_GATHERING"], Kind::Str),
    honoured(D, "hash_behaviour", &["ANSIBLE_HASH_BEHAVIOUR"], Kind::Str),
    honoured(
        D,
        "any_errors_fatal",
        &["ANSIBLE_ANY_ERRORS_FATAL"],
        Kind::Bool,
    ),
    honoured(D, "force_handlers", &["ANSIBLE_FORCE_HANDLERS"], Kind::Bool),
    honoured(D, "ask_vault_pass", &["ANSIBLE_ASK_VAULT_PASS"], Kind::Bool),
    honoured(
        D,
        "vault_password_file",
        &["ANSIBLE_VAULT_PASSWORD_FILE"],
        Kind::Path,
    ),
    honoured(
        D,
        "vault_identity_list",
        &["ANSIBLE_VAULT_IDENTITY_LIST"],
        Kind::List,
    ),
    honoured(D, "vault_id_match", &["ANSIBLE_VAULT_ID_MATCH"], Kind::Bool),
    honoured(D, "strategy", &["ANSIBLE_STRATEGY"], Kind::Str),
    honoured(D, "verbosity", &["ANSIBLE_VERBOSITY"], Kind::Int),
    honoured(D, "nocolor", &["ANSIBLE_NOCOLOR", "NO_COLOR"], Kind::Bool),
    honoured(D, "force_color", &["ANSIBLE_FORCE_COLOR"], Kind::Bool),
    honoured(
        D,
        "display_skipped_hosts",
        &["ANSIBLE_DISPLAY_SKIPPED_HOSTS"],
        Kind::Bool,
    ),
    honoured(
        D,
        "display_ok_hosts",
        &["ANSIBLE_DISPLAY_OK_HOSTS"],
        Kind::Bool,
    ),
    honoured(
        D,
        "display_failed_stderr",
        &["ANSIBLE_DISPLAY_FAILED_STDERR"],
        Kind::Bool,
    ),
    honoured(
        D,
        "check_mode_markers",
        &["ANSIBLE_CHECK_MODE_MARKERS"],
        Kind::Bool,
    ),
    honoured(
        D,
        "show_task_path_on_failure",
        &["ANSIBLE_SHOW_TASK_PATH_ON_FAILURE"],
        Kind::Bool,
    ),
    honoured(
        D,
        "become_password_file",
        &["ANSIBLE_BECOME_PASSWORD_FILE"],
        Kind::Path,
    ),
    honoured(PE, "become", &["ANSIBLE_BECOME"], Kind::Bool),
    honoured(PE, "become_user", &["ANSIBLE_BECOME_USER"], Kind::Str),
    honoured(PE, "become_method", &["ANSIBLE_BECOME_METHOD"], Kind::Str),
    honoured(
        PE,
        "become_ask_pass",
        &["ANSIBLE_BECOME_ASK_PASS"],
        Kind::Bool,
    ),
    honoured(SSH, "ssh_args", &["ANSIBLE_SSH_ARGS"], Kind::Str),
    honoured(
        SSH,
        "ssh_common_args",
        &["ANSIBLE_SSH_COMMON_ARGS"],
        Kind::Str,
    ),
    honoured(
        SSH,
        "ssh_extra_args",
        &["ANSIBLE_SSH_EXTRA_ARGS"],
        Kind::Str,
    ),
    honoured(
        SSH,
        "control_path_dir",
        &["ANSIBLE_SSH_CONTROL_PATH_DIR"],
        Kind::CwdPath,
    ),
    honoured("tags", "run", &["ANSIBLE_RUN_TAGS"], Kind::List),
    honoured("tags", "skip", &["ANSIBLE_SKIP_TAGS"], Kind::List),
    honoured("diff", "always", &["ANSIBLE_DIFF_ALWAYS"], Kind::Bool),
    honoured("diff", "context", &["ANSIBLE_DIFF_CONTEXT"], Kind::Int),
];

const HOST_KEY_CHECKING: &[&str] = &["ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_SSH_HOST_KEY_CHECKING"];
const TIMEOUT: &[&str] = &["ANSIBLE_TIMEOUT", "ANSIBLE_SSH_TIMEOUT"];

/// Settings Ansible reads that rsible takes without applying them.
pub const OTHERS: &[Setting] = &[
    // Interpreters, temp dirs and the module machinery: rsible runs modules on the controller.
    accepted(D, "interpreter_python"),
    accepted(D, "local_tmp"),
    accepted(D, "remote_tmp"),
    accepted(D, "system_tmpdirs"),
    accepted(D, "async_dir"),
    accepted(D, "admin_users"),
    accepted(D, "common_remote_group"),
    accepted(D, "allow_world_readable_tmpfiles"),
    accepted(D, "keep_remote_files"),
    accepted(D, "module_compression"),
    accepted(D, "module_strict_utf8_response"),
    accepted(D, "module_ignore_exts"),
    accepted(D, "python_module_rlimit_nofile"),
    accepted(D, "no_target_syslog"),
    accepted(D, "syslog_facility"),
    accepted(D, "target_log_info"),
    accepted(D, "pipelining"),
    accepted("connection", "pipelining"),
    accepted(SSH, "pipelining"),
    accepted(D, "use_persistent_connections"),
    accepted(D, "internal_poll_interval"),
    accepted(D, "poll_interval"),
    accepted(D, "win_async_startup_timeout"),
    accepted(D, "network_group_modules"),
    // Plugin and collection search paths: rsible's modules and plugins are built in, and a
    // module it lacks is an error anyway.
    accepted(D, "library"),
    accepted(D, "module_utils"),
    accepted(D, "action_plugins"),
    accepted(D, "become_plugins"),
    accepted(D, "cache_plugins"),
    accepted(D, "callback_plugins"),
    accepted(D, "cliconf_plugins"),
    accepted(D, "connection_plugins"),
    accepted(D, "doc_fragment_plugins"),
    accepted(D, "filter_plugins"),
    accepted(D, "httpapi_plugins"),
    accepted(D, "inventory_plugins"),
    accepted(D, "lookup_plugins"),
    accepted(D, "netconf_plugins"),
    accepted(D, "strategy_plugins"),
    accepted(D, "terminal_plugins"),
    accepted(D, "test_plugins"),
    accepted(D, "vars_plugins"),
    accepted(D, "plugin_filters_cfg"),
    accepted(D, "old_plugin_cache_clear"),
    accepted(D, "collections_scan_sys_path"),
    accepted(D, "collections_on_ansible_version_mismatch"),
    accepted(D, "validate_action_group_metadata"),
    accepted(D, "vars_plugins_enabled"),
    accepted(D, "run_vars_plugins"),
    accepted(D, "bin_ansible_callbacks"),
    // Warnings, docs, tools other than ansible-playbook, cosmetics.
    accepted(D, "deprecation_warnings"),
    accepted(D, "system_warnings"),
    accepted(D, "action_warnings"),
    accepted(D, "localhost_warning"),
    accepted(D, "devel_warning"),
    accepted(D, "display_traceback"),
    accepted(D, "docsite_root_url"),
    accepted(D, "nocows"),
    accepted(D, "cow_selection"),
    accepted(D, "cowpath"),
    accepted(D, "cowsay_enabled_stencils"),
    accepted(D, "pager"),
    accepted(D, "editor"),
    accepted(D, "debug"),
    accepted(D, "playbook_dir"),
    accepted(D, "module_name"),
    accepted(D, "module_args"),
    accepted(D, "max_diff_size"),
    accepted(D, "yaml_valid_extensions"),
    accepted(D, "inventory_ignore_extensions"),
    accepted(D, "inventory_ignore_patterns"),
    accepted(D, "invalid_task_attribute_failed"),
    accepted(D, "fact_caching_connection"),
    accepted(D, "fact_caching_prefix"),
    accepted(D, "fact_caching_timeout"),
    accepted(D, "log_filter"),
    accepted(D, "log_verbosity"),
    accepted(PE, "become_allow_same_user"),
    accepted(PE, "agnostic_become_prompt"),
    accepted(SSH, "control_path"),
    accepted(SSH, "transfer_method"),
    accepted(SSH, "usetty"),
    accepted(SSH, "sftp_batch_mode"),
    accepted(SSH, "scp_executable"),
    accepted(SSH, "sftp_executable"),
    accepted(SSH, "scp_extra_args"),
    accepted(SSH, "sftp_extra_args"),
    accepted(SSH, "verbosity"),
    accepted(SSH, "sshpass_prompt"),
    accepted(SSH, "password_mechanism"),
    accepted("connection", "ssh_agent"),
    accepted("connection", "ssh_agent_executable"),
    accepted("connection", "ssh_agent_key_lifetime"),
    accepted("inventory", "enable_plugins"),
    accepted("inventory", "export"),
    accepted("inventory", "host_pattern_mismatch"),
    accepted("inventory", "ignore_extensions"),
    accepted("inventory", "ignore_patterns"),
    accepted("inventory", "inventory_unparsed_warning"),
    accepted("inventory", "unparsed_is_failed"),
    accepted("inventory", "any_unparsed_is_failed"),
    accepted("inventory_plugin_script", "always_show_stderr"),
    accepted("inventory_plugin_yaml", "yaml_valid_extensions"),
    accepted("vars_host_group_vars", "stage"),
    accepted("jinja2", "dont_type_filters"),
    accepted("callback_tree", "directory"),
    // Removed from ansible-core, harmless, and still in many files.
    accepted(D, "command_warnings"),
    accepted(SSH, "scp_if_ssh"),
    // Settings that change what a run does or shows; harmless only at Ansible's default.
    ignored(D, "error_on_undefined_vars", Some("true")),
    ignored(D, "inject_facts_as_vars", Some("true")),
    ignored(D, "private_role_vars", Some("false")),
    ignored(D, "jinja2_native", Some("true")),
    ignored(D, "jinja2_extensions", None),
    ignored(D, "allow_broken_conditionals", Some("false")),
    ignored(D, "allow_embedded_templates", Some("true")),
    ignored(D, "allow_unsafe_lookups", Some("false")),
    ignored(D, "duplicate_dict_key", Some("warn")),
    ignored(D, "error_on_missing_handler", Some("true")),
    ignored(D, "force_valid_group_names", Some("never")),
    ignored(D, "playbook_vars_root", Some("top")),
    ignored(D, "precedence", None),
    ignored(D, "null_representation", None),
    ignored(D, "task_timeout", Some("0")),
    ignored(D, "executable", Some("/bin/sh")),
    ignored(D, "ansible_managed", Some("Ansible managed")),
    ignored(D, "facts_modules", Some("smart")),
    ignored(D, "fact_caching", Some("memory")),
    ignored(D, "no_log", Some("false")),
    ignored(D, "display_args_to_stdout", Some("false")),
    ignored(D, "show_custom_stats", Some("false")),
    ignored(D, "show_per_host_start", Some("false")),
    ignored(D, "callback_result_format", Some("json")),
    ignored(D, "callback_format_pretty", None),
    ignored(D, "verbose_to_stderr", Some("false")),
    ignored(D, "log_path", None),
    ignored(D, "enable_task_debugger", Some("false")),
    ignored(D, "task_debugger_ignore_errors", Some("true")),
    ignored(D, "ask_pass", Some("false")),
    ignored(D, "vault_identity", Some("default")),
    ignored(D, "vault_encrypt_identity", None),
    ignored(D, "vault_encrypt_salt", None),
    ignored(D, "connection_password_file", None),
    ignored(D, "su", Some("false")),
    ignored(PE, "become_exe", None),
    ignored(PE, "become_flags", None),
    ignored(SSH, "ssh_executable", Some("ssh")),
    ignored(SSH, "retries", Some("0")),
    ignored("connection", "retries", Some("0")),
    ignored(SSH, "pkcs11_provider", Some("")),
    ignored("sudo_become_plugin", "user", None),
    ignored("sudo_become_plugin", "executable", None),
    ignored("sudo_become_plugin", "flags", None),
    ignored("sudo_become_plugin", "password", None),
    ignored("sudo_become_plugin", "chdir", None),
    ignored("su_become_plugin", "user", None),
    ignored("su_become_plugin", "executable", None),
    ignored("su_become_plugin", "flags", None),
    ignored("su_become_plugin", "password", None),
    ignored("su_become_plugin", "localized_prompts", None),
    // Names older Ansible read and users still carry.
    not_ansible(
        D,
        "callback_whitelist",
        "ansible-core 2.19 no longer reads it; use callbacks_enabled",
    ),
    not_ansible(
        D,
        "gather_subset",
        "ansible-core 2.19 no longer reads it; use the play's gather_subset",
    ),
    not_ansible(
        D,
        "gather_timeout",
        "ansible-core 2.19 no longer reads it; use the play's gather_timeout",
    ),
    not_ansible(
        D,
        "fact_path",
        "ansible-core 2.19 no longer reads it; use the play's fact_path",
    ),
    not_ansible(D, "become", "Ansible reads it from [privilege_escalation]"),
    not_ansible(
        D,
        "become_user",
        "Ansible reads it from [privilege_escalation]",
    ),
    not_ansible(
        D,
        "become_method",
        "Ansible reads it from [privilege_escalation]",
    ),
    not_ansible(
        D,
        "become_ask_pass",
        "Ansible reads it from [privilege_escalation]",
    ),
    not_ansible(D, "ssh_args", "Ansible reads it from [ssh_connection]"),
];

/// Sections whose every key is accepted: they configure tools or connections rsible does not
/// have (galaxy, paramiko, persistent network connections) or only colours.
pub const ACCEPTED_SECTIONS: &[&str] = &[
    "colors",
    "galaxy",
    "paramiko_connection",
    "persistent_connection",
    "selinux",
    "netconf_connection",
];

/// The setting at `[section] key`, if Ansible knows it.
pub fn find(section: &str, key: &str) -> Option<&'static Setting> {
    HONOURED
        .iter()
        .chain(OTHERS)
        .find(|s| s.section == section && s.key == key)
}

/// Whether every key of `section` is accepted.
pub fn accepted_section(section: &str) -> bool {
    ACCEPTED_SECTIONS.contains(&section) || section.starts_with("galaxy_server.")
}

/// The honoured settings an environment variable belongs to, in Ansible's order.
pub fn by_env(name: &str) -> impl Iterator<Item = &'static Setting> + '_ {
    HONOURED.iter().filter(move |s| s.env.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_is_listed_once() {
        let all: Vec<_> = HONOURED.iter().chain(OTHERS).collect();
        for (i, s) in all.iter().enumerate() {
            assert!(
                !all[i + 1..]
                    .iter()
                    .any(|o| o.section == s.section && o.key == s.key),
                "[{}] {} twice",
                s.section,
                s.key
            );
        }
    }

    #[test]
    fn env_names_find_their_settings() {
        let found: Vec<_> = by_env("ANSIBLE_TIMEOUT").map(|s| s.section).collect();
        assert_eq!(found, ["defaults", "ssh_connection"]);
        assert!(by_env("ANSIBLE_JSON_INDENT").next().is_none());
        assert_eq!(
            find("defaults", "nocows").map(|s| s.support),
            Some(Support::Accepted)
        );
        assert!(find("defaults", "nosuch").is_none());
    }
}

//! Command line plus `ANSIBLE_*` defaults → [`RunOptions`].

use std::path::PathBuf;

use rsible_runner::{Gathering, RunOptions};

use crate::args::{split_tags, Args};
use crate::env::{first, truthy};
use crate::extra_vars::{load_extra_vars, ExtraVarsError};
use crate::CliError;

/// Everything the run needs from the command line and the environment.
pub fn run_options(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RunOptions, CliError> {
    let mut opts = RunOptions::default();
    for e in &args.extra_vars {
        let vars = load_extra_vars(e).map_err(|err| match err {
            ExtraVarsError::Parse(p) => CliError::Parse(p.diagnostic()),
            ExtraVarsError::Unbalanced(m) => CliError::Parse(rsible_source::Diagnostic::error(m)),
            other => CliError::Options(other.to_string()),
        })?;
        opts.extra_vars.push(vars);
    }
    opts.limit = args.limit.as_deref().map(read_limit).transpose()?;
    opts.forks = match args.forks {
        Some(f) => f,
        None => match first(env, &["ANSIBLE_FORKS"]) {
            Some(v) => v.trim().parse().map_err(|_| {
                CliError::Options(format!(
                    "Invalid value '{v}' for ANSIBLE_FORKS: an integer is required"
                ))
            })?,
            None => 5,
        },
    };
    if opts.forks == 0 {
        return Err(CliError::Options(
            "The number of processes (--forks) must be >= 1".to_owned(),
        ));
    }
    opts.verbosity = if args.verbose > 0 {
        args.verbose
    } else {
        first(env, &["ANSIBLE_VERBOSITY"])
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    opts.check = args.check;
    opts.diff = args.diff || first(env, &["ANSIBLE_DIFF_ALWAYS"]).is_some_and(|v| truthy(&v));
    opts.tags = dedup(split_tags(&args.tags));
    opts.skip_tags = dedup(split_tags(&args.skip_tags));
    if opts.tags.is_empty() {
        opts.tags = first(env, &["ANSIBLE_RUN_TAGS"])
            .map(|v| split_tags(&[v]))
            .unwrap_or_default();
    }
    if opts.skip_tags.is_empty() {
        opts.skip_tags = first(env, &["ANSIBLE_SKIP_TAGS"])
            .map(|v| split_tags(&[v]))
            .unwrap_or_default();
    }
    opts.start_at_task.clone_from(&args.start_at_task);
    opts.connection = args
        .connection
        .clone()
        .or_else(|| first(env, &["ANSIBLE_TRANSPORT"]));
    opts.timeout = match args.timeout {
        Some(t) => Some(t),
        None => match first(env, &["ANSIBLE_TIMEOUT"]) {
            Some(v) => Some(v.trim().parse().map_err(|_| {
                CliError::Options(format!(
                    "Invalid value '{v}' for ANSIBLE_TIMEOUT: an integer is required"
                ))
            })?),
            None => None,
        },
    };
    opts.remote_user = args
        .user
        .clone()
        .or_else(|| first(env, &["ANSIBLE_REMOTE_USER"]));
    opts.become_ = args.become_ || first(env, &["ANSIBLE_BECOME"]).is_some_and(|v| truthy(&v));
    opts.become_user = args
        .become_user
        .clone()
        .or_else(|| first(env, &["ANSIBLE_BECOME_USER"]));
    opts.become_method = args
        .become_method
        .clone()
        .or_else(|| first(env, &["ANSIBLE_BECOME_METHOD"]));
    opts.private_key = args
        .private_key
        .clone()
        .or_else(|| first(env, &["ANSIBLE_PRIVATE_KEY_FILE"]));
    opts.ssh_args = first(env, &["ANSIBLE_SSH_ARGS"]);
    opts.host_key_checking = first(env, &["ANSIBLE_HOST_KEY_CHECKING"]).is_none_or(|v| truthy(&v));
    opts.ssh_common_args = args
        .ssh_common_args
        .clone()
        .or_else(|| first(env, &["ANSIBLE_SSH_COMMON_ARGS"]));
    opts.ssh_extra_args = args
        .ssh_extra_args
        .clone()
        .or_else(|| first(env, &["ANSIBLE_SSH_EXTRA_ARGS"]));
    opts.remote_port = match first(env, &["ANSIBLE_REMOTE_PORT"]) {
        Some(v) => Some(v.trim().parse().map_err(|_| {
            CliError::Options(format!(
                "Invalid value '{v}' for ANSIBLE_REMOTE_PORT: a port number is required"
            ))
        })?),
        None => None,
    };
    opts.control_path_dir = first(env, &["ANSIBLE_SSH_CONTROL_PATH_DIR"]).map(PathBuf::from);
    opts.persistent_shell = first(env, &["RSIBLE_PERSISTENT_SHELL"]).is_none_or(|v| truthy(&v));
    opts.gathering = match first(env, &["ANSIBLE_GATHERING"]).as_deref() {
        None | Some("implicit") => Gathering::Implicit,
        Some("explicit") => Gathering::Explicit,
        Some("smart") => Gathering::Smart,
        Some(other) => {
            return Err(CliError::Options(format!(
                "Invalid value '{other}' for config 'DEFAULT_GATHERING'. Valid values are: implicit, explicit, smart"
            )))
        }
    };
    opts.any_errors_fatal = first(env, &["ANSIBLE_ANY_ERRORS_FATAL"]).is_some_and(|v| truthy(&v));
    // `--force-handlers` is a flag whose default is the configuration's.
    opts.force_handlers =
        args.force_handlers || first(env, &["ANSIBLE_FORCE_HANDLERS"]).is_some_and(|v| truthy(&v));
    opts.strategy = first(env, &["ANSIBLE_STRATEGY"]);
    opts.hash_merge = match first(env, &["ANSIBLE_HASH_BEHAVIOUR"]).as_deref() {
        None | Some("replace") => false,
        Some("merge") => true,
        Some(other) => {
            return Err(CliError::Options(format!(
                "Invalid value '{other}' for config 'DEFAULT_HASH_BEHAVIOUR'. Valid values are: replace, merge"
            )))
        }
    };
    let password_file = args
        .become_password_file
        .clone()
        .or_else(|| first(env, &["ANSIBLE_BECOME_PASSWORD_FILE"]).map(PathBuf::from));
    if let Some(path) = &password_file {
        let text = fs_err::read_to_string(path).map_err(|e| CliError::Error(e.to_string()))?;
        opts.become_password = Some(text.trim_end_matches(['\n', '\r']).to_owned());
    }
    Ok(opts)
}

/// `ANSIBLE_HOME`, else `~/.ansible`.
fn ansible_home(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    first(env, &["ANSIBLE_HOME"]).map_or_else(
        || {
            let user_home = env("HOME").unwrap_or_default();
            PathBuf::from(format!("{}/.ansible", user_home.trim_end_matches('/')))
        },
        PathBuf::from,
    )
}

/// A colon-separated list of directories (empty entries dropped).
fn path_list(v: &str) -> Vec<PathBuf> {
    v.split(':')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// `roles_path`: `ANSIBLE_ROLES_PATH` or the file's, else Ansible's default under
/// `ANSIBLE_HOME` (`~/.ansible`).
pub fn roles_path(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    if let Some(v) = first(env, &["ANSIBLE_ROLES_PATH"]) {
        return path_list(&v);
    }
    let home = ansible_home(env);
    vec![
        home.join("roles"),
        PathBuf::from("/usr/share/ansible/roles"),
        PathBuf::from("/etc/ansible/roles"),
    ]
}

/// `collections_path`: `ANSIBLE_COLLECTIONS_PATH` (or the file's), else Ansible's default
/// under `ANSIBLE_HOME` (`~/.ansible`). Ansible also scans its Python's `sys.path`; rsible
/// has none.
pub fn collections_path(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    if let Some(v) = first(
        env,
        &["ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"],
    ) {
        return path_list(&v);
    }
    let home = ansible_home(env);
    vec![
        home.join("collections"),
        PathBuf::from("/usr/share/ansible/collections"),
    ]
}

/// Whether `-K` (or `ANSIBLE_BECOME_ASK_PASS`) asks for the become password.
pub fn asks_become_pass(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> bool {
    args.ask_become_pass
        || (args.become_password_file.is_none()
            && first(env, &["ANSIBLE_BECOME_ASK_PASS"]).is_some_and(|v| truthy(&v)))
}

/// `--limit @file` reads one pattern per line.
fn read_limit(limit: &str) -> Result<String, CliError> {
    let Some(file) = limit.strip_prefix('@') else {
        return Ok(limit.to_owned());
    };
    let text = fs_err::read_to_string(file).map_err(|e| CliError::Error(e.to_string()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(","))
}

/// Ansible keeps tags in a set; order is kept here so output is stable.
fn dedup(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The inventory sources: `-i` values, else `ANSIBLE_INVENTORY` (comma-separated), else
/// `/etc/ansible/hosts`.
pub fn inventory_sources(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    if !args.inventory.is_empty() {
        return args.inventory.clone();
    }
    if let Some(v) = first(env, &["ANSIBLE_INVENTORY"]) {
        return v
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
    }
    vec!["/etc/ansible/hosts".to_owned()]
}

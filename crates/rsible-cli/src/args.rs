//! ansible-playbook's command line (`ansible/cli/playbook.py`, `cli/arguments/option_helpers.py`).

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// The flags of `ansible-playbook` 2.19, long and short. Flags rsible accepts but does not
/// implement yet are parsed so they can be refused by name (see [`Args::unsupported`]).
#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "rsible-playbook",
    about = "Runs Ansible playbooks, executing the defined tasks on the targeted hosts.",
    disable_version_flag = true
)]
pub struct Args {
    /// Playbook(s)
    #[arg(value_name = "playbook", required_unless_present = "version")]
    pub playbooks: Vec<PathBuf>,

    /// show program's version number and exit
    #[arg(long)]
    pub version: bool,

    /// Causes Ansible to print more debug messages (repeat for more)
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,

    /// specify inventory host path or comma separated host list
    #[arg(
        short = 'i',
        long = "inventory",
        visible_alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Vec<String>,

    /// further limit selected hosts to an additional pattern
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,

    /// set additional variables as key=value or YAML/JSON, if filename prepend with @
    #[arg(
        short = 'e',
        long = "extra-vars",
        value_name = "EXTRA_VARS",
        allow_hyphen_values = true
    )]
    pub extra_vars: Vec<String>,

    /// specify number of parallel processes to use (default=5)
    #[arg(short = 'f', long = "forks", value_name = "FORKS")]
    pub forks: Option<usize>,

    /// don't make any changes; instead, try to predict some of the changes that may occur
    #[arg(short = 'C', long = "check")]
    pub check: bool,

    /// when changing (small) files and templates, show the differences in those files
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,

    /// only run plays and tasks tagged with these values
    #[arg(short = 't', long = "tags", value_name = "TAGS")]
    pub tags: Vec<String>,

    /// only run plays and tasks whose tags do not match these values
    #[arg(long = "skip-tags", value_name = "SKIP_TAGS")]
    pub skip_tags: Vec<String>,

    /// start the playbook at the task matching this name
    #[arg(long = "start-at-task", value_name = "START_AT_TASK")]
    pub start_at_task: Option<String>,

    /// perform a syntax check on the playbook, but do not execute it
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,

    /// list all tasks that would be executed
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,

    /// outputs a list of matching hosts; does not execute anything else
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,

    /// list all available tags
    #[arg(long = "list-tags")]
    pub list_tags: bool,

    /// connection type to use (default=ssh)
    #[arg(short = 'c', long = "connection", value_name = "CONNECTION")]
    pub connection: Option<String>,

    /// override the connection timeout in seconds
    #[arg(short = 'T', long = "timeout", value_name = "TIMEOUT")]
    pub timeout: Option<u64>,

    /// connect as this user
    #[arg(short = 'u', long = "user", value_name = "REMOTE_USER")]
    pub user: Option<String>,

    // `--sudo`, `--sudo-user` and `--ask-sudo-pass` are the names Vagrant's provisioner uses in
    // its compatibility mode 1.8; ansible-core 2.19 no longer accepts them, rsible does.
    /// run operations with become (does not imply password prompting)
    #[arg(short = 'b', long = "become", alias = "sudo")]
    pub become_: bool,

    /// run operations as this user (default=root)
    #[arg(long = "become-user", alias = "sudo-user", value_name = "BECOME_USER")]
    pub become_user: Option<String>,

    /// privilege escalation method to use (default=sudo)
    #[arg(long = "become-method", value_name = "BECOME_METHOD")]
    pub become_method: Option<String>,

    /// ask for privilege escalation password
    #[arg(
        short = 'K',
        long = "ask-become-pass",
        alias = "ask-sudo-pass",
        conflicts_with = "become_password_file"
    )]
    pub ask_become_pass: bool,

    /// Become password file
    #[arg(
        long = "become-password-file",
        visible_alias = "become-pass-file",
        value_name = "BECOME_PASSWORD_FILE"
    )]
    pub become_password_file: Option<PathBuf>,

    /// use this file to authenticate the connection
    #[arg(
        long = "private-key",
        visible_alias = "key-file",
        value_name = "PRIVATE_KEY_FILE"
    )]
    pub private_key: Option<String>,

    /// specify common arguments to pass to sftp/scp/ssh (e.g. ProxyCommand)
    #[arg(
        long = "ssh-common-args",
        value_name = "SSH_COMMON_ARGS",
        allow_hyphen_values = true
    )]
    pub ssh_common_args: Option<String>,

    /// specify extra arguments to pass to ssh only (e.g. -R)
    #[arg(
        long = "ssh-extra-args",
        value_name = "SSH_EXTRA_ARGS",
        allow_hyphen_values = true
    )]
    pub ssh_extra_args: Option<String>,

    /// specify extra arguments to pass to scp only (e.g. -l)
    #[arg(
        long = "scp-extra-args",
        value_name = "SCP_EXTRA_ARGS",
        allow_hyphen_values = true
    )]
    pub scp_extra_args: Option<String>,

    /// specify extra arguments to pass to sftp only (e.g. -f, -l)
    #[arg(
        long = "sftp-extra-args",
        value_name = "SFTP_EXTRA_ARGS",
        allow_hyphen_values = true
    )]
    pub sftp_extra_args: Option<String>,

    /// vault password file
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "VAULT_PASSWORD_FILES"
    )]
    pub vault_password_file: Vec<String>,
    /// the vault identity to use
    #[arg(long = "vault-id", value_name = "VAULT_IDS")]
    pub vault_id: Vec<String>,
    /// ask for vault password
    #[arg(
        short = 'J',
        long = "ask-vault-password",
        visible_alias = "ask-vault-pass"
    )]
    pub ask_vault_pass: bool,
    // Accepted so they can be refused by name: rsible does not implement them yet.
    /// ask for connection password (not supported yet)
    #[arg(short = 'k', long = "ask-pass")]
    pub ask_pass: bool,
    /// Connection password file (not supported yet)
    #[arg(
        long = "connection-password-file",
        visible_alias = "conn-pass-file",
        value_name = "CONNECTION_PASSWORD_FILE"
    )]
    pub connection_password_file: Option<String>,
    /// run handlers even if a task fails
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// clear the fact cache for every host in inventory (not supported yet)
    #[arg(long = "flush-cache")]
    pub flush_cache: bool,
    /// one-step-at-a-time: confirm each task before running (not supported yet)
    #[arg(long = "step")]
    pub step: bool,
    /// prepend colon-separated path(s) to module library (not supported yet)
    #[arg(short = 'M', long = "module-path", value_name = "MODULE_PATH")]
    pub module_path: Vec<String>,
}

impl Args {
    /// The first flag given that rsible does not implement yet, as the user spelled its long form.
    pub fn unsupported(&self) -> Option<&'static str> {
        let given = [
            (self.ask_pass, "--ask-pass"),
            (
                self.connection_password_file.is_some(),
                "--connection-password-file",
            ),
            (self.flush_cache, "--flush-cache"),
            (self.step, "--step"),
            (!self.module_path.is_empty(), "--module-path"),
        ];
        given.iter().find(|(on, _)| *on).map(|(_, name)| *name)
    }
}

/// `-t a,b -t c` → `[a, b, c]`, as Ansible splits and strips them.
pub fn split_tags(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

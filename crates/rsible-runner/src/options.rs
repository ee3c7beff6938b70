use rsible_template::Vars;

/// Everything from the command line that changes how a playbook runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `roles_path` and `collections_path`, for the roles `include_role` loads while the run
    /// goes on.
    pub role_search: (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>),
    /// `-e`, in order given; later ones win.
    pub extra_vars: Vec<Vars>,
    /// `-l/--limit` pattern (already read from `@file` if given so).
    pub limit: Option<String>,
    /// `-f/--forks` (default 5).
    pub forks: usize,
    /// Number of `-v`.
    pub verbosity: u8,
    /// `-C/--check`.
    pub check: bool,
    /// `-D/--diff`.
    pub diff: bool,
    /// `-t/--tags` (comma-split, flattened).
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    pub start_at_task: Option<String>,
    /// `-c/--connection`.
    pub connection: Option<String>,
    /// `-T/--timeout` seconds.
    pub timeout: Option<u64>,
    /// `-u/--user`.
    pub remote_user: Option<String>,
    /// `-b/--become`.
    pub become_: bool,
    pub become_user: Option<String>,
    pub become_method: Option<String>,
    pub become_password: Option<String>,
    pub private_key: Option<String>,
    pub ssh_common_args: Option<String>,
    pub ssh_extra_args: Option<String>,
    /// `ANSIBLE_SSH_ARGS` (`None`: Ansible's default).
    pub ssh_args: Option<String>,
    /// `ANSIBLE_HOST_KEY_CHECKING` (on unless turned off).
    pub host_key_checking: bool,
    /// `remote_port`: the ssh port of hosts without `ansible_port`.
    pub remote_port: Option<u16>,
    /// `control_path_dir`: where the ssh control sockets go (default: the temp dir).
    pub control_path_dir: Option<std::path::PathBuf>,
    /// `RSIBLE_PERSISTENT_SHELL` (on unless turned off): one shell loop per ssh host runs every
    /// command; off, each command opens its own session.
    pub persistent_shell: bool,
    /// `gathering`: when plays gather facts.
    pub gathering: Gathering,
    /// `any_errors_fatal`: the default of the play keyword.
    pub any_errors_fatal: bool,
    /// `--force-handlers` (or `force_handlers` in the configuration): the default of the play
    /// keyword.
    pub force_handlers: bool,
    /// `ANSIBLE_STRATEGY` (or `strategy` in the configuration): the default of the play
    /// keyword; `None` is `linear`.
    pub strategy: Option<String>,
    /// `hash_behaviour = merge`: a dictionary variable set at several precedence levels is
    /// merged recursively instead of replaced.
    pub hash_merge: bool,
}

/// Ansible's `DEFAULT_GATHERING`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gathering {
    /// Gather unless the play says `gather_facts: false`.
    #[default]
    Implicit,
    /// Gather only when the play says `gather_facts: true`.
    Explicit,
    /// Like implicit, but a host whose facts this run already gathered is not asked again.
    Smart,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            role_search: (Vec::new(), Vec::new()),
            extra_vars: Vec::new(),
            limit: None,
            forks: 5,
            verbosity: 0,
            check: false,
            diff: false,
            tags: Vec::new(),
            skip_tags: Vec::new(),
            start_at_task: None,
            connection: None,
            timeout: None,
            remote_user: None,
            become_: false,
            become_user: None,
            become_method: None,
            become_password: None,
            private_key: None,
            ssh_common_args: None,
            ssh_extra_args: None,
            ssh_args: None,
            host_key_checking: true,
            remote_port: None,
            control_path_dir: None,
            persistent_shell: true,
            gathering: Gathering::Implicit,
            any_errors_fatal: false,
            force_handlers: false,
            strategy: None,
            hash_merge: false,
        }
    }
}

/// How a run ended, mapped by the CLI to ansible-playbook's exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Exit 0.
    Ok,
    /// Some host failed: exit 2.
    HostsFailed,
    /// Some host was unreachable (wins over failed): exit 4.
    HostsUnreachable,
}

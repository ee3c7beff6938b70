use rsible_template::Vars;

/// What the run has learned about one host so far; lives across plays.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostState {
    /// Gathered facts (`ansible_facts`), without the `ansible_` prefix as Ansible stores them.
    pub facts: Vars,
    /// Facts a module returned without the `ansible_` prefix (`getent_passwd`): Ansible
    /// injects them under that name rather than as `ansible_<name>`.
    pub plain_facts: std::collections::BTreeSet<String>,
    /// `register:` results and `set_fact:` values (same precedence level here).
    pub registered: Vars,
    /// `include_vars` values: Ansible's per-host vars cache, below `set_fact`.
    pub included: Vars,
    /// The host failed a task (not ignored): it leaves this play and later ones.
    pub failed: bool,
    /// The host could not be reached: it leaves the run.
    pub unreachable: bool,
    /// `any_errors_fatal` failed the host inside a block with `rescue`: it goes on with the
    /// rescue in this play, but ansible-core counts it among the failed hosts, which later
    /// plays leave out (until `meta: clear_host_errors`).
    pub failed_for_later_plays: bool,
}

impl HostState {
    pub(crate) fn is_active(&self) -> bool {
        !self.failed && !self.unreachable
    }
}

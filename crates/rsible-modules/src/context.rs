use std::path::PathBuf;

use rsible_template::{Origin, Templar, Vars};

use crate::{Become, Connection};

/// Everything a module may use besides its arguments.
pub struct ModuleContext<'a> {
    /// The target (after `delegate_to`).
    pub conn: &'a dyn Connection,
    pub templar: &'a Templar,
    /// Every variable visible to the task (for `debug: var=`, `template`, `assert`).
    pub vars: &'a Vars,
    /// Where the task came from: position and lookup search paths.
    pub origin: &'a Origin,
    /// Where `src:` of copy/template is searched: the role's `files/` or `templates/` first.
    pub role_path: Option<PathBuf>,
    pub playbook_dir: PathBuf,
    pub become_: Option<Become>,
    /// The task's `environment:`, already templated.
    pub environment: Vec<(String, String)>,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    /// The task's connection as Ansible's play context holds it; `None` means a local
    /// connection without `delegate_to`. Only modules that open their own transport
    /// (`synchronize`'s rsync) read it.
    pub connection_info: Option<ConnectionInfo>,
    /// Prints a line on the controller's output as Ansible's `display.display` (the `pause`
    /// action's countdown notice), in order with the task's results.
    pub display: &'a (dyn Fn(&str) + Sync),
    /// The module as the task wrote it (`tempfile`, `ansible.builtin.tempfile`): Ansible names
    /// a module so in "remote module (X) does not support check mode".
    pub action: String,
}

/// How the task reaches its host, after `delegate_to`: what `synchronize` needs to point
/// rsync's ssh at the inventory host the way Ansible's action plugin does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The connection plugin the task uses (of the delegate when delegated): `ssh`, `local`,
    /// `paramiko`, `docker`…
    pub transport: String,
    /// `delegate_to`, templated; `None` when the task is not delegated.
    pub delegate_to: Option<String>,
    /// The play context's `remote_user` (`remote_user` keyword, `-u`), used when the host has
    /// no `ansible_user`.
    pub remote_user: Option<String>,
    /// The play context's key file (`ansible_ssh_private_key_file` of the host the connection
    /// goes to, else `--private-key`), unexpanded.
    pub private_key_file: Option<String>,
    /// The ssh connection's `ssh_args` as it uses them (`ANSIBLE_SSH_ARGS`, else Ansible's
    /// default `-C -o ControlMaster=auto -o ControlPersist=60s`); for `use_ssh_args`.
    pub ssh_args: Option<String>,
    /// `ansible_ssh_common_args` / `--ssh-common-args`.
    pub ssh_common_args: Option<String>,
    /// `ansible_ssh_extra_args` / `--ssh-extra-args`.
    pub ssh_extra_args: Option<String>,
}

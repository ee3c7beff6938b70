use std::path::PathBuf;
use std::time::Duration;

/// How to reach one host, from inventory variables and Ansible's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshSettings {
    /// `ansible_host`, else the inventory name.
    pub host: String,
    /// `ansible_port`; `None` leaves it to `~/.ssh/config` (else 22).
    pub port: Option<u16>,
    /// `ansible_user` / `remote_user`; `None` leaves it to `~/.ssh/config`.
    pub user: Option<String>,
    /// `ansible_ssh_private_key_file` / `--private-key`.
    pub private_key: Option<PathBuf>,
    /// `ansible_ssh_common_args`.
    pub common_args: Option<String>,
    /// `ansible_ssh_extra_args`.
    pub extra_args: Option<String>,
    /// `ANSIBLE_SSH_ARGS`; `None` means Ansible's default
    /// `-C -o ControlMaster=auto -o ControlPersist=60s`.
    pub ssh_args: Option<String>,
    /// `ANSIBLE_TIMEOUT` / `-T` (10 s).
    pub connect_timeout: Duration,
    /// `ANSIBLE_HOST_KEY_CHECKING` (true); false adds `-o StrictHostKeyChecking=no` as Ansible does.
    pub host_key_checking: bool,
    /// `control_path_dir`: where the master's private directory is made (created if missing);
    /// `None` is the system temp dir.
    pub control_dir: Option<PathBuf>,
    /// Run every command through one long-lived shell loop on the host (`channel.rs`); false
    /// opens a session per command, as Ansible's ssh plugin does (`RSIBLE_PERSISTENT_SHELL=0`).
    pub persistent_shell: bool,
}

impl SshSettings {
    /// Ansible's defaults for `host`.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: None,
            user: None,
            private_key: None,
            common_args: None,
            extra_args: None,
            ssh_args: None,
            connect_timeout: Duration::from_secs(10),
            host_key_checking: true,
            control_dir: None,
            persistent_shell: true,
        }
    }
}

//! Files a client needs to reach a [`HostSet`]: inventory, `ssh_config`, keys.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::host_set::HostSet;

impl HostSet {
    /// An INI inventory with one line per host, host key checking on.
    pub fn inventory_ini(&self) -> String {
        self.render_inventory(&self.client_key, &self.known_hosts)
    }

    /// An `ssh_config` with a `Host` block per host: `ssh -F FILE h1 cmd`.
    pub fn ssh_config(&self) -> String {
        self.render_ssh_config(&self.client_key, &self.known_hosts)
    }

    /// Writes `inventory`, `ssh_config`, `id_ed25519` (+ `.pub`), `known_hosts` and `hosts.json`
    /// into `dir`, the first two referring to the key files in `dir`.
    pub fn write_files(&self, dir: &Path) -> Result<(), Error> {
        fs_err::create_dir_all(dir)?;
        let key = dir.join("id_ed25519");
        let known_hosts = dir.join("known_hosts");
        fs_err::copy(&self.client_key, &key)?;
        fs_err::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
        fs_err::copy(pub_path(&self.client_key), pub_path(&key))?;
        fs_err::copy(&self.known_hosts, &known_hosts)?;
        fs_err::write(
            dir.join("inventory"),
            self.render_inventory(&key, &known_hosts),
        )?;
        fs_err::write(
            dir.join("ssh_config"),
            self.render_ssh_config(&key, &known_hosts),
        )?;
        let hosts: Vec<_> = self
            .hosts
            .iter()
            .map(|h| {
                serde_json::json!({
                    "name": h.name,
                    "address": h.address.to_string(),
                    "port": h.port,
                    "user": h.user,
                    "password": h.password,
                    "netns": h.netns,
                    "work_dir": h.work_dir,
                })
            })
            .collect();
        let json = serde_json::to_string_pretty(&hosts).map_err(std::io::Error::other)?;
        fs_err::write(dir.join("hosts.json"), json + "\n")?;
        Ok(())
    }

    fn render_inventory(&self, key: &Path, known_hosts: &Path) -> String {
        let mut out = String::new();
        for h in &self.hosts {
            let _ = writeln!(
                out,
                "{} ansible_host={} ansible_user={} ansible_ssh_private_key_file={} \
                 ansible_ssh_common_args='-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes'",
                h.name,
                h.address,
                h.user,
                key.display(),
                known_hosts.display()
            );
        }
        out
    }

    fn render_ssh_config(&self, key: &Path, known_hosts: &Path) -> String {
        let mut out = String::new();
        for h in &self.hosts {
            let _ = writeln!(
                out,
                "Host {}\n  HostName {}\n  Port {}\n  User {}\n  IdentityFile {}\n  \
                 IdentitiesOnly yes\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  \
                 StrictHostKeyChecking yes\n",
                h.name,
                h.address,
                h.port,
                h.user,
                key.display(),
                known_hosts.display()
            );
        }
        out
    }
}

fn pub_path(key: &Path) -> PathBuf {
    let mut p = key.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

//! Configuring and starting a [`HostSet`].

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::Error;
use crate::host::{Host, Tier};
use crate::host_set::HostSet;
use crate::network;
use crate::rootfs::{self, DEFAULT_CACHE_DIR};

/// Builds a [`HostSet`]; see [`HostSet::builder`].
#[derive(Clone, Debug)]
pub struct HostSetBuilder {
    count: usize,
    tier: Tier,
    name_prefix: String,
    rootfs_cache: PathBuf,
    ready_timeout: Duration,
    binds: Vec<(PathBuf, PathBuf)>,
}

impl HostSetBuilder {
    /// Number of hosts (1 to 240). Default 1.
    #[must_use]
    pub fn count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// Tier of every host. Default [`Tier::Shared`].
    #[must_use]
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = tier;
        self
    }

    /// Hosts are named `<prefix>1`, `<prefix>2`, … Default `h`.
    #[must_use]
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.name_prefix = prefix.into();
        self
    }

    /// Where tiers 1b and 1c keep their bootstrapped roots between runs. Default
    /// `/var/cache/rsible-testhosts`.
    #[must_use]
    pub fn rootfs_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.rootfs_cache = dir.into();
        self
    }

    /// How long to wait for every sshd to answer. Default 30 s.
    #[must_use]
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// Tiers 1b and 1c: bind-mounts `source` (a directory or file on the machine) read-only at `target`
    /// (absolute, inside the host's root) at every boot, so it survives reboots without being
    /// copied into each host. Paths must not hold whitespace. May be given several times.
    #[must_use]
    pub fn bind_ro(mut self, source: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Self {
        self.binds.push((source.into(), target.into()));
        self
    }

    /// Creates the hosts and returns once every sshd answers. On error, whatever was created is
    /// torn down again.
    pub fn start(self) -> Result<HostSet, Error> {
        if self.count == 0 || self.count > network::MAX_HOSTS {
            return Err(Error::InvalidConfig(format!(
                "host count must be 1 to {}, got {}",
                network::MAX_HOSTS,
                self.count
            )));
        }
        let prefix_ok = !self.name_prefix.is_empty()
            && self.name_prefix.len() <= 20
            && self
                .name_prefix
                .starts_with(|c: char| c.is_ascii_alphabetic())
            && self
                .name_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !prefix_ok {
            return Err(Error::InvalidConfig(format!(
                "name prefix `{}` must be 1-20 letters, digits or `-`, starting with a letter",
                self.name_prefix
            )));
        }
        self.check_binds()?;
        crate::check_support()?;
        let lower = match self.tier {
            Tier::Shared => None,
            Tier::OwnRoot => Some(rootfs::ensure_rootfs(&self.rootfs_cache)?),
            Tier::Systemd => {
                check_nspawn()?;
                Some(rootfs::ensure_systemd_rootfs(&self.rootfs_cache)?)
            }
        };
        let subnet = network::claim_subnet()?;
        let pid = std::process::id();
        let run_dir = std::env::temp_dir().join(format!("rsible-testhosts-{pid}-{}", subnet.third));
        if run_dir
            .to_string_lossy()
            .contains(|c: char| c.is_whitespace() || "\"'%\\".contains(c))
        {
            // The path goes into sshd_config and a ForceCommand line unquoted.
            let _ = std::fs::remove_file(subnet.lock_path());
            return Err(Error::InvalidConfig(format!(
                "run directory `{}` holds spaces, quotes or `%`; set TMPDIR to a plain path",
                run_dir.display()
            )));
        }
        let client_key = run_dir.join("id_ed25519");
        let known_hosts = run_dir.join("known_hosts");
        let (user, password) = match self.tier {
            Tier::Shared => ("root", None),
            Tier::OwnRoot | Tier::Systemd => ("vagrant", Some(rootfs::VAGRANT_PASSWORD.to_owned())),
        };
        let hosts = (0..self.count)
            .map(|index| {
                let name = format!("{}{}", self.name_prefix, index + 1);
                let dir = run_dir.join(&name);
                Host {
                    netns: subnet.netns(pid, &name),
                    address: subnet.host_address(index),
                    port: 22,
                    user: user.to_owned(),
                    password: password.clone(),
                    private_key: client_key.clone(),
                    known_hosts: known_hosts.clone(),
                    work_dir: (self.tier == Tier::Shared).then(|| dir.join("work")),
                    name,
                    index,
                    dir,
                }
            })
            .collect::<Vec<_>>();
        // From here on, dropping `set` (also on `?`) removes everything created so far.
        let set = HostSet {
            tier: self.tier,
            procs: Mutex::new((0..hosts.len()).map(|_| None).collect()),
            hosts,
            run_dir,
            client_key,
            known_hosts,
            subnet,
            lower,
            binds: self.binds,
            torn_down: false,
        };
        set.write_host_files()?;
        let pairs: Vec<_> = set
            .hosts
            .iter()
            .map(|h| (h.netns.clone(), h.address))
            .collect();
        network::create(subnet, &pairs)?;
        for host in &set.hosts {
            set.spawn(host)?;
        }
        set.wait_ready(&set.hosts.iter().collect::<Vec<_>>(), self.ready_timeout)?;
        Ok(set)
    }
}

impl HostSetBuilder {
    fn check_binds(&self) -> Result<(), Error> {
        if !self.binds.is_empty() && !self.tier.own_root() {
            return Err(Error::InvalidConfig(
                "bind mounts need tier 1b or 1c hosts (their own root filesystem)".into(),
            ));
        }
        for (source, target) in &self.binds {
            let plain = |p: &PathBuf| !p.to_string_lossy().contains(char::is_whitespace);
            // boot.sh reads them as whitespace-separated words.
            if !plain(source) || !plain(target) || !source.is_absolute() || !target.is_absolute() {
                return Err(Error::InvalidConfig(format!(
                    "bind mount `{}` -> `{}`: both paths must be absolute, without whitespace",
                    source.display(),
                    target.display()
                )));
            }
            if !source.exists() {
                return Err(Error::InvalidConfig(format!(
                    "bind mount source `{}` does not exist",
                    source.display()
                )));
            }
        }
        Ok(())
    }
}

/// Tier 1c boots its hosts with `systemd-nspawn` (Debian package `systemd-container`).
fn check_nspawn() -> Result<(), Error> {
    let out = crate::process::output(std::process::Command::new("systemd-nspawn").arg("--version"))
        .map_err(|e| Error::Unsupported {
            tool: "systemd-nspawn".into(),
            reason: format!("{e} (install the Debian package systemd-container)"),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Unsupported {
            tool: "systemd-nspawn --version".into(),
            reason: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

impl Default for HostSetBuilder {
    fn default() -> Self {
        Self {
            count: 1,
            tier: Tier::Shared,
            name_prefix: "h".into(),
            rootfs_cache: PathBuf::from(DEFAULT_CACHE_DIR),
            ready_timeout: Duration::from_secs(30),
            binds: Vec::new(),
        }
    }
}

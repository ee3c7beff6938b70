use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// How much of a real machine a test host is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Tier 1: own network namespace and sshd, the machine's filesystem; login `root`.
    /// Starts in milliseconds; tasks must write below the host's [`Host::work_dir`].
    Shared,
    /// Tier 1b: also its own root filesystem (Debian bookworm overlay), PID namespace and
    /// hostname; login `vagrant` with passwordless sudo. Safe for apt, users and reboots.
    OwnRoot,
    /// Tier 1c: like tier 1b (own Debian bookworm root, login `vagrant`), but booted by
    /// `systemd-nspawn` with systemd as PID 1: services, `systemctl`, `hostnamectl`,
    /// `timedatectl` and a real `reboot` work.
    Systemd,
}

impl Tier {
    /// Whether the host has its own root filesystem (tiers 1b and 1c).
    pub fn own_root(self) -> bool {
        matches!(self, Tier::OwnRoot | Tier::Systemd)
    }
}

/// One test host, with everything a client needs to reach it over SSH.
#[derive(Clone, Debug)]
pub struct Host {
    /// Inventory name, also the host's hostname for tier 1b and tier 1.
    pub name: String,
    /// Address inside the test subnet (10.77.x.y).
    pub address: Ipv4Addr,
    /// Always 22.
    pub port: u16,
    /// `root` (tier 1) or `vagrant` (tier 1b).
    pub user: String,
    /// The user's password (tier 1b: `vagrant`); tier-1 hosts take keys only.
    pub password: Option<String>,
    /// Client private key accepted by the host.
    pub private_key: PathBuf,
    /// `known_hosts` file holding this host's key, for `StrictHostKeyChecking=yes`.
    pub known_hosts: PathBuf,
    /// Tier 1: an empty directory for this host's files (the filesystem is shared).
    pub work_dir: Option<PathBuf>,
    pub(crate) index: usize,
    pub(crate) netns: String,
    pub(crate) dir: PathBuf,
}

impl Host {
    /// Name of the host's network namespace (for `ip netns exec`, `tc`, …).
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The harness's directory for this host (logs, keys; tier 1b: `upper/` overlay layer).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

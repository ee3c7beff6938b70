//! Real SSH test hosts for integration tests and benchmarks.
//!
//! Each host is a Linux network namespace with its own sshd, reachable from the machine at
//! `10.77.<set>.<11+n>:22` through a bridge; nothing outside loopback and these namespaces is
//! ever addressed. Three tiers:
//!
//! - [`Tier::Shared`] (tier 1): the machine's filesystem, login `root`, a per-host work dir;
//!   starts in milliseconds.
//! - [`Tier::OwnRoot`] (tier 1b): a Debian bookworm root (cached `debootstrap` + per-host
//!   overlay), own PID/UTS/IPC/mount namespaces, login `vagrant` with passwordless sudo, and
//!   `shutdown -r now` that reboots the host (new `boot_id`, files kept).
//! - [`Tier::Systemd`] (tier 1c): tier 1b's root with systemd as PID 1, booted by
//!   `systemd-nspawn`: services, `systemctl`, `hostnamectl` and a real `reboot`.
//!
//! Every sshd runs its commands through a `ForceCommand` wrapper that logs them
//! ([`HostSet::command_log`]). Dropping a [`HostSet`] removes everything it created, also while
//! a test panics; [`cleanup_stale`] removes what crashed processes left.
//!
//! ```no_run
//! use rsible_testhosts::{HostSet, Tier};
//! let set = HostSet::builder().count(3).tier(Tier::Shared).name_prefix("h").start()?;
//! std::fs::write("inventory", set.inventory_ini())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Needs root, `ip netns`, `unshare`, `nsenter` and openssh-server (tiers 1b and 1c also
//! `debootstrap` the first time, tier 1c `systemd-nspawn`). See `tests/hosts/README.md` in the repository.

mod builder;
mod cgroup;
mod cleanup;
mod client_files;
mod error;
mod host;
mod host_set;
mod network;
mod process;
mod rootfs;
mod sshd;
mod teardown;

pub use builder::HostSetBuilder;
pub use cleanup::{cleanup_stale, CleanupReport};
pub use error::Error;
pub use host::{Host, Tier};
pub use host_set::HostSet;
pub use rootfs::{ensure_rootfs, ensure_systemd_rootfs, DEFAULT_CACHE_DIR};

/// Checks that this process can create test hosts (root, working `ip netns`, the tools the
/// harness runs). Tests call it to skip with a clear message where hosts cannot exist.
pub fn check_support() -> Result<(), Error> {
    let uid = process::effective_uid()?;
    if uid != 0 {
        return Err(Error::NotRoot { uid });
    }
    for tool in ["/usr/sbin/sshd", "/usr/bin/ssh-keygen"] {
        if !std::path::Path::new(tool).exists() {
            return Err(Error::Unsupported {
                tool: tool.into(),
                reason: "not installed (openssh-server, openssh-client)".into(),
            });
        }
    }
    for (tool, args) in [
        ("ip", &["netns", "list"][..]),
        ("unshare", &["--version"][..]),
        ("nsenter", &["--version"][..]),
    ] {
        let out = process::output(std::process::Command::new(tool).args(args)).map_err(|e| {
            Error::Unsupported {
                tool: tool.into(),
                reason: e.to_string(),
            }
        })?;
        if !out.status.success() {
            return Err(Error::Unsupported {
                tool: format!("{tool} {}", args.join(" ")),
                reason: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
    }
    Ok(())
}

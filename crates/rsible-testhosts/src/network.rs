//! The test network: one /24 of 10.77.0.0/16 per host set, a bridge on the machine side holding
//! the `.1` address, and per host a network namespace joined to the bridge by a veth pair.
//!
//! Hosts get no default route, so they reach only their own subnet. The /24 is claimed with a lock
//! file in [`STATE_DIR`] that names the owning process, which lets `cleanup_stale` tell live sets
//! from leftovers of crashed runs.

use std::collections::BTreeSet;
use std::io::{ErrorKind, Write as _};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;
use crate::process;

/// Where lock files naming the owner of each claimed /24 live.
pub(crate) const STATE_DIR: &str = "/run/rsible-testhosts";
/// Start of every network namespace name: `rsth-<pid>-<subnet>-<host>`.
pub(crate) const NETNS_PREFIX: &str = "rsth-";
/// Highest host number: addresses run from `.11` to `.250`.
pub(crate) const MAX_HOSTS: usize = 240;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The /24 `10.77.<third>.0` claimed by one host set.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subnet {
    pub(crate) third: u8,
}

impl Subnet {
    pub(crate) fn bridge(self) -> String {
        format!("rsbr{}", self.third)
    }

    pub(crate) fn veth(self, index: usize) -> String {
        format!("rsv{}-{}", self.third, index + 1)
    }

    pub(crate) fn gateway(self) -> Ipv4Addr {
        Ipv4Addr::new(10, 77, self.third, 1)
    }

    pub(crate) fn host_address(self, index: usize) -> Ipv4Addr {
        // `index < MAX_HOSTS` is checked by the builder, so this stays within .11..=.250.
        Ipv4Addr::new(
            10,
            77,
            self.third,
            u8::try_from(index + 11).unwrap_or(u8::MAX),
        )
    }

    pub(crate) fn netns(self, pid: u32, host: &str) -> String {
        format!("{NETNS_PREFIX}{pid}-{}-{host}", self.third)
    }

    pub(crate) fn lock_path(self) -> PathBuf {
        lock_path(self.third)
    }
}

pub(crate) fn lock_path(third: u8) -> PathBuf {
    PathBuf::from(format!("{STATE_DIR}/net-{third}"))
}

/// The owner recorded in a lock file: pid and start time.
pub(crate) fn lock_owner(third: u8) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(lock_path(third)).ok()?;
    let mut parts = text.split_whitespace();
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    Some((pid, start))
}

/// Claims a free /24 for this process.
pub(crate) fn claim_subnet() -> Result<Subnet, Error> {
    fs_err::create_dir_all(STATE_DIR)?;
    let pid = std::process::id();
    let start = process::start_time(pid).unwrap_or(0);
    let in_use = subnets_in_use()?;
    // Start where this process last stopped (and elsewhere for other processes): a new set then
    // does not reuse the addresses of one just removed, whose host keys or ControlMaster sockets
    // clients may still hold.
    let offset = NEXT.fetch_add(1, Ordering::Relaxed);
    for step in 0..=u8::MAX {
        let third = u8::try_from((pid as usize + offset + step as usize) % 256).unwrap_or(0);
        if in_use.contains(&third) {
            continue;
        }
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(lock_path(third))
            {
                Ok(mut file) => {
                    writeln!(file, "{pid} {start}")?;
                    return Ok(Subnet { third });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let stale = match lock_owner(third) {
                        Some((p, s)) => !process::alive(p, s),
                        // Unreadable or half-written: only stale if it stays that way.
                        None => {
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            lock_owner(third).is_none()
                        }
                    };
                    if !stale {
                        break;
                    }
                    let _ = std::fs::remove_file(lock_path(third));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Err(Error::NoFreeSubnet)
}

/// Third octets of 10.77.x.0/24 networks that already carry an address on the machine.
fn subnets_in_use() -> Result<BTreeSet<u8>, Error> {
    let out = process::run(Command::new("ip").args(["-4", "-o", "addr", "show"]))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("10.77."))
        .filter_map(|rest| rest.split('.').next()?.parse().ok())
        .collect())
}

/// Creates the bridge and, for each `(netns, address)`, the namespace with its veth.
pub(crate) fn create(subnet: Subnet, hosts: &[(String, Ipv4Addr)]) -> Result<(), Error> {
    let bridge = subnet.bridge();
    let mut lines = format!(
        "link add {bridge} type bridge\naddr add {}/24 dev {bridge}\nlink set {bridge} up\n",
        subnet.gateway()
    );
    for (index, (ns, _)) in hosts.iter().enumerate() {
        let veth = subnet.veth(index);
        lines.push_str(&format!(
            "netns add {ns}\nlink add {veth} type veth peer name eth0 netns {ns}\n\
             link set {veth} master {bridge} up\n"
        ));
    }
    process::ip_batch(None, &lines)?;
    for (ns, address) in hosts {
        process::ip_batch(
            Some(ns),
            &format!("addr add {address}/24 dev eth0\nlink set eth0 up\nlink set lo up\n"),
        )?;
    }
    Ok(())
}

/// Deletes namespaces and the bridge (veths go with their namespace); missing ones are fine.
pub(crate) fn destroy(subnet: Option<Subnet>, namespaces: &[String]) -> Result<(), Error> {
    let mut lines = String::new();
    for ns in namespaces {
        lines.push_str(&format!("netns del {ns}\n"));
    }
    if let Some(subnet) = subnet {
        lines.push_str(&format!("link del {}\n", subnet.bridge()));
    }
    if lines.is_empty() {
        return Ok(());
    }
    // `-force` goes on after an error, so one missing item does not keep the rest alive.
    let _ = process::output(
        Command::new("sh")
            .arg("-c")
            .arg("ip -force -batch - 2>/dev/null <<'EOF'\n".to_owned() + &lines + "EOF\n"),
    )?;
    let left: Vec<String> = list_namespaces()?
        .into_iter()
        .filter(|n| namespaces.contains(n))
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(Error::Command {
            command: "ip netns del".into(),
            status: "namespaces left".into(),
            stderr: left.join(" "),
        })
    }
}

/// Every network namespace name known to `ip netns`.
pub(crate) fn list_namespaces() -> Result<Vec<String>, Error> {
    let out = process::run(Command::new("ip").args(["netns", "list"]))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect())
}

/// Names of all links on the machine.
pub(crate) fn list_links() -> Result<Vec<String>, Error> {
    let out = process::run(Command::new("ip").args(["-o", "link", "show"]))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_owned())
        .collect())
}

//! A running set of test hosts: start, use, stop.

use std::fmt::Write as _;
use std::io::Read as _;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::builder::HostSetBuilder;
use crate::error::Error;
use crate::host::{Host, Tier};
use crate::network::Subnet;
use crate::rootfs;
use crate::{cgroup, process, sshd, teardown};

/// A plain `.bashrc` (returns at once unless interactive) hidden over root's own on tier-1 hosts.
const PLAIN_BASHRC: &str = "# rsible-testhosts: a plain .bashrc, so ssh commands start fast.\n\
case $- in *i*) ;; *) return ;; esac\n";

/// Running test hosts. Dropping the set (also while a test panics) kills every process in its
/// hosts and removes its namespaces, links and files.
#[derive(Debug)]
pub struct HostSet {
    pub(crate) tier: Tier,
    pub(crate) hosts: Vec<Host>,
    pub(crate) run_dir: PathBuf,
    pub(crate) client_key: PathBuf,
    pub(crate) known_hosts: PathBuf,
    pub(crate) subnet: Subnet,
    pub(crate) lower: Option<PathBuf>,
    /// Tier 1b: `(machine path, path in the host)` mounted read-only at every boot.
    pub(crate) binds: Vec<(PathBuf, PathBuf)>,
    /// Per host: its sshd (tier 1) or its supervisor (tier 1b), each leading its process group.
    pub(crate) procs: Mutex<Vec<Option<Child>>>,
    pub(crate) torn_down: bool,
}

impl HostSet {
    /// Starts building a set: `HostSet::builder().count(3).tier(Tier::Shared).start()?`.
    pub fn builder() -> HostSetBuilder {
        HostSetBuilder::default()
    }

    /// The hosts, in name order (`h1`, `h2`, …).
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The tier of every host in the set.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// Client private key accepted by every host.
    pub fn client_key(&self) -> &Path {
        &self.client_key
    }

    /// `known_hosts` file with every host's key (under its name and its address).
    pub fn known_hosts(&self) -> &Path {
        &self.known_hosts
    }

    /// The harness's directory for this set (removed on teardown).
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// Every command the host's sshd ran, oldest first: `SSH_ORIGINAL_COMMAND` as sent (sftp
    /// sessions show as `/usr/lib/openssh/sftp-server`, interactive logins as `""`).
    pub fn command_log(&self, host: &Host) -> Result<Vec<String>, Error> {
        let host = self.own(host)?;
        let bytes = match std::fs::read(self.command_log_path(host)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut records: Vec<String> = bytes
            .split(|&b| b == 0)
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        // Every record ends with a NUL, so the last piece is what follows the last one.
        records.pop();
        Ok(records)
    }

    /// Empties the host's command log.
    pub fn clear_command_log(&self, host: &Host) -> Result<(), Error> {
        let host = self.own(host)?;
        let path = self.command_log_path(host);
        if path.exists() {
            fs_err::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)?;
        }
        Ok(())
    }

    /// Kills the host's sshd and all its sessions (open connections, ControlMasters included,
    /// drop; commands they started keep running). The host itself stays up.
    pub fn stop_sshd(&self, host: &Host) -> Result<(), Error> {
        let host = self.own(host)?;
        if self.tier == Tier::Systemd {
            // Else systemd restarts the killed sshd (`Restart=on-failure`); its sessions stay
            // (`KillMode=process`) and are killed below.
            let _ = self.exec_on(host, "systemctl stop ssh.service")?;
        }
        let pids: Vec<i64> = process::netns_pids(&host.netns)
            .into_iter()
            .filter(|&p| process::comm(p).starts_with("sshd"))
            .collect();
        process::kill("KILL", &pids);
        if self.tier == Tier::Shared {
            if let Some(mut child) = self.procs()[host.index].take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while pids.iter().any(|&p| !process::gone(p)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Starts the host's sshd again and waits until it answers.
    pub fn start_sshd(&self, host: &Host) -> Result<(), Error> {
        let host = self.own(host)?;
        match self.tier {
            Tier::Shared => {
                let running = self.procs()[host.index]
                    .as_mut()
                    .is_some_and(|c| matches!(c.try_wait(), Ok(None)));
                if !running {
                    self.spawn(host)?;
                }
            }
            Tier::OwnRoot | Tier::Systemd => {
                let start = if self.tier == Tier::Systemd {
                    "systemctl start ssh.service"
                } else {
                    "/usr/sbin/sshd -E /var/log/rsible-testhosts/sshd.log"
                };
                let out = self.exec_on(host, start)?;
                if !out.status.success() {
                    return Err(Error::Command {
                        command: format!("sshd on `{}`", host.name),
                        status: out.status.to_string(),
                        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    });
                }
            }
        }
        self.wait_ready(&[host], Duration::from_secs(30))
    }

    /// Runs `cmd` with `/bin/sh -c` as root inside the host, without SSH, for test assertions:
    /// tier 1 in the host's network namespace with its hostname and plain `.bashrc`; tiers 1b
    /// and 1c in all of the host's namespaces and its root filesystem (fails with
    /// [`Error::HostDown`] while it reboots). Any exit status is returned as is.
    pub fn exec_on(&self, host: &Host, cmd: &str) -> Result<Output, Error> {
        let host = self.own(host)?;
        let mut command = match self.tier {
            Tier::Shared => self.shared_host_command(host),
            Tier::OwnRoot | Tier::Systemd => {
                let init = self
                    .init_pid(host)
                    .ok_or_else(|| Error::HostDown(host.name.clone()))?;
                let mut c = Command::new("nsenter");
                c.arg("-t")
                    .arg(init.to_string())
                    .args(["-m", "-u", "-i", "-n", "-p", "-r", "-w", "--"]);
                c
            }
        };
        command.args(["/bin/sh", "-c", cmd]);
        process::output(&mut command)
    }

    /// How many times the host has booted (tiers 1b and 1c: 1 + reboots; tier 1: always 1).
    pub fn boots(&self, host: &Host) -> Result<u32, Error> {
        let host = self.own(host)?;
        if self.tier == Tier::Shared {
            return Ok(1);
        }
        let text = fs_err::read_to_string(host.dir.join("boots"))?;
        text.trim()
            .parse()
            .map_err(|_| Error::InvalidConfig(format!("bad boot counter {text:?}")))
    }

    /// Tears everything down now and reports what could not be removed (dropping does the same
    /// but can only print failures).
    pub fn teardown(mut self) -> Result<(), Error> {
        self.torn_down = true;
        self.teardown_inner()
    }

    fn teardown_inner(&mut self) -> Result<(), Error> {
        let children: Vec<Child> = self.procs().drain(..).flatten().collect();
        let groups: Vec<i64> = children.iter().map(|c| -i64::from(c.id())).collect();
        let namespaces: Vec<String> = self.hosts.iter().map(|h| h.netns.clone()).collect();
        let result = teardown::remove(
            &groups,
            &namespaces,
            Some(self.subnet),
            Some(&self.run_dir),
            children,
        );
        let _ = std::fs::remove_file(self.subnet.lock_path());
        result
    }

    fn procs(&self) -> MutexGuard<'_, Vec<Option<Child>>> {
        self.procs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn own<'a>(&'a self, host: &Host) -> Result<&'a Host, Error> {
        self.hosts
            .get(host.index)
            .filter(|h| h.netns == host.netns)
            .ok_or_else(|| Error::UnknownHost(host.name.clone()))
    }

    fn command_log_path(&self, host: &Host) -> PathBuf {
        match self.tier {
            Tier::Shared => host.dir.join("commands.log"),
            Tier::OwnRoot | Tier::Systemd => host.dir.join("upper").join(rootfs::COMMAND_LOG),
        }
    }

    /// The host's PID 1 as the machine sees it (tiers 1b and 1c).
    fn init_pid(&self, host: &Host) -> Option<i64> {
        process::netns_pids(&host.netns)
            .into_iter()
            .find(|&p| process::is_namespace_init(p))
    }

    pub(crate) fn write_host_files(&self) -> Result<(), Error> {
        if self.run_dir.exists() {
            // Left by an earlier process with the same pid: nothing of it can still run.
            fs_err::remove_dir_all(&self.run_dir)?;
        }
        create_dir(&self.run_dir)?;
        let client_pub = sshd::keygen(&self.client_key, "rsible-testhosts client")?;
        let mut known_hosts = String::new();
        let dir = &self.run_dir;
        match self.tier {
            Tier::Shared => {
                rootfs::write(
                    dir,
                    "command-wrapper.sh",
                    include_str!("scripts/command-wrapper.sh"),
                    0o755,
                )?;
                rootfs::write(
                    dir,
                    "shared-host.sh",
                    include_str!("scripts/shared-host.sh"),
                    0o755,
                )?;
                rootfs::write(dir, "bashrc", PLAIN_BASHRC, 0o644)?;
                rootfs::write(dir, "authorized_keys", &(client_pub.clone() + "\n"), 0o644)?;
            }
            Tier::OwnRoot => {
                rootfs::write(
                    dir,
                    "supervise.sh",
                    include_str!("scripts/supervise.sh"),
                    0o755,
                )?;
                rootfs::write(dir, "boot.sh", include_str!("scripts/boot.sh"), 0o755)?;
            }
            Tier::Systemd => {
                rootfs::write(
                    dir,
                    "supervise-systemd.sh",
                    include_str!("scripts/supervise-systemd.sh"),
                    0o755,
                )?;
            }
        }
        if self.tier.own_root() {
            let mut binds = String::new();
            for (source, target) in &self.binds {
                let _ = writeln!(binds, "{} {}", source.display(), target.display());
            }
            rootfs::write(dir, "binds", &binds, 0o644)?;
        }
        let mut etc_hosts =
            String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for host in &self.hosts {
            let _ = writeln!(etc_hosts, "{}\t{}", host.address, host.name);
        }
        for host in &self.hosts {
            create_dir(&host.dir)?;
            let host_pub = match self.tier {
                Tier::Shared => {
                    create_dir(&host.dir.join("work"))?;
                    rootfs::write(&host.dir, "commands.log", "", 0o644)?;
                    let key = host.dir.join("ssh_host_ed25519_key");
                    let public = sshd::keygen(&key, &host.name)?;
                    let config = sshd::shared_config(
                        host.address,
                        &key,
                        &dir.join("authorized_keys"),
                        &dir.join("command-wrapper.sh"),
                        &host.dir.join("commands.log"),
                    );
                    rootfs::write(&host.dir, "sshd_config", &config, 0o644)?;
                    public
                }
                Tier::OwnRoot | Tier::Systemd => {
                    for sub in ["upper", "work", "root", "upper/etc", "upper/etc/ssh"] {
                        create_dir(&host.dir.join(sub))?;
                    }
                    let upper = host.dir.join("upper");
                    let public = sshd::keygen(&upper.join(rootfs::HOST_KEY), &host.name)?;
                    let keys = format!("{}/vagrant", rootfs::AUTHORIZED_KEYS_DIR);
                    rootfs::write(&upper, &keys, &(client_pub.clone() + "\n"), 0o644)?;
                    rootfs::write(&upper, "etc/hostname", &format!("{}\n", host.name), 0o644)?;
                    rootfs::write(&upper, "etc/hosts", &etc_hosts, 0o644)?;
                    if self.tier == Tier::Systemd {
                        rootfs::write(&upper, "etc/machine-id", &machine_id()?, 0o444)?;
                    }
                    public
                }
            };
            // `ssh-ed25519 AAAA… comment` → the key without its comment.
            let key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
            let _ = writeln!(
                known_hosts,
                "{},{} {}",
                host.name,
                host.address,
                key.join(" ")
            );
        }
        rootfs::write(dir, "known_hosts", &known_hosts, 0o644)?;
        Ok(())
    }

    /// Runs what follows as part of tier-1 `host`: its network namespace, its own hostname, the
    /// plain `.bashrc`.
    fn shared_host_command(&self, host: &Host) -> Command {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &host.netns,
            "unshare",
            "--uts",
            "--",
            "/bin/sh",
        ])
        .arg(self.run_dir.join("shared-host.sh"))
        .arg(&host.name)
        .arg(self.run_dir.join("bashrc"));
        c
    }

    pub(crate) fn spawn(&self, host: &Host) -> Result<(), Error> {
        let log = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(host.dir.join("start.log"))?;
        let mut cmd = match (self.tier, &self.lower) {
            (Tier::Systemd, Some(lower)) => {
                let cgroups = cgroup::create(&host.netns)?;
                let mut c = Command::new("unshare");
                c.args(["--mount", "--propagation", "private", "--", "/bin/sh"])
                    .arg(self.run_dir.join("supervise-systemd.sh"))
                    .arg(&host.netns)
                    .arg(&host.name)
                    .arg(lower)
                    .arg(&host.dir)
                    .arg(self.run_dir.join("binds"))
                    .args(cgroups);
                c
            }
            (Tier::OwnRoot, Some(lower)) => {
                let mut c = Command::new("/bin/sh");
                c.arg(self.run_dir.join("supervise.sh"))
                    .arg(&host.netns)
                    .arg(&host.name)
                    .arg(lower)
                    .arg(&host.dir)
                    .arg(self.run_dir.join("boot.sh"))
                    .arg(self.run_dir.join("binds"));
                c
            }
            _ => {
                let mut c = self.shared_host_command(host);
                c.args(["/usr/sbin/sshd", "-D", "-f"])
                    .arg(host.dir.join("sshd_config"))
                    .arg("-E")
                    .arg(host.dir.join("sshd.log"));
                c
            }
        };
        // Own process group: a Ctrl-C meant for the test runner does not reach the hosts, and
        // teardown can end a supervisor with everything it started in one signal.
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(log.file().try_clone()?)
            .stderr(log.into_file());
        let child = cmd.spawn().map_err(|source| Error::Spawn {
            program: cmd.get_program().to_string_lossy().into_owned(),
            source,
        })?;
        self.procs()[host.index] = Some(child);
        Ok(())
    }

    pub(crate) fn wait_ready(&self, hosts: &[&Host], timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let mut pending: Vec<&Host> = hosts.to_vec();
        loop {
            pending.retain(|h| !sshd_answers(h));
            let Some(first) = pending.first() else {
                return Ok(());
            };
            let mut exited = None;
            for host in &pending {
                if let Some(child) = self.procs()[host.index].as_mut() {
                    if let Ok(Some(status)) = child.try_wait() {
                        exited = Some((*host, format!(" (its process ended: {status})")));
                        break;
                    }
                }
            }
            if exited.is_none() && Instant::now() >= deadline {
                exited = Some((*first, String::new()));
            }
            if let Some((host, why)) = exited {
                return Err(Error::SshdNotReady {
                    name: host.name.clone(),
                    address: host.address,
                    seconds: timeout.as_secs(),
                    hint: format!("{why}\n{}", self.log_tail(host)),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log_tail(&self, host: &Host) -> String {
        let logs = match self.tier {
            Tier::Shared => vec![host.dir.join("start.log"), host.dir.join("sshd.log")],
            Tier::Systemd => vec![host.dir.join("start.log"), host.dir.join("boot.log")],
            Tier::OwnRoot => vec![
                host.dir.join("start.log"),
                host.dir.join("boot.log"),
                host.dir.join("upper/var/log/rsible-testhosts/sshd.log"),
            ],
        };
        let mut out = String::new();
        for log in logs {
            if let Ok(text) = std::fs::read_to_string(&log) {
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(10)..];
                if !tail.is_empty() {
                    let _ = writeln!(out, "{}:\n  {}", log.display(), tail.join("\n  "));
                }
            }
        }
        out
    }
}

impl Drop for HostSet {
    fn drop(&mut self) {
        if !self.torn_down {
            self.torn_down = true;
            if let Err(e) = self.teardown_inner() {
                eprintln!(
                    "rsible-testhosts: teardown of {} left something behind: {e}",
                    self.run_dir.display()
                );
            }
        }
    }
}

/// Whether sshd at the host's address sends its `SSH-` banner.
fn sshd_answers(host: &Host) -> bool {
    let addr = SocketAddr::from((host.address, host.port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut banner = [0u8; 4];
    stream.read_exact(&mut banner).is_ok() && &banner == b"SSH-"
}

/// A fresh `/etc/machine-id`: 32 lowercase hex digits from the kernel's random UUID.
fn machine_id() -> Result<String, Error> {
    let uuid = fs_err::read_to_string("/proc/sys/kernel/random/uuid")?;
    Ok(uuid.trim().replace('-', "") + "\n")
}

fn create_dir(path: &Path) -> Result<(), Error> {
    fs_err::create_dir(path)?;
    // The overlay's upper directory gives the host's `/` its mode: others must be able to enter.
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

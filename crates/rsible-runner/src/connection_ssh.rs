//! The `ssh` connection: one OpenSSH ControlMaster per host for the whole run, and every
//! request one multiplexed `ssh` command over it (about one round trip each).
//!
//! The master is started lazily on first use, lives in a private temp dir (mode 0700) and is
//! closed when the connection is dropped. A master that died (host rebooted, sshd restarted) is
//! noticed before the next command and started again; a command that may already have run on
//! the host is never sent twice.

#[path = "ssh_args.rs"]
mod args;
#[path = "ssh_become.rs"]
mod become_;
#[path = "ssh_run.rs"]
mod run;
#[cfg(test)]
#[path = "ssh_tests.rs"]
mod tests;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use rsible_modules::{Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions};

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
        }
    }
}

/// A host reached through OpenSSH's `ssh` client with one shared master connection.
#[derive(Debug)]
pub struct SshConnection {
    settings: SshSettings,
    master: Mutex<Option<Arc<Master>>>,
}

/// A running ControlMaster. Dropping it asks the master to exit and removes its directory.
#[derive(Debug)]
struct Master {
    session: openssh::Session,
    control_path: PathBuf,
    /// The master's pid, to notice cheaply that it is gone.
    pid: Option<u32>,
    /// The master's stderr, and its size once connected: what it prints later says why the
    /// connection ended.
    log_path: PathBuf,
    log_start: u64,
}

/// Prefix of every unreachable message, as Ansible's ssh plugin words it.
const UNREACHABLE_PREFIX: &str = "Failed to connect to the host via ssh:";

fn unreachable(stderr: &str) -> ConnectionError {
    ConnectionError::Unreachable(format!("{UNREACHABLE_PREFIX} {}", stderr.trim_end()))
}

/// One runtime for every host's ssh processes; trait calls come from plain worker threads and
/// block on it.
fn runtime() -> Result<&'static tokio::runtime::Runtime, ConnectionError> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rsible-ssh")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ConnectionError::Failed(format!("cannot start the ssh runtime: {e}")))
}

impl SshConnection {
    /// Checks the settings; connects on first use.
    pub fn new(settings: SshSettings) -> Result<Self, ConnectionError> {
        args::user_args(&settings).map_err(ConnectionError::Failed)?;
        Ok(Self {
            settings,
            master: Mutex::new(None),
        })
    }

    /// A master that is running now, started if there is none or the last one died.
    fn live_master(&self) -> Result<Arc<Master>, ConnectionError> {
        let mut slot = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(m) = slot.as_ref() {
            if m.alive() {
                return Ok(Arc::clone(m));
            }
        }
        *slot = None;
        let m = Arc::new(self.start_master()?);
        *slot = Some(Arc::clone(&m));
        Ok(m)
    }

    /// Drops `dead` unless another thread already replaced it.
    fn forget(&self, dead: &Arc<Master>) {
        let mut slot = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|m| Arc::ptr_eq(m, dead)) {
            *slot = None;
        }
    }

    fn start_master(&self) -> Result<Master, ConnectionError> {
        let cannot = |e: std::io::Error| {
            ConnectionError::Failed(format!("cannot create ssh control dir: {e}"))
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".rsible-ssh-");
        let dir = match &self.settings.control_dir {
            Some(parent) => {
                std::fs::create_dir_all(parent).map_err(cannot)?;
                builder.tempdir_in(parent)
            }
            None => builder.tempdir(),
        }
        .map_err(cannot)?;
        // openssh's native-mux session (no ssh process per command) expects the socket and log under these names.
        let control_path = dir.path().join("master");
        let log_path = dir.path().join("log");
        let argv =
            args::master_args(&self.settings, &control_path).map_err(ConnectionError::Failed)?;
        let log = std::fs::File::create(&log_path).map_err(|e| {
            ConnectionError::Failed(format!("cannot create {}: {e}", log_path.display()))
        })?;
        // ssh's stderr goes to a file, not a pipe: the master forks into the background and
        // would hold a pipe open for its whole life.
        let status = std::process::Command::new("ssh")
            .args(&argv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .status()
            .map_err(|e| ConnectionError::Failed(format!("cannot run ssh: {e}")))?;
        if !status.success() {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(unreachable(&text));
        }
        let pid = master_pid(&control_path);
        let log_start = std::fs::metadata(&log_path).map_or(0, |m| m.len());
        Ok(Master {
            session: openssh::Session::new_native_mux(dir),
            control_path,
            pid,
            log_path,
            log_start,
        })
    }
}

/// Asks the master for its pid (`Master running (pid=N)`).
fn master_pid(control_path: &Path) -> Option<u32> {
    let out = std::process::Command::new("ssh")
        .arg("-S")
        .arg(control_path)
        .args(["-O", "check", "none"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let rest = text.split("pid=").nth(1)?;
    rest.split(')').next()?.trim().parse().ok()
}

impl Master {
    /// Why the connection went away: the mux client's stderr, else what the master logged
    /// since it connected.
    fn lost_reason(&self, client_stderr: &str, host: &str) -> String {
        if !client_stderr.trim().is_empty() {
            return client_stderr.to_owned();
        }
        let log = std::fs::read(&self.log_path).unwrap_or_default();
        let start = usize::try_from(self.log_start)
            .unwrap_or(usize::MAX)
            .min(log.len());
        let logged = String::from_utf8_lossy(&log[start..]).trim().to_owned();
        if logged.is_empty() {
            // ssh's own words for this case when it has a terminal (Ansible's usual message).
            format!("Shared connection to {host} closed.")
        } else {
            logged
        }
    }

    /// The socket is there and the process still runs (not a zombie).
    fn alive(&self) -> bool {
        if !self.control_path.exists() {
            return false;
        }
        let Some(pid) = self.pid else {
            return true;
        };
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z')),
            // No procfs: trust the socket.
            Err(_) => !Path::new("/proc/self").exists(),
        }
    }
}

impl Connection for SshConnection {
    fn host(&self) -> &str {
        &self.settings.host
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        let plan = become_::plan(req)?;
        let rt = runtime()?;
        let mut retried = false;
        loop {
            let master = self.live_master()?;
            let outcome = rt.block_on(run::run(&master.session, &plan, req.stdin.as_deref()));
            match outcome {
                run::Outcome::Done(out) => return Ok(out),
                run::Outcome::Failed(e) => return Err(e),
                run::Outcome::NotStarted(msg) => {
                    self.forget(&master);
                    if retried {
                        return Err(unreachable(&msg));
                    }
                    retried = true;
                }
                run::Outcome::Lost(msg) => {
                    self.forget(&master);
                    return Err(unreachable(&master.lost_reason(&msg, &self.settings.host)));
                }
            }
        }
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        let mut req =
            ExecRequest::shell(put_script(dest, opts.mode)).with_become(opts.become_.as_ref());
        req.stdin = Some(data.to_vec());
        let out = self.exec(&req)?;
        if out.rc == 0 {
            Ok(())
        } else {
            Err(ConnectionError::Failed(format!(
                "cannot write {dest}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    fn reset(&self) -> Result<(), ConnectionError> {
        let mut slot = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        // Closing the old master first: a reset after a reboot must not reuse anything.
        drop(slot.take());
        *slot = Some(Arc::new(self.start_master()?));
        Ok(())
    }
}

/// One shell round trip that writes stdin to a temp file beside `dest` and renames it over.
///
/// Permissions follow Ansible's `atomic_move`: an existing file keeps its mode (and owner when
/// we may set it), a new one gets `0666 & ~umask` of the target user (by creating it under
/// that umask); an explicit mode wins. The temp file is created exclusively (`set -C`) and
/// only readable by us until it is complete. Few processes keep it fast: `cat`, `mv` and, for
/// existing files or explicit modes, `stat`/`chown`/`chmod`.
fn put_script(dest: &str, mode: Option<u32>) -> String {
    let (new_umask, keep, chmod) = match mode {
        Some(m) => (
            "umask 077",
            "chown \"${s#* }\" \"$t\" 2>/dev/null || :".to_owned(),
            format!("chmod {m:o} \"$t\" && "),
        ),
        None => (
            ":",
            "chown \"${s#* }\" \"$t\" 2>/dev/null; chmod \"${s%% *}\" \"$t\"".to_owned(),
            String::new(),
        ),
    };
    format!(
        "d={d}; t=\"$d.rsible-$$\"; s=; \
         if [ -d \"$d\" ]; then echo \"$d: is a directory\" >&2; exit 1; fi; \
         if [ -e \"$d\" ]; then s=$(stat -L -c '%a %u:%g' -- \"$d\") || exit 1; umask 077; \
         else {new_umask}; fi; \
         set -C; cat > \"$t\" || {{ rm -f -- \"$t\"; exit 1; }}; \
         {{ [ -z \"$s\" ] || {{ {keep}; }}; }} && {chmod}mv -f -- \"$t\" \"$d\" \
         || {{ rm -f -- \"$t\"; exit 1; }}",
        d = quote_path(dest)
    )
}

/// `shlex.quote`: safe strings stay bare, everything else is single-quoted.
pub(crate) fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Quotes a path but leaves a leading `~`/`~user` for the remote shell to expand.
fn quote_path(p: &str) -> String {
    let Some(rest) = p.strip_prefix('~') else {
        return sh_quote(p);
    };
    let (user, tail) = rest
        .split_once('/')
        .map_or((rest, None), |(u, t)| (u, Some(t)));
    if !user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return sh_quote(p);
    }
    match tail {
        None => format!("~{user}"),
        Some("") => format!("~{user}/"),
        Some(t) => format!("~{user}/{}", sh_quote(t)),
    }
}

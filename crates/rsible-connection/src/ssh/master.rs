//! A host's ControlMaster: started by us (see `args.rs` for why not by openssh's builder),
//! watched through its pid, closed when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::args;
use super::{unreachable, SshRuntime, SshSettings};
use crate::ConnectionError;

/// A running ControlMaster. Dropping it asks the master to exit and removes its directory.
#[derive(Debug)]
pub(super) struct Master {
    pub session: std::sync::Arc<openssh::Session>,
    pub control_path: PathBuf,
    /// The master's pid, to notice cheaply that it is gone.
    pub pid: Option<u32>,
    /// The master's stderr, and its size once connected: what it prints later says why the
    /// connection ended.
    log_path: PathBuf,
    log_start: u64,
}

impl Master {
    pub(super) fn start(
        settings: &SshSettings,
        runtime: &SshRuntime,
    ) -> Result<Self, ConnectionError> {
        let cannot = |e: std::io::Error| {
            ConnectionError::Failed(format!("cannot create ssh control dir: {e}"))
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".rsible-ssh-");
        let dir = match &settings.control_dir {
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
        let argv = args::master_args(settings, &control_path).map_err(ConnectionError::Failed)?;
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
        let pid = runtime.block_on(master_pid(&control_path));
        let log_start = std::fs::metadata(&log_path).map_or(0, |m| m.len());
        Ok(Self {
            session: std::sync::Arc::new(openssh::Session::new_native_mux(dir)),
            control_path,
            pid,
            log_path,
            log_start,
        })
    }

    /// Why the connection went away: the mux client's stderr, else what the master logged
    /// since it connected.
    pub(super) fn lost_reason(&self, client_stderr: &str, host: &str) -> String {
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
    pub(super) fn alive(&self) -> bool {
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

/// Asks the master for its pid over its control socket (the mux protocol's alive check).
async fn master_pid(control_path: &Path) -> Option<u32> {
    let mut conn = openssh_mux_client::Connection::connect(control_path)
        .await
        .ok()?;
    conn.send_alive_check()
        .await
        .ok()
        .map(std::num::NonZeroU32::get)
}

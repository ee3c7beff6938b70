//! The `ssh` connection: one OpenSSH ControlMaster per host for the whole run, and every
//! request one multiplexed `ssh` command over it (about one round trip each).
//!
//! The master is started lazily on first use, lives in a private temp dir (mode 0700) and is
//! closed when the connection is dropped. A master that died (host rebooted, sshd restarted) is
//! noticed before the next command and started again; a command that may already have run on
//! the host is never sent twice.

mod args;
mod master;
mod run;
mod runtime;
mod settings;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, PoisonError};

pub use runtime::SshRuntime;
pub use settings::SshSettings;

use crate::escalation;
use crate::put::put_via_shell;
use crate::{Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions};
use master::Master;

/// A host reached through OpenSSH's `ssh` client with one shared master connection.
#[derive(Debug)]
pub struct SshConnection {
    settings: SshSettings,
    runtime: SshRuntime,
    master: Mutex<Option<Arc<Master>>>,
}

/// Prefix of every unreachable message, as Ansible's ssh plugin words it.
const UNREACHABLE_PREFIX: &str = "Failed to connect to the host via ssh:";

fn unreachable(stderr: &str) -> ConnectionError {
    ConnectionError::Unreachable(format!("{UNREACHABLE_PREFIX} {}", stderr.trim_end()))
}

impl SshConnection {
    /// Checks the settings; connects on first use. `runtime` drives the ssh processes; the
    /// connections of one run share one.
    pub fn new(settings: SshSettings, runtime: SshRuntime) -> Result<Self, ConnectionError> {
        args::user_args(&settings).map_err(ConnectionError::Failed)?;
        Ok(Self {
            settings,
            runtime,
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
        let m = Arc::new(Master::start(&self.settings)?);
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
}

impl Connection for SshConnection {
    fn host(&self) -> &str {
        &self.settings.host
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        let plan = escalation::plan(req)?;
        let mut retried = false;
        loop {
            let master = self.live_master()?;
            let outcome =
                self.runtime
                    .block_on(run::run(&master.session, &plan, req.stdin.as_deref()));
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
        put_via_shell(self, data, dest, opts)
    }

    fn reset(&self) -> Result<(), ConnectionError> {
        let mut slot = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        // Closing the old master first: a reset after a reboot must not reuse anything.
        drop(slot.take());
        *slot = Some(Arc::new(Master::start(&self.settings)?));
        Ok(())
    }
}

//! The `ssh` connection: one OpenSSH ControlMaster per host for the whole run, and every
//! request one round trip over it.
//!
//! Commands go over one long-lived shell loop on the host (`channel.rs`) when they can; a
//! command that must answer sudo's password prompt, a command sent while the loop is busy with
//! another thread's, and hosts whose login shell cannot run the loop get a session of their own.
//!
//! The master is started lazily on first use, lives in a private temp dir (mode 0700) and is
//! closed when the connection is dropped. A master that died (host rebooted, sshd restarted) is
//! noticed before the next command and started again; a command that may already have run on
//! the host is never sent twice.

mod args;
mod channel;
mod master;
mod run;
mod runtime;
mod settings;
#[cfg(test)]
mod tests;

use std::os::unix::ffi::OsStrExt as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

pub use runtime::SshRuntime;
pub use settings::SshSettings;

use crate::escalation;
use crate::put::put_via_shell;
use crate::{Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions};
use channel::{Channel, OpenError, Reply};
use escalation::Plan;
use master::Master;

/// A host reached through OpenSSH's `ssh` client with one shared master connection.
#[derive(Debug)]
pub struct SshConnection {
    settings: SshSettings,
    runtime: SshRuntime,
    master: Mutex<Option<Arc<Master>>>,
    /// The host's shell loop, once opened; `None` until first use and after it broke.
    channel: Mutex<Option<Channel>>,
    /// Cleared when the host's login shell refused the loop.
    persistent: AtomicBool,
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
            persistent: AtomicBool::new(settings.persistent_shell),
            settings,
            runtime,
            master: Mutex::new(None),
            channel: Mutex::new(None),
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
        let m = Arc::new(Master::start(&self.settings, &self.runtime)?);
        *slot = Some(Arc::clone(&m));
        Ok(m)
    }

    /// Runs `plan` over the host's shell loop, opening it if needed. `None`: the loop cannot
    /// take this request and nothing was sent; the caller opens a session of its own.
    fn exec_on_channel(
        &self,
        slot: &mut Option<Channel>,
        req: &ExecRequest,
        plan: &Plan,
    ) -> Option<Result<ExecOutput, ConnectionError>> {
        let stdin = req.stdin.as_deref();
        let master = match self.live_master() {
            Ok(m) => m,
            Err(e) => return Some(Err(e)),
        };
        if slot
            .as_ref()
            .is_some_and(|c| !Arc::ptr_eq(&c.master, &master))
        {
            *slot = None;
        }
        if slot.is_none() {
            match self.runtime.block_on(Channel::open(Arc::clone(&master))) {
                Ok(c) => *slot = Some(c),
                Err(OpenError::Refused) => {
                    if master.alive() {
                        self.persistent.store(false, Ordering::Relaxed);
                    }
                    return None;
                }
                Err(OpenError::NoSession) => {
                    self.forget(&master);
                    return None;
                }
            }
        }
        let channel = slot.as_mut()?;
        let line = channel::inline_script(req).unwrap_or(&plan.line);
        match self.runtime.block_on(channel.run(line, stdin)) {
            Reply::Done { rc, stdout, stderr } => {
                Some(escalation::finish(plan, rc, stdout, stderr))
            }
            Reply::NotSent => {
                *slot = None;
                None
            }
            Reply::Broken => {
                *slot = None;
                let master_ok = self
                    .runtime
                    .block_on(async { master.session.check().await.is_ok() });
                if !master_ok {
                    self.forget(&master);
                }
                Some(Err(unreachable(
                    &master.lost_reason("", &self.settings.host),
                )))
            }
        }
    }

    /// Drops `dead` unless another thread already replaced it.
    fn forget(&self, dead: &Arc<Master>) {
        let mut slot = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|m| Arc::ptr_eq(m, dead)) {
            *slot = None;
        }
    }
}

/// A new pseudo-terminal: its controlling side (kept open while ssh runs) and its terminal.
fn local_terminal() -> std::io::Result<(std::os::fd::OwnedFd, std::fs::File)> {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
    grantpt(&controller)?;
    unlockpt(&controller)?;
    let name = ptsname(&controller, Vec::new())?;
    let terminal = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(std::ffi::OsStr::from_bytes(name.as_bytes()))?;
    Ok((controller, terminal))
}

impl Connection for SshConnection {
    fn host(&self) -> &str {
        &self.settings.host
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        let plan = escalation::plan(req)?;
        let prompts = plan
            .escalation
            .as_ref()
            .is_some_and(|e| e.password.is_some());
        if !prompts && self.persistent.load(Ordering::Relaxed) {
            // Busy with another thread's command (a delegated task, an async poll): that one
            // gets a session of its own rather than waiting.
            if let Ok(mut slot) = self.channel.try_lock() {
                if let Some(done) = self.exec_on_channel(&mut slot, req, &plan) {
                    return done;
                }
            }
        }
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

    fn exec_tty(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        let plan = escalation::plan(req)?;
        // A become password is answered on the pipes `exec` reads, so those commands go there.
        if plan
            .escalation
            .as_ref()
            .is_some_and(|e| e.password.is_some())
            || req.stdin.is_some()
        {
            return self.exec(req);
        }
        let master = self.live_master()?;
        let failed = |e: std::io::Error| ConnectionError::Failed(format!("cannot run ssh: {e}"));
        // ssh sends the modes of its own terminal for the remote one: Ansible's ssh plugin gives
        // it a pty, so the remote side translates newlines to CRLF as under Ansible.
        let (_pty, terminal) = local_terminal().map_err(failed)?;
        // `-p 9` (discard): never a new connection if the master has gone meanwhile.
        let out = std::process::Command::new("ssh")
            .arg("-S")
            .arg(&master.control_path)
            .args(["-tt", "-o", "BatchMode=yes", "-p", "9", "--"])
            .arg(&self.settings.host)
            .arg(&plan.line)
            .stdin(terminal)
            .output()
            .map_err(failed)?;
        let rc = out.status.code().unwrap_or(-1);
        if rc == 255 && !master.alive() {
            self.forget(&master);
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(unreachable(
                &master.lost_reason(&stderr, &self.settings.host),
            ));
        }
        let mut stdout = out.stdout;
        // The become shell's success marker is the first line on the terminal.
        if let Some(esc) = &plan.escalation {
            let marker = esc.marker.as_bytes();
            if let Some(at) = stdout.windows(marker.len()).position(|w| w == marker) {
                let end = stdout[at..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(stdout.len(), |n| at + n + 1);
                stdout.drain(..end);
            }
        }
        Ok(ExecOutput {
            rc,
            stdout,
            stderr: out.stderr,
        })
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        put_via_shell(self, data, dest, opts)
    }

    fn reset(&self) -> Result<(), ConnectionError> {
        drop(
            self.channel
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let mut slot = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        // Closing the old master first: a reset after a reboot must not reuse anything.
        drop(slot.take());
        *slot = Some(Arc::new(Master::start(&self.settings, &self.runtime)?));
        Ok(())
    }
}

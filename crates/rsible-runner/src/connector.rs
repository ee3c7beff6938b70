//! The seam between the runner and its transports: a [`Connector`] hands out the connection
//! for a host. [`SystemConnector`] makes real ones (local processes, OpenSSH masters); tests
//! hand in fakes through [`crate::run_playbook_with`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rsible_connection::local::LocalConnection;
use rsible_connection::ssh::{SshConnection, SshRuntime, SshSettings};
use rsible_connection::Connection;

/// Where a task's requests go, after `delegate_to`, and how the runner chose to reach it.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The inventory name of the host the requests go to: the delegate when the task is
    /// delegated, else the host the task runs for.
    pub host: &'a str,
    /// The connection plugin chosen for it (`local`, `ssh`, `smart`, `paramiko`, or whatever
    /// the playbook named).
    pub transport: &'a str,
    /// For the ssh-like transports: the settings from the host's variables and the command line.
    pub ssh: Option<&'a SshSettings>,
}

/// Hands out the connection for each target of a run.
pub trait Connector: Send + Sync {
    /// The connection to `target`. `Err` holds the message of the UNREACHABLE result the task
    /// gets (a transport that cannot be made, settings that cannot be used).
    fn connect(&self, target: &Target<'_>) -> Result<Arc<dyn Connection>, String>;

    /// Closes what is open to `host` (`meta: reset_connection`): its next task connects anew.
    fn forget(&self, _host: &str) {}
}

/// The real connections of one run, one per target and settings: opened on first use, kept for
/// the run, closed with it. SSH connections share one async runtime that lives as long as they do.
#[derive(Default)]
pub struct SystemConnector {
    cache: Mutex<HashMap<String, Arc<dyn Connection>>>,
    /// Started with the first SSH connection; dropped with the last.
    ssh_runtime: Mutex<Option<SshRuntime>>,
}

impl SystemConnector {
    /// The connection cached under `key`, made by `make` the first time.
    fn open(
        &self,
        key: String,
        make: impl FnOnce() -> Result<Arc<dyn Connection>, String>,
    ) -> Result<Arc<dyn Connection>, String> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = cache.get(&key) {
            return Ok(Arc::clone(c));
        }
        let conn = make()?;
        cache.insert(key, Arc::clone(&conn));
        Ok(conn)
    }

    fn ssh_runtime(&self) -> Result<SshRuntime, String> {
        let mut slot = self
            .ssh_runtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(rt) = slot.as_ref() {
            return Ok(rt.clone());
        }
        let rt = SshRuntime::new().map_err(|e| e.to_string())?;
        *slot = Some(rt.clone());
        Ok(rt)
    }
}

impl Connector for SystemConnector {
    fn forget(&self, host: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        // Dropping the last handle closes an ssh master.
        cache.retain(|key, _| {
            key != &format!("local:{host}") && !key.starts_with(&format!("ssh:{host}:"))
        });
    }

    fn connect(&self, target: &Target<'_>) -> Result<Arc<dyn Connection>, String> {
        let host = target.host;
        match (target.transport, target.ssh) {
            ("local", _) => self.open(format!("local:{host}"), || {
                Ok(Arc::new(LocalConnection::new()))
            }),
            ("ssh" | "smart" | "paramiko", Some(settings)) => {
                self.open(format!("ssh:{host}:{settings:?}"), || {
                    let runtime = self.ssh_runtime()?;
                    SshConnection::new(settings.clone(), runtime)
                        .map(|c| Arc::new(c) as Arc<dyn Connection>)
                        .map_err(|e| e.to_string())
                })
            }
            (other, _) => Err(format!(
                "the connection plugin '{other}' is not supported by rsible yet"
            )),
        }
    }
}

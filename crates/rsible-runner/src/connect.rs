//! Which connection each host (or delegate) gets, and the connections of one run: opened on
//! first use, kept for the run, closed with it. SSH connections share one async runtime that
//! the run owns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rsible_connection::local::LocalConnection;
use rsible_connection::ssh::{SshConnection, SshRuntime, SshSettings};
use rsible_connection::Connection;
use rsible_modules::ConnectionInfo;
use rsible_parser::Node;
use rsible_template::{Value, Vars};

use crate::run::Shared;
use crate::task_exec::HostJob;
use crate::template_node::{python_str, render_node};

/// The connections of one run, one per target and settings.
#[derive(Default)]
pub(crate) struct Connections {
    cache: Mutex<HashMap<String, Arc<dyn Connection>>>,
    /// Started with the first SSH connection; dropped with the last.
    ssh_runtime: Mutex<Option<SshRuntime>>,
}

impl Connections {
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

/// The transport an unsupported `become_method` is reported against.
pub(crate) fn transport_name(info: &ConnectionInfo) -> &'static str {
    if info.transport == "local" {
        "local"
    } else {
        "ssh"
    }
}

/// A connection for `host` (or its delegate), cached for the run.
fn connection_for(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    delegate: Option<&str>,
) -> Result<(Arc<dyn Connection>, ConnectionInfo), String> {
    let delegated_vars;
    let (target, tvars, kind) = if let Some(d) = delegate {
        delegated_vars = crate::vars::inventory_vars(shared.inventory, d);
        let kind = if matches!(d, "localhost" | "127.0.0.1" | "::1") {
            "local".to_owned()
        } else {
            var_str(shared, job, &delegated_vars, "ansible_connection")
                .unwrap_or_else(|| "ssh".to_owned())
        };
        (d, &delegated_vars, kind)
    } else {
        let from_vars = var_str(shared, job, vars, "ansible_connection");
        let from_play = job
            .play_connection
            .and_then(|n| render_node(&shared.templar, n, vars, &job.origin).ok())
            .map(|v| python_str(&v));
        let kind = from_vars
            .filter(|_| job.host == "localhost" || shared.opts.connection.is_none())
            .or(job
                .task
                .keywords
                .connection
                .as_ref()
                .map(Node::to_value)
                .map(|v| python_str(&v)))
            .or(from_play)
            .or_else(|| shared.opts.connection.clone())
            .unwrap_or_else(|| "ssh".to_owned());
        (job.host.as_str(), vars, kind)
    };
    let mut info = ConnectionInfo {
        transport: kind.clone(),
        delegate_to: delegate.map(str::to_owned),
        remote_user: var_str(shared, job, vars, "ansible_user")
            .or_else(|| shared.opts.remote_user.clone()),
        private_key_file: None,
        ssh_args: shared.opts.ssh_args.clone(),
        ssh_common_args: shared.opts.ssh_common_args.clone(),
        ssh_extra_args: shared.opts.ssh_extra_args.clone(),
    };
    let conn = match kind.as_str() {
        "local" => shared.connections.open(format!("local:{target}"), || {
            Ok(Arc::new(LocalConnection::new()))
        }),
        "ssh" | "smart" | "paramiko" => {
            let settings = ssh_settings(shared, job, target, tvars);
            info.private_key_file = settings
                .private_key
                .as_ref()
                .map(|p| p.display().to_string());
            info.ssh_args.clone_from(&settings.ssh_args);
            info.ssh_common_args.clone_from(&settings.common_args);
            info.ssh_extra_args.clone_from(&settings.extra_args);
            shared
                .connections
                .open(format!("ssh:{target}:{settings:?}"), || {
                    let runtime = shared.connections.ssh_runtime()?;
                    SshConnection::new(settings, runtime)
                        .map(|c| Arc::new(c) as Arc<dyn Connection>)
                        .map_err(|e| e.to_string())
                })
        }
        other => Err(format!(
            "the connection plugin '{other}' is not supported by rsible yet"
        )),
    }?;
    Ok((conn, info))
}

/// A variable as a string, templated (connection variables may hold Jinja).
fn var_str(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars, name: &str) -> Option<String> {
    let v = vars.get(name)?;
    let v = match v {
        Value::String(s) if rsible_template::Templar::is_template(s) => {
            shared.templar.render_str(s, vars, &job.origin).ok()?
        }
        other => other.clone(),
    };
    match v {
        Value::Null => None,
        v => Some(python_str(&v)),
    }
}

/// Ansible's ssh connection settings for one host, from its variables and the command line.
fn ssh_settings(shared: &Shared<'_>, job: &HostJob<'_>, target: &str, vars: &Vars) -> SshSettings {
    let get = |names: &[&str]| names.iter().find_map(|n| var_str(shared, job, vars, n));
    let opts = shared.opts;
    let mut s = SshSettings::new(
        get(&["ansible_host", "ansible_ssh_host"]).unwrap_or_else(|| target.to_owned()),
    );
    s.port = get(&["ansible_port", "ansible_ssh_port"])
        .and_then(|p| p.trim().parse().ok())
        .or(opts.remote_port);
    s.user = get(&["ansible_user", "ansible_ssh_user"]).or_else(|| opts.remote_user.clone());
    s.private_key = get(&["ansible_ssh_private_key_file", "ansible_private_key_file"])
        .or_else(|| opts.private_key.clone())
        .map(|p| std::path::PathBuf::from(expand_home(&p)));
    s.common_args = get(&["ansible_ssh_common_args"]).or_else(|| opts.ssh_common_args.clone());
    s.extra_args = get(&["ansible_ssh_extra_args"]).or_else(|| opts.ssh_extra_args.clone());
    s.ssh_args = get(&["ansible_ssh_args"]).or_else(|| opts.ssh_args.clone());
    if let Some(t) = get(&["ansible_timeout", "ansible_ssh_timeout"])
        .and_then(|t| t.trim().parse::<u64>().ok())
        .or(opts.timeout)
    {
        s.connect_timeout = Duration::from_secs(t);
    }
    s.host_key_checking = get(&["ansible_host_key_checking", "ansible_ssh_host_key_checking"])
        .map_or(opts.host_key_checking, |v| {
            matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
        });
    s.control_dir.clone_from(&opts.control_path_dir);
    s
}

/// `~/` on the controller.
fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_owned(),
    }
}

impl Shared<'_> {
    pub(crate) fn connection(
        &self,
        job: &HostJob<'_>,
        vars: &Vars,
        delegate: Option<&str>,
    ) -> Result<(Arc<dyn Connection>, ConnectionInfo), String> {
        connection_for(self, job, vars, delegate)
    }
}

//! Which connection each host (or delegate) gets: the transport and its settings, chosen from
//! the host's variables, the keywords and the command line as Ansible's play context does. The
//! run's [`Connector`](crate::Connector) then opens it.

use std::sync::Arc;
use std::time::Duration;

use rsible_connection::ssh::SshSettings;
use rsible_connection::Connection;
use rsible_modules::ConnectionInfo;
use rsible_template::{Value, Vars};

use crate::shared::Shared;
use crate::task::{Connection as Keyword, HostJob};
use crate::template_node::{python_str, render_node};
use crate::Target;

/// The transport an unsupported `become_method` is reported against.
pub(crate) fn transport_name(info: &ConnectionInfo) -> &'static str {
    if info.transport == "local" {
        "local"
    } else {
        "ssh"
    }
}

/// The connection for `job`'s host, or its delegate. `Err` is the message of an UNREACHABLE
/// result.
pub(crate) fn connection(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &Vars,
    delegate: Option<&str>,
) -> Result<(Arc<dyn Connection>, ConnectionInfo), String> {
    let delegated_vars;
    let (target, tvars, kind) = if let Some(d) = delegate {
        delegated_vars = crate::vars::inventory_vars(&shared.inventory, d);
        (
            d,
            &delegated_vars,
            delegate_transport(shared, job, d, &delegated_vars),
        )
    } else {
        (job.host.as_str(), vars, transport(shared, job, vars))
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
    let ssh = matches!(kind.as_str(), "ssh" | "smart" | "paramiko")
        .then(|| ssh_settings(shared, job, target, tvars));
    if let Some(settings) = &ssh {
        info.private_key_file = settings
            .private_key
            .as_ref()
            .map(|p| p.display().to_string());
        info.ssh_args.clone_from(&settings.ssh_args);
        info.ssh_common_args.clone_from(&settings.common_args);
        info.ssh_extra_args.clone_from(&settings.extra_args);
    }
    let conn = shared.connector.connect(&Target {
        host: target,
        transport: &kind,
        ssh: ssh.as_ref(),
    })?;
    Ok((conn, info))
}

/// A delegate's transport: local for the controller's own names, else its own variables'.
fn delegate_transport(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    delegate: &str,
    vars: &Vars,
) -> String {
    if matches!(delegate, "localhost" | "127.0.0.1" | "::1") {
        "local".to_owned()
    } else {
        var_str(shared, job, vars, "ansible_connection").unwrap_or_else(|| "ssh".to_owned())
    }
}

/// The host's transport: `ansible_connection` (unless `-c` overrides it for a host other than
/// localhost), the `connection:` keyword, `-c`, else ssh.
fn transport(shared: &Shared<'_>, job: &HostJob<'_>, vars: &Vars) -> String {
    let from_vars = var_str(shared, job, vars, "ansible_connection")
        .filter(|_| job.host == "localhost" || shared.opts.connection.is_none());
    let from_keyword = match job.keywords().connection() {
        Keyword::Task(n) => Some(python_str(&n.to_value())),
        Keyword::Play(n) => render_node(&shared.templar, n, vars, &job.origin)
            .ok()
            .map(|v| python_str(&v)),
        Keyword::Unset => None,
    };
    from_vars
        .or(from_keyword)
        .or_else(|| shared.opts.connection.clone())
        .unwrap_or_else(|| "ssh".to_owned())
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
    s.persistent_shell = opts.persistent_shell;
    s
}

/// `~/` on the controller.
fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_owned(),
    }
}

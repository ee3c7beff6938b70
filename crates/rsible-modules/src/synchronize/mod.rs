//! `synchronize` (ansible.posix): rsync between the controller and the host.
//!
//! ```yaml
//! - synchronize: { src: kernel/boot/, dest: /boot/, checksum: yes }
//!   become: true
//! - synchronize: { src: "~/src/rdma-core/", dest: rdma-core/, delete: yes, rsync_opts: [--exclude=.git] }
//! ```
//!
//! As Ansible's action plugin does, rsync runs on the controller (or on the delegate) and
//! reaches the inventory host through its own ssh, `user@host:path`; `become` turns into
//! `--rsync-path='sudo -u root rsync'` instead of wrapping rsync. The command line is the
//! module's, flag for flag ([`crate::synchronize::cmd`]); `changed` comes from rsync's
//! itemized `<<CHANGED>>` lines.

pub(crate) mod cmd;

use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_bool, de_opt_int, de_opt_string, parse, ArgSpec};
use crate::synchronize::cmd::{
    argv_of, command_line, expanduser, expandvars, join, normpath, RsyncSpec,
};
use crate::util::failed;
use crate::{
    Collection, ConnectionInfo, ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo,
    ModuleOutput, ResultMap,
};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "synchronize",
    ArgSpec::new(
        "ansible.posix.synchronize",
        &[
            "_local_rsync_password",
            "_local_rsync_path",
            "_ssh_args",
            "_substitute_controller",
            "archive",
            "checksum",
            "compress",
            "copy_links",
            "delay_updates",
            "delete",
            "dest",
            "dest_port",
            "dirs",
            "existing_only",
            "group",
            "link_dest",
            "links",
            "mode",
            "owner",
            "partial",
            "perms",
            "private_key",
            "recursive",
            "rsync_opts",
            "rsync_path",
            "rsync_timeout",
            "set_remote_user",
            "src",
            "ssh_connection_multiplexing",
            "times",
            "use_ssh_args",
            "verify_host",
        ],
    ),
)
.in_collection(Collection::Posix);

const LOCALHOST: &[&str] = &["127.0.0.1", "localhost", "::1"];
const DEFAULT_SSH_ARGS: &str = "-C -o ControlMaster=auto -o ControlPersist=60s";

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the action plugin's private parameters are accepted and then replaced"
)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    src: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    dest: Option<String>,
    #[serde(default, deserialize_with = "de_opt_int")]
    dest_port: Option<i64>,
    #[serde(default, deserialize_with = "de_bool")]
    delete: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    private_key: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    rsync_path: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    archive: bool,
    #[serde(default, deserialize_with = "de_bool")]
    checksum: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    compress: bool,
    #[serde(default, deserialize_with = "de_bool")]
    existing_only: bool,
    #[serde(default, deserialize_with = "de_bool")]
    dirs: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    recursive: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    links: Option<bool>,
    #[serde(default, deserialize_with = "de_bool")]
    copy_links: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    perms: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    times: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    owner: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    group: Option<bool>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    set_remote_user: bool,
    #[serde(default, deserialize_with = "de_opt_int")]
    rsync_timeout: Option<i64>,
    #[serde(default)]
    rsync_opts: Option<Value>,
    #[serde(default, deserialize_with = "de_bool")]
    use_ssh_args: bool,
    #[serde(default, deserialize_with = "de_bool")]
    ssh_connection_multiplexing: bool,
    #[serde(default, deserialize_with = "de_bool")]
    partial: bool,
    #[serde(default, deserialize_with = "de_bool")]
    verify_host: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    delay_updates: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    mode: Option<String>,
    #[serde(default)]
    link_dest: Option<Value>,
    #[serde(default, rename = "_local_rsync_path")]
    local_rsync_path: Option<Value>,
    #[serde(default, rename = "_local_rsync_password")]
    local_rsync_password: Option<Value>,
    #[serde(default, rename = "_substitute_controller")]
    substitute_controller: Option<Value>,
    #[serde(default, rename = "_ssh_args")]
    ssh_args: Option<Value>,
}

pub(crate) struct Synchronize;
pub(crate) static SYNCHRONIZE: Synchronize = Synchronize;

impl Module for Synchronize {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let plan = match plan(ctx, &a) {
            Ok(p) => p,
            Err(msg) => return Ok(failed(msg).into()),
        };
        run_plan(ctx, &plan).map(ModuleOutput::from)
    }
}

/// Where rsync runs and with which command line.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    spec: RsyncSpec,
    /// True when rsync runs on the task's connection (local transport, or a delegate reached
    /// over ssh); false when the action swapped in a local connection.
    via_connection: bool,
    /// `become` still applies to the module (only when both ends are the same machine).
    keep_become: bool,
    warnings: Vec<String>,
}

/// A variable as a string, templated when it holds Jinja (connection variables may).
fn var_str(ctx: &ModuleContext<'_>, v: Option<&Value>) -> Option<String> {
    let v = match v? {
        Value::String(s) if rsible_template::Templar::is_template(s) => {
            ctx.templar.render_str(s, ctx.vars, ctx.origin).ok()?
        }
        other => other.clone(),
    };
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(crate::args::scalar_text(&other)),
    }
}

/// What the runner told us about the connection, or a guess from the variables when it did
/// not: `localhost` is local, anything else ssh, never delegated.
fn connection_info(ctx: &ModuleContext<'_>) -> ConnectionInfo {
    if let Some(ci) = &ctx.connection_info {
        return ci.clone();
    }
    let get = |n: &str| var_str(ctx, ctx.vars.get(n));
    let local =
        ctx.conn.host() == "localhost" || get("ansible_connection").is_some_and(|c| c == "local");
    ConnectionInfo {
        transport: if local { "local" } else { "ssh" }.to_owned(),
        delegate_to: None,
        remote_user: None,
        private_key_file: get("ansible_ssh_private_key_file")
            .or_else(|| get("ansible_private_key_file")),
        ssh_args: Some(get("ansible_ssh_args").unwrap_or_else(|| DEFAULT_SSH_ARGS.to_owned())),
        ssh_common_args: get("ansible_ssh_common_args"),
        ssh_extra_args: get("ansible_ssh_extra_args"),
    }
}

/// `rsync_opts` (`type='list', elements='str'`): a string is split on commas.
fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(crate::args::scalar_text).collect(),
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        Some(other) => vec![crate::args::scalar_text(other)],
    }
}

/// The action's `_get_absolute_path`: a relative local path is looked up like a role or
/// playbook file (`path_dwim_relative(…, 'files', path)`), keeping a trailing `/`.
fn absolute_path(ctx: &ModuleContext<'_>, path: &str, cwd: &str) -> String {
    if path.contains(':') || path.starts_with('/') {
        return path.to_owned();
    }
    let unfrack = |p: &str| normpath(&join(cwd, &expanduser(&expandvars(p))));
    let mut found = if path.starts_with('~') {
        unfrack(path)
    } else {
        let pb = ctx.playbook_dir.to_string_lossy().into_owned();
        let base = ctx
            .role_path
            .as_ref()
            .map_or_else(|| pb.clone(), |r| r.to_string_lossy().into_owned());
        let is_role = ctx.role_path.is_some()
            || ["main.yml", "main.yaml", "main"]
                .iter()
                .any(|m| Path::new(&base).join("tasks").join(m).exists());
        let basedir = unfrack(&base);
        let mut search = vec![
            join(&join(&base, "files"), path),
            unfrack(&join(&join(&basedir, "files"), path)),
        ];
        if is_role && !path.ends_with("files") {
            search.push(unfrack(&join(&join(&basedir, "tasks"), path)));
        }
        search.push(unfrack(&join("files", path)));
        search.push(unfrack(&join(&basedir, path)));
        search.push(normpath(&join(&join(&pb, "files"), path)));
        search.push(normpath(&join(&pb, path)));
        let last = search.last().cloned().unwrap_or_default();
        search
            .into_iter()
            .find(|c| Path::new(c).exists())
            .unwrap_or(last)
    };
    if path.ends_with('/') && !found.ends_with('/') {
        found.push('/');
    }
    found
}

/// `_format_rsync_rsh_target`.
fn rsh_target(host: &str, path: &str, user: Option<&str>) -> String {
    if path.starts_with("rsync://") {
        return path.to_owned();
    }
    let up = user
        .filter(|u| !u.is_empty())
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    if host.contains(':') {
        format!("[{up}{host}]:{path}")
    } else if !path.contains(':') {
        format!("{up}{host}:{path}")
    } else if !path.contains('@') {
        format!("{up}{path}")
    } else {
        path.to_owned()
    }
}

/// The action plugin: which machine runs rsync, the two ends, user, key, port, rsync path.
fn plan(ctx: &ModuleContext<'_>, a: &Args) -> Result<Plan, String> {
    let ci = connection_info(ctx);
    let cwd = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".to_owned());
    let mode = a.mode.clone().unwrap_or_else(|| "push".to_owned());
    if mode != "push" && mode != "pull" {
        return Err(format!(
            "value of mode must be one of: pull, push, got: {mode}"
        ));
    }
    let remote_transport = ci.transport != "local";
    let delegate = ci.delegate_to.as_deref();
    if delegate.is_none() && !["ssh", "paramiko", "local"].contains(&ci.transport.as_str()) {
        return Err(format!("synchronize uses rsync to function. rsync needs to connect to the remote host via ssh, docker client or a direct filesystem copy. This remote host is being accessed via {} instead so it cannot work.", ci.transport));
    }
    let vars = ctx.vars;
    let get = |n: &str| var_str(ctx, vars.get(n));
    let inventory_hostname = get("inventory_hostname").unwrap_or_default();
    let hostvars = vars.get("hostvars").and_then(Value::as_object);
    // The runner leaves `hostvars` out unless a task mentions it; the task's own variables
    // then stand in for the inventory host's.
    let host_vars = hostvars
        .and_then(|h| h.get(&inventory_hostname))
        .and_then(Value::as_object)
        .or(Some(vars));
    let host_var = |n: &str| var_str(ctx, host_vars.and_then(|h| h.get(n)));
    let mut dest_host = host_var("ansible_host").unwrap_or_else(|| inventory_hostname.clone());
    let dest_host_ids: Vec<String> = [host_var("inventory_hostname"), host_var("ansible_host")]
        .into_iter()
        .flatten()
        .collect();
    let delegate_is_dest = delegate.is_some_and(|d| dest_host_ids.iter().any(|h| h == d));
    let dest_is_local = (delegate.is_none() && !remote_transport) || delegate_is_dest;

    let parse_port = |s: Option<String>| s.and_then(|p| p.trim().parse::<i64>().ok());
    // C.DEFAULT_REMOTE_PORT: unset unless configured.
    let default_port = parse_port(std::env::var("ANSIBLE_REMOTE_PORT").ok());
    let inv_port = parse_port(get("ansible_port")).or(default_port);
    let localhost_ports: Vec<Option<i64>> = LOCALHOST
        .iter()
        .map(|h| {
            let hv = hostvars.and_then(|m| m.get(*h)).and_then(Value::as_object);
            ["ansible_ssh_port", "ansible_port"]
                .iter()
                .find_map(|n| parse_port(var_str(ctx, hv.and_then(|m| m.get(*n)))))
                .or(default_port)
        })
        .collect();
    let port_matches_localhost = localhost_ports.contains(&inv_port);
    let dest_port = a.dest_port.or(inv_port);

    let mut use_delegate = false;
    if delegate_is_dest {
        dest_host = "127.0.0.1".to_owned();
        use_delegate = true;
    } else if delegate.is_some() && remote_transport {
        use_delegate = true;
    }
    // Unless rsync runs on a delegate, the action swaps in a local connection.
    let swapped = !use_delegate && remote_transport;
    let transport_now = if swapped {
        "local"
    } else {
        ci.transport.as_str()
    };

    let mut src_host = "127.0.0.1".to_owned();
    if mode == "pull" {
        std::mem::swap(&mut dest_host, &mut src_host);
    }
    let (Some(src), Some(dest)) = (a.src.clone(), a.dest.clone()) else {
        return Err("synchronize requires both src and dest parameters are set".into());
    };
    let password = get("ansible_ssh_pass").or_else(|| get("ansible_password"));
    let mut private_key = a.private_key.clone();
    let (src, dest) = if dest_is_local {
        (
            absolute_path(ctx, &src, &cwd),
            absolute_path(ctx, &dest, &cwd),
        )
    } else {
        let user = if a.set_remote_user {
            get("ansible_user").or_else(|| ci.remote_user.clone())
        } else {
            None
        };
        private_key = private_key.or_else(|| ci.private_key_file.clone());
        let remote = |host: &str, path: &str| {
            if !LOCALHOST.contains(&host) || transport_now != "local" || !port_matches_localhost {
                rsh_target(host, path, user.as_deref())
            } else {
                absolute_path(ctx, path, &cwd)
            }
        };
        let origin = |host: &str, path: &str| {
            if LOCALHOST.contains(&host) {
                absolute_path(ctx, path, &cwd)
            } else {
                rsh_target(host, path, user.as_deref())
            }
        };
        if mode == "pull" {
            (remote(&src_host, &src), origin(&dest_host, &dest))
        } else {
            (origin(&src_host, &src), remote(&dest_host, &dest))
        }
    };
    if password.is_some() {
        return Err(
            "rsible does not support synchronize with a password (sshpass); use an ssh key".into(),
        );
    }

    let mut rsync_path = a.rsync_path.clone();
    if !dest_is_local && rsync_path.is_none() {
        if let Some(b) = ctx
            .become_
            .as_ref()
            .filter(|b| b.method == rsible_connection::BecomeMethod::Sudo)
        {
            rsync_path = Some(format!("sudo -u {} rsync", b.user));
        }
    }

    let ssh_args = (a.use_ssh_args && ci.transport == "ssh").then(|| {
        [&ci.ssh_args, &ci.ssh_common_args, &ci.ssh_extra_args]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let rsync_opts = string_list(a.rsync_opts.as_ref());
    let mut warnings = Vec::new();
    if rsync_opts.iter().any(String::is_empty) {
        warnings.push("The empty string is present in rsync_opts which will cause rsync to transfer the current working directory. If this is intended, use \".\" instead to get rid of this warning. If this is unintended, check for problems in your playbook leading to empty string in rsync_opts.".to_owned());
    }
    // The module's `type='path'` parameters are expanded where it runs.
    let path_param = |p: &str| expanduser(&expandvars(p));
    let local_rsync = get("ansible_rsync_path").unwrap_or_else(|| "rsync".to_owned());
    let mut spec = RsyncSpec::new(
        &path_param(&local_rsync),
        &path_param(&src),
        &path_param(&dest),
    );
    spec.dest_port = dest_port;
    spec.delete = a.delete;
    spec.private_key = private_key.map(|k| path_param(&k));
    spec.rsync_path = rsync_path;
    spec.rsync_timeout = a.rsync_timeout.unwrap_or(0);
    spec.archive = a.archive;
    spec.checksum = a.checksum;
    spec.compress = a.compress;
    spec.existing_only = a.existing_only;
    spec.dirs = a.dirs;
    spec.recursive = a.recursive;
    spec.links = a.links;
    spec.copy_links = a.copy_links;
    spec.perms = a.perms;
    spec.times = a.times;
    spec.owner = a.owner;
    spec.group = a.group;
    spec.rsync_opts = rsync_opts;
    spec.ssh_args = ssh_args;
    spec.ssh_connection_multiplexing = a.ssh_connection_multiplexing;
    spec.partial = a.partial;
    spec.verify_host = a.verify_host;
    spec.delay_updates = a.delay_updates;
    spec.link_dest = a
        .link_dest
        .as_ref()
        .map(|v| string_list(Some(v)).iter().map(|p| path_param(p)).collect());
    spec.check_mode = ctx.check_mode;
    Ok(Plan {
        spec,
        via_connection: !swapped,
        keep_become: dest_is_local,
        warnings,
    })
}

/// `get_bin_path` on the controller: `$PATH`, then the sbin directories.
fn local_bin(name: &str) -> Result<String, String> {
    if name.contains('/') {
        return Ok(name.to_owned());
    }
    let mut paths: Vec<String> = std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(str::to_owned)
        .collect();
    for p in ["/sbin", "/usr/sbin", "/usr/local/sbin"] {
        if !paths.iter().any(|x| x == p) && Path::new(p).exists() {
            paths.push(p.to_owned());
        }
    }
    for d in paths.iter().filter(|d| !d.is_empty()) {
        let c = join(d, name);
        let p = Path::new(&c);
        if p.is_file() && is_executable(p) {
            return Ok(c);
        }
    }
    Err(format!(
        "Failed to find required executable \"{name}\" in paths: {}",
        paths.join(":")
    ))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    p.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// `get_bin_path` on the delegate, through the connection.
fn remote_bin(ctx: &ModuleContext<'_>, name: &str) -> Result<Result<String, String>, ModuleError> {
    if name.contains('/') {
        return Ok(Ok(name.to_owned()));
    }
    let script = format!(
        "PATH=\"$PATH:/sbin:/usr/sbin:/usr/local/sbin\" command -v {} || echo \"$PATH\"",
        rsible_connection::shell::quote(name)
    );
    let out = ctx.conn.exec(&ExecRequest::shell(script))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(if text.starts_with('/') && !text.contains(':') {
        Ok(text)
    } else {
        Err(format!(
            "Failed to find required executable \"{name}\" in paths: {text}"
        ))
    })
}

fn run_plan(ctx: &ModuleContext<'_>, plan: &Plan) -> Result<ResultMap, ModuleError> {
    let remote = plan.via_connection && ctx.conn.host() != "localhost";
    let mut spec = plan.spec.clone();
    let resolved = if remote {
        remote_bin(ctx, &spec.rsync)?
    } else {
        local_bin(&spec.rsync)
    };
    spec.rsync = match resolved {
        Ok(p) => p,
        Err(msg) => return Ok(failed(msg)),
    };
    let ssh = if remote {
        remote_bin(ctx, "ssh")?
    } else {
        local_bin("ssh")
    };
    let cwd = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".to_owned());
    let cmdstr = match command_line(&spec, || ssh, &cwd) {
        Ok(c) => c,
        Err(msg) => {
            let rc = msg == "either src or dest must be a localhost";
            let mut r = failed(msg);
            if rc {
                r.insert("rc".into(), json!(1));
            }
            return Ok(r);
        }
    };
    let argv = argv_of(&cmdstr);
    let (rc, out, err) = if plan.via_connection {
        let mut req = ExecRequest::argv(argv);
        req.env.extend(ctx.environment.iter().cloned());
        if plan.keep_become {
            req.become_ = ctx.become_.clone();
        }
        let o = ctx.conn.exec(&req)?;
        (o.rc, o.stdout, o.stderr)
    } else {
        let mut cmd = std::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .envs(ctx.environment.iter().cloned())
            .stdin(std::process::Stdio::null());
        match cmd.output() {
            Ok(o) => (o.status.code().unwrap_or(-1), o.stdout, o.stderr),
            Err(e) => {
                let mut r = failed(format!("[Errno {}] {e}", e.raw_os_error().unwrap_or(0)));
                r.insert("cmd".into(), json!(cmdstr));
                r.insert("rc".into(), json!(e.raw_os_error().unwrap_or(1)));
                return Ok(r);
            }
        }
    };
    let out = String::from_utf8_lossy(&out).into_owned();
    let mut r = ResultMap::new();
    if rc != 0 {
        r = failed(String::from_utf8_lossy(&err).into_owned());
        r.insert("rc".into(), json!(rc));
        r.insert("cmd".into(), json!(cmdstr));
        return Ok(r);
    }
    const MARK: &str = "<<CHANGED>>";
    let changed = if spec.link_dest.as_ref().is_some_and(|l| !l.is_empty()) {
        // With --link-dest a leading `.` means nothing changed.
        !out.contains(&format!("{MARK}."))
    } else {
        out.contains(MARK)
    };
    let clean = out.replace(MARK, "");
    let lines: Vec<Value> = clean
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| json!(l))
        .collect();
    r.insert("changed".into(), json!(changed));
    r.insert("msg".into(), json!(clean));
    r.insert("rc".into(), json!(rc));
    r.insert("cmd".into(), json!(cmdstr));
    r.insert("stdout_lines".into(), Value::Array(lines));
    if ctx.diff {
        r.insert("diff".into(), json!({ "prepared": clean }));
    }
    if !plan.warnings.is_empty() {
        r.insert("warnings".into(), json!(plan.warnings));
    }
    Ok(r)
}

#[cfg(test)]
mod tests;

//! `systemd` / `systemd_service` (one module under two names, as in ansible-core 2.19): start,
//! stop, restart, reload, enable, disable, mask units and reload or re-execute the manager.
//!
//! ```yaml
//! - systemd: { name: nginx, state: started, enabled: true, daemon_reload: true }
//! ```
//!
//! The target's `systemctl` does the work, driven one command at a time in Ansible's order:
//! `daemon-reload`/`daemon-reexec`, `show` (the result's `status`, read before any change),
//! `is-enabled` then `mask`/`unmask`, `is-enabled -l` then `enable`/`disable`, and
//! `start`/`stop`/`restart`/`reload` when `ActiveState` asks for it. Check mode runs only the
//! queries. The `service` action uses the same code on hosts whose service manager is systemd.

mod linux_service;
mod service;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_bool, de_opt_string, parse, ArgSpec};
use crate::target::script::{marker, run_script, run_text, Ran, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

pub(crate) use service::SERVICE;

const NAMES: &[&str] = &[
    "name",
    "service",
    "unit",
    "state",
    "enabled",
    "force",
    "masked",
    "daemon_reload",
    "daemon-reload",
    "daemon_reexec",
    "daemon-reexec",
    "scope",
    "no_block",
];
const ALIASES: &[&str] = &["daemon-reexec", "daemon-reload", "service", "unit"];

const INFO_SYSTEMD: ModuleInfo =
    ModuleInfo::builtin("systemd", ArgSpec::new("systemd", NAMES).aliases(ALIASES));
const INFO_SYSTEMD_SERVICE: ModuleInfo = ModuleInfo::builtin(
    "systemd_service",
    ArgSpec::new("systemd_service", NAMES).aliases(ALIASES),
);
/// The spec as the `service` action runs the module: Ansible names it `ansible.legacy.systemd`.
const SPEC_VIA_SERVICE: ArgSpec = ArgSpec::new("ansible.legacy.systemd", NAMES).aliases(ALIASES);

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(
        default,
        alias = "service",
        alias = "unit",
        deserialize_with = "de_opt_string"
    )]
    name: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    force: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    masked: Option<bool>,
    #[serde(default, alias = "daemon-reload", deserialize_with = "de_bool")]
    daemon_reload: bool,
    #[serde(default, alias = "daemon-reexec", deserialize_with = "de_bool")]
    daemon_reexec: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    no_block: bool,
}

pub(crate) struct Systemd {
    info: &'static ModuleInfo,
}
pub(crate) static SYSTEMD: Systemd = Systemd {
    info: &INFO_SYSTEMD,
};
pub(crate) static SYSTEMD_SERVICE: Systemd = Systemd {
    info: &INFO_SYSTEMD_SERVICE,
};

impl Module for Systemd {
    fn info(&self) -> &'static ModuleInfo {
        self.info
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        run_module(ctx, args, &self.info.args)
    }
}

/// The module with `spec` deciding the label of "Unsupported parameters" messages.
pub(crate) fn run_module(
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
    spec: &ArgSpec,
) -> Result<ModuleOutput, ModuleError> {
    let a: Args = parse(spec, args)?;
    if let Some(msg) = validate(&a) {
        return Ok(failed(msg).into());
    }
    Job::new(ctx, a).run().map(ModuleOutput::from)
}

/// Ansible's argument checks after the types: choices, then `required_by`.
fn validate(a: &Args) -> Option<String> {
    if let Some(state) = &a.state {
        if !["reloaded", "restarted", "started", "stopped"].contains(&state.as_str()) {
            return Some(format!(
                "value of state must be one of: reloaded, restarted, started, stopped, got: {state}"
            ));
        }
    }
    if let Some(scope) = &a.scope {
        if !["system", "user", "global"].contains(&scope.as_str()) {
            return Some(format!(
                "value of scope must be one of: system, user, global, got: {scope}"
            ));
        }
    }
    if a.name.is_none() {
        for (set, key) in [
            (a.state.is_some(), "state"),
            (a.enabled.is_some(), "enabled"),
            (a.masked.is_some(), "masked"),
        ] {
            if set {
                return Some(format!("missing parameter(s) required by '{key}': name"));
            }
        }
    }
    None
}

struct Job<'a> {
    ctx: &'a ModuleContext<'a>,
    a: Args,
    /// `systemctl` with the scope, `--no-block` and `--force` options, quoted for the shell.
    systemctl: String,
    result: ResultMap,
    warnings: Vec<String>,
}

/// What one probe finds: `systemctl`'s path, and the unit's SysV script and start links.
struct Probe {
    bin: Result<String, String>,
    initd: bool,
    sysv_enabled: bool,
}

impl<'a> Job<'a> {
    fn new(ctx: &'a ModuleContext<'a>, a: Args) -> Self {
        let mut result = ResultMap::new();
        result.insert("name".into(), json!(a.name));
        result.insert("changed".into(), json!(false));
        result.insert("status".into(), json!({}));
        Self {
            ctx,
            a,
            systemctl: String::new(),
            result,
            warnings: Vec::new(),
        }
    }

    fn probe(&self) -> Result<Probe, ModuleError> {
        let m = marker();
        let name = quote(self.a.name.as_deref().unwrap_or(""));
        let script = format!(
            "{BIN_PATH_FN}_bin systemctl\n\
             n={name}\n\
             if [ -n \"$n\" ] && [ -e \"/etc/init.d/$n\" ]; then echo '{m} initd'; fi\n\
             for f in /etc/rc?.d/S??\"$n\"; do [ -n \"$n\" ] && [ -e \"$f\" ] && echo '{m} sysv-enabled' && break; done\n\
             true"
        );
        let out = run_script(self.ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("").to_owned();
        let rest: Vec<&str> = lines.collect();
        let bin = if first.starts_with('/') {
            Ok(first)
        } else {
            Err(first)
        };
        Ok(Probe {
            bin,
            initd: rest.contains(&format!("{m} initd").as_str()),
            sysv_enabled: rest.contains(&format!("{m} sysv-enabled").as_str()),
        })
    }

    /// Runs `systemctl ARGS` as Ansible's `run_command` would: its best parsable locale, and
    /// `XDG_RUNTIME_DIR` of the effective user when unset.
    fn sc(&self, args: &str) -> Result<Ran, ModuleError> {
        let script = format!(
            "{BEST_LOCALE_FN}_l=$(_loc); export LANG=\"$_l\" LC_ALL=\"$_l\" LC_MESSAGES=\"$_l\"\n\
             [ -n \"${{XDG_RUNTIME_DIR+set}}\" ] || export XDG_RUNTIME_DIR=/run/user/$(id -u)\n\
             {} {args}",
            self.systemctl
        );
        Ok(run_text(self.ctx, script)?)
    }

    fn fail(&self, msg: impl Into<String>) -> ResultMap {
        let mut r = failed(msg);
        self.add_warnings(&mut r);
        r
    }

    fn add_warnings(&self, r: &mut ResultMap) {
        if !self.warnings.is_empty() {
            r.insert("warnings".into(), json!(self.warnings));
        }
    }

    fn changed(&mut self) {
        self.result.insert("changed".into(), json!(true));
    }

    fn run(mut self) -> Result<ResultMap, ModuleError> {
        if let Some(unit) = &self.a.name {
            for glob in ["*", "?", "["] {
                if unit.contains(glob) {
                    return Ok(failed(format!(
                        "This module does not currently support using glob patterns, found '{glob}' in service name: {unit}"
                    )));
                }
            }
        }
        let probe = self.probe()?;
        let bin = match &probe.bin {
            Ok(bin) => bin.clone(),
            Err(msg) => return Ok(failed(msg.clone())),
        };
        let mut systemctl = quote(&bin);
        let scope = self.a.scope.clone().unwrap_or_else(|| "system".into());
        if scope != "system" {
            systemctl.push_str(&format!(" --{scope}"));
        }
        if self.a.no_block {
            systemctl.push_str(" --no-block");
        }
        if self.a.force == Some(true) {
            systemctl.push_str(" --force");
        }
        self.systemctl = systemctl;
        let check = self.ctx.check_mode;
        for (wanted, verb) in [
            (self.a.daemon_reload, "daemon-reload"),
            (self.a.daemon_reexec, "daemon-reexec"),
        ] {
            if wanted && !check {
                let ran = self.sc(verb)?;
                if ran.rc != 0 {
                    return Ok(self.fail(format!("failure {} during {verb}: {}", ran.rc, ran.err)));
                }
            }
        }
        let Some(unit) = self.a.name.clone() else {
            self.add_warnings_to_result();
            return Ok(self.result);
        };
        let q = quote(&unit);
        let mut status = BTreeMap::new();
        let mut is_systemd = false;
        let show = self.sc(&format!("show {q}"))?;
        if show.rc == 0 && !request_was_ignored(&show.out) && !request_was_ignored(&show.err) {
            if !show.out.is_empty() {
                status = parse_systemctl_show(&show.out);
                let load = status.get("LoadState").map(String::as_str);
                is_systemd = load.is_some_and(|l| l != "not-found");
                let masked = load == Some("masked");
                if is_systemd && !masked {
                    if let Some(error) = status.get("LoadError") {
                        return Ok(self.fail(format!("Error loading unit file '{unit}': {error}")));
                    }
                }
            }
        } else if show.rc == 1 && show.err.contains("Failed to parse bus message") {
            status = parse_systemctl_show(&show.out);
            let (base, sep, _) = match unit.split_once('@') {
                Some((b, s)) => (b, "@", s),
                None => (unit.as_str(), "", ""),
            };
            let search = format!("{base}{sep}");
            let listed = self.sc(&format!("list-unit-files {}", quote(&format!("{search}*"))))?;
            is_systemd = listed.out.contains(&search);
            let active = self.sc(&format!("is-active {q}"))?;
            status.insert(
                "ActiveState".into(),
                active.out.trim_end_matches('\n').to_owned(),
            );
        } else {
            let enabled = self.sc(&format!("is-enabled {q}"))?;
            if VALID_ENABLED_STATES.contains(&enabled.out.trim()) {
                is_systemd = true;
            } else {
                let listed = self.sc(&format!("list-unit-files {q}"))?;
                if listed.rc == 0 {
                    is_systemd = true;
                } else {
                    let bare = self.sc("")?;
                    if bare.rc != 0 {
                        let mut r = self.fail(bare.err.trim_end().to_owned());
                        r.insert("rc".into(), json!(bare.rc));
                        r.insert("stdout".into(), json!(bare.out));
                        r.insert("stderr".into(), json!(bare.err));
                        return Ok(r);
                    }
                }
            }
        }
        self.result.insert("status".into(), json!(status));
        let found = is_systemd || probe.initd;
        if probe.initd && !is_systemd {
            self.warnings.push(format!(
                "The service ({unit}) is actually an init script but the system is managed by systemd"
            ));
        }
        let missing = format!("Could not find the requested service {unit}: host");

        if let Some(want_masked) = self.a.masked {
            let ran = self.sc(&format!("is-enabled {q}"))?;
            let masked = ran.out.trim() == "masked";
            if masked != want_masked {
                self.changed();
                let action = if want_masked { "mask" } else { "unmask" };
                if !check {
                    let ran = self.sc(&format!("{action} {q}"))?;
                    if ran.rc != 0 {
                        if !found {
                            return Ok(self.fail(missing));
                        }
                        return Ok(self.fail(format!(
                            "Failed to {action} the service ({unit}): {}",
                            ran.err.trim()
                        )));
                    }
                }
            }
        }

        if let Some(want_enabled) = self.a.enabled {
            let action = if want_enabled { "enable" } else { "disable" };
            if !found {
                return Ok(self.fail(missing));
            }
            let ran = self.sc(&format!("is-enabled {q} -l"))?;
            let enabled = match ran.rc {
                0 => !["enabled-runtime", "indirect", "alias"].contains(&ran.out.trim_end()),
                1 => {
                    scope == "system"
                        && probe.initd
                        && !ran.out.trim().ends_with("disabled")
                        && probe.sysv_enabled
                }
                _ => false,
            };
            self.result.insert("enabled".into(), json!(enabled));
            if enabled != want_enabled {
                self.changed();
                if !check {
                    let ran = self.sc(&format!("{action} {q}"))?;
                    if ran.rc != 0 {
                        return Ok(self.fail(format!(
                            "Unable to {action} service {unit}: {}{}",
                            ran.out, ran.err
                        )));
                    }
                }
                self.result.insert("enabled".into(), json!(!enabled));
            }
        }

        if let Some(state) = self.a.state.clone() {
            if !found {
                return Ok(self.fail(missing));
            }
            self.result.insert("state".into(), json!(state));
            let Some(active) = status.get("ActiveState").cloned() else {
                let mut r = self.fail("Service is in unknown state");
                r.insert("status".into(), json!(status));
                return Ok(r);
            };
            let running = active == "active" || active == "activating";
            let action = match state.as_str() {
                "started" => (!running).then_some("start"),
                "stopped" => (running || active == "deactivating").then_some("stop"),
                _ => {
                    self.result.insert("state".into(), json!("started"));
                    Some(if !running {
                        "start"
                    } else if state == "restarted" {
                        "restart"
                    } else {
                        "reload"
                    })
                }
            };
            if let Some(action) = action {
                self.changed();
                if !check {
                    let ran = self.sc(&format!("{action} {q}"))?;
                    if ran.rc != 0 {
                        return Ok(
                            self.fail(format!("Unable to {action} service {unit}: {}", ran.err))
                        );
                    }
                }
            }
        }
        self.add_warnings_to_result();
        Ok(self.result)
    }

    fn add_warnings_to_result(&mut self) {
        if !self.warnings.is_empty() {
            self.result
                .insert("warnings".into(), json!(self.warnings.clone()));
        }
    }
}

/// What `systemctl is-enabled` prints for a unit systemd knows.
const VALID_ENABLED_STATES: &[&str] = &[
    "enabled",
    "enabled-runtime",
    "linked",
    "linked-runtime",
    "masked",
    "masked-runtime",
    "static",
    "indirect",
    "disabled",
    "generated",
    "transient",
];

/// systemd ignored the request (a unit in the middle of shutting down, …).
fn request_was_ignored(out: &str) -> bool {
    !out.contains('=') && (out.contains("ignoring request") || out.contains("ignoring command"))
}

/// `systemctl show` output as Ansible's module parses it: `Key=value` lines, values stripped,
/// and `Exec*={ … }` values that span lines joined with newlines.
pub(crate) fn parse_systemctl_show(text: &str) -> BTreeMap<String, String> {
    let mut parsed = BTreeMap::new();
    let mut multival: Vec<&str> = Vec::new();
    let mut key: Option<&str> = None;
    for line in text.split('\n') {
        match key {
            None => {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                if k.starts_with("Exec")
                    && v.trim_start().starts_with('{')
                    && !v.trim_end().ends_with('}')
                {
                    multival.push(v);
                    key = Some(k);
                    continue;
                }
                parsed.insert(k.to_owned(), v.trim().to_owned());
            }
            Some(k) => {
                multival.push(line);
                if line.trim_end().ends_with('}') {
                    parsed.insert(k.to_owned(), multival.join("\n").trim().to_owned());
                    multival.clear();
                    key = None;
                }
            }
        }
    }
    parsed
}

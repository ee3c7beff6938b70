//! ansible-core's generic `service` module on Linux (`LinuxService`): the SysV init script
//! `/etc/init.d/NAME` driven through `service` (or the script itself), enabled with
//! `update-rc.d`; on a host booted with systemd (`use: service` there) the unit through
//! `systemctl` as that module does it (its own `show`/`is-enabled` reading, not the systemd
//! module's); `pattern` looks for the process in `ps auxww` instead of asking. Commands that change or query the service run as the module runs them:
//! detached (own session, `/` as working directory, stdin from /dev/null) with only the locale
//! in their environment. Hosts where that module would use upstart, OpenRC, `insserv` or
//! `chkconfig` are refused with a message.

use serde_json::{json, Value};

use crate::args::{parse_bool, ArgSpec};
use crate::target::script::{marker, run_script, run_text, Ran, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::util::failed;
use crate::{ModuleContext, ModuleError, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

/// The spec as the `service` action runs the module.
pub(crate) const SPEC: ArgSpec = ArgSpec::new(
    "ansible.legacy.service",
    &[
        "name",
        "state",
        "sleep",
        "pattern",
        "enabled",
        "runlevel",
        "arguments",
        "args",
    ],
)
.aliases(&["args"]);

const STATES: &[&str] = &["started", "stopped", "reloaded", "restarted"];

/// The tools `get_service_tools` looks for, in its order.
const TOOLS: &[&str] = &[
    "service",
    "chkconfig",
    "update-rc.d",
    "rc-service",
    "rc-update",
    "initctl",
    "systemctl",
    "start",
    "stop",
    "restart",
    "insserv",
];

#[derive(Debug, Default)]
struct Args {
    name: String,
    state: Option<String>,
    sleep: Option<i64>,
    pattern: Option<String>,
    enabled: Option<bool>,
    arguments: String,
}

/// The module's argument checks in ansible-core's order: required, types, choices,
/// `required_one_of`, then unknown names.
fn validate(args: &serde_json::Map<String, Value>) -> Result<Args, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => crate::args::scalar_text(other),
    };
    let Some(name) = args.get("name").filter(|v| !v.is_null()) else {
        return Err("missing required arguments: name".into());
    };
    let mut a = Args {
        name: text(name),
        ..Args::default()
    };
    if let Some(v) = args.get("sleep").filter(|v| !v.is_null()) {
        let n = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        a.sleep = Some(n.ok_or_else(|| {
            format!(
                "argument 'sleep' is of type {} and we were unable to convert to int: {}",
                py_type(v),
                py_int_error(v)
            )
        })?);
    }
    if let Some(v) = args.get("enabled").filter(|v| !v.is_null()) {
        a.enabled = Some(parse_bool(v).ok_or_else(|| {
            format!(
                "argument 'enabled' is of type {} and we were unable to convert to bool: The value '{}' is not a valid boolean.  Valid booleans include: 'y', 'on', 'true', 'yes', 'n', 'off', '0', 'f', 'false', '1', 't', 'no'",
                py_type(v),
                text(v)
            )
        })?);
    }
    if let Some(v) = args.get("state").filter(|v| !v.is_null()) {
        let s = text(v);
        if !STATES.contains(&s.as_str()) {
            return Err(format!(
                "value of state must be one of: {}, got: {s}",
                STATES.join(", ")
            ));
        }
        a.state = Some(s);
    }
    if a.state.is_none() && a.enabled.is_none() {
        return Err("one of the following is required: state, enabled".into());
    }
    if let Err(e) = SPEC.check(args) {
        return Err(e.to_string());
    }
    a.pattern = args.get("pattern").filter(|v| !v.is_null()).map(text);
    a.arguments = args
        .get("arguments")
        .or_else(|| args.get("args"))
        .filter(|v| !v.is_null())
        .map(text)
        .unwrap_or_default();
    Ok(a)
}

fn py_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "<class 'str'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
        Value::Null => "<class 'NoneType'>",
    }
}

fn py_int_error(v: &Value) -> String {
    match v {
        Value::String(s) => format!("invalid literal for int() with base 10: '{s}'"),
        Value::Number(n) => format!("{n} cannot be converted to an int"),
        other => format!(
            "{} cannot be converted to an int",
            crate::args::scalar_text(other)
        ),
    }
}

/// What the host offers for the service.
#[derive(Debug, Default)]
struct Tools {
    found: Vec<(String, String)>,
    initscript: bool,
    systemd_booted: bool,
    upstart_conf: bool,
}

impl Tools {
    fn get(&self, tool: &str) -> Option<&str> {
        self.found
            .iter()
            .find(|(t, _)| t == tool)
            .map(|(_, p)| p.as_str())
    }
}

struct Service<'a> {
    ctx: &'a ModuleContext<'a>,
    a: Args,
    initscript: String,
    /// `service`, or `None` to run the init script itself.
    svc_cmd: Option<String>,
    /// `systemctl` on a host booted with systemd: it starts, stops and enables the unit.
    systemctl: Option<String>,
    initctl: Option<String>,
    changed: bool,
    running: Option<bool>,
}

impl Service<'_> {
    /// `execute_command`: the locale only; detached when `daemonize`.
    fn execute(&self, argv: &[String], daemonize: bool) -> Result<Ran, ModuleError> {
        let line = argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
        let locale = "_l=$(_loc); export LANG=\"$_l\" LC_ALL=\"$_l\" LC_MESSAGES=\"$_l\"\n";
        let script = if daemonize {
            // Output to files rather than pipes: a daemon the script starts may keep them open.
            format!(
                "{BEST_LOCALE_FN}{locale}o=$(mktemp) && e=$(mktemp) || exit 1\n\
                 s=; command -v setsid >/dev/null 2>&1 && s='setsid -w'\n\
                 (cd / && exec env -i LANG=\"$_l\" LC_ALL=\"$_l\" LC_MESSAGES=\"$_l\" $s {line}) </dev/null >\"$o\" 2>\"$e\"\n\
                 rc=$?; cat \"$o\"; cat \"$e\" >&2; rm -f \"$o\" \"$e\"; exit $rc"
            )
        } else {
            format!("{BEST_LOCALE_FN}{locale}{line}")
        };
        Ok(run_text(self.ctx, script)?)
    }

    /// `service_control` for `action`: `service NAME ACTION ARGS` (or the init script), a
    /// restart as stop, `sleep`, start.
    fn control(&self, action: &str) -> Result<Ran, ModuleError> {
        let extra = shlex::split(&self.a.arguments).unwrap_or_default();
        let argv = |act: &str| {
            let mut v = match (&self.systemctl, &self.svc_cmd) {
                (Some(ctl), _) => vec![ctl.clone(), act.to_owned(), self.a.name.clone()],
                (None, Some(svc)) => vec![svc.clone(), self.a.name.clone(), act.to_owned()],
                (None, None) => vec![self.initscript.clone(), act.to_owned()],
            };
            v.extend(extra.iter().cloned());
            v
        };
        if action != "restart" {
            return self.execute(&argv(action), true);
        }
        let stop = self.execute(&argv("stop"), true)?;
        if let Some(s) = self.a.sleep.filter(|s| *s > 0) {
            std::thread::sleep(std::time::Duration::from_secs(
                u64::try_from(s).unwrap_or(0),
            ));
        }
        let start = self.execute(&argv("start"), true)?;
        Ok(if stop.rc != 0 && start.rc == 0 {
            start
        } else {
            Ran {
                rc: stop.rc + start.rc,
                out: stop.out + &start.out,
                err: stop.err + &start.err,
            }
        })
    }

    /// `get_systemd_service_status`: `ActiveState` of `systemctl show`; `Err` is the module's
    /// failure.
    fn systemd_status(&mut self, ctl: &str) -> Result<Result<(), String>, ModuleError> {
        let unit = &self.a.name;
        let ran = self.execute(&[ctl.into(), "show".into(), unit.clone()], false)?;
        let repr = rsible_template::py_str_repr(unit);
        if ran.rc != 0 {
            return Ok(Err(format!(
                "failure {} running systemctl show for {repr}: {}",
                ran.rc, ran.err
            )));
        }
        if ran.out.contains("LoadState=not-found") {
            return Ok(Err(format!(
                "systemd could not find the requested service \"{repr}\": {}",
                ran.err
            )));
        }
        let status = super::parse_systemctl_show(&ran.out);
        self.running = match status.get("ActiveState").map(String::as_str) {
            Some("active") => Some(true),
            Some(_) => Some(false),
            None => {
                return Ok(Err(format!(
                    "No ActiveState value in systemctl show output for {repr}"
                )))
            }
        };
        Ok(Ok(()))
    }

    /// `service_enable` with systemd: `is-enabled` (the SysV start links when it cannot
    /// tell), then `enable`/`disable`. `Err` is the module's failure; in check mode a change
    /// ends the module with `changed` only, as ansible-core's does.
    fn enable_systemd(
        &mut self,
        ctl: &str,
        want: bool,
    ) -> Result<Result<Option<ResultMap>, String>, ModuleError> {
        let unit = self.a.name.clone();
        let ran = self.execute(&[ctl.into(), "is-enabled".into(), unit.clone()], false)?;
        let enabled = if ran.rc == 0 {
            true
        } else if ran.out.starts_with("disabled") {
            false
        } else {
            let m = marker();
            let q = quote(&unit);
            let out = run_script(
                self.ctx,
                format!(
                    "n={q}; if [ -x \"/etc/init.d/$n\" ]; then for f in /etc/rc?.d/S??\"$n\"; do [ -e \"$f\" ] || [ -L \"$f\" ] && {{ echo '{m}'; break; }}; done; fi; true"
                ),
            )?;
            String::from_utf8_lossy(&out.stdout).contains(&m)
        };
        if enabled == want {
            self.changed = false;
            return Ok(Ok(None));
        }
        self.changed = true;
        if self.ctx.check_mode {
            return Ok(Ok(Some(crate::util::map(json!({"changed": true})))));
        }
        let action = if want { "enable" } else { "disable" };
        let ran = self.execute(&[ctl.into(), action.into(), unit.clone()], false)?;
        if ran.rc != 0 {
            return Ok(Err(if ran.err.is_empty() {
                format!("Failure for {action} {unit}: rc={} {}", ran.rc, ran.out)
            } else {
                format!(
                    "Error when trying to {action} {unit}: rc={} {}",
                    ran.rc, ran.err
                )
            }));
        }
        Ok(Ok(None))
    }

    /// `get_service_status` without systemd: the script's `status`, read as the module reads
    /// it.
    fn status(&mut self) -> Result<(), ModuleError> {
        let ran = self.control("status")?;
        if let (Some(initctl), None) = (&self.initctl, self.running) {
            let mut argv = vec![initctl.clone(), "status".into(), self.a.name.clone()];
            argv.extend(shlex::split(&self.a.arguments).unwrap_or_default());
            let st = self.execute(&argv, false)?;
            if st.out.contains("stop/waiting") {
                self.running = Some(false);
            } else if st.out.contains("start/running") {
                self.running = Some(true);
            }
        }
        if self.running.is_none() && [1, 2, 3, 4, 69].contains(&ran.rc) {
            self.running = Some(false);
        }
        if self.running.is_none() && ran.out.matches('\n').count() <= 1 {
            let clean = ran
                .out
                .to_lowercase()
                .replace(&self.a.name.to_lowercase(), "");
            if clean.contains("stop") {
                self.running = Some(false);
            } else if clean.contains("run") {
                self.running = Some(!clean.contains("not "));
            } else if clean.contains("start") && !clean.contains("not ") {
                self.running = Some(true);
            } else if [
                "could not access pid file",
                "is dead and pid file exists",
                "dead but subsys locked",
                "dead but pid file exists",
            ]
            .iter()
            .any(|p| clean.contains(p))
            {
                self.running = Some(false);
            }
        }
        if self.running.is_none() && ran.rc == 0 {
            self.running = Some(true);
        }
        if self.running.is_none() && self.a.name == "iptables" && ran.out.contains("ACCEPT") {
            self.running = Some(true);
        }
        Ok(())
    }

    /// `check_ps`: a `ps auxww` line holds the pattern (and not `pattern=`).
    fn check_ps(&mut self, pattern: &str) -> Result<Result<(), String>, ModuleError> {
        let ps = match self.bin("ps")? {
            Ok(p) => p,
            Err(msg) => return Ok(Err(msg)),
        };
        let ran = self.execute(&[ps, "auxww".into()], false)?;
        if ran.rc == 0 {
            self.running = Some(
                ran.out
                    .split('\n')
                    .any(|l| l.contains(pattern) && !l.contains("pattern=")),
            );
        }
        Ok(Ok(()))
    }

    fn bin(&self, name: &str) -> Result<Result<String, String>, ModuleError> {
        let out = run_script(self.ctx, format!("{BIN_PATH_FN}_bin {}", quote(name)))?;
        let line = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        Ok(if out.rc == 0 { Ok(line) } else { Err(line) })
    }

    /// `service_enable` with `update-rc.d`: start links in `/etc/rc?.d` say whether it is.
    fn enable_update_rc_d(
        &mut self,
        update_rc_d: &str,
        want: bool,
    ) -> Result<Option<String>, ModuleError> {
        let m = marker();
        let q = quote(&self.a.name);
        let out = run_script(
            self.ctx,
            format!(
                "n={q}; for f in /etc/rc?.d/S??\"$n\"; do [ -e \"$f\" ] || [ -L \"$f\" ] && {{ echo '{m} S'; break; }}; done\n\
                 for f in /etc/rc?.d/K??\"$n\"; do [ -e \"$f\" ] || [ -L \"$f\" ] && {{ echo '{m} K'; break; }}; done; true"
            ),
        )?;
        let text = String::from_utf8_lossy(&out.stdout);
        let enabled = text.contains(&format!("{m} S"));
        let klinks = text.contains(&format!("{m} K"));
        if want == enabled {
            self.changed = false;
            return Ok(None);
        }
        self.changed = true;
        let check = self.ctx.check_mode;
        let fail = |ran: &Ran| {
            Some(if ran.err.is_empty() {
                ran.out.clone()
            } else {
                ran.err.clone()
            })
        };
        if want && !klinks && !check {
            let ran = self.execute(
                &[update_rc_d.into(), self.a.name.clone(), "defaults".into()],
                false,
            )?;
            if ran.rc != 0 {
                return Ok(fail(&ran));
            }
        }
        if !check {
            let action = if want { "enable" } else { "disable" };
            let ran = self.execute(
                &[update_rc_d.into(), self.a.name.clone(), action.into()],
                false,
            )?;
            if ran.rc != 0 {
                return Ok(fail(&ran));
            }
        }
        Ok(None)
    }
}

/// Runs the module; `Err` of the inner result is a refusal of rsible's (a message).
pub(crate) fn run(
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
) -> Result<ModuleOutput, ModuleError> {
    let a = match validate(args) {
        Ok(a) => a,
        Err(msg) => return Ok(failed(msg).into()),
    };
    let m = marker();
    let mut script = BIN_PATH_FN.to_owned();
    for tool in TOOLS {
        script.push_str(&format!(
            "if p=$(PATH=\"/sbin:/usr/sbin:/bin:/usr/bin:$PATH\" _bin {tool}); then printf '{m} {tool} %s\\n' \"$p\"; fi\n"
        ));
    }
    let q = quote(&a.name);
    script.push_str(&format!(
        "[ -f /etc/init.d/{q} ] && echo '{m} initscript'\n\
         [ -e /etc/init/{q}.conf ] && echo '{m} upstart'\n\
         for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e \"$c\" ] && echo '{m} booted' && break; done\ntrue"
    ));
    let out = run_script(ctx, script)?;
    let mut tools = Tools::default();
    let prefix = format!("{m} ");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        match rest {
            "initscript" => tools.initscript = true,
            "upstart" => tools.upstart_conf = true,
            "booted" => tools.systemd_booted = true,
            _ => {
                if let Some((t, p)) = rest.split_once(' ') {
                    tools.found.push((t.to_owned(), p.to_owned()));
                }
            }
        }
    }
    let name = a.name.clone();
    let refuse = |what: &str| -> Result<ModuleOutput, ModuleError> {
        Ok(failed(format!(
            "rsible's service module drives SysV init scripts; this host manages {name} with {what} (use the systemd module, or command)"
        ))
        .into())
    };
    let systemctl = tools
        .get("systemctl")
        .filter(|_| tools.systemd_booted)
        .map(str::to_owned);
    if systemctl.is_none() && tools.get("initctl").is_some() && tools.upstart_conf {
        return refuse("upstart");
    }
    if systemctl.is_none() && tools.get("rc-service").is_some() {
        return refuse("OpenRC");
    }
    let enable_cmd = if let Some(ctl) = &systemctl {
        Some(("systemctl".to_owned(), ctl.clone()))
    } else if tools.initscript {
        ["update-rc.d", "insserv", "chkconfig"]
            .iter()
            .find_map(|t| tools.get(t).map(|p| ((*t).to_owned(), p.to_owned())))
    } else {
        None
    };
    let Some((enable_tool, enable_path)) = enable_cmd else {
        return Ok(failed(format!(
            "Could not find the requested service {}: host",
            a.name
        ))
        .into());
    };
    let mut svc = Service {
        ctx,
        initscript: format!("/etc/init.d/{}", a.name),
        svc_cmd: tools.get("service").map(str::to_owned),
        initctl: tools.get("initctl").map(str::to_owned),
        systemctl: systemctl.clone(),
        a,
        changed: false,
        running: None,
    };
    let mut result = ResultMap::new();
    result.insert("name".into(), json!(svc.a.name));
    if let Some(want) = svc.a.enabled {
        match enable_tool.as_str() {
            "update-rc.d" => {
                if let Some(msg) = svc.enable_update_rc_d(&enable_path, want)? {
                    return Ok(failed(msg).into());
                }
            }
            "systemctl" => match svc.enable_systemd(&enable_path, want)? {
                Ok(None) => {}
                Ok(Some(early)) => return Ok(early.into()),
                Err(msg) => return Ok(failed(msg).into()),
            },
            other => return refuse(other),
        }
        result.insert("enabled".into(), json!(want));
    }
    let Some(state) = svc.a.state.clone() else {
        result.insert("changed".into(), json!(svc.changed));
        return Ok(result.into());
    };
    result.insert("state".into(), json!(state));
    match svc.a.pattern.clone() {
        Some(pattern) => {
            if let Err(msg) = svc.check_ps(&pattern)? {
                return Ok(failed(msg).into());
            }
        }
        None => match systemctl.as_deref() {
            Some(ctl) => {
                if let Err(msg) = svc.systemd_status(ctl)? {
                    return Ok(failed(msg).into());
                }
            }
            None => svc.status()?,
        },
    }
    let Some(running) = svc.running else {
        return Ok(
            failed("failed determining service state, possible typo of service name?").into(),
        );
    };
    let svc_change = match state.as_str() {
        "reloaded" | "started" if !running => true,
        "reloaded" | "stopped" if running => true,
        "restarted" => true,
        _ => false,
    };
    if ctx.check_mode && svc_change {
        return Ok(
            crate::util::map(json!({"changed": true, "msg": "service state changed"})).into(),
        );
    }
    if svc_change {
        let action = match state.as_str() {
            "started" => "start",
            "reloaded" if !running => "start",
            "stopped" => "stop",
            "reloaded" => "reload",
            _ => "restart",
        };
        let ran = svc.control(action)?;
        if ran.rc != 0 && !ran.err.contains("Job is already running") {
            let msg = if ran.err.is_empty() { ran.out } else { ran.err };
            return Ok(failed(msg).into());
        }
    }
    result.insert("changed".into(), json!(svc.changed || svc_change));
    let end_state = if state == "stopped" {
        "stopped"
    } else {
        "started"
    };
    result.insert("state".into(), json!(end_state));
    Ok(result.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_in_ansible_core_order() {
        let args = |v: Value| match v {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let err = |v: Value| validate(&args(v)).err().unwrap_or_default();
        // Expected messages: ansible-playbook 2.19 against a tier-1b host.
        assert_eq!(
            err(json!({"state": "started"})),
            "missing required arguments: name"
        );
        assert_eq!(
            err(json!({"name": "rsync", "bogus": 1})),
            "one of the following is required: state, enabled"
        );
        assert_eq!(
            err(json!({"name": "rsync", "state": "started", "bogus": 1})),
            "Unsupported parameters for (ansible.legacy.service) module: bogus. Supported parameters include: arguments, enabled, name, pattern, runlevel, sleep, state (args)."
        );
        assert_eq!(
            err(json!({"name": "rsync", "state": "running"})),
            "value of state must be one of: started, stopped, reloaded, restarted, got: running"
        );
        let a = validate(&args(json!({"name": "x", "enabled": "yes", "args": "-v"})))
            .unwrap_or_default();
        assert_eq!((a.enabled, a.arguments.as_str()), (Some(true), "-v"));
    }
}

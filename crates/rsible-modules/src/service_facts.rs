//! `service_facts`: the host's services as `ansible_facts.services`.
//!
//! ```yaml
//! - service_facts:
//! - debug: var=ansible_facts.services['ssh.service'].state
//! ```
//!
//! As ansible-core's module on Linux, in its order: SysV scripts from `service --status-all`
//! (when there is `service` but neither `chkconfig` nor `rc-status`), then upstart's
//! `initctl list`, Red Hat's `chkconfig` (with `service NAME status` per script) or OpenRC's
//! `rc-status`/`rc-update`; then, on a host booted with systemd, `systemctl list-units` and
//! `list-unit-files` (with `systemctl show NAME --property=ActiveState` for unit files no unit
//! listed). Later sources update earlier entries of the same name. Every command runs with the
//! best parsable locale, as the module's `run_command` does. Nothing is found: `skipped`.

use serde_json::{json, Map, Value};

use crate::args::ArgSpec;
use crate::target::script::{marker, run_script, run_text, Ran, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin("service_facts", ArgSpec::new("service_facts", &[]));

/// `systemctl` states that override what a unit file says.
const BAD_STATES: &[&str] = &["not-found", "masked", "failed"];

pub(crate) struct ServiceFacts;
pub(crate) static SERVICE_FACTS: ServiceFacts = ServiceFacts;

/// The tools found on the host, as `get_bin_path` finds them.
#[derive(Debug, Default)]
struct Tools {
    service: Option<String>,
    chkconfig: Option<String>,
    initctl: Option<String>,
    rc_status: Option<String>,
    rc_update: Option<String>,
    /// `systemctl`, and whether the host was booted with systemd (`is_systemd_managed`).
    systemctl: Option<String>,
    systemd_booted: bool,
    /// `/etc/init.d` exists.
    initd: bool,
}

struct Gather<'a> {
    ctx: &'a ModuleContext<'a>,
    services: Map<String, Value>,
    warnings: Vec<String>,
    /// `/etc/init.d` exists.
    tools_initd: bool,
}

impl Gather<'_> {
    /// `run_command` of a shell command line with the best parsable locale.
    fn run(&self, line: &str) -> Result<Ran, ModuleError> {
        let script =
            format!("{BEST_LOCALE_FN}_l=$(_loc); export LANG=\"$_l\" LC_ALL=\"$_l\"\n{line}");
        Ok(run_text(self.ctx, script)?)
    }

    fn tools(&self) -> Result<Tools, ModuleError> {
        let m = marker();
        let mut script = BIN_PATH_FN.to_owned();
        for tool in [
            "service",
            "chkconfig",
            "initctl",
            "rc-status",
            "rc-update",
            "systemctl",
        ] {
            script.push_str(&format!(
                "if p=$(_bin {tool}); then printf '{m} {tool} %s\\n' \"$p\"; fi\n"
            ));
        }
        script.push_str(&format!(
            "for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e \"$c\" ] && echo '{m} booted' && break; done\n\
             [ -e /etc/init.d ] && echo '{m} initd'\ntrue"
        ));
        let out = run_script(self.ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut tools = Tools::default();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(&format!("{m} ")) else {
                continue;
            };
            let (key, path) = rest.split_once(' ').unwrap_or((rest, ""));
            let path = Some(path.to_owned());
            match key {
                "service" => tools.service = path,
                "chkconfig" => tools.chkconfig = path,
                "initctl" => tools.initctl = path,
                "rc-status" => tools.rc_status = path,
                "rc-update" => tools.rc_update = path,
                "systemctl" => tools.systemctl = path,
                "booted" => tools.systemd_booted = true,
                "initd" => tools.initd = true,
                _ => {}
            }
        }
        Ok(tools)
    }

    fn add(&mut self, name: &str, entry: Value) {
        self.services.insert(name.to_owned(), entry);
    }

    fn sysvinit(&mut self, service: &str) -> Result<(), ModuleError> {
        let ran = self.run(&format!("{} --status-all", quote(service)))?;
        if ran.rc == 4 && !self.tools_initd {
            return Ok(());
        }
        if ran.rc != 0 {
            self.warnings.push(format!(
                "Unable to query 'service' tool ({}): {}",
                ran.rc, ran.err
            ));
        }
        for (state, name) in parse_status_all(&ran.out) {
            self.add(
                &name,
                json!({"name": name, "state": state, "source": "sysv"}),
            );
        }
        Ok(())
    }

    fn upstart(&mut self, initctl: &str) -> Result<(), ModuleError> {
        let ran = self.run(&format!("{} list", quote(initctl)))?;
        if ran.rc != 0 {
            self.warnings.push(format!(
                "Unable to query upstart for service data: {}",
                ran.err
            ));
            return Ok(());
        }
        for (name, goal, state) in parse_upstart(&ran.out) {
            self.add(
                &name,
                json!({"name": name, "state": state, "goal": goal, "source": "upstart"}),
            );
        }
        Ok(())
    }

    fn chkconfig(&mut self, chkconfig: &str, service: Option<&str>) -> Result<(), ModuleError> {
        let q = quote(chkconfig);
        let mut ran = self.run(&q)?;
        if !ran
            .out
            .split('\n')
            .any(|l| parse_chkconfig_line(l).is_some())
        {
            if ran.out.split('\n').any(simple_chkconfig_line) {
                ran = self.run(&format!("{q} -l --allservices"))?;
            } else if ran.err.contains("--list") {
                ran = self.run(&format!("{q} --list"))?;
            }
        }
        for line in ran.out.split('\n') {
            let Some((name, rl3_on)) = parse_chkconfig_line(line) else {
                continue;
            };
            let status = if rl3_on { "enabled" } else { "disabled" };
            let service = service.map(quote).unwrap_or_default();
            let st = self.run(&format!("{service} {} status", quote(&name)))?;
            let state = if st.rc == 0 {
                json!("running")
            } else {
                let err = st.err.to_lowercase();
                if ["root", "permission", "not in sudoers"]
                    .iter()
                    .any(|x| err.contains(x))
                {
                    self.warnings.push(format!(
                        "Insufficient permissions to query sysV service \"{name}\" and their states"
                    ));
                    json!(st.rc)
                } else {
                    json!("stopped")
                }
            };
            self.add(
                &name,
                json!({"name": name, "state": state, "status": status, "source": "sysv"}),
            );
        }
        Ok(())
    }

    fn openrc(&mut self, rc_status: &str, rc_update: &str) -> Result<(), ModuleError> {
        let status = self.run(&format!(
            "{} -a -s -m 2>&1 | grep '^ ' | tr -d '[]'",
            quote(rc_status)
        ))?;
        let update = self.run(&format!("{} show -v 2>&1 | grep '|'", quote(rc_update)))?;
        let mut runlevels: Vec<(String, Value)> = Vec::new();
        for line in update.out.split('\n') {
            let parts: Vec<&str> = line.split('|').collect();
            if parts.len() < 2 {
                continue;
            }
            let levels = parts[1].trim();
            let value = if levels.is_empty() {
                Value::Null
            } else {
                json!(levels.split_whitespace().collect::<Vec<_>>())
            };
            let name = parts[0].trim().to_owned();
            match runlevels.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = value,
                None => runlevels.push((name, value)),
            }
        }
        for line in status.out.split('\n') {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 2 || fields[0] == "*" {
                continue;
            }
            let name = fields[0];
            let Some((_, levels)) = runlevels.iter().find(|(n, _)| n == name) else {
                self.warnings
                    .push(format!("Service {name} not found in the service list"));
                continue;
            };
            let entry =
                json!({"name": name, "runlevels": levels, "state": fields[1], "source": "openrc"});
            self.add(name, entry);
        }
        Ok(())
    }

    fn systemd(&mut self, systemctl: &str) -> Result<Map<String, Value>, ModuleError> {
        let q = quote(systemctl);
        let mut units = Map::new();
        let ran = self.run(&format!(
            "{q} list-units --no-pager --type service --all --plain"
        ))?;
        if ran.rc != 0 {
            self.warnings
                .push(format!("Could not list units from systemd: {}", ran.err));
        } else {
            for (name, state, status) in parse_list_units(&ran.out) {
                units.insert(
                    name.clone(),
                    json!({"name": name, "state": state, "status": status, "source": "systemd"}),
                );
            }
        }
        let ran = self.run(&format!(
            "{q} list-unit-files --no-pager --type service --all"
        ))?;
        if ran.rc != 0 {
            self.warnings.push(format!(
                "Could not get unit files data from systemd: {}",
                ran.err
            ));
            return Ok(units);
        }
        let mut files = Vec::new();
        for line in ran.out.split('\n').filter(|l| l.contains(".service")) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 2 {
                return Err(ModuleError::Raised(format!(
                    "Malformed output discovered from systemd list-unit-files: {line}"
                )));
            }
            files.push((fields[0].to_owned(), fields[1].to_owned()));
        }
        // One round trip asks `show` for every unit file no unit listed.
        let unlisted: Vec<&str> = files
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !units.contains_key(*n))
            .collect();
        let states = self.active_states(&q, &unlisted)?;
        for (name, status) in files {
            match units.get_mut(&name) {
                None => {
                    let state = states
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or("unknown", |(_, s)| s.as_str());
                    units.insert(
                        name.clone(),
                        json!({"name": name, "state": state, "status": status, "source": "systemd"}),
                    );
                }
                Some(Value::Object(entry)) => {
                    let bad = entry
                        .get("status")
                        .and_then(Value::as_str)
                        .is_some_and(|s| BAD_STATES.contains(&s));
                    if !bad {
                        entry.insert("status".into(), json!(status));
                    }
                }
                Some(_) => {}
            }
        }
        Ok(units)
    }

    /// `systemctl show NAME --property=ActiveState` for each name: the state, or `unknown` when
    /// the command fails or prints nothing.
    fn active_states(
        &self,
        systemctl: &str,
        names: &[&str],
    ) -> Result<Vec<(String, String)>, ModuleError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let m = marker();
        let mut script = String::new();
        for (i, name) in names.iter().enumerate() {
            script.push_str(&format!(
                "if o=$({systemctl} show {} --property=ActiveState) && [ -n \"$o\" ]; then printf '{m} {i} %s\\n' \"$o\"; fi\n",
                quote(name)
            ));
        }
        script.push_str("true");
        let ran = self.run(&script)?;
        let prefix = format!("{m} ");
        let mut states = Vec::new();
        for line in ran.out.lines() {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let Some((i, value)) = rest.split_once(' ') else {
                continue;
            };
            if let Some(name) = i.parse::<usize>().ok().and_then(|i| names.get(i)) {
                let state = value.replacen("ActiveState=", "", usize::MAX);
                states.push(((*name).to_owned(), state.trim_end().to_owned()));
            }
        }
        Ok(states)
    }
}

/// `service --status-all` lines `[ + ]  name` / `[ - ]  name`: (state, name).
fn parse_status_all(out: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for line in out.split('\n') {
        let rest = line.trim_start();
        let (state, rest) = if let Some(r) = rest.strip_prefix("[ + ]") {
            ("running", r)
        } else if let Some(r) = rest.strip_prefix("[ - ]") {
            ("stopped", r)
        } else {
            continue;
        };
        // `\s+(?P<name>.+)$`: at least one blank, then the rest of the line.
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let name = rest.trim_start();
        if !name.is_empty() {
            found.push((state, name.to_owned()));
        }
    }
    found
}

/// `initctl list` lines `name goal/state[, process PID]`: (name, goal, state).
fn parse_upstart(out: &str) -> Vec<(String, String, String)> {
    let re = regex::Regex::new(
        r"^\s?(?P<name>.*)\s(?P<goal>\w+)/(?P<state>\w+)(,\sprocess\s(?P<pid>[0-9]+))?\s*$",
    )
    .unwrap_or_else(|e| unreachable!("a valid regex: {e}"));
    out.replace('\r', "")
        .split('\n')
        .filter_map(|line| {
            let c = re.captures(line)?;
            Some((
                c["name"].to_owned(),
                c["goal"].to_owned(),
                c["state"].to_owned(),
            ))
        })
        .collect()
}

/// A `chkconfig` line with seven runlevels: the service and whether runlevel 3 is on.
fn parse_chkconfig_line(line: &str) -> Option<(String, bool)> {
    let re = regex::Regex::new(
        r"^(?P<service>.*?)\s+[0-9]:(on|off)\s+[0-9]:(on|off)\s+[0-9]:(on|off)\s+[0-9]:(?P<rl3>on|off)\s+[0-9]:(on|off)\s+[0-9]:(on|off)\s+[0-9]:(on|off)",
    )
    .unwrap_or_else(|e| unreachable!("a valid regex: {e}"));
    let c = re.captures(line)?;
    Some((c["service"].to_owned(), &c["rl3"] == "on"))
}

/// A `chkconfig` line `name on|off` (SLES 11, which needs `-l --allservices`).
fn simple_chkconfig_line(line: &str) -> bool {
    let re = regex::Regex::new(r"^(.*?)\s+(on|off)")
        .unwrap_or_else(|e| unreachable!("a valid regex: {e}"));
    re.is_match(line)
}

/// `systemctl list-units --plain` service lines: (name, state, status). A bad state anywhere
/// before the last field is the status; else the ACTIVE column is. `running` in the SUB
/// column is `running`, anything else `stopped`.
fn parse_list_units(out: &str) -> Vec<(String, &'static str, String)> {
    let mut found = Vec::new();
    for line in out.split('\n').filter(|l| l.contains(".service")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 {
            continue;
        }
        let head = &fields[..fields.len() - 1];
        let status = BAD_STATES
            .iter()
            .find(|bad| head.contains(bad))
            .map_or_else(|| fields[2].to_owned(), |bad| (*bad).to_owned());
        let state = if fields[3] == "running" {
            "running"
        } else {
            "stopped"
        };
        found.push((fields[0].to_owned(), state, status));
    }
    found
}

impl Module for ServiceFacts {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        INFO.args.check(args)?;
        let mut g = Gather {
            ctx,
            services: Map::new(),
            warnings: Vec::new(),
            tools_initd: false,
        };
        let tools = g.tools()?;
        g.tools_initd = tools.initd;
        if let Some(service) = tools.service.as_deref() {
            if tools.chkconfig.is_none() && tools.rc_status.is_none() {
                g.sysvinit(service)?;
            }
        }
        match (
            &tools.initctl,
            &tools.chkconfig,
            &tools.rc_status,
            &tools.rc_update,
        ) {
            (Some(initctl), None, _, _) => g.upstart(initctl)?,
            (_, Some(chkconfig), _, _) => g.chkconfig(chkconfig, tools.service.as_deref())?,
            (_, None, Some(status), Some(update)) => g.openrc(status, update)?,
            _ => {}
        }
        if tools.systemd_booted {
            if let Some(systemctl) = tools.systemctl.as_deref() {
                let units = g.systemd(systemctl)?;
                for (name, entry) in units {
                    g.services.insert(name, entry);
                }
            }
        }
        let mut result = ResultMap::new();
        result.insert("changed".into(), json!(false));
        if g.services.is_empty() {
            result.insert("skipped".into(), json!(true));
            result.insert(
                "msg".into(),
                json!("Failed to find any services. This can be due to privileges or some other configuration issue."),
            );
        } else {
            result.insert(
                "ansible_facts".into(),
                json!({"services": Value::Object(g.services)}),
            );
        }
        if !g.warnings.is_empty() {
            result.insert("warnings".into(), json!(g.warnings));
        }
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Outputs from Debian bookworm test hosts (tiers 1b and 1c).
    #[test]
    fn service_status_all() {
        let out = " [ + ]  dbus\n [ - ]  procps\n [ ? ]  hwclock.sh\n [ + ]  ssh\n";
        assert_eq!(
            parse_status_all(out),
            [
                ("running", "dbus".to_owned()),
                ("stopped", "procps".to_owned()),
                ("running", "ssh".to_owned()),
            ]
        );
    }

    #[test]
    fn list_units_takes_bad_states_before_the_active_column() {
        let out = "UNIT                                 LOAD      ACTIVE   SUB     DESCRIPTION
auditd.service                       not-found inactive dead    auditd.service
dbus.service                         loaded    active   running D-Bus System Message Bus
emergency.service                    loaded    inactive dead    Emergency Shell
broken.service                       loaded    failed   failed  Broken thing

LOAD   = Reflects whether the unit definition was properly loaded.
";
        assert_eq!(
            parse_list_units(out),
            [
                (
                    "auditd.service".to_owned(),
                    "stopped",
                    "not-found".to_owned()
                ),
                ("dbus.service".to_owned(), "running", "active".to_owned()),
                (
                    "emergency.service".to_owned(),
                    "stopped",
                    "inactive".to_owned()
                ),
                ("broken.service".to_owned(), "stopped", "failed".to_owned()),
            ]
        );
    }

    #[test]
    fn upstart_and_chkconfig_lines() {
        assert_eq!(
            parse_upstart("rsyslog start/running, process 612\r\ntty1 stop/waiting\n"),
            [
                (
                    "rsyslog".to_owned(),
                    "start".to_owned(),
                    "running".to_owned()
                ),
                ("tty1".to_owned(), "stop".to_owned(), "waiting".to_owned()),
            ]
        );
        assert_eq!(
            parse_chkconfig_line("netconsole     \t0:off\t1:off\t2:off\t3:on\t4:off\t5:off\t6:off"),
            Some(("netconsole".to_owned(), true))
        );
        assert!(simple_chkconfig_line("sshd  on"));
        assert_eq!(parse_chkconfig_line("sshd  on"), None);
    }
}

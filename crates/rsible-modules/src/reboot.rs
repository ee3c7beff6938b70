//! `reboot`: reboot the target, wait until it is back with a new boot, and test it.
//!
//! ```yaml
//! - reboot:
//!     reboot_timeout: 600
//!     msg: Kernel update
//! ```
//!
//! As ansible-core's action plugin, in its order: refuse a local connection, answer check mode
//! without touching the host, check the options, read the distribution (a `setup` run with
//! `gather_subset: min`: it picks the shutdown command and its arguments), read the boot id
//! (`boot_time_command`), find the shutdown command in `search_paths` (as the `find` module
//! would) and run it, sleep `post_reboot_delay`, then poll the boot id until it changed and run
//! `test_command` until it succeeds — each loop with `reboot_timeout` and Ansible's exponential
//! backoff (1, 2, 4, 8, then 12 seconds, plus a random fraction), re-opening the transport
//! after every connection failure. The commands run on a terminal with the task's `become`, as
//! Ansible's `_low_level_execute_command` runs them over ssh.
//!
//! `connect_timeout`: Ansible's ssh connection has no `connection_timeout` option, so the value
//! changes no timeout there; what it does is re-open the connection before every boot id check,
//! which rsible does too. `msg` is quoted for the shell (Ansible pastes it between double
//! quotes, where `$` and backquotes would still expand).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::{scalar_text, ArgSpec, Unknown};
use crate::target::file_state::join;
use crate::target::script::marker;
use crate::util::{failed, map};
use crate::wait_for_connection::py_int;
use crate::{
    ConnectionError, ExecOutput, ExecRequest, Kind, Module, ModuleContext, ModuleError, ModuleInfo,
    ModuleOutput, ResultMap,
};
use rsible_connection::shell::quote;
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "reboot",
    ArgSpec::new(
        "reboot",
        &[
            "boot_time_command",
            "connect_timeout",
            "msg",
            "post_reboot_delay",
            "pre_reboot_delay",
            "reboot_command",
            "reboot_timeout",
            "search_paths",
            "test_command",
        ],
    )
    .unknown(Unknown::InvalidOptions),
)
.kind(Kind::Action);

const DEFAULT_REBOOT_TIMEOUT: i64 = 600;
const DEFAULT_TEST_COMMAND: &str = "whoami";
const DEFAULT_BOOT_TIME_COMMAND: &str = "cat /proc/sys/kernel/random/boot_id";
const DEFAULT_REBOOT_MESSAGE: &str = "Reboot initiated by Ansible";
const DEFAULT_SEARCH_PATHS: &[&str] =
    &["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"];
/// The longest pause between two attempts, before the random fraction.
const MAX_FAIL_SLEEP: f64 = 12.0;

pub(crate) struct Reboot;
pub(crate) static REBOOT: Reboot = Reboot;

/// The distribution as the action keys its tables: name and family lowercased, major version.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Distribution {
    name: String,
    version: String,
    family: String,
}

impl Distribution {
    /// Ansible's lookup order: name+version, name, family, then the default.
    fn pick<'t>(&self, table: &[(&str, &'t str)], default: &'t str) -> &'t str {
        let with_version = format!("{}{}", self.name, self.version);
        for key in [with_version.as_str(), &self.name, &self.family] {
            if let Some((_, v)) = table.iter().find(|(k, _)| k == &key) {
                return v;
            }
        }
        default
    }
}

const SHUTDOWN_COMMANDS: &[(&str, &str)] = &[("alpine", "reboot"), ("vmkernel", "reboot")];
const DEFAULT_SHUTDOWN_COMMAND_ARGS: &str = "-r {delay_min} \"{message}\"";
const SHUTDOWN_COMMAND_ARGS: &[(&str, &str)] = &[
    ("alpine", ""),
    ("void", "-r +{delay_min} \"{message}\""),
    ("freebsd", "-r +{delay_sec}s \"{message}\""),
    ("linux", DEFAULT_SHUTDOWN_COMMAND_ARGS),
    ("macosx", "-r +{delay_min} \"{message}\""),
    ("openbsd", "-r +{delay_min} \"{message}\""),
    ("solaris", "-y -g {delay_sec} -i 6 \"{message}\""),
    ("sunos", "-y -g {delay_sec} -i 6 \"{message}\""),
    ("vmkernel", "-d {delay_sec}"),
    ("aix", "-Fr"),
];
const BOOT_TIME_COMMANDS: &[(&str, &str)] = &[
    ("freebsd", "/sbin/sysctl kern.boottime"),
    ("openbsd", "/sbin/sysctl kern.boottime"),
    ("macosx", "who -b"),
    ("solaris", "who -b"),
    ("sunos", "who -b"),
    (
        "vmkernel",
        "grep booted /var/log/vmksummary.log | tail -n 1",
    ),
    ("aix", "who -b"),
];
const TEST_COMMANDS: &[(&str, &str)] = &[("solaris", "who"), ("vmkernel", "who")];

/// Why one attempt of a wait loop failed.
enum Attempt {
    /// The connection failed: the transport is re-opened before the next attempt.
    Connection(String),
    Other(String),
}

impl From<ConnectionError> for Attempt {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::Unreachable(m) => Self::Connection(m),
            other => Self::Other(other.to_string()),
        }
    }
}

/// `check_type_str(value, allow_conversion=False)`: a string, `None` as empty, else the error.
fn strict_str(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        other => Err(format!(
            "'{}' is not a string and conversion is not allowed",
            py_repr(other)
        )),
    }
}

/// `check_type_list`: a list as is, a string split on commas, a number as one item.
fn search_paths(v: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(v) = v else {
        return Ok(DEFAULT_SEARCH_PATHS
            .iter()
            .map(|s| (*s).to_owned())
            .collect());
    };
    match v {
        Value::Array(items) => Ok(items.iter().map(scalar_text).collect()),
        Value::String(s) => Ok(s.split(',').map(str::to_owned).collect()),
        Value::Number(_) => Ok(vec![scalar_text(v)]),
        other => Err(format!(
            "'search_paths' must be a string or flat list of strings, got {}",
            py_repr(other)
        )),
    }
}

/// Python's `str.format` of the shutdown arguments' three fields.
fn format_args(template: &str, delay_sec: i64, message: &str) -> String {
    template
        .replace("{delay_sec}", &delay_sec.to_string())
        .replace("{delay_min}", &(delay_sec / 60).to_string())
        .replace("{message}", message)
}

/// Python's truthiness of a task argument.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// The pause after failure number `count` (from 0): `2**count` seconds capped at 12, plus a
/// random fraction of a second below 1.
fn backoff(count: u32, fraction: f64) -> f64 {
    let base = 2f64.powi(i32::try_from(count.min(16)).unwrap_or(16));
    base.min(MAX_FAIL_SLEEP) + fraction
}

struct Action<'a> {
    ctx: &'a ModuleContext<'a>,
    args: &'a serde_json::Map<String, Value>,
    dist: Distribution,
}

impl Action<'_> {
    /// One low-level command as Ansible's action runs it: `/bin/sh -c` on a terminal, with the
    /// task's `become`, without its `environment`.
    fn low_level(&self, command: &str) -> Result<ExecOutput, ConnectionError> {
        let req = ExecRequest::shell(command).with_become(self.ctx.become_.as_ref());
        self.ctx.conn.exec_tty(&req)
    }

    /// `int()` of a delay, at least 0.
    fn delay(&self, key: &str) -> Result<i64, ModuleError> {
        match self.args.get(key) {
            None => Ok(0),
            Some(v) => py_int(v).map(|n| n.max(0)).map_err(ModuleError::Raised),
        }
    }

    fn boot_time_command(&self) -> Result<String, String> {
        let default = self
            .dist
            .pick(BOOT_TIME_COMMANDS, DEFAULT_BOOT_TIME_COMMAND)
            .to_owned();
        match self.args.get("boot_time_command") {
            Some(v) if truthy(Some(v)) => strict_str(v)
                .map_err(|e| format!("Invalid value given for 'boot_time_command': {e}.")),
            _ => Ok(default),
        }
    }

    /// The boot id (or time) now; `Err` with Ansible's message when the command fails.
    fn boot_time(&self) -> Result<String, Attempt> {
        let command = self.boot_time_command().map_err(Attempt::Other)?;
        let out = self.low_level(&command)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.rc != 0 {
            return Err(Attempt::Other(format!(
                "{}: failed to get host boot time info, rc: {}, stdout: {stdout}, stderr: {}",
                self.ctx.action,
                out.rc,
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(stdout.trim().to_owned())
    }

    /// The `reboot_command` argument, checked as a string.
    fn reboot_command(&self) -> Result<Option<String>, String> {
        match self.args.get("reboot_command") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => strict_str(v)
                .map(Some)
                .map_err(|e| format!("Invalid value given for 'reboot_command': {e}.")),
        }
    }

    /// The shutdown program: as given when absolute, else the first match in `search_paths`.
    fn shutdown_command(&self, reboot_command: Option<&str>) -> Result<String, ModuleError> {
        let bin = match reboot_command {
            Some(c) => c.split(' ').next().unwrap_or("").to_owned(),
            None => self.dist.pick(SHUTDOWN_COMMANDS, "shutdown").to_owned(),
        };
        if bin.is_empty() {
            return Err(ModuleError::Raised("string index out of range".into()));
        }
        if bin.starts_with('/') {
            return Ok(bin);
        }
        let paths = search_paths(self.args.get("search_paths")).map_err(ModuleError::Raised)?;
        if let Some(found) = self.find(&paths, &bin)? {
            return Ok(found);
        }
        let listed = Value::Array(paths.iter().map(|p| json!(p)).collect());
        Err(ModuleError::Raised(format!(
            "Unable to find command \"{bin}\" in search paths: {}",
            py_repr(&listed)
        )))
    }

    /// What `find` with `paths`, `patterns: [pattern]` and `file_type: any` lists first: the
    /// entries (not hidden) of each directory in turn whose name matches the pattern.
    fn find(&self, paths: &[String], pattern: &str) -> Result<Option<String>, ModuleError> {
        let m = marker();
        let mut script = format!("pat={}\n", quote(pattern));
        for (i, p) in paths.iter().enumerate() {
            script.push_str(&format!(
                "d={}\nif [ -d \"$d\" ]; then for f in \"$d\"/*; do n=${{f##*/}}; \
                 case $n in $pat) if [ -e \"$f\" ] || [ -L \"$f\" ]; then printf '{m} {i} %s\\n' \"$n\"; fi ;; esac; done; fi\n",
                quote(p),
            ));
        }
        let req = ExecRequest::shell(script).with_become(self.ctx.become_.as_ref());
        let out = self.ctx.conn.exec(&req)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let prefix = format!("{m} ");
        Ok(text
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .find_map(|line| {
                let (i, name) = line.split_once(' ')?;
                let dir = paths.get(i.parse::<usize>().ok()?)?;
                Some(join(dir, name))
            }))
    }

    fn shutdown_args(&self, reboot_command: Option<&str>) -> Result<String, ModuleError> {
        if let Some(command) = reboot_command {
            return Ok(command
                .split_once(' ')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default());
        }
        let template = self
            .dist
            .pick(SHUTDOWN_COMMAND_ARGS, DEFAULT_SHUTDOWN_COMMAND_ARGS);
        let delay = self.delay("pre_reboot_delay")?;
        let message = match self.args.get("msg") {
            Some(v) => scalar_text(v),
            None => DEFAULT_REBOOT_MESSAGE.to_owned(),
        };
        // Inside Ansible's double quotes: the message's own quoting keeps it one literal word.
        let quoted = quote(&message);
        let template = template.replace("\"{message}\"", "{message}");
        Ok(format_args(&template, delay, &quoted))
    }

    /// Runs `attempt` until it succeeds or `timeout` seconds have passed.
    fn until_success(
        &self,
        timeout: i64,
        desc: &str,
        mut attempt: impl FnMut(&Self) -> Result<(), Attempt>,
    ) -> Result<(), String> {
        let deadline =
            Instant::now().checked_add(Duration::from_secs(u64::try_from(timeout).unwrap_or(0)));
        let mut fails = 0u32;
        while deadline.is_none_or(|d| Instant::now() < d) {
            match attempt(self) {
                Ok(()) => return Ok(()),
                Err(Attempt::Connection(_)) => {
                    let _ = self.ctx.conn.reset();
                }
                Err(Attempt::Other(_)) => {}
            }
            let fraction = f64::from(rand::random::<u16>() % 1000) / 1000.0;
            std::thread::sleep(Duration::from_secs_f64(backoff(fails, fraction)));
            fails += 1;
        }
        Err(format!("Timed out waiting for {desc} (timeout={timeout})"))
    }

    fn check_boot_time(&self, previous: &str) -> Result<(), Attempt> {
        if truthy(self.args.get("connect_timeout")) {
            self.ctx.conn.reset()?;
        }
        let now = self.boot_time()?;
        if now.is_empty() || now == previous {
            return Err(Attempt::Other("boot time has not changed".into()));
        }
        Ok(())
    }

    fn run_test_command(&self) -> Result<(), Attempt> {
        let command = match self.args.get("test_command") {
            Some(v) => scalar_text(v),
            None => self
                .dist
                .pick(TEST_COMMANDS, DEFAULT_TEST_COMMAND)
                .to_owned(),
        };
        let out = self.low_level(&command)?;
        if out.rc != 0 {
            return Err(Attempt::Other(format!(
                "Test command failed: {} {}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            )));
        }
        Ok(())
    }
}

/// The distribution from a `setup` run with `gather_subset: min`, as the action runs it.
fn distribution(ctx: &ModuleContext<'_>) -> Result<Distribution, ModuleError> {
    let Value::Object(setup_args) = json!({"gather_subset": "min"}) else {
        unreachable!("a json object literal")
    };
    let out = crate::setup::SETUP.run(ctx, &setup_args)?;
    if out.result.get("failed") == Some(&Value::Bool(true)) {
        let msg = out.result.get("msg").map(scalar_text).unwrap_or_default();
        return Err(ModuleError::Raised(format!(
            "Failed to determine system distribution. {}, ",
            msg.trim()
        )));
    }
    let facts = out.result.get("ansible_facts");
    let fact = |key: &str| {
        facts
            .and_then(|f| f.get(key))
            .map(scalar_text)
            .ok_or_else(|| {
                ModuleError::Raised(format!(
                    "Failed to get distribution information. Missing \"{key}\" in output."
                ))
            })
    };
    let name = fact("ansible_distribution")?.to_lowercase();
    let version = fact("ansible_distribution_version")?
        .split('.')
        .next()
        .unwrap_or("")
        .to_owned();
    let family = fact("ansible_os_family")?.to_lowercase();
    Ok(Distribution {
        name,
        version,
        family,
    })
}

impl Module for Reboot {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let local = ctx
            .connection_info
            .as_ref()
            .is_none_or(|c| c.transport == "local");
        if local {
            return Ok(map(json!({
                "changed": false, "elapsed": 0, "rebooted": false, "failed": true,
                "msg": format!("Running {} with local connection would reboot the control node.", ctx.action),
            }))
            .into());
        }
        if ctx.check_mode {
            return Ok(map(json!({"changed": true, "elapsed": 0, "rebooted": true})).into());
        }
        INFO.args.check(args)?;
        let action = Action {
            ctx,
            args,
            dist: distribution(ctx)?,
        };
        let previous = match action.boot_time() {
            Ok(t) => t,
            Err(Attempt::Connection(m)) => {
                return Err(ModuleError::Connection(ConnectionError::Unreachable(m)))
            }
            Err(Attempt::Other(msg)) => {
                // `str()` of Ansible's error strips its message.
                let mut r = failed(msg.trim());
                r.insert("reboot".into(), json!(false));
                return Ok(r.into());
            }
        };
        let reboot_command = match action.reboot_command() {
            Ok(c) => c,
            // Raised while handling the type error: Ansible shows it as its own cause too.
            Err(msg) => {
                return Ok(ModuleOutput {
                    cause: Some(msg.clone()),
                    ..ModuleOutput::raised(format!("Task failed: {msg}"))
                })
            }
        };
        let command = format!(
            "{} {}",
            action.shutdown_command(reboot_command.as_deref())?,
            action.shutdown_args(reboot_command.as_deref())?
        );
        let ran = match action.low_level(&command) {
            Ok(out) => Some(out),
            // The host went down before the command's session ended.
            Err(ConnectionError::Unreachable(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let start = Instant::now();
        let start_utc = chrono::Utc::now();
        if let Some(out) = ran.filter(|o| o.rc != 0) {
            let mut r = failed(format!(
                "Reboot command failed. Error was: '{}, {}'",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            r.insert("rebooted".into(), json!(false));
            r.insert(
                "start".into(),
                json!(start_utc.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()),
            );
            r.insert("elapsed".into(), json!(start.elapsed().as_secs()));
            return Ok(r.into());
        }
        let post = action.delay("post_reboot_delay")?;
        if post != 0 {
            std::thread::sleep(Duration::from_secs(u64::try_from(post).unwrap_or(0)));
        }
        let timeout = match args.get("reboot_timeout") {
            None => DEFAULT_REBOOT_TIMEOUT,
            Some(v) => py_int(v).map_err(ModuleError::Raised)?,
        };
        let mut result = ResultMap::new();
        let waited = action
            .until_success(timeout, "last boot time check", |a| {
                a.check_boot_time(&previous)
            })
            .and_then(|()| {
                if truthy(args.get("connect_timeout")) {
                    // Ansible puts its connection timeout back and re-opens the connection.
                    let _ = ctx.conn.reset();
                }
                action.until_success(
                    timeout,
                    "post-reboot test command",
                    Action::run_test_command,
                )
            });
        match waited {
            Ok(()) => {
                result.insert("rebooted".into(), json!(true));
                result.insert("changed".into(), json!(true));
            }
            Err(msg) => {
                result.insert("changed".into(), json!(false));
                result.insert("failed".into(), json!(true));
                result.insert("rebooted".into(), json!(true));
                result.insert("msg".into(), json!(msg));
            }
        }
        result.insert("elapsed".into(), json!(start.elapsed().as_secs()));
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, RunResult as _};
    use crate::ConnectionInfo;
    use rsible_connection::local::LocalConnection;
    use rsible_connection::testing::ScriptedConnection;

    const OS_RELEASE: &str = "\n@@RSIBLE@@ system\nLinux\n@@RSIBLE@@ os_release\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n@@RSIBLE@@ debian_version\n12.8\n";

    fn over_ssh_with(env: &Env, conn: &dyn crate::Connection, a: Value) -> ResultMap {
        let mut ctx = env.ctx(conn);
        ctx.action = "reboot".to_owned();
        ctx.connection_info = Some(ConnectionInfo {
            transport: "ssh".into(),
            ..ConnectionInfo::default()
        });
        REBOOT.run(&ctx, &args(a)).result()
    }

    /// A host whose boot id changes after the shutdown command.
    fn host() -> ScriptedConnection {
        ScriptedConnection::new("h1")
            .on("@@RSIBLE@@", 0, OS_RELEASE, "")
            .on("random/boot_id", 0, "old-id\r\n", "")
            .on("random/boot_id", 0, "new-id\r\n", "")
    }

    // Expected results: ansible-playbook 2.19 runs against tier-1b hosts.
    #[test]
    fn reboots_waits_for_a_new_boot_id_and_tests_the_host() {
        let conn = host();
        let r = over_ssh_with(
            &Env::default(),
            &conn,
            json!({"reboot_command": "/sbin/shutdown -r now"}),
        );
        assert_eq!(
            r,
            map(json!({"changed": true, "rebooted": true, "elapsed": 0}))
        );
        let lines = conn.lines();
        let tail: Vec<&str> = lines[lines.len() - 4..]
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "/bin/sh -c 'cat /proc/sys/kernel/random/boot_id'",
                "/bin/sh -c '/sbin/shutdown -r now'",
                "/bin/sh -c 'cat /proc/sys/kernel/random/boot_id'",
                "/bin/sh -c whoami",
            ]
        );
    }

    #[test]
    fn default_command_is_shutdown_with_minutes_and_the_quoted_message() {
        let conn = host();
        let env = Env::default();
        let action = Action {
            ctx: &env.ctx(&conn),
            args: &args(json!({"pre_reboot_delay": 150, "msg": "it's \"time\""})),
            dist: Distribution {
                name: "debian".into(),
                version: "12".into(),
                family: "debian".into(),
            },
        };
        assert_eq!(
            action.shutdown_args(None).unwrap_or_default(),
            "-r 2 'it'\"'\"'s \"time\"'"
        );
        let alpine = Distribution {
            name: "alpine".into(),
            version: "3".into(),
            family: "alpine".into(),
        };
        assert_eq!(alpine.pick(SHUTDOWN_COMMANDS, "shutdown"), "reboot");
        assert_eq!(alpine.pick(SHUTDOWN_COMMAND_ARGS, "x"), "");
    }

    #[test]
    fn failures_before_and_after_the_reboot_read_as_ansible() {
        let conn = ScriptedConnection::new("h1")
            .on("@@RSIBLE@@", 0, OS_RELEASE, "")
            .on(
                "/nonexistent",
                1,
                "cat: /nonexistent: No such file or directory\r\n",
                "Shared connection to h1 closed.\r\n",
            );
        let r = over_ssh_with(
            &Env::default(),
            &conn,
            json!({"boot_time_command": "cat /nonexistent"}),
        );
        assert_eq!(
            r,
            map(json!({
                "changed": false, "failed": true, "reboot": false,
                "msg": "reboot: failed to get host boot time info, rc: 1, stdout: cat: /nonexistent: No such file or directory\r\n, stderr: Shared connection to h1 closed.",
            }))
        );
        let conn = host().on("false now", 1, "", "Shared connection to h1 closed.");
        let r = over_ssh_with(
            &Env::default(),
            &conn,
            json!({"reboot_command": "/bin/false now"}),
        );
        assert_eq!(
            r["msg"],
            "Reboot command failed. Error was: ', Shared connection to h1 closed.'"
        );
        assert_eq!(r["rebooted"], false);
        assert!(
            r["start"].as_str().is_some_and(|s| s.ends_with("+00:00")),
            "{r:?}"
        );
        let r = over_ssh_with(
            &Env::default(),
            &host(),
            json!({"reboot_command": "/sbin/reboot", "reboot_timeout": 0}),
        );
        assert_eq!(
            r,
            map(json!({
                "changed": false, "failed": true, "rebooted": true, "elapsed": 0,
                "msg": "Timed out waiting for last boot time check (timeout=0)",
            }))
        );
        let env = Env::default();
        let conn = host();
        let mut ctx = env.ctx(&conn);
        ctx.connection_info = Some(ConnectionInfo {
            transport: "ssh".into(),
            ..ConnectionInfo::default()
        });
        let raised = REBOOT
            .run(&ctx, &args(json!({"reboot_command": 5})))
            .result();
        assert_eq!(
            raised["msg"],
            json!("Task failed: Invalid value given for 'reboot_command': '5' is not a string and conversion is not allowed.")
        );
    }

    #[test]
    fn a_connection_lost_to_the_shutdown_counts_as_success() {
        let conn = host().on_unreachable("reboot", "Failed to connect to the host via ssh: gone");
        let r = over_ssh_with(
            &Env::default(),
            &conn,
            json!({"reboot_command": "/sbin/reboot"}),
        );
        assert_eq!(r["rebooted"], true, "{r:?}");
        assert_eq!(r["changed"], true);
    }

    #[test]
    fn local_connection_check_mode_and_bad_options() {
        let conn = LocalConnection::new();
        let env = Env::default();
        let mut ctx = env.ctx(&conn);
        ctx.action = "ansible.builtin.reboot".to_owned();
        let r = REBOOT.run(&ctx, &args(json!({}))).result();
        assert_eq!(
            r,
            map(json!({
                "changed": false, "elapsed": 0, "rebooted": false, "failed": true,
                "msg": "Running ansible.builtin.reboot with local connection would reboot the control node.",
            }))
        );
        let check = Env {
            check_mode: true,
            ..Env::default()
        };
        let conn = ScriptedConnection::new("h1");
        assert_eq!(
            over_ssh_with(&check, &conn, json!({"bogus": 1})),
            map(json!({"changed": true, "elapsed": 0, "rebooted": true}))
        );
        assert!(conn.lines().is_empty());
        let r = over_ssh_with(&Env::default(), &conn, json!({"bogus": 1}));
        assert_eq!(r["msg"], "Invalid options for reboot: bogus");
        assert!(conn.lines().is_empty());
    }

    #[test]
    fn search_paths_as_ansible_converts_them() {
        assert_eq!(
            search_paths(Some(&json!("/a,/b"))),
            Ok(vec!["/a".to_owned(), "/b".to_owned()])
        );
        assert_eq!(search_paths(Some(&json!(5))), Ok(vec!["5".to_owned()]));
        assert_eq!(
            search_paths(Some(&json!({"a": 1}))),
            Err("'search_paths' must be a string or flat list of strings, got {'a': 1}".to_owned())
        );
        assert_eq!(backoff(0, 0.5), 1.5);
        assert_eq!(backoff(3, 0.0), 8.0);
        assert_eq!(backoff(9, 0.25), 12.25);
    }

    #[test]
    fn the_shutdown_command_is_found_as_find_lists_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let base = dir.path().display().to_string();
        for sub in ["a", "b", "c"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(dir.path().join("b/shutdown"), "").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("c/shutdown"), "").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("c/.hidden"), "").unwrap_or_else(|e| panic!("{e}"));
        let conn = LocalConnection::new();
        let env = Env::default();
        let paths = |v: &[&str]| v.iter().map(|p| format!("{base}/{p}")).collect::<Vec<_>>();
        let action = Action {
            ctx: &env.ctx(&conn),
            args: &args(json!({})),
            dist: Distribution {
                name: "debian".into(),
                version: "12".into(),
                family: "debian".into(),
            },
        };
        let found = |p: &[&str], pat: &str| {
            action
                .find(&paths(p), pat)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            found(&["a", "nonexistent", "c/", "b"], "shutdown"),
            Some(format!("{base}/c/shutdown"))
        );
        assert_eq!(found(&["a"], "shutdown"), None);
        assert_eq!(found(&["c"], ".hidden"), None);
        assert_eq!(found(&["b"], "shut*"), Some(format!("{base}/b/shutdown")));
    }
}

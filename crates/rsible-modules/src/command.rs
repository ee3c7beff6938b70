//! `command` and `shell`: run a program on the target.
//!
//! ```yaml
//! - command: make -j5 install
//!   args: { chdir: ~/src/linux, creates: /boot/vmlinuz }
//! - shell: ./configure && make
//! ```
//!
//! Everything Ansible does on the target in Python happens in one `/bin/sh` script, so a task
//! is one round trip: `~`/`$VAR` expansion of path parameters (and of argv elements, as
//! `run_command(expand_user_and_vars=True)` does), `chdir`, the `creates`/`removes` globs, the
//! check that the program exists, then `exec`. The expansion must use the target's environment
//! and user (become changes `~`), which is why it is not done on the controller. It runs in
//! `awk` over `ENVIRON`, so user text is never evaluated by the shell.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, scalar_text, ArgSpec};
use crate::target::script::marker;
use crate::util::{failed, map, output_text, py_datetime, py_timedelta, set_output};
use crate::{
    ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, RemoteJob, ResultMap,
};
use rsible_connection::shell::quote;

/// `shell` is `command` with `_uses_shell`: the command module on the target checks both.
const ARGS: ArgSpec = ArgSpec::new(
    "ansible.legacy.command",
    &[
        "_raw_params",
        "_uses_shell",
        "argv",
        "chdir",
        "cmd",
        "creates",
        "executable",
        "expand_argument_vars",
        "removes",
        "stdin",
        "stdin_add_newline",
        "strip_empty_ends",
    ],
);

const INFO: ModuleInfo = ModuleInfo::builtin("command", ARGS).free_form();
const SHELL_INFO: ModuleInfo = ModuleInfo::builtin("shell", ARGS).free_form();

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Free-form command line, split with shlex (no shell) unless `_uses_shell`.
    #[serde(default, rename = "_raw_params", deserialize_with = "de_opt_string")]
    raw_params: Option<String>,
    #[serde(default, rename = "_uses_shell", deserialize_with = "de_bool")]
    uses_shell: bool,
    #[serde(default)]
    argv: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    chdir: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    cmd: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    creates: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    executable: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    expand_argument_vars: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    removes: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    stdin: Option<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    stdin_add_newline: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    strip_empty_ends: bool,
}

/// Python's `os.path.expandvars` then `expanduser`, over every argument, each printed
/// shell-quoted (a `~user` prefix left bare for the shell) so `eval "set -- …"` rebuilds argv.
const EXPAND_AWK: &str = r#"function q(s) { gsub(/'/, "'\"'\"'", s); return "'" s "'" }
BEGIN {
  for (i = 1; i < ARGC; i++) {
    s = ARGV[i]; r = ""
    while (match(s, /\$([A-Za-z0-9_]+|\{[^}]*\})/)) {
      whole = substr(s, RSTART, RLENGTH); name = substr(whole, 2)
      if (substr(name, 1, 1) == "{") name = substr(name, 2, length(name) - 2)
      r = r substr(s, 1, RSTART - 1)
      if (name in ENVIRON) r = r ENVIRON[name]; else r = r whole
      s = substr(s, RSTART + RLENGTH)
    }
    r = r s
    if (r == "~" || substr(r, 1, 2) == "~/") out = q(ENVIRON["HOME"] substr(r, 2))
    else if (match(r, /^~[A-Za-z0-9_.-]+/)) {
      out = substr(r, 1, RLENGTH); rest = substr(r, RLENGTH + 1)
      if (rest != "") out = out q(rest)
    }
    else out = q(r)
    printf "%s ", out
  }
}"#;

/// What the script reports instead of running the command.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ran,
    /// The errno-style reason (`[Errno 2] No such file or directory: b'/x'`), when known.
    ChdirFailed(Option<String>),
    Creates(String),
    Removes(String),
    WouldRun,
    NoExec(String),
}

pub(crate) struct Command {
    shell: bool,
}

pub(crate) static COMMAND: Command = Command { shell: false };
pub(crate) static SHELL: Command = Command { shell: true };

impl Module for Command {
    fn info(&self) -> &'static ModuleInfo {
        if self.shell {
            &SHELL_INFO
        } else {
            &INFO
        }
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&ARGS, args)?;
        let warning = self.executable_warning(&a);
        let mut r = run_command(ctx, a, self.shell)?;
        if let Some(w) = warning {
            r.insert("warnings".into(), json!([w]));
        }
        Ok(r.into())
    }

    fn remote_job(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Option<Result<RemoteJob, ModuleError>> {
        // Argument errors need no target: they come back at once.
        let a: Args = parse(&ARGS, args).ok()?;
        let p = prepare(&a, self.shell).ok()?;
        let m = marker();
        let script = build_script(&a, p.shell, p.raw.as_deref(), &p.argv, &m, ctx.check_mode);
        let mut fields = ResultMap::new();
        fields.insert("cmd".into(), p.cmd_value.clone());
        if let Some(w) = self.executable_warning(&a) {
            fields.insert("warnings".into(), json!([w]));
        }
        let stdin = a.stdin.as_ref().map(|data| {
            let mut bytes = data.clone().into_bytes();
            if a.stdin_add_newline {
                bytes.push(b'\n');
            }
            bytes
        });
        let has_checks = a.chdir.is_some() || a.creates.is_some() || a.removes.is_some();
        let stops = async_stops(&p, &m, ctx.check_mode, has_checks);
        Some(Ok(RemoteJob {
            script,
            stdin,
            fields,
            strip_empty_ends: a.strip_empty_ends,
            marker: m,
            stops,
        }))
    }
}

impl Command {
    fn executable_warning(&self, a: &Args) -> Option<String> {
        match &a.executable {
            Some(exe) if !self.shell && !a.uses_shell => Some(format!(
                "As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '{exe}'."
            )),
            _ => None,
        }
    }
}

/// The results the script's early exits stand for when it runs detached, in the key order of
/// Ansible's command module; `m` stands for the path (or program) the exit line names.
fn async_stops(p: &Prepared, m: &str, check: bool, has_checks: bool) -> Vec<(String, ResultMap)> {
    let verb = if check { "Would" } else { "Did" };
    let base = |msg: String, stdout: String, rc: Value| {
        map(json!({
            "changed": false, "stdout": stdout, "stderr": "", "rc": rc, "cmd": p.cmd_value,
            "start": null, "end": null, "delta": null, "msg": msg,
        }))
    };
    let mut chdir = base(
        "Unable to change directory before execution.".into(),
        String::new(),
        Value::Null,
    );
    chdir.insert("failed".into(), json!(true));
    let mut would = base(
        "Command would have run if not in check mode".into(),
        String::new(),
        json!(0),
    );
    if has_checks {
        would.insert("changed".into(), json!(true));
    } else {
        would.insert("skipped".into(), json!(true));
    }
    let joined = quoted_list(&p.argv);
    let noexec = map(json!({
        "changed": false, "cmd": joined, "rc": 2, "stdout": "", "stderr": "",
        "msg": "Error executing command.", "failed": true,
        "exception": format!("[Errno 2] No such file or directory: b'{m}'"),
    }));
    vec![
        (
            "creates".into(),
            base(
                format!("{verb} not run command since '{m}' exists"),
                format!("skipped, since {m} exists"),
                json!(0),
            ),
        ),
        (
            "removes".into(),
            base(
                format!("{verb} not run command since '{m}' does not exist"),
                format!("skipped, since {m} does not exist"),
                json!(0),
            ),
        ),
        ("chdir".into(), chdir.clone()),
        ("expand".into(), chdir),
        ("noexec".into(), noexec),
        ("wouldrun".into(), would),
    ]
}

/// What the arguments ask to run: `cmd` of the result, the shell string and the argv.
struct Prepared {
    shell: bool,
    cmd_value: Value,
    raw: Option<String>,
    argv: Vec<String>,
}

/// Ansible's checks on which command parameters are given; `Err` is the failed result.
fn prepare(a: &Args, force_shell: bool) -> Result<Prepared, ResultMap> {
    let shell = force_shell || a.uses_shell;
    let given = [a.raw_params.is_some(), a.cmd.is_some(), a.argv.is_some()];
    match given.iter().filter(|g| **g).count() {
        0 => {
            return Err(failed(
                "one of the following is required: _raw_params, cmd, argv",
            ))
        }
        1 => {}
        _ => {
            return Err(failed(
                "parameters are mutually exclusive: _raw_params|cmd|argv",
            ))
        }
    }
    let raw = a.raw_params.clone().or_else(|| a.cmd.clone());
    // `cmd` in the result: the string for shell, the argv list for command.
    let (cmd_value, argv): (Value, Vec<String>) = match (&raw, &a.argv) {
        (Some(r), _) if shell => (Value::String(r.clone()), Vec::new()),
        (Some(r), _) => match shlex::split(r) {
            Some(v) => (json!(v), v),
            None => return Err(failed(format!("Failed to parse command line: {r}"))),
        },
        (None, Some(list)) => {
            let v: Vec<String> = list.iter().map(scalar_text).collect();
            (json!(v), v)
        }
        (None, None) => return Err(with_rc(failed("no command given"), 256)),
    };
    if (shell && raw.as_deref().is_none_or(str::is_empty)) || (!shell && argv.is_empty()) {
        return Err(with_rc(failed("no command given"), 256));
    }
    Ok(Prepared {
        shell,
        cmd_value,
        raw,
        argv,
    })
}

fn run_command(
    ctx: &ModuleContext<'_>,
    a: Args,
    force_shell: bool,
) -> Result<ResultMap, ModuleError> {
    let Prepared {
        shell,
        cmd_value,
        raw,
        argv,
    } = match prepare(&a, force_shell) {
        Ok(p) => p,
        Err(fail) => return Ok(fail),
    };

    let mut r = map(json!({
        "changed": false, "cmd": cmd_value, "delta": null, "end": null, "msg": "",
        "rc": null, "start": null,
    }));
    let has_checks = a.chdir.is_some() || a.creates.is_some() || a.removes.is_some();
    if ctx.check_mode && !has_checks {
        return Ok(would_run(r, true));
    }

    let m = marker();
    let script = build_script(&a, shell, raw.as_deref(), &argv, &m, ctx.check_mode);
    let mut req = crate::target::script::task_request(ctx, ExecRequest::shell(script));
    if let Some(data) = &a.stdin {
        let mut bytes = data.clone().into_bytes();
        if a.stdin_add_newline {
            bytes.push(b'\n');
        }
        req.stdin = Some(bytes);
    }
    let started = chrono::Local::now();
    let clock = Instant::now();
    let out = ctx.conn.exec(&req)?;
    let elapsed = clock.elapsed();
    let ended = started + chrono::Duration::from_std(elapsed).unwrap_or_default();

    match parse_outcome(out.rc, &out.stderr, &m) {
        Outcome::ChdirFailed(reason) => {
            set_output(&mut r, String::new(), String::new());
            if let Some(reason) = reason {
                // What Ansible's error line shows after the message.
                r.insert("exception".into(), json!(reason));
            }
            r.insert(
                "msg".into(),
                json!("Unable to change directory before execution."),
            );
            r.insert("failed".into(), json!(true));
            return Ok(r);
        }
        Outcome::Creates(path) => {
            return Ok(skipped_by(
                r,
                ctx.check_mode,
                &format!("'{path}' exists"),
                &format!("{path} exists"),
            ));
        }
        Outcome::Removes(path) => {
            return Ok(skipped_by(
                r,
                ctx.check_mode,
                &format!("'{path}' does not exist"),
                &format!("{path} does not exist"),
            ));
        }
        Outcome::WouldRun => return Ok(would_run(r, a.creates.is_none() && a.removes.is_none())),
        Outcome::NoExec(prog) => {
            // Ansible's run_command OSError path: no timing keys, cmd as a joined string.
            let joined = argv.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" ");
            let mut f = failed("Error executing command.");
            f.insert("cmd".into(), json!(joined));
            f.insert("rc".into(), json!(2));
            f.insert(
                "exception".into(),
                json!(format!("[Errno 2] No such file or directory: b'{prog}'")),
            );
            set_output(&mut f, String::new(), String::new());
            return Ok(f);
        }
        Outcome::Ran => {}
    }
    r.insert("changed".into(), json!(true));
    r.insert("rc".into(), json!(out.rc));
    r.insert("start".into(), json!(py_datetime(&started)));
    r.insert("end".into(), json!(py_datetime(&ended)));
    r.insert("delta".into(), json!(py_timedelta(elapsed)));
    set_output(
        &mut r,
        output_text(&out.stdout, a.strip_empty_ends),
        output_text(&out.stderr, a.strip_empty_ends),
    );
    if out.rc != 0 {
        r.insert("msg".into(), json!("non-zero return code"));
        r.insert("failed".into(), json!(true));
    }
    Ok(r)
}

fn with_rc(mut r: ResultMap, rc: i32) -> ResultMap {
    r.insert("rc".into(), json!(rc));
    r
}

fn would_run(mut r: ResultMap, no_checks: bool) -> ResultMap {
    r.insert("rc".into(), json!(0));
    r.insert(
        "msg".into(),
        json!("Command would have run if not in check mode"),
    );
    if no_checks {
        r.insert("skipped".into(), json!(true));
    } else {
        r.insert("changed".into(), json!(true));
    }
    set_output(&mut r, String::new(), String::new());
    r
}

fn skipped_by(mut r: ResultMap, check: bool, why: &str, stdout_why: &str) -> ResultMap {
    let verb = if check { "Would" } else { "Did" };
    r.insert(
        "msg".into(),
        json!(format!("{verb} not run command since {why}")),
    );
    r.insert("rc".into(), json!(0));
    set_output(
        &mut r,
        format!("skipped, since {stdout_why}"),
        String::new(),
    );
    r
}

/// Our marker line on stderr with rc 250 means the script stopped before running anything.
fn parse_outcome(rc: i32, stderr: &[u8], m: &str) -> Outcome {
    if rc != 250 {
        return Outcome::Ran;
    }
    let text = String::from_utf8_lossy(stderr);
    let Some(line) = text.lines().rev().find_map(|l| l.strip_prefix(m)) else {
        return Outcome::Ran;
    };
    let line = line.strip_prefix(' ').unwrap_or(line);
    let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
    match kind {
        "expand" => Outcome::ChdirFailed(None),
        "chdir" => {
            let (errno, dir) = rest.split_once(' ').unwrap_or(("2", rest));
            let text = match errno {
                "20" => "Not a directory",
                "13" => "Permission denied",
                _ => "No such file or directory",
            };
            Outcome::ChdirFailed(Some(format!("[Errno {errno}] {text}: b'{dir}'")))
        }
        "creates" => Outcome::Creates(rest.to_owned()),
        "removes" => Outcome::Removes(rest.to_owned()),
        "wouldrun" => Outcome::WouldRun,
        "noexec" => Outcome::NoExec(rest.to_owned()),
        _ => Outcome::Ran,
    }
}

/// Whether Python's `expanduser(expandvars(v))` could change `v`: a `$` or a leading `~`.
fn needs_expand(v: &str) -> bool {
    v.starts_with('~') || v.contains('$')
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" ")
}

fn build_script(
    a: &Args,
    shell: bool,
    raw: Option<&str>,
    argv: &[String],
    m: &str,
    check_mode: bool,
) -> String {
    let mut s = String::new();
    let awk = quote(EXPAND_AWK);
    let stop = |what: &str| format!("{{ printf '%s {what}\\n' \"$M\" >&2; exit 250; }}");
    let _ = writeln!(s, "M={m}");
    let expand_argv = !shell && a.expand_argument_vars && argv.iter().any(|v| needs_expand(v));
    let path_params = [&a.chdir, &a.creates, &a.removes];
    if expand_argv
        || path_params
            .iter()
            .any(|p| p.as_deref().is_some_and(needs_expand))
    {
        let _ = writeln!(s, "_e() {{ awk {awk} \"$@\"; }}");
        let _ = writeln!(
            s,
            "_x() {{ _a=$(_e \"$@\") && eval \"set -- $_a\" && _r=\"$1\"; }}"
        );
    }
    // `_r` = the parameter as Python's expanduser(expandvars()) gives it; awk only when there
    // is something to expand (a process saved on most tasks).
    let expand = |v: &str| {
        if needs_expand(v) {
            format!("_x {} || {}", quote(v), stop("expand"))
        } else {
            format!("_r={}", quote(v))
        }
    };
    if let Some(d) = &a.chdir {
        let _ = writeln!(s, "{}", expand(d));
        // The errno Python's os.chdir would raise, for the message.
        let _ = writeln!(
            s,
            "cd -- \"$_r\" 2>/dev/null || {{ if [ ! -e \"$_r\" ]; then e=2; elif [ ! -d \"$_r\" ]; then e=20; else e=13; fi; \
             printf '%s chdir %s %s\\n' \"$M\" \"$e\" \"$_r\" >&2; exit 250; }}"
        );
    }
    let glob_fn = "_g() { IFS=''; for _f in $1; do if [ -e \"$_f\" ] || [ -L \"$_f\" ]; then return 0; fi; done; return 1; }";
    if a.creates.is_some() || a.removes.is_some() {
        let _ = writeln!(s, "{glob_fn}");
    }
    if let Some(c) = &a.creates {
        let _ = writeln!(s, "{}", expand(c));
        let _ = writeln!(
            s,
            "if _g \"$_r\"; then printf '%s creates %s\\n' \"$M\" \"$_r\" >&2; exit 250; fi"
        );
    }
    if let Some(rm) = &a.removes {
        let _ = writeln!(s, "{}", expand(rm));
        let _ = writeln!(
            s,
            "if ! _g \"$_r\"; then printf '%s removes %s\\n' \"$M\" \"$_r\" >&2; exit 250; fi"
        );
    }
    if check_mode {
        let _ = writeln!(s, "{}", stop("wouldrun"));
        return s;
    }
    if shell {
        let exe = a.executable.as_deref().unwrap_or("/bin/sh");
        let _ = write!(
            s,
            "exec {} -c {}",
            quote(exe),
            quote(raw.unwrap_or_default())
        );
        return s;
    }
    let _ = writeln!(s, "set -- {}", quoted_list(argv));
    if expand_argv {
        let _ = writeln!(
            s,
            "_a=$(_e \"$@\") && eval \"set -- $_a\" || {}",
            stop("expand")
        );
    }
    let _ = writeln!(
        s,
        "case $1 in */*) [ -f \"$1\" ] ;; *) command -v \"$1\" >/dev/null 2>&1 ;; esac || \
         {{ printf '%s noexec %s\\n' \"$M\" \"$1\" >&2; exit 250; }}"
    );
    s.push_str("exec \"$@\"");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, keys, Env, FakeConnection, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run_local(env: &Env, module: &Command, a: Value) -> ResultMap {
        let conn = LocalConnection::new();
        module.run(&env.ctx(&conn), &args(a)).result()
    }

    // Key sets and values below come from ansible-playbook 2.19 -v runs of the same tasks.
    #[test]
    fn command_success_has_ansible_keys() {
        let r = run_local(&Env::default(), &COMMAND, json!({"_raw_params": "echo hi"}));
        assert_eq!(
            keys(&r),
            [
                "changed",
                "cmd",
                "delta",
                "end",
                "msg",
                "rc",
                "start",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(r["cmd"], json!(["echo", "hi"]));
        assert_eq!(
            (&r["stdout"], &r["rc"], &r["msg"]),
            (&json!("hi"), &json!(0), &json!(""))
        );
        assert_eq!(r["changed"], true);
        let re = regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$").unwrap();
        assert!(re.is_match(r["start"].as_str().unwrap()), "{}", r["start"]);
        assert!(regex::Regex::new(r"^0:00:0\d(\.\d{6})?$")
            .unwrap()
            .is_match(r["delta"].as_str().unwrap()));
    }

    #[test]
    fn argv_elements_expand_tilde_and_vars_like_python() {
        let home = std::env::var("HOME").unwrap();
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"argv": ["echo", "~", "$HOME", "${HOME}/x", "$NOPE_UNSET_VAR", "a'b $x", "~root"]}),
        );
        // python: [expanduser(expandvars(a)) for a in argv]
        assert_eq!(
            r["stdout"],
            json!(format!(
                "{home} {home} {home}/x $NOPE_UNSET_VAR a'b $x /root"
            ))
        );
        assert_eq!(
            r["cmd"],
            json!([
                "echo",
                "~",
                "$HOME",
                "${HOME}/x",
                "$NOPE_UNSET_VAR",
                "a'b $x",
                "~root"
            ])
        );
    }

    #[test]
    fn failure_and_shell() {
        let r = run_local(&Env::default(), &COMMAND, json!({"_raw_params": "false"}));
        assert_eq!(
            (&r["rc"], &r["failed"], &r["msg"]),
            (&json!(1), &json!(true), &json!("non-zero return code"))
        );
        let r = run_local(
            &Env::default(),
            &SHELL,
            json!({"_raw_params": "echo hi; echo err >&2"}),
        );
        assert_eq!(r["cmd"], "echo hi; echo err >&2");
        assert_eq!(
            (&r["stdout"], &r["stderr"], &r["stderr_lines"]),
            (&json!("hi"), &json!("err"), &json!(["err"]))
        );
    }

    #[test]
    fn creates_and_removes_skip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("made.txt"), "").unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"cmd": "echo x", "chdir": d, "creates": "*.txt"}),
        );
        assert_eq!(r["changed"], false);
        assert_eq!(r["rc"], 0);
        assert_eq!(r["msg"], "Did not run command since '*.txt' exists");
        assert_eq!(r["stdout"], "skipped, since *.txt exists");
        assert_eq!(r["start"], Value::Null);
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"cmd": "echo x", "removes": "/nonexist"}),
        );
        assert_eq!(
            r["msg"],
            "Did not run command since '/nonexist' does not exist"
        );
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"cmd": "pwd", "chdir": d, "removes": "made.txt"}),
        );
        assert_eq!(r["changed"], true);
    }

    #[test]
    fn missing_program_and_bad_chdir() {
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"_raw_params": "nosuchexe -b"}),
        );
        assert_eq!(
            keys(&r),
            [
                "changed",
                "cmd",
                "exception",
                "failed",
                "msg",
                "rc",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(
            (&r["cmd"], &r["rc"], &r["msg"]),
            (
                &json!("nosuchexe -b"),
                &json!(2),
                &json!("Error executing command.")
            )
        );
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"cmd": "true", "chdir": "/nonexistent/dir"}),
        );
        assert_eq!(r["msg"], "Unable to change directory before execution.");
        assert_eq!(r["failed"], true);
        // Python: os.chdir(b'/nonexistent/dir') -> FileNotFoundError, os.chdir(b'/etc/hostname')
        // -> NotADirectoryError; their str() is what Ansible shows after the message.
        assert_eq!(
            r["exception"],
            "[Errno 2] No such file or directory: b'/nonexistent/dir'"
        );
        let r = run_local(
            &Env::default(),
            &COMMAND,
            json!({"cmd": "true", "chdir": "/etc/passwd"}),
        );
        assert_eq!(r["exception"], "[Errno 20] Not a directory: b'/etc/passwd'");
    }

    #[test]
    fn check_mode_does_not_run() {
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        let fake = FakeConnection::default();
        let r = COMMAND
            .run(&env.ctx(&fake), &args(json!({"_raw_params": "rm -rf /x"})))
            .result();
        assert!(fake.lines().is_empty());
        assert_eq!(r["skipped"], true);
        assert_eq!(r["changed"], false);
        assert_eq!(r["msg"], "Command would have run if not in check mode");
        let r = run_local(&env, &COMMAND, json!({"cmd": "echo", "creates": "/"}));
        assert_eq!(r["msg"], "Would not run command since '/' exists");
        let r = run_local(
            &env,
            &COMMAND,
            json!({"cmd": "echo", "creates": "/nonexistent"}),
        );
        assert_eq!((&r["changed"], r.get("skipped")), (&json!(true), None));
    }

    #[test]
    fn stdin_environment_and_unknown_params() {
        let env = Env {
            environment: vec![("MYV".into(), "a b".into())],
            ..Env::default()
        };
        let r = run_local(
            &env,
            &SHELL,
            json!({"_raw_params": "cat; echo \"$MYV\"", "stdin": "in"}),
        );
        assert_eq!(r["stdout"], "in\na b");
        let r = run_local(&env, &COMMAND, json!({"cmd": "true", "bogus": 1}));
        assert_eq!(
            r["msg"],
            "Unsupported parameters for (ansible.legacy.command) module: bogus. Supported parameters include: _raw_params, _uses_shell, argv, chdir, cmd, creates, executable, expand_argument_vars, removes, stdin, stdin_add_newline, strip_empty_ends."
        );
    }

    #[test]
    fn user_text_is_quoted_in_the_script() {
        let fake = FakeConnection::with_outputs(vec![FakeConnection::out(0, "", "")]);
        let env = Env::default();
        COMMAND
            .run(
                &env.ctx(&fake),
                &args(json!({"argv": ["echo", "$(touch /tmp/pwned)", "'"], "chdir": "; rm -rf /"})),
            )
            .unwrap();
        let lines = fake.lines();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains(r#"'"'"'$(touch /tmp/pwned)'"'"'"#),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn awk_runs_only_when_something_expands() {
        let script = |a: Value| {
            let fake = FakeConnection::with_outputs(vec![FakeConnection::out(0, "", "")]);
            COMMAND.run(&Env::default().ctx(&fake), &args(a)).unwrap();
            fake.lines().concat()
        };
        let plain =
            script(json!({"argv": ["/bin/true", "a b"], "chdir": "/tmp", "creates": "/x*"}));
        assert!(!plain.contains("awk"), "{plain}");
        for a in [
            json!({"argv": ["echo", "$HOME"]}),
            json!({"argv": ["true"], "chdir": "~/src"}),
            json!({"argv": ["true"], "removes": "${X}/y"}),
        ] {
            let s = script(a.clone());
            assert!(s.contains("awk"), "{a}: {s}");
        }
    }
}

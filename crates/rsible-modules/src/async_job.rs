//! `async:` jobs on the target without Python there.
//!
//! Starting a job is one `/bin/sh` round trip that does what Ansible's `async_wrapper.py` does:
//! it creates the async dir, writes the job file `<async_dir>/<jid>` with
//! `{"started": true, "finished": false, "ansible_job_id": …}`, and starts a supervisor in a
//! new session (`setsid`, every fd on `/dev/null`) so the job outlives the SSH session and a
//! `sudo` pty. The supervisor runs the module's script in its own process group with its
//! output in temp files, kills that group after `async` seconds (then writes Ansible's
//! "Timeout exceeded" result), and otherwise writes the module's own result JSON. The JSON is
//! built by `awk` on the target; a temp file and `mv` keep readers from seeing half of it.
//!
//! The job file has Ansible's layout, so Ansible's `async_status` can read our jobs and ours
//! can read Ansible's.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::target::script::{marker, run_script};
use crate::util::{failed, py_json_dumps, py_splitlines};
use crate::{Module, ModuleContext, ModuleError, ModuleOutput, ResultMap};
use rsible_connection::shell::{quote, quote_path};

/// A module's work on the target as one script, so it can run detached (`async:`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteJob {
    /// Run as `/bin/sh -c <script>` in the login directory, with the task's environment.
    pub script: String,
    /// Fed to the script on stdin (`/dev/null` when `None`).
    pub stdin: Option<Vec<u8>>,
    /// Result keys known up front (`cmd`, `warnings`), written after `rc` as Ansible's
    /// command module orders its keys.
    pub fields: ResultMap,
    /// Remove trailing `\r`/`\n` from stdout and stderr (command's `strip_empty_ends`).
    pub strip_empty_ends: bool,
    /// The script's early exits: it exits 250 with `<marker> <kind> <arg>` as its last stderr
    /// line, and the job's result is then the map of that `kind` from `stops`, with `marker`
    /// inside its strings replaced by `arg`.
    pub marker: String,
    pub stops: Vec<(String, ResultMap)>,
}

/// Where jobs live: `ansible_async_dir`, then `ANSIBLE_ASYNC_DIR`, then `~/.ansible_async`
/// (Ansible's shell option `async_dir`), `~` left for the target to expand.
pub(crate) fn async_dir(ctx: &ModuleContext<'_>) -> Result<String, ModuleError> {
    if let Some(v) = ctx.vars.get("ansible_async_dir") {
        let rendered = match v {
            Value::String(s) => ctx.templar.render_str(s, ctx.vars, ctx.origin)?,
            other => other.clone(),
        };
        if let Value::String(s) = rendered {
            return Ok(s);
        }
    }
    Ok(std::env::var("ANSIBLE_ASYNC_DIR").unwrap_or_else(|_| "~/.ansible_async".to_owned()))
}

/// Turns the script's stdout/stderr into JSON string bodies, formats Python's timestamps and
/// fills early-exit templates. Works on bytes (`LC_ALL=C`) so UTF-8 passes through untouched;
/// values come in through `ENVIRON`, never through the shell or `awk -v` (which would
/// interpret backslashes).
const JSON_AWK: &str = r#"function esc(s,   out, c) {
  out = ""
  while (match(s, SPECIAL)) {
    c = substr(s, RSTART, 1)
    out = out substr(s, 1, RSTART - 1) E[c]
    s = substr(s, RSTART + 1)
  }
  return out s
}
function micro(n) { if (n !~ /^[0-9]+$/) return 0; return int(substr(n "000000", 1, 6)) }
function stamp(d, t, us) { return us == 0 ? d " " t : sprintf("%s %s.%06d", d, t, us) }
BEGIN {
  for (i = 1; i < 32; i++) E[sprintf("%c", i)] = sprintf("\\u%04x", i)
  E[sprintf("%c", 127)] = "\\u007f"
  E["\\"] = "\\\\"; E["\""] = "\\\""; E["\t"] = "\\t"; E["\r"] = "\\r"
  E["\b"] = "\\b"; E["\f"] = "\\f"
  SPECIAL = "[\\\\\"" sprintf("%c", 1) "-" sprintf("%c", 31) sprintf("%c", 127) "]"
  mode = ENVIRON["J_MODE"]
  if (mode == "times") {
    split(ENVIRON["J_S"], a, " "); split(ENVIRON["J_E"], b, " ")
    ua = micro(a[4]); ub = micro(b[4])
    secs = b[3] - a[3]; us = ub - ua
    if (us < 0) { us += 1000000; secs-- }
    if (secs < 0) { secs = 0; us = 0 }
    days = int(secs / 86400); rem = secs % 86400
    d = sprintf("%d:%02d:%02d", int(rem / 3600), int(rem % 3600 / 60), rem % 60)
    if (us) d = d sprintf(".%06d", us)
    if (days == 1) d = "1 day, " d; else if (days > 1) d = days " days, " d
    printf "\"start\": \"%s\", \"end\": \"%s\", \"delta\": \"%s\"", stamp(a[1], a[2], ua), stamp(b[1], b[2], ub), d
    exit
  }
  if (mode == "subst") {
    t = ENVIRON["J_T"]; p = ENVIRON["J_P"]; v = esc(ENVIRON["J_A"]); out = ""
    while ((i = index(t, p)) > 0) { out = out substr(t, 1, i - 1) v; t = substr(t, i + length(p)) }
    printf "%s", out t
    exit
  }
}
{ L[++n] = $0 }
END {
  if (mode != "esc") exit
  # The input ends with a sentinel `x`, so a final newline shows up as an empty last line.
  L[n] = substr(L[n], 1, length(L[n]) - 1)
  if (ENVIRON["J_STRIP"] == "1") {
    while (n > 0) { sub(/\r+$/, "", L[n]); if (L[n] != "") break; n-- }
  }
  for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? "\\n" : ""), esc(L[i])
}"#;

/// The detached supervisor; `$1` job file, `$2` jid, `$3` temp-file prefix.
fn supervisor_script(job: &RemoteJob, async_secs: u64) -> String {
    let mut s = String::new();
    let awk = quote(JSON_AWK);
    s.push_str("f=$1; t=$3\n");
    // Opening the fifo releases the launcher: from here on we are in our own session.
    s.push_str("[ -p \"$t.fifo\" ] && : > \"$t.fifo\"\n");
    s.push_str("S=; command -v setsid >/dev/null 2>&1 && S=setsid\n");
    s.push_str("in=/dev/null; [ -e \"$t.in\" ] && in=\"$t.in\"\n");
    s.push_str("now() { date '+%Y-%m-%d %H:%M:%S %s %N'; }\n");
    s.push_str("s=$(now)\n");
    let _ = writeln!(
        s,
        "$S /bin/sh -c {} <\"$in\" >\"$t.out\" 2>\"$t.err\" &",
        quote(&job.script)
    );
    s.push_str("c=$!\n");
    if async_secs > 0 {
        let _ = writeln!(
            s,
            "$S /bin/sh -c 'sleep \"$1\"; : > \"$2\"; kill -KILL \"-$3\" 2>/dev/null || kill -KILL \"$3\"' \
             rsible-watchdog {async_secs} \"$t.timeout\" \"$c\" </dev/null >/dev/null 2>&1 &"
        );
        s.push_str("w=$!\n");
    }
    s.push_str("wait \"$c\"; rc=$?\n");
    s.push_str("en=$(now)\n");
    if async_secs > 0 {
        // dash's `kill` takes no `--`; a negative pid names the process group.
        s.push_str("kill -KILL \"-$w\" 2>/dev/null; kill -KILL \"$w\" 2>/dev/null\n");
    }
    let _ = writeln!(s, "A={awk}; M={}", quote(&job.marker));
    let strip = if job.strip_empty_ends { "1" } else { "0" };
    s.push_str(&format!(
        "esc() {{ {{ tr -d '\\000' < \"$1\"; printf x; }} | J_MODE=esc J_STRIP={strip} LC_ALL=C awk \"$A\"; }}\n"
    ));
    let pre: String = job
        .fields
        .iter()
        .map(|(k, v)| format!("{}: {}, ", py_json_dumps(&json!(k)), py_json_dumps(v)))
        .collect();
    s.push_str("{\n");
    s.push_str("if [ -e \"$t.timeout\" ] && [ \"$rc\" -eq 137 ]; then\n");
    s.push_str(
        "  printf '{\"msg\": \"Timeout exceeded\", \"failed\": true, \"child_pid\": %s}' \"$c\"\n",
    );
    s.push_str("else\n  k=; l=$(tail -n 1 \"$t.err\" 2>/dev/null)\n");
    s.push_str(
        "  if [ \"$rc\" -eq 250 ]; then case $l in \"$M \"*) r=${l#\"$M \"}; k=${r%% *}; a=${r#\"$k\"}; a=${a# } ;; esac; fi\n",
    );
    s.push_str("  T=\n  case $k in\n");
    for (kind, result) in &job.stops {
        let _ = writeln!(
            s,
            "    {}) T={} ;;",
            quote(kind),
            quote(&py_json_dumps(&Value::Object(result.clone())))
        );
    }
    s.push_str("  esac\n");
    s.push_str("  if [ -n \"$T\" ]; then\n");
    s.push_str(
        "    J_MODE=subst J_T=\"$T\" J_A=\"$a\" J_P=\"$M\" LC_ALL=C awk \"$A\" </dev/null\n",
    );
    s.push_str("  else\n");
    s.push_str("    so=$(esc \"$t.out\"); se=$(esc \"$t.err\")\n");
    s.push_str("    tm=$(J_MODE=times J_S=\"$s\" J_E=\"$en\" LC_ALL=C awk \"$A\" </dev/null)\n");
    s.push_str("    if [ \"$rc\" -eq 0 ]; then tl='\"msg\": \"\"'; else tl='\"msg\": \"non-zero return code\", \"failed\": true'; fi\n");
    let _ = writeln!(
        s,
        "    printf '{{\"changed\": true, \"stdout\": \"%s\", \"stderr\": \"%s\", \"rc\": %s, %s%s, %s}}' \
         \"$so\" \"$se\" \"$rc\" {} \"$tm\" \"$tl\"",
        quote(&pre)
    );
    s.push_str("  fi\nfi\n} > \"$f.tmp\" && mv -f -- \"$f.tmp\" \"$f\"\n");
    s.push_str("rm -f -- \"$t.out\" \"$t.err\" \"$t.in\" \"$t.timeout\" \"$f.tmp\"\n");
    s
}

/// The launcher: job file, detached supervisor, then one line `<marker> started <jid> <path>`.
fn launcher_script(job: &RemoteJob, dir: &str, jid_base: &str, async_secs: u64, m: &str) -> String {
    let mut s = String::new();
    // async_wrapper's daemonize sets this umask for the job and its files.
    s.push_str("umask 022\n");
    let _ = writeln!(s, "d={}; M={}", quote_path(dir), quote(m));
    let _ = writeln!(s, "jid={jid_base}.$$; f=\"$d/$jid\"; t=\"$d/.$jid\"");
    s.push_str(
        "e=$(mkdir -p -- \"$d\" 2>&1) || { printf '%s mkdir %s\\n' \"$M\" \"$e\"; exit 1; }\n",
    );
    s.push_str(
        "printf '{\"started\": true, \"finished\": false, \"ansible_job_id\": \"%s\"}' \"$jid\" > \"$f.tmp\" && mv -f -- \"$f.tmp\" \"$f\" || exit 1\n",
    );
    if job.stdin.is_some() {
        // stdin may hold secrets: only the job's user may read it until the job has it.
        s.push_str("(umask 077; cat > \"$t.in\") || exit 1\n");
    }
    s.push_str("S=; command -v setsid >/dev/null 2>&1 && S=setsid\n");
    s.push_str("mkfifo -- \"$t.fifo\" 2>/dev/null || rm -f -- \"$t.fifo\"\n");
    let _ = writeln!(
        s,
        "$S /bin/sh -c {} rsible-async \"$f\" \"$jid\" \"$t\" </dev/null >/dev/null 2>&1 &",
        quote(&supervisor_script(job, async_secs))
    );
    // Waiting until the supervisor has its own session keeps a closing sudo pty or SSH
    // session from hanging it up in between.
    s.push_str("if [ -p \"$t.fifo\" ]; then read _ < \"$t.fifo\"; rm -f -- \"$t.fifo\"; fi\n");
    s.push_str("printf '%s started %s %s\\n' \"$M\" \"$jid\" \"$f\"\n");
    s
}

/// Starts `module` as a detached job on the target and returns Ansible's start result
/// (`ansible_job_id`, `results_file`, `started`, `finished`, `changed: true`). A module with
/// no [`Module::remote_job`] runs to completion instead and its own result (without
/// `ansible_job_id`) is returned.
pub fn start_async(
    module: &dyn Module,
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
    async_secs: u64,
) -> Result<ModuleOutput, ModuleError> {
    let job = match module.remote_job(ctx, args) {
        None => return module.run(ctx, args),
        Some(job) => job?,
    };
    let dir = async_dir(ctx)?;
    let jid_base = format!("j{}", rand::random_range(0..999_999_999_999_u64));
    let m = marker();
    let script = launcher_script(&job, &dir, &jid_base, async_secs, &m);
    let mut req = crate::target::script::task_request(ctx, crate::ExecRequest::shell(script));
    req.stdin.clone_from(&job.stdin);
    let out = ctx.conn.exec(&req)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("{m} ");
    let line = text.lines().rev().find_map(|l| l.strip_prefix(&prefix));
    let result = match line.and_then(|l| l.split_once(' ')) {
        Some(("started", rest)) => {
            let (jid, path) = rest.split_once(' ').unwrap_or((rest, ""));
            crate::util::map(json!({
                "failed": false, "started": true, "finished": false, "ansible_job_id": jid,
                "results_file": path, "changed": true,
            }))
        }
        Some(("mkdir", err)) => failed(format!(
            "could not create directory: {dir} - {}",
            err.strip_prefix("mkdir: ").unwrap_or(err)
        )),
        _ => {
            let err = String::from_utf8_lossy(&out.stderr);
            failed(format!(
                "could not start the async job (rc {}): {}",
                out.rc,
                err.trim()
            ))
        }
    };
    Ok(result.into())
}

/// What `async_status` (`mode: status`) returns for `jid`: `finished` false while the job
/// runs, then the module's result with `finished` true; "could not find job" when the file
/// is missing.
pub fn poll_async(ctx: &ModuleContext<'_>, jid: &str) -> Result<ResultMap, ModuleError> {
    let dir = async_dir(ctx)?;
    status_in(ctx, &dir, jid)
}

/// `async_status mode=cleanup`: deletes the job file; returns `erased: <path>`.
pub fn cleanup_async(ctx: &ModuleContext<'_>, jid: &str) -> Result<ResultMap, ModuleError> {
    let dir = async_dir(ctx)?;
    cleanup_in(ctx, &dir, jid)
}

/// The keys 2.19's async_status action starts from, before the module's result is merged in.
fn action_base(jid: &str) -> ResultMap {
    crate::util::map(json!({
        "started": false, "finished": false, "stdout": "", "stderr": "",
        "stdout_lines": [], "stderr_lines": [], "ansible_job_id": jid,
    }))
}

/// One round trip: the expanded job path, then the file (status) or the removal (cleanup).
fn job_file(
    ctx: &ModuleContext<'_>,
    dir: &str,
    jid: &str,
    remove: bool,
) -> Result<(String, Option<Vec<u8>>), ModuleError> {
    let m = marker();
    let action = if remove {
        "rm -f -- \"$f\""
    } else {
        "cat -- \"$f\""
    };
    let script = format!(
        "d={}; f=\"$d/\"{}; printf '%s %s\\n' {m} \"$f\"; if [ -e \"$f\" ]; then {action}; else echo {m}; fi",
        quote_path(dir),
        quote(jid),
    );
    let out = run_script(ctx, script)?;
    let head = format!("{m} ");
    let text = &out.stdout;
    let Some(nl) = text.iter().position(|b| *b == b'\n') else {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(crate::ConnectionError::Failed(format!(
            "cannot read the async job file: {}",
            err.trim()
        ))
        .into());
    };
    let first = String::from_utf8_lossy(&text[..nl]);
    let path = first.strip_prefix(&head).unwrap_or(&first).to_owned();
    let rest = &text[nl + 1..];
    if rest.strip_suffix(b"\n").unwrap_or(rest) == m.as_bytes() {
        return Ok((path, None));
    }
    Ok((path, Some(rest.to_vec())))
}

fn not_found(mut r: ResultMap, jid: &str) -> ResultMap {
    r.extend(failed("could not find job"));
    r.insert("ansible_job_id".into(), json!(jid));
    r.insert("started".into(), json!(true));
    r.insert("finished".into(), json!(true));
    r
}

pub(crate) fn status_in(
    ctx: &ModuleContext<'_>,
    dir: &str,
    jid: &str,
) -> Result<ResultMap, ModuleError> {
    let (path, data) = job_file(ctx, dir, jid, false)?;
    let mut r = action_base(jid);
    r.insert("results_file".into(), json!(path));
    r.insert("started".into(), json!(true));
    let Some(data) = data else {
        return Ok(not_found(r, jid));
    };
    let parsed = serde_json::from_str::<Value>(&String::from_utf8_lossy(&data));
    let Ok(Value::Object(mut job)) = parsed else {
        // Not written completely yet: still running.
        r.insert("finished".into(), json!(false));
        return Ok(r);
    };
    if job.contains_key("started") {
        job.entry("finished").or_insert(json!(false));
    } else {
        job.insert("finished".into(), json!(true));
        job.insert("ansible_job_id".into(), json!(jid));
    }
    for key in ["stdout", "stderr"] {
        let lines_key = format!("{key}_lines");
        if job.contains_key(key) && !job.contains_key(&lines_key) {
            let text = job.get(key).and_then(Value::as_str).unwrap_or_default();
            job.insert(lines_key, Value::Array(py_splitlines(text)));
        }
    }
    r.extend(job);
    for key in ["started", "finished"] {
        let truthy = match r.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => !s.is_empty(),
            _ => false,
        };
        r.insert(key.into(), json!(truthy));
    }
    Ok(r)
}

pub(crate) fn cleanup_in(
    ctx: &ModuleContext<'_>,
    dir: &str,
    jid: &str,
) -> Result<ResultMap, ModuleError> {
    let (path, data) = job_file(ctx, dir, jid, true)?;
    let mut r = action_base(jid);
    r.insert("erased".into(), json!(path));
    if data.is_none() {
        return Ok(not_found(r, jid));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use crate::testing::RunResult;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::command::{COMMAND, SHELL};
    use crate::testing::{args, keys, Env};
    use rsible_connection::local::LocalConnection;

    /// An `Env` whose jobs live in a temp dir (as `ansible_async_dir` would put them).
    fn env_in(dir: &tempfile::TempDir) -> Env {
        let mut env = Env::default();
        env.vars.insert(
            "ansible_async_dir".into(),
            json!(dir.path().to_string_lossy()),
        );
        env
    }

    fn wait_finished(ctx: &ModuleContext<'_>, jid: &str, limit: u64) -> ResultMap {
        let until = Instant::now() + Duration::from_secs(limit);
        loop {
            let r = poll_async(ctx, jid).unwrap();
            if r["finished"] == true || Instant::now() > until {
                return r;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn start(env: &Env, module: &dyn Module, a: Value, secs: u64) -> ResultMap {
        let conn = LocalConnection::new();
        start_async(module, &env.ctx(&conn), &args(a), secs).result()
    }

    // Key sets and values below come from ansible-playbook 2.19 -v runs of the same tasks
    // (`connection: local`), with the job file read by `cat` during the run.
    #[test]
    fn shell_job_starts_at_once_then_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_in(&dir);
        let conn = LocalConnection::new();
        let ctx = env.ctx(&conn);
        let clock = Instant::now();
        let r = start_async(
            &SHELL,
            &ctx,
            &args(json!({"_raw_params": "echo hi; sleep 1"})),
            10,
        )
        .result();
        assert!(
            clock.elapsed() < Duration::from_millis(900),
            "{:?}",
            clock.elapsed()
        );
        assert_eq!(
            keys(&r),
            [
                "ansible_job_id",
                "changed",
                "failed",
                "finished",
                "results_file",
                "started"
            ]
        );
        assert_eq!(
            (&r["started"], &r["finished"], &r["changed"]),
            (&json!(true), &json!(false), &json!(true))
        );
        let jid = r["ansible_job_id"].as_str().unwrap().to_owned();
        assert!(
            regex::Regex::new(r"^j\d{1,12}\.\d+$")
                .unwrap()
                .is_match(&jid),
            "{jid}"
        );
        let path = format!("{}/{jid}", dir.path().display());
        assert_eq!(r["results_file"], json!(path));

        // Still running: the initial marker file, and async_status says so.
        let first: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            first,
            json!({"started": true, "finished": false, "ansible_job_id": jid})
        );
        let running = poll_async(&ctx, &jid).unwrap();
        assert_eq!(
            keys(&running),
            [
                "ansible_job_id",
                "finished",
                "results_file",
                "started",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(
            (&running["started"], &running["finished"]),
            (&json!(true), &json!(false))
        );

        let done = wait_finished(&ctx, &jid, 10);
        assert_eq!(
            keys(&done),
            [
                "ansible_job_id",
                "changed",
                "cmd",
                "delta",
                "end",
                "finished",
                "msg",
                "rc",
                "results_file",
                "start",
                "started",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(
            (&done["rc"], &done["stdout"], &done["stdout_lines"]),
            (&json!(0), &json!("hi"), &json!(["hi"]))
        );
        assert_eq!(
            (&done["cmd"], &done["msg"], &done["changed"]),
            (&json!("echo hi; sleep 1"), &json!(""), &json!(true))
        );
        assert_eq!(
            (&done["started"], &done["finished"]),
            (&json!(true), &json!(true))
        );
        let stamp = regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$").unwrap();
        assert!(
            stamp.is_match(done["start"].as_str().unwrap()),
            "{}",
            done["start"]
        );
        assert!(
            stamp.is_match(done["end"].as_str().unwrap()),
            "{}",
            done["end"]
        );
        assert!(
            regex::Regex::new(r"^0:00:01(\.\d{6})?$")
                .unwrap()
                .is_match(done["delta"].as_str().unwrap()),
            "{}",
            done["delta"]
        );

        // The final file is the module's own result, in Ansible's key order.
        let text = std::fs::read_to_string(&path).unwrap();
        let file: ResultMap = serde_json::from_str(&text).unwrap();
        assert_eq!(
            file.keys().map(String::as_str).collect::<Vec<_>>(),
            ["changed", "stdout", "stderr", "rc", "cmd", "start", "end", "delta", "msg"]
        );
        assert!(!dir.path().join(format!(".{jid}.out")).exists());
        // The watchdog went with the job: no process still names this job's files.
        let ps = std::process::Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&ps.stdout).contains(&format!(".{jid}.timeout")));

        let erased = cleanup_async(&ctx, &jid).unwrap();
        assert_eq!(
            keys(&erased),
            [
                "ansible_job_id",
                "erased",
                "finished",
                "started",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(erased["erased"], json!(path));
        assert_eq!(
            (&erased["started"], &erased["finished"]),
            (&json!(false), &json!(false))
        );
        assert!(!std::path::Path::new(&path).exists());

        let gone = poll_async(&ctx, &jid).unwrap();
        assert_eq!(
            keys(&gone),
            [
                "ansible_job_id",
                "changed",
                "failed",
                "finished",
                "msg",
                "results_file",
                "started",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(
            (
                &gone["msg"],
                &gone["failed"],
                &gone["finished"],
                &gone["started"]
            ),
            (
                &json!("could not find job"),
                &json!(true),
                &json!(true),
                &json!(true)
            )
        );
    }

    #[test]
    fn watchdog_kills_the_job_after_async_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_in(&dir);
        let conn = LocalConnection::new();
        let ctx = env.ctx(&conn);
        let r = start_async(
            &SHELL,
            &ctx,
            &args(json!({"_raw_params": "sleep 5; echo late"})),
            1,
        )
        .result();
        let jid = r["ansible_job_id"].as_str().unwrap().to_owned();
        let clock = Instant::now();
        let done = wait_finished(&ctx, &jid, 8);
        assert!(
            clock.elapsed() < Duration::from_secs(4),
            "{:?}",
            clock.elapsed()
        );
        let file: ResultMap =
            serde_json::from_slice(&std::fs::read(dir.path().join(&jid)).unwrap()).unwrap();
        assert_eq!(
            file.keys().map(String::as_str).collect::<Vec<_>>(),
            ["msg", "failed", "child_pid"]
        );
        assert_eq!(
            (&file["msg"], &file["failed"]),
            (&json!("Timeout exceeded"), &json!(true))
        );
        let pid = file["child_pid"].as_i64().unwrap();
        // The whole process group is dead, the `sleep` included (zombies may stay: an init
        // that does not reap them is common in containers).
        let ps = std::process::Command::new("ps")
            .args(["-eo", "pgid=,stat="])
            .output()
            .unwrap();
        let live = String::from_utf8_lossy(&ps.stdout)
            .lines()
            .filter(|l| {
                let mut f = l.split_whitespace();
                f.next() == Some(pid.to_string().as_str())
                    && !f.next().unwrap_or("Z").starts_with('Z')
            })
            .count();
        assert_eq!(live, 0);
        assert_eq!(
            (&done["msg"], &done["failed"], &done["finished"]),
            (&json!("Timeout exceeded"), &json!(true), &json!(true))
        );
        assert_eq!(done["stdout"], "");
    }

    #[test]
    fn output_bytes_round_trip_through_the_job_file() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_in(&dir);
        let conn = LocalConnection::new();
        let ctx = env.ctx(&conn);
        let script = r#"printf 'q"b\\ n\n\tt é \001'; echo err >&2; exit 3"#;
        let r = start_async(&SHELL, &ctx, &args(json!({"_raw_params": script})), 10).result();
        let done = wait_finished(&ctx, r["ansible_job_id"].as_str().unwrap(), 10);
        // ansible-playbook 2.19, same task with `async: 10, poll: 1`.
        assert_eq!(done["stdout"], json!("q\"b\\ n\n\tt é \u{1}"));
        assert_eq!(done["stdout_lines"], json!(["q\"b\\ n", "\tt é \u{1}"]));
        assert_eq!(
            (&done["stderr"], &done["stderr_lines"]),
            (&json!("err"), &json!(["err"]))
        );
        assert_eq!(
            (&done["rc"], &done["failed"], &done["msg"]),
            (&json!(3), &json!(true), &json!("non-zero return code"))
        );
        assert_eq!(done["cmd"], json!(script));

        // Python: 'a\r\n \\ "x"\r\n\r\n'.rstrip('\r\n') == 'a\r\n \\ "x"'; without stripping
        // the text is kept as is.
        for (strip, want) in [(true, "a\r\n \\ \"x\""), (false, "a\r\n \\ \"x\"\r\n\r\n")] {
            let a = json!({"_raw_params": r#"printf 'a\r\n \\ "x"\r\n\r\n'"#, "strip_empty_ends": strip});
            let r = start_async(&SHELL, &ctx, &args(a), 10).result();
            let done = wait_finished(&ctx, r["ansible_job_id"].as_str().unwrap(), 10);
            assert_eq!(done["stdout"], json!(want), "strip {strip}");
        }
    }

    #[test]
    fn job_outlives_its_launcher_and_keeps_env_and_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = env_in(&dir);
        env.environment = vec![("MYV".into(), "a b".into())];
        let clock = Instant::now();
        let r = start(
            &env,
            &SHELL,
            json!({"_raw_params": "sleep 2; cat; echo \"$MYV\"", "stdin": "in"}),
            30,
        );
        // The launching exec has returned (its pipes closed) while the job sleeps on.
        assert!(
            clock.elapsed() < Duration::from_millis(1500),
            "{:?}",
            clock.elapsed()
        );
        let conn = LocalConnection::new();
        let ctx = env.ctx(&conn);
        let jid = r["ansible_job_id"].as_str().unwrap();
        assert_eq!(poll_async(&ctx, jid).unwrap()["finished"], false);
        let done = wait_finished(&ctx, jid, 10);
        assert_eq!(done["stdout"], "in\na b");
    }

    #[test]
    fn early_exits_become_the_modules_results() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_in(&dir);
        let conn = LocalConnection::new();
        let ctx = env.ctx(&conn);
        let run = |a: Value| {
            let r = start_async(&COMMAND, &ctx, &args(a), 10).result();
            wait_finished(&ctx, r["ansible_job_id"].as_str().unwrap(), 10)
        };
        let r = run(json!({"cmd": "echo x", "creates": "/"}));
        assert_eq!(
            (&r["changed"], &r["rc"], &r["finished"]),
            (&json!(false), &json!(0), &json!(true))
        );
        assert_eq!(r["msg"], "Did not run command since '/' exists");
        assert_eq!(r["stdout"], "skipped, since / exists");
        assert_eq!(r["cmd"], json!(["echo", "x"]));
        let r = run(json!({"_raw_params": "nosuchexe -b"}));
        assert_eq!(
            (&r["rc"], &r["failed"], &r["msg"]),
            (&json!(2), &json!(true), &json!("Error executing command."))
        );
        assert_eq!(r["cmd"], "nosuchexe -b");
        let checking = Env {
            check_mode: true,
            ..env_in(&dir)
        };
        let ctx_check = checking.ctx(&conn);
        let r = start_async(
            &COMMAND,
            &ctx_check,
            &args(json!({"_raw_params": "touch /nonexistent/x"})),
            10,
        )
        .result();
        let r = wait_finished(&ctx_check, r["ansible_job_id"].as_str().unwrap(), 10);
        assert_eq!(
            (&r["skipped"], &r["changed"], &r["rc"]),
            (&json!(true), &json!(false), &json!(0))
        );
        assert_eq!(r["msg"], "Command would have run if not in check mode");
        let a = json!({"cmd": "echo x", "creates": "/"});
        let r = start_async(&COMMAND, &ctx_check, &args(a), 10).result();
        let r = wait_finished(&ctx_check, r["ansible_job_id"].as_str().unwrap(), 10);
        assert_eq!(r["msg"], "Would not run command since '/' exists");
        assert_eq!((&r["changed"], &r.get("skipped")), (&json!(false), &None));
        let r = run(json!({"cmd": "true", "chdir": "/nonexistent/dir"}));
        assert_eq!(
            (&r["failed"], &r["msg"]),
            (
                &json!(true),
                &json!("Unable to change directory before execution.")
            )
        );
    }

    #[test]
    fn modules_without_a_remote_job_run_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_in(&dir);
        let r = start(&env, &crate::ping::PING, json!({}), 10);
        assert_eq!(r["ping"], "pong");
        assert!(r.get("ansible_job_id").is_none());
        // Argument errors are not jobs either.
        let r = start(&env, &COMMAND, json!({}), 10);
        assert_eq!(
            r["msg"],
            "one of the following is required: _raw_params, cmd, argv"
        );
    }

    #[test]
    fn unwritable_async_dir_fails_to_start() {
        let env = {
            let mut e = Env::default();
            e.vars
                .insert("ansible_async_dir".into(), json!("/proc/rsible-no/x"));
            e
        };
        let r = start(&env, &SHELL, json!({"_raw_params": "true"}), 10);
        assert_eq!(r["failed"], true);
        assert!(
            r["msg"]
                .as_str()
                .unwrap()
                .starts_with("could not create directory: /proc/rsible-no/x - "),
            "{}",
            r["msg"]
        );
    }

    #[test]
    fn reads_the_job_files_ansible_writes() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_in(&dir);
        let conn = LocalConnection::new();
        let ctx = env.ctx(&conn);
        // Written by ansible-core 2.19's async_wrapper during a real run.
        let files = [
            (
                "j1.1",
                r#"{"started": true, "finished": false, "ansible_job_id": "j1.1"}"#,
            ),
            (
                "j2.2",
                r#"{"msg": "Timeout exceeded", "failed": true, "child_pid": 17938}"#,
            ),
            (
                "j3.3",
                r#"{"changed": true, "stdout": "hi", "stderr": "", "rc": 0, "cmd": "echo hi; sleep 1", "start": "2026-11-27 07:02:42.313190", "end": "2026-11-27 07:02:43.318442", "delta": "0:00:01.005252", "msg": "", "invocation": {"module_args": {"_raw_params": "echo hi; sleep 1", "_uses_shell": true}}}"#,
            ),
            ("j4.4", r#"{"started": true, "fini"#),
        ];
        for (jid, text) in files {
            std::fs::write(dir.path().join(jid), text).unwrap();
        }
        let r = poll_async(&ctx, "j1.1").unwrap();
        assert_eq!(
            (&r["started"], &r["finished"]),
            (&json!(true), &json!(false))
        );
        let r = poll_async(&ctx, "j2.2").unwrap();
        assert_eq!(
            keys(&r),
            [
                "ansible_job_id",
                "child_pid",
                "failed",
                "finished",
                "msg",
                "results_file",
                "started",
                "stderr",
                "stderr_lines",
                "stdout",
                "stdout_lines"
            ]
        );
        assert_eq!(
            (&r["msg"], &r["finished"], &r["ansible_job_id"]),
            (&json!("Timeout exceeded"), &json!(true), &json!("j2.2"))
        );
        let r = poll_async(&ctx, "j3.3").unwrap();
        assert_eq!(
            (&r["stdout_lines"], &r["finished"], &r["rc"]),
            (&json!(["hi"]), &json!(true), &json!(0))
        );
        // A half-written file means the job is still running.
        let r = poll_async(&ctx, "j4.4").unwrap();
        assert_eq!(
            (&r["started"], &r["finished"]),
            (&json!(true), &json!(false))
        );
    }
}

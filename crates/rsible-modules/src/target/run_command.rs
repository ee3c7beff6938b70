//! Ansible's `AnsibleModule.run_command` for modules that run several programs on the target
//! (`git`, `pip`): an argv run from `cwd` when that is a directory (an invalid one is ignored,
//! as `ignore_invalid_cwd`), with extra environment, a `PATH` prefix and a umask; a program
//! that does not exist is reported as Python's `OSError`, not as a shell error.

use serde_json::json;

use crate::target::script::{marker, run_script};
use crate::util::{failed, set_output};
use crate::{ConnectionError, ModuleContext, ResultMap};
use rsible_connection::shell::quote;

/// What every command of one module run gets.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub env: Vec<(String, String)>,
    pub umask: Option<u32>,
    /// Prepended to `PATH` (`path_prefix`).
    pub path_prefix: Option<String>,
}

/// A command's outcome as `run_command` returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Out {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A run, or the failure `run_command` gives when the program cannot be executed.
pub(crate) enum Ran {
    Done(Out),
    NoExec(ResultMap),
}

/// Runs `argv` on the target as the task's user, with its environment and `settings`.
pub(crate) fn run_command(
    ctx: &ModuleContext<'_>,
    settings: &Settings,
    argv: &[String],
    cwd: Option<&str>,
) -> Result<Ran, ConnectionError> {
    let m = marker();
    let mut s = String::new();
    if let Some(u) = settings.umask {
        s.push_str(&format!("umask {u:04o}\n"));
    }
    if let Some(d) = cwd {
        let d = quote(d);
        s.push_str(&format!("if [ -d {d} ]; then cd {d} || exit 1; fi\n"));
    }
    for (k, v) in &settings.env {
        s.push_str(&format!("{k}={}; export {k}\n", quote(v)));
    }
    if let Some(p) = &settings.path_prefix {
        s.push_str(&format!("PATH={}:\"$PATH\"; export PATH\n", quote(p)));
    }
    let words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    s.push_str(&format!("set -- {}\n", words.join(" ")));
    s.push_str(&format!(
        "case $1 in */*) [ -f \"$1\" ] ;; *) command -v \"$1\" >/dev/null 2>&1 ;; esac || \
         {{ printf '%s\\n' '{m}' >&2; exit 250; }}\nexec \"$@\"\n"
    ));
    let out = run_script(ctx, s)?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.rc == 250 && stderr.trim_end() == m {
        let prog = argv.first().cloned().unwrap_or_default();
        let mut f = failed("Error executing command.");
        f.insert("cmd".into(), json!(cmd_text(argv)));
        f.insert("rc".into(), json!(2));
        f.insert(
            "exception".into(),
            json!(format!("[Errno 2] No such file or directory: b'{prog}'")),
        );
        set_output(&mut f, String::new(), String::new());
        return Ok(Ran::NoExec(f));
    }
    Ok(Ran::Done(Out {
        rc: out.rc,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }))
}

/// A module's result as its output: the `exception` a `run_command` failure carries becomes
/// the cause Ansible prints after the message.
pub(crate) fn output(mut r: ResultMap) -> crate::ModuleOutput {
    match r.remove("exception") {
        Some(serde_json::Value::String(cause)) => crate::ModuleOutput {
            cause: Some(cause),
            ..r.into()
        },
        Some(other) => {
            r.insert("exception".into(), other);
            r.into()
        }
        None => r.into(),
    }
}

/// A command as `run_command` reports it: each word `shlex.quote`d.
pub(crate) fn cmd_text(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Env;
    use rsible_connection::local::LocalConnection;

    #[test]
    fn runs_from_a_directory_with_a_prefix_and_reports_missing_programs() {
        let conn = LocalConnection::new();
        let env = Env::default();
        let ctx = env.ctx(&conn);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = dir.path().to_string_lossy().into_owned();
        let settings = Settings {
            env: vec![("RSIBLE_X".into(), "a b".into())],
            umask: Some(0o077),
            path_prefix: Some(d.clone()),
        };
        let argv: Vec<String> = [
            "sh",
            "-c",
            "pwd; echo \"$RSIBLE_X\"; umask; echo \"${PATH%%:*}\"",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let Ok(Ran::Done(out)) = run_command(&ctx, &settings, &argv, Some(&d)) else {
            panic!("not run");
        };
        assert_eq!(out.stdout, format!("{d}\na b\n0077\n{d}\n"));
        // An invalid cwd is ignored.
        let Ok(Ran::Done(out)) = run_command(
            &ctx,
            &Settings::default(),
            &argv[..2]
                .iter()
                .cloned()
                .chain(["echo ok".to_owned()])
                .collect::<Vec<_>>(),
            Some("/nonexistent/x"),
        ) else {
            panic!("not run");
        };
        assert_eq!(out.stdout, "ok\n");
        let missing = vec!["/nonexistent/prog".to_owned(), "x y".to_owned()];
        let Ok(Ran::NoExec(r)) = run_command(&ctx, &Settings::default(), &missing, None) else {
            panic!("ran");
        };
        assert_eq!(r["msg"], "Error executing command.");
        assert_eq!(r["cmd"], "/nonexistent/prog 'x y'");
        assert_eq!(
            r["exception"],
            "[Errno 2] No such file or directory: b'/nonexistent/prog'"
        );
    }
}

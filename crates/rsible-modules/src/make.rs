//! `community.general.make`: run a Makefile target on the target, only when `make -q` says it
//! is not up to date.
//!
//! ```yaml
//! - community.general.make: { chdir: /src/app, target: install, params: { PREFIX: /usr } }
//! ```
//!
//! As the module: `gmake`, else `make`, found as `get_bin_path` finds it (or `make:`); the
//! question run decides `changed` (and is all that runs in check mode); a failing build fails
//! with make's stderr as the message.

use serde::Deserialize;
use serde_json::{json, Value};

use rsible_connection::shell::quote;
use rsible_connection::ExecRequest;

use crate::args::{de_opt_int, de_opt_string, parse, ArgSpec};
use crate::target::script::{expand_path, marker, run_script, task_request, BIN_PATH_FN};
use crate::util::{failed, set_output};
use crate::{Collection, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "make",
    ArgSpec::new(
        "make",
        &[
            "chdir", "file", "jobs", "make", "params", "target", "targets",
        ],
    ),
)
.in_collection(Collection::CommunityGeneral);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    chdir: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "de_opt_int")]
    jobs: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_string")]
    make: Option<String>,
    #[serde(default)]
    params: Option<serde_json::Map<String, Value>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    target: Option<String>,
    #[serde(default)]
    targets: Option<Vec<Value>>,
}

pub(crate) struct Make;
pub(crate) static MAKE: Make = Make;

impl Module for Make {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(chdir) = a.chdir.clone() else {
            return Ok(failed("missing required arguments: chdir").into());
        };
        if a.target.is_some() && a.targets.is_some() {
            return Ok(failed("parameters are mutually exclusive: target|targets").into());
        }
        let chdir = expand_path(ctx, &chdir)?;
        let file = match &a.file {
            Some(f) => Some(expand_path(ctx, f)?),
            None => None,
        };
        let make = match &a.make {
            Some(m) => expand_path(ctx, m)?,
            None => match find_make(ctx)? {
                Ok(path) => path,
                Err(msg) => return Ok(failed(msg).into()),
            },
        };
        let mut command = vec![make];
        if let Some(jobs) = a.jobs {
            command.extend(["-j".to_owned(), jobs.to_string()]);
        }
        if let Some(f) = &file {
            command.extend(["-f".to_owned(), f.clone()]);
        }
        let targets: Vec<String> = a
            .targets
            .iter()
            .flatten()
            .map(rsible_template::py_str)
            .collect();
        match &a.target {
            Some(t) if !t.is_empty() => command.push(t.clone()),
            _ => command.extend(targets.iter().cloned()),
        }
        for (k, v) in a.params.iter().flatten() {
            command.push(match v {
                Value::Null => k.clone(),
                v => format!("{k}={}", rsible_template::py_str(v)),
            });
        }
        let run = |argv: Vec<String>| {
            let mut req = task_request(ctx, ExecRequest::argv(argv));
            req.cwd = Some(chdir.clone());
            ctx.conn.exec(&req)
        };
        let mut question = command.clone();
        question.push("-q".into());
        let out = run(question)?;
        let (mut stdout, mut stderr) = (text(&out.stdout), text(&out.stderr));
        let changed = out.rc != 0;
        if changed && !ctx.check_mode {
            let out = run(command.clone())?;
            if out.rc != 0 {
                let (o, e) = (
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                );
                let mut r = failed(e.trim_end().to_owned());
                r.insert("cmd".into(), json!(shell_words(&command)));
                r.insert("rc".into(), json!(out.rc));
                set_output(&mut r, o, e);
                return Ok(r.into());
            }
            (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(changed));
        r.insert("chdir".into(), json!(chdir));
        r.insert("command".into(), json!(shell_words(&command)));
        r.insert("file".into(), json!(file));
        r.insert("jobs".into(), json!(a.jobs));
        r.insert("params".into(), json!(a.params));
        r.insert("target".into(), json!(a.target));
        r.insert("targets".into(), json!(a.targets.map(|_| targets)));
        set_output(&mut r, stdout, stderr);
        Ok(r.into())
    }
}

/// The module's `sanitize_output`: trailing newlines go.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches(['\r', '\n'])
        .to_owned()
}

/// The argv as one line, each word quoted only when the shell needs it (`shlex.quote`).
fn shell_words(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// `gmake`, else `make`, as `get_bin_path` finds them; `Err` is its failure message.
fn find_make(ctx: &ModuleContext<'_>) -> Result<Result<String, String>, ModuleError> {
    let m = marker();
    let script = format!(
        "{BIN_PATH_FN}if p=$(_bin gmake) || p=$(_bin make); then echo \"{m} $p\"; else echo \"{m}! $p\"; fi"
    );
    let out = run_script(ctx, script)?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        if let Some(path) = line.strip_prefix(&format!("{m} ")) {
            return Ok(Ok(path.to_owned()));
        }
        if let Some(msg) = line.strip_prefix(&format!("{m}! ")) {
            return Ok(Err(msg.to_owned()));
        }
    }
    Ok(Err(format!(
        "could not look for make: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult as _};

    #[test]
    fn up_to_date_runs_only_the_question() {
        let fake = FakeConnection::with_outputs(vec![FakeConnection::out(0, "", "")]);
        let env = Env::default();
        let r = MAKE
            .run(
                &env.ctx(&fake),
                &args(json!({"chdir": "/src", "make": "/usr/bin/make", "target": "all", "params": {"A": "b c"}})),
            )
            .result();
        assert_eq!(r["changed"], json!(false));
        assert_eq!(r["command"], json!("/usr/bin/make all 'A=b c'"));
        let lines = fake.lines();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("cd /src && "), "{lines:?}");
        assert!(
            lines[0].ends_with("/usr/bin/make all 'A=b c' -q"),
            "{lines:?}"
        );
    }

    #[test]
    fn a_failed_build_reports_make_stderr() {
        let fake = FakeConnection::with_outputs(vec![
            FakeConnection::out(1, "", ""),
            FakeConnection::out(2, "x\n", "boom\n"),
        ]);
        let env = Env::default();
        let r = MAKE
            .run(
                &env.ctx(&fake),
                &args(json!({"chdir": "/src", "make": "/usr/bin/make"})),
            )
            .result();
        assert_eq!(r["failed"], json!(true));
        assert_eq!(r["msg"], json!("boom"));
        assert_eq!(r["stderr"], json!("boom\n"));
        assert_eq!(r["rc"], json!(2));
    }
}

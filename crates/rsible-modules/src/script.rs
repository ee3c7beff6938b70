//! `script`: a file of the controller copied to the target's temp dir and run there.
//!
//! ```yaml
//! - script: files/setup.sh --fast
//!   args: { creates: /etc/setup.done, chdir: /opt, executable: /bin/bash }
//! ```
//!
//! As Ansible's action: `creates`/`removes` are tested on the target first (a skip names the
//! path), the script is looked up as `_find_needle('files', …)`, check mode runs nothing
//! (`changed` when `creates`/`removes` were given, else skipped), and the command is the written
//! one with the script's name replaced by its copy — run through the shell, on a terminal over
//! ssh, with the task's environment. Always `changed`; a non-zero rc fails.

use serde::Deserialize;
use serde_json::{json, Value};

use rsible_connection::{ExecRequest, PutOptions};

use crate::args::{de_opt_string, parse, ArgSpec, ArgsError};
use crate::target::script::{low_level_cwd, mkdir_tmp, task_request};
use crate::util::{find_needle, set_output};
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "script",
    ArgSpec::new(
        "script",
        &[
            "_raw_params",
            "chdir",
            "cmd",
            "creates",
            "executable",
            "removes",
        ],
    ),
)
.kind(Kind::Action)
.without_async()
.free_form();

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    _raw_params: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    cmd: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    creates: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    removes: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    chdir: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    executable: Option<String>,
}

pub(crate) struct Script;
pub(crate) static SCRIPT: Script = Script;

/// The action's `AnsibleActionSkip`: skipped, with its reason as `msg`.
fn skipped(msg: &str) -> ModuleOutput {
    let mut r = ResultMap::new();
    r.insert("changed".into(), Value::Bool(false));
    r.insert("msg".into(), Value::from(msg));
    r.insert("skipped".into(), Value::Bool(true));
    r.into()
}

impl Module for Script {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        // The action validates its own spec, so refusals are raised, not "Action failed".
        let a: Args = match parse(&INFO.args, args) {
            Ok(a) => a,
            Err(e @ ArgsError::Unsupported { .. }) => {
                return Ok(ModuleOutput {
                    raised: true,
                    ..ModuleOutput::from(e)
                })
            }
            Err(e) => return Err(e.into()),
        };
        let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        let line = match (given(&a._raw_params), given(&a.cmd)) {
            (Some(_), Some(_)) => {
                return Ok(ModuleOutput::raised(
                    "parameters are mutually exclusive: _raw_params|cmd",
                ))
            }
            (Some(l), None) | (None, Some(l)) => l,
            (None, None) => {
                return Ok(ModuleOutput::raised(
                    "one of the following is required: _raw_params, cmd",
                ))
            }
        };
        if let Some(creates) = given(&a.creates) {
            if remote_exists(ctx, &creates)? {
                return Ok(skipped(&format!(
                    "{creates} exists, matching creates option"
                )));
            }
        }
        if let Some(removes) = given(&a.removes) {
            if !remote_exists(ctx, &removes)? {
                return Ok(skipped(&format!(
                    "{removes} does not exist, matching removes option"
                )));
            }
        }
        if let Some(chdir) = given(&a.chdir) {
            if !chdir.starts_with('/') {
                return Ok(ModuleOutput::raised(format!(
                    "chdir {chdir} must be an absolute path for a Unix-aware remote node"
                )));
            }
        }
        let parts = match shlex::split(line.trim()) {
            Some(p) if !p.is_empty() => p,
            _ => return Ok(ModuleOutput::raised("No closing quotation")),
        };
        let source = match find_needle(ctx, "files", &parts[0]) {
            Ok(p) => p,
            Err(msg) => {
                return Ok(ModuleOutput {
                    cause: Some(msg.clone()),
                    ..ModuleOutput::raised(msg)
                })
            }
        };
        if ctx.check_mode {
            if a.creates.is_some() || a.removes.is_some() {
                return Ok(json!({"changed": true})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
                    .into());
            }
            return Ok(skipped("Check mode is not supported for this task."));
        }
        let data = match fs_err::read(&source) {
            Ok(d) => d,
            Err(e) => return Ok(ModuleOutput::raised(e.to_string())),
        };
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = make_tmp(ctx)?;
        let copy = format!("{tmp}/{name}");
        let ran = run_copy(ctx, &a, &line, &parts[0], &data, &tmp, &copy);
        // Only the copy in the temp dir is at stake if removing it fails.
        let _ = ctx
            .conn
            .exec(&ExecRequest::argv(["rm", "-rf", tmp.as_str()]));
        ran
    }
}

fn run_copy(
    ctx: &ModuleContext<'_>,
    a: &Args,
    line: &str,
    written: &str,
    data: &[u8],
    tmp: &str,
    copy: &str,
) -> Result<ModuleOutput, ModuleError> {
    // The become user must reach the copy through the login user's temp dir.
    let shared = ctx.become_.is_some();
    let mode = if shared { 0o755 } else { 0o700 };
    ctx.conn.put_file(
        data,
        copy,
        &PutOptions {
            mode: Some(mode),
            become_: None,
        },
    )?;
    if shared {
        ctx.conn.exec(&ExecRequest::argv(["chmod", "0711", tmp]))?;
    }
    let command = line.trim().replace(written, copy);
    let command = match a.executable.as_deref().filter(|e| !e.is_empty()) {
        Some(exe) => format!("{exe} {command}"),
        None => command,
    };
    let mut req = task_request(ctx, ExecRequest::shell(command));
    req.cwd = a.chdir.clone().or_else(|| low_level_cwd(ctx));
    let out = ctx.conn.exec_tty(&req)?;
    let mut result = ResultMap::new();
    result.insert("changed".into(), Value::Bool(true));
    result.insert("rc".into(), Value::from(out.rc));
    set_output(
        &mut result,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    if out.rc != 0 {
        result.insert("failed".into(), Value::Bool(true));
        result.insert("msg".into(), Value::from("non-zero return code"));
    }
    Ok(result.into())
}

/// The shell's `test -e`, as the task's user (Ansible's `_remote_file_exists`). The path is
/// quoted whole, so a leading `~` is not expanded: Ansible tests it literally too.
fn remote_exists(ctx: &ModuleContext<'_>, path: &str) -> Result<bool, ModuleError> {
    let mut req = ExecRequest::argv(["test", "-e", path]);
    req.become_ = ctx.become_.clone();
    Ok(ctx.conn.exec(&req)?.rc == 0)
}

/// The login user's private temp dir for the copy, named as Ansible names its own.
fn make_tmp(ctx: &ModuleContext<'_>) -> Result<String, ModuleError> {
    let out = ctx.conn.exec(&ExecRequest::shell(mkdir_tmp()))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("tmp:").map(str::to_owned))
        .ok_or_else(|| {
            ModuleError::Raised(format!(
                "Failed to create temporary directory: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult as _};

    #[test]
    fn both_forms_of_the_command_are_refused_together() {
        let (fake, env) = (FakeConnection::default(), Env::default());
        let out = SCRIPT
            .run(
                &env.ctx(&fake),
                &args(json!({"_raw_params": "a.sh", "cmd": "a.sh"})),
            )
            .unwrap();
        assert!(out.raised);
        assert_eq!(
            out.result["msg"],
            json!("parameters are mutually exclusive: _raw_params|cmd")
        );
        assert!(fake.lines().is_empty());
    }

    #[test]
    fn creates_is_tested_on_the_target_with_the_path_quoted() {
        let fake = FakeConnection::with_outputs(vec![FakeConnection::out(0, "", "")]);
        let env = Env::default();
        let r = SCRIPT
            .run(
                &env.ctx(&fake),
                &args(json!({"_raw_params": "a.sh", "creates": "/x y"})),
            )
            .result();
        assert_eq!(r["skipped"], json!(true));
        assert!(fake.lines().iter().any(|l| l.ends_with("test -e '/x y'")));
    }
}

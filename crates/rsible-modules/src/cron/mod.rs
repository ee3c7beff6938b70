//! `cron`: a job or variable in a user's crontab (`crontab -l` / `crontab FILE`) or in a
//! `cron_file`, marked with `#Ansible: <name>` as ansible-core's module writes it.
//!
//! ```yaml
//! - cron: { name: backup, hour: "2", minute: "30", job: /usr/local/bin/backup }
//! ```
//!
//! The crontab is read once (`crontab` must exist on the target even for `cron_file`, as
//! the module requires it), edited here line by line as the module edits its list, and
//! written back only when it changed: a cron file through a temp file renamed over it, a
//! user's crontab by `crontab [-u USER] TMPFILE`.

use serde_json::{json, Value};

use crate::args::ArgSpec;
use crate::params::Params;
use crate::target::script::{expand_path, marker, run_script, task_request, BIN_PATH_FN};
use crate::util::failed;
use crate::{
    ExecRequest, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions,
    ResultMap,
};
use rsible_connection::shell::quote;

mod tab;
#[cfg(test)]
mod tests;

use tab::CronTab;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "cron",
    ArgSpec::new(
        "cron",
        &[
            "backup",
            "cron_file",
            "day",
            "disabled",
            "env",
            "hour",
            "insertafter",
            "insertbefore",
            "job",
            "minute",
            "month",
            "name",
            "special_time",
            "state",
            "user",
            "weekday",
            "dom",
            "dow",
            "value",
        ],
    )
    .aliases(&["dom", "dow", "value"]),
);

const SPECIAL: &[&str] = &[
    "reboot", "yearly", "annually", "monthly", "weekly", "daily", "hourly",
];

#[derive(Debug, Default)]
pub(super) struct Opts {
    pub name: String,
    pub user: Option<String>,
    pub job: Option<String>,
    pub cron_file: Option<String>,
    pub state: String,
    pub backup: bool,
    pub minute: String,
    pub hour: String,
    pub day: String,
    pub month: String,
    pub weekday: String,
    pub special_time: Option<String>,
    pub disabled: bool,
    pub env: bool,
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
}

pub(super) fn read_opts(
    args: &serde_json::Map<String, Value>,
) -> Result<Result<Opts, String>, ModuleError> {
    let mut p = Params::new(
        &INFO.args,
        args,
        &[("value", "job"), ("dom", "day"), ("dow", "weekday")],
    )?;
    if p.has("insertafter") && p.has("insertbefore") {
        return Ok(Err(
            "parameters are mutually exclusive: insertafter|insertbefore".into(),
        ));
    }
    p.required("name");
    let o = Opts {
        name: p.str("name").unwrap_or_default(),
        user: p.str("user"),
        job: p.str("job"),
        cron_file: p.str("cron_file"),
        state: p
            .choice("state", &["present", "absent"])
            .unwrap_or_else(|| "present".into()),
        backup: p.bool("backup").unwrap_or(false),
        minute: p.str("minute").unwrap_or_else(|| "*".into()),
        hour: p.str("hour").unwrap_or_else(|| "*".into()),
        day: p.str("day").unwrap_or_else(|| "*".into()),
        month: p.str("month").unwrap_or_else(|| "*".into()),
        weekday: p.str("weekday").unwrap_or_else(|| "*".into()),
        special_time: p.choice("special_time", SPECIAL),
        disabled: p.bool("disabled").unwrap_or(false),
        env: p.bool("env").unwrap_or(false),
        insertafter: p.str("insertafter"),
        insertbefore: p.str("insertbefore"),
    };
    Ok(match p.error() {
        Some(e) => Err(e),
        None => Ok(o),
    })
}

pub(crate) struct Cron;
pub(crate) static CRON: Cron = Cron;

impl Module for Cron {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut o = match read_opts(args)? {
            Ok(o) => o,
            Err(msg) => return Ok(failed(msg).into()),
        };
        if let Some(f) = o.cron_file.as_mut() {
            *f = expand_path(ctx, f)?;
        }
        run(ctx, &o).map(ModuleOutput::from)
    }
}

/// `crontab [-u USER]` as the module builds it: `-u` only for another user than the one
/// the module runs as.
fn user_args(o: &Opts, me: &str) -> Vec<String> {
    match &o.user {
        Some(u) if u != me => vec!["-u".into(), u.clone()],
        _ => Vec::new(),
    }
}

fn run(ctx: &ModuleContext<'_>, o: &Opts) -> Result<ResultMap, ModuleError> {
    let mut warnings: Vec<String> = Vec::new();
    let fail = |msg: &str, warnings: &[String]| {
        let mut r = failed(msg);
        if !warnings.is_empty() {
            r.insert("warnings".into(), json!(warnings));
        }
        r
    };
    let cron_file = o.cron_file.as_ref().map(|f| {
        if f.starts_with('/') {
            f.clone()
        } else {
            format!("/etc/cron.d/{f}")
        }
    });
    if let Some(f) = &o.cron_file {
        if f == "/etc/crontab" {
            return Ok(fail(
                "Will not manage /etc/crontab via cron_file, see documentation.",
                &warnings,
            ));
        }
        let base = f.rsplit('/').next().unwrap_or_default();
        let ok = !base.is_empty()
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            warnings.push(format!("Filename portion of cron_file (\"{base}\") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens"));
        }
    }
    // The program, who runs the module, and the current crontab or cron file.
    let m = marker();
    let mut script = format!(
        "{BIN_PATH_FN}if b=$(_bin crontab); then echo \"{m} BIN $b\"; else echo \"{m} NOBIN $b\"; exit 0; fi\necho \"{m} ME $(id -un)\"\n"
    );
    if let Some(f) = &cron_file {
        script.push_str(&format!(
            "f={}; if [ -f \"$f\" ] && [ -r \"$f\" ]; then echo '{m} FILE'; exec cat -- \"$f\"; fi\n",
            quote(f)
        ));
    }
    let out = run_script(ctx, script)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut bin = String::new();
    let mut me = String::new();
    let mut file_text: Option<String> = None;
    let mut rest = text.as_str();
    while let Some(line_end) = rest.find('\n') {
        let line = &rest[..line_end];
        let after = &rest[line_end + 1..];
        let Some(tagged) = line.strip_prefix(&format!("{m} ")) else {
            break;
        };
        if let Some(msg) = tagged.strip_prefix("NOBIN ") {
            return Ok(fail(msg, &warnings));
        } else if let Some(b) = tagged.strip_prefix("BIN ") {
            bin = b.to_owned();
        } else if let Some(u) = tagged.strip_prefix("ME ") {
            me = u.to_owned();
        } else if tagged == "FILE" {
            file_text = Some(after.to_owned());
            break;
        }
        rest = after;
    }
    if bin.is_empty() {
        return Ok(fail(
            &format!(
                "could not inspect the target's crontab: {}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            ),
            &warnings,
        ));
    }
    let mut tab = match &cron_file {
        Some(_) => CronTab::from_file(file_text.unwrap_or_default()),
        None => {
            let mut argv = vec![bin.clone()];
            argv.extend(user_args(o, &me));
            argv.push("-l".into());
            let out = ctx.conn.exec(&task_request(ctx, ExecRequest::argv(argv)))?;
            if out.rc != 0 && out.rc != 1 {
                return Ok(fail("Unable to read crontab", &warnings));
            }
            CronTab::from_crontab_l(&String::from_utf8_lossy(&out.stdout))
        }
    };
    tab.cron_file = cron_file.clone();
    tab.user = o.user.clone();
    let header = match (&cron_file, &o.user) {
        (Some(f), _) => f.clone(),
        (None, Some(u)) => format!("crontab for user \"{u}\""),
        (None, None) => "crontab".to_owned(),
    };
    let before = tab.n_existing.clone();

    // --- user input validation ---
    let times = [&o.minute, &o.hour, &o.day, &o.month, &o.weekday];
    if o.special_time.is_some() && times.iter().any(|t| t.as_str() != "*") {
        return Ok(fail(
            "You cannot combine special_time with any of the time or day/date parameters.",
            &warnings,
        ));
    }
    let install = o.state == "present";
    if install {
        if cron_file.is_some() && o.user.is_none() {
            return Ok(fail(
                "To use cron_file=... parameter you must specify user=... as well",
                &warnings,
            ));
        }
        if o.job.is_none() {
            return Ok(fail(
                "You must specify 'job' to install a new cron job or variable",
                &warnings,
            ));
        }
        if (o.insertafter.is_some() || o.insertbefore.is_some()) && !o.env {
            return Ok(fail(
                "Insertafter and insertbefore parameters are valid only with env=yes",
                &warnings,
            ));
        }
    }
    let mut backup_file: Option<String> = None;
    if o.backup && !ctx.check_mode {
        let out = ctx.conn.exec(&task_request(
            ctx,
            ExecRequest::shell("umask 077; t=$(mktemp /tmp/crontabXXXXXXXX) && cat > \"$t\" && printf '%s' \"$t\""),
        ).with_stdin(tab.render()))?;
        if out.rc != 0 {
            return Ok(fail(
                String::from_utf8_lossy(&out.stderr).trim_end(),
                &warnings,
            ));
        }
        backup_file = Some(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let mut changed = false;
    let job_text = o.job.clone().unwrap_or_default();
    if o.env {
        if o.name.contains(' ') {
            return Ok(fail("Invalid name for environment variable", &warnings));
        }
        let decl = format!("{}=\"{}\"", o.name, job_text);
        let old = tab.find_env(&o.name);
        if install {
            match old {
                None => {
                    let other = o.insertafter.as_ref().or(o.insertbefore.as_ref());
                    if let Err(name) = tab.add_env(&decl, other, o.insertafter.is_some()) {
                        return Ok(fail(
                            &format!("Variable named '{name}' not found."),
                            &warnings,
                        ));
                    }
                    changed = true;
                }
                Some((_, line)) if line != decl => {
                    tab.update_env(&o.name, Some(&decl));
                    changed = true;
                }
                Some(_) => {}
            }
        } else if old.is_some() {
            tab.update_env(&o.name, None);
            changed = true;
        }
    } else if install {
        if job_text.trim_matches(['\r', '\n']).contains(['\r', '\n']) {
            warnings.push("Job should not contain line breaks".into());
        }
        let job = tab.cron_job(o, &job_text);
        let old = tab.find_job(&o.name, Some(&job));
        match &old {
            None => {
                tab.add_job(&o.name, &job);
                changed = true;
            }
            Some(found) => {
                if found.job != job {
                    tab.update_job(&o.name, Some(&job));
                    changed = true;
                }
                if found.header_added {
                    tab.update_job(&o.name, Some(&job));
                    changed = true;
                }
            }
        }
    } else if tab.find_job(&o.name, None).is_some() {
        tab.update_job(&o.name, None);
        changed = true;
        if let (Some(file), true) = (&cron_file, tab.is_empty()) {
            let mut diff = serde_json::Map::new();
            if ctx.diff {
                diff.insert("before".into(), json!(before));
                diff.insert("before_header".into(), json!(header));
                diff.insert("after".into(), json!(""));
                diff.insert("after_header".into(), json!("/dev/null"));
            }
            let script = format!(
                "f={}; if [ -f \"$f\" ]; then {} echo yes; else echo no; fi",
                quote(file),
                if ctx.check_mode {
                    ""
                } else {
                    "rm -f -- \"$f\" &&"
                }
            );
            let out = run_script(ctx, script)?;
            let removed = String::from_utf8_lossy(&out.stdout).trim() == "yes";
            let mut r = crate::util::map(json!({
                "changed": removed,
                "cron_file": o.cron_file,
                "state": o.state,
                "diff": diff,
            }));
            if !warnings.is_empty() {
                r.insert("warnings".into(), json!(warnings));
            }
            return Ok(r);
        }
    }
    // No change, but an existing crontab needs its terminating newline.
    if !changed && !tab.n_existing.is_empty() && !tab.n_existing.ends_with(['\r', '\n']) {
        changed = true;
    }
    let mut r = ResultMap::new();
    r.insert("jobs".into(), json!(tab.job_names()));
    r.insert("envs".into(), json!(tab.env_names()));
    r.insert("changed".into(), json!(changed));
    if changed {
        if !ctx.check_mode {
            let rendered = tab.render();
            match &cron_file {
                Some(f) => {
                    let opts = PutOptions {
                        mode: None,
                        become_: ctx.become_.clone(),
                    };
                    ctx.conn.put_file(rendered.as_bytes(), f, &opts)?;
                }
                None => {
                    let mut argv = vec![quote(&bin)];
                    argv.extend(user_args(o, &me).iter().map(|a| quote(a)));
                    let script = format!(
                        "umask 022; t=$(mktemp /tmp/crontabXXXXXXXX) || exit 1; chmod 666 \"$t\"; cat > \"$t\"; echo \"$t\" >&2; {} \"$t\"; rc=$?; rm -f -- \"$t\"; exit $rc",
                        argv.join(" ")
                    );
                    let out = ctx.conn.exec(
                        &task_request(ctx, ExecRequest::shell(script)).with_stdin(rendered),
                    )?;
                    if out.rc != 0 {
                        let err = String::from_utf8_lossy(&out.stderr).into_owned();
                        let (path, err) = err.split_once('\n').unwrap_or((&err, ""));
                        let mut f = fail(
                            &format!("Failed to install new cronfile: {path}"),
                            &warnings,
                        );
                        f.insert("stderr".into(), json!(err));
                        f.insert("stdout".into(), json!(String::from_utf8_lossy(&out.stdout)));
                        f.insert("rc".into(), json!(out.rc));
                        return Ok(f);
                    }
                }
            }
        }
        if ctx.diff {
            r.insert(
                "diff".into(),
                json!({
                    "before": before, "before_header": header,
                    "after": tab.render(), "after_header": header,
                }),
            );
        }
    }
    if let Some(b) = backup_file {
        if changed {
            r.insert("backup_file".into(), json!(b));
        } else {
            run_script(ctx, format!("rm -f -- {}", quote(&b)))?;
        }
    }
    if let Some(f) = &o.cron_file {
        r.insert("cron_file".into(), json!(f));
    }
    if !warnings.is_empty() {
        r.insert("warnings".into(), json!(warnings));
    }
    Ok(r)
}

/// Stdin for a request, by value.
trait WithStdin {
    fn with_stdin(self, data: String) -> Self;
}

impl WithStdin for ExecRequest {
    fn with_stdin(mut self, data: String) -> Self {
        self.stdin = Some(data.into_bytes());
        self
    }
}

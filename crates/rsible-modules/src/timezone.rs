//! `community.general.timezone`: the system time zone and whether the hardware clock keeps
//! local time or UTC.
//!
//! ```yaml
//! - community.general.timezone:
//!     name: Europe/Paris
//! ```
//!
//! As the collection's module on Linux. Where `timedatectl` runs, it reads `timedatectl
//! status` and sets with `timedatectl set-timezone` / `set-local-rtc`. Elsewhere it edits the
//! configuration files: `/etc/timezone` (then `ln -sf` of the zone file to `/etc/localtime` and
//! `dpkg-reconfigure tzdata` on Debian, `cp --remove-destination` elsewhere, `setup-timezone` on
//! Alpine, `tzdata-update` on old Red Hat), `/etc/sysconfig/clock` on the Red Hat family;
//! `hwclock` writes `UTC=` in `/etc/default/rcS` (Debian), `/etc/conf.d/hwclock` (Alpine,
//! Gentoo) or `/etc/sysconfig/clock` and runs `hwclock --systohc`, as the module does — the
//! only time it touches the clock. Check mode reads only; the result's `diff` is the
//! before/after of each given option, `msg` lists the commands the module logs. Other systems
//! (BSD, macOS, SmartOS, AIX) are refused.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::args::{de_opt_string, parse, parse_bool, ArgSpec};
use crate::target::script::{marker, run_script, BIN_PATH_FN};
use crate::util::{failed, get_distribution};
use crate::{
    Collection, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions, ResultMap,
};
use rsible_connection::shell::quote;
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "timezone",
    ArgSpec::new("community.general.timezone", &["hwclock", "rtc", "name"]).aliases(&["rtc"]),
)
.in_collection(Collection::CommunityGeneral);

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, alias = "rtc", deserialize_with = "de_opt_string")]
    hwclock: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    name: Option<String>,
}

pub(crate) struct Timezone;
pub(crate) static TIMEZONE: Timezone = Timezone;

/// The options given, in the module's `argument_spec` order, with their values per phase.
type Values = Vec<(&'static str, String)>;

/// How a run ends early: the module's failure result.
type Fail = ResultMap;

/// A configuration file as Python's `open()` finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum File {
    Missing,
    /// Any other error (permissions, a directory).
    Unreadable,
    Text(String),
}

/// The files and links the non-systemd strategy reads, at one moment.
#[derive(Debug)]
struct Files {
    name_conf: File,
    hwclock_conf: File,
    adjtime: File,
    /// `/etc/localtime` is a symlink; its target when that exists.
    localtime_link: bool,
    localtime_target: Option<String>,
    /// `/etc/localtime` has the planned zone file's content.
    localtime_same: bool,
}

/// The non-systemd strategy's configuration, as the module's `__init__` sets it up.
#[derive(Debug, Default)]
struct NoSystemd {
    name_conf: &'static str,
    hwclock_conf: &'static str,
    /// `ZONE=`/`TIMEZONE=` lines of `/etc/sysconfig/clock` rather than a bare line.
    name_key: Option<&'static str>,
    update_timezone: Vec<Vec<String>>,
    hwclock: String,
}

struct Job<'a> {
    ctx: &'a ModuleContext<'a>,
    /// The messages of logged commands and file edits.
    msgs: Vec<String>,
}

/// Python's `str()` of the values as a dict.
fn py_dict(values: &Values) -> String {
    let map: Map<String, Value> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    py_repr(&Value::Object(map))
}

fn as_object(values: &Values) -> Value {
    Value::Object(
        values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect(),
    )
}

/// The first capture of `re` in `text`, as `re.search(...).group(1)` with `re.MULTILINE`.
fn first_match(re: &str, text: &str) -> Option<String> {
    let re = regex::Regex::new(&format!("(?m){re}"))
        .unwrap_or_else(|e| unreachable!("a valid regex: {e}"));
    re.captures(text).map(|c| c[1].to_owned())
}

/// What `timedatectl status` says for `key`: `RTC in local TZ` as `local`/`UTC`, or the zone.
fn timedatectl_value(key: &str, status: &str) -> Option<String> {
    if key == "hwclock" {
        let v = first_match(r"^\s*RTC in local TZ\s*:\s*([^\s]+)", status)?;
        Some(if parse_bool(&json!(v)) == Some(true) {
            "local".into()
        } else {
            "UTC".into()
        })
    } else {
        first_match(r"^\s*Time ?zone\s*:\s*([^\s]+)", status)
    }
}

/// The regular expression of a configuration line for `key`.
fn line_regex(key: &str, name_key: Option<&str>) -> String {
    match (key, name_key) {
        ("hwclock", _) => r"^UTC\s*=\s*([^\s]+)".into(),
        ("adjtime", _) => "^(UTC|LOCAL)$".into(),
        (_, Some(k)) => format!(r#"^{k}\s*=\s*"?([^"\s]+)"?"#),
        _ => r"^([^\s]+)".into(),
    }
}

/// `_edit_file`: every line matching `regex` removed, `line` put where the first one was (else
/// first). Returns the new text and how many lines went.
fn edit_lines(text: &str, regex: &str, line: &str) -> (String, usize) {
    let re = regex::Regex::new(&format!("(?m){regex}"))
        .unwrap_or_else(|e| unreachable!("a valid regex: {e}"));
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let matched: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| re.is_match(l))
        .map(|(i, _)| i)
        .collect();
    let at = matched.first().copied().unwrap_or(0);
    for i in matched.iter().rev() {
        lines.remove(*i);
    }
    lines.insert(at, line);
    (lines.concat(), matched.len())
}

impl Job<'_> {
    fn abort(&self, msg: &str) -> Fail {
        let mut text = format!("Error message:\n{msg}");
        if !self.msgs.is_empty() {
            text.push_str("\nOther message(s):\n");
            text.push_str(&self.msgs.join("\n"));
        }
        failed(text)
    }

    /// `run_command(argv, check_rc=True)`: stdout, or the module's failure.
    fn execute(&mut self, argv: &[String], log: bool) -> Result<Result<String, Fail>, ModuleError> {
        let line = argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
        let out = run_script(self.ctx, line.clone())?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.rc != 0 {
            let mut r = failed(stderr.trim_end());
            r.insert("cmd".into(), json!(line));
            r.insert("rc".into(), json!(out.rc));
            r.insert("stdout".into(), json!(stdout));
            r.insert("stderr".into(), json!(stderr));
            return Ok(Err(r));
        }
        if log {
            self.msgs.push(format!("executed `{}`", argv.join(" ")));
        }
        Ok(Ok(stdout))
    }

    /// One probe: the system, `timedatectl` and whether it runs, the zone file, the tools of
    /// the non-systemd strategy and the distribution.
    fn probe(&self, tz: Option<&str>) -> Result<Map<String, Value>, ModuleError> {
        let m = marker();
        let zone = quote(&format!("/usr/share/zoneinfo/{}", tz.unwrap_or("")));
        let mut script = format!(
            "{BIN_PATH_FN}echo \"{m} system $(uname -s)\"\n\
             [ -f {zone} ] && echo '{m} zonefile 1'\n\
             if t=$(_bin timedatectl); then echo \"{m} timedatectl $t\"; \"$t\" >/dev/null 2>&1; echo \"{m} timedatectl_rc $?\"; fi\n\
             f=/etc/os-release; [ -r $f ] || f=/usr/lib/os-release; [ -r $f ] && (. $f; echo \"{m} id $ID\")\n\
             [ -L /etc/localtime ] && echo '{m} localtime_link 1'\n"
        );
        for tool in [
            "cp",
            "hwclock",
            "dpkg-reconfigure",
            "ln",
            "setup-timezone",
            "tzdata-update",
        ] {
            script.push_str(&format!("p=$(_bin {tool}); echo \"{m} {tool} $p\"\n"));
        }
        script.push_str("true");
        let out = run_script(self.ctx, script)?;
        let mut found = Map::new();
        let prefix = format!("{m} ");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(rest) = line.strip_prefix(&prefix) {
                let (k, v) = rest.split_once(' ').unwrap_or((rest, ""));
                found.insert(k.to_owned(), json!(v));
            }
        }
        Ok(found)
    }

    fn read_files(&self, cfg: &NoSystemd, tz: Option<&str>) -> Result<Files, ModuleError> {
        let m = marker();
        let mut script = format!(
            "_rf() {{ if [ -e \"$1\" ]; then if [ -r \"$1\" ] && [ ! -d \"$1\" ]; then echo \"{m} $2 ok\"; cat \"$1\"; echo \"{m} $2 end\"; else echo \"{m} $2 unreadable\"; fi; else echo \"{m} $2 missing\"; fi; }}\n"
        );
        for (i, f) in [cfg.name_conf, cfg.hwclock_conf, "/etc/adjtime"]
            .iter()
            .enumerate()
        {
            script.push_str(&format!("_rf {} {i}\n", quote(f)));
        }
        script.push_str(&format!(
            "if [ -L /etc/localtime ]; then echo '{m} link'; [ -e /etc/localtime ] && echo \"{m} target $(readlink /etc/localtime)\"; fi\n"
        ));
        if let Some(tz) = tz {
            script.push_str(&format!(
                "cmp -s /etc/localtime {} 2>/dev/null && echo '{m} same'\n",
                quote(&format!("/usr/share/zoneinfo/{tz}"))
            ));
        }
        script.push_str("true");
        let out = run_script(self.ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let file = |i: usize| {
            if text.contains(&format!("{m} {i} missing\n")) {
                return File::Missing;
            }
            let start_tag = format!("{m} {i} ok\n");
            let end_tag = format!("{m} {i} end\n");
            match text.find(&start_tag) {
                Some(s) => {
                    let body = &text[s + start_tag.len()..];
                    match body.find(&end_tag) {
                        Some(e) => File::Text(body[..e].to_owned()),
                        None => File::Unreadable,
                    }
                }
                None => File::Unreadable,
            }
        };
        let target = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{m} target ")))
            .map(str::to_owned);
        Ok(Files {
            name_conf: file(0),
            hwclock_conf: file(1),
            adjtime: file(2),
            localtime_link: text.contains(&format!("{m} link\n")),
            localtime_target: target,
            localtime_same: text.contains(&format!("{m} same\n")),
        })
    }

    /// `_get_value_from_config`.
    fn config_value(
        &self,
        cfg: &NoSystemd,
        files: &Files,
        key: &str,
        phase: &str,
    ) -> Result<String, Fail> {
        let (file, path) = match key {
            "hwclock" => (&files.hwclock_conf, cfg.hwclock_conf),
            "adjtime" => (&files.adjtime, "/etc/adjtime"),
            _ => (&files.name_conf, cfg.name_conf),
        };
        let text = match file {
            File::Missing => return Ok(if key == "adjtime" { "UTC" } else { "n/a" }.into()),
            File::Unreadable => {
                return Err(self.abort(&format!(
                    "tried to configure {key} using a file \"{path}\", but could not read it"
                )))
            }
            File::Text(t) => t,
        };
        let Some(value) = first_match(&line_regex(key, cfg.name_key), text) else {
            return match key {
                "hwclock" => Ok("n/a".into()),
                "adjtime" => Ok("UTC".into()),
                _ if phase == "before" => Ok("n/a".into()),
                _ => Err(self.abort(&format!(
                    "tried to configure {key} using a file \"{path}\", but could not find a valid value in it"
                ))),
            };
        };
        Ok(match key {
            "hwclock" => match parse_bool(&json!(value)) {
                Some(true) => "UTC".into(),
                Some(false) => "local".into(),
                None => {
                    return Err(failed(format!(
                        "The value '{value}' is not a valid boolean.  Valid booleans include: 'y', 'on', 'true', 'yes', 'n', 'off', '0', 'f', 'false', '1', 't', 'no'"
                    )))
                }
            },
            "adjtime" if value != "UTC" => value.to_lowercase(),
            _ => value,
        })
    }

    /// `NosystemdTimezone.get`.
    fn nosystemd_get(
        &self,
        cfg: &NoSystemd,
        files: &Files,
        key: &str,
        planned: &str,
        phase: &str,
    ) -> Result<String, Fail> {
        let value = self.config_value(cfg, files, key, phase)?;
        if value != planned {
            return Ok(value);
        }
        if key == "hwclock" {
            return self.config_value(cfg, files, "adjtime", phase);
        }
        if files.localtime_link {
            let Some(target) = &files.localtime_target else {
                return Ok("n/a".into());
            };
            return Ok(
                match first_match(r"(?:/(?:usr/share|etc)/zoneinfo/)(.*)", target) {
                    Some(link) if link != planned => link,
                    Some(_) => value,
                    None => "n/a".into(),
                },
            );
        }
        Ok(if files.localtime_same {
            value
        } else {
            "n/a".into()
        })
    }

    /// `_edit_file`: the new line in place of the matching ones, written back.
    fn edit_file(
        &mut self,
        path: &str,
        file: &File,
        key: &str,
        regex: &str,
        line: &str,
    ) -> Result<Result<(), Fail>, ModuleError> {
        let text = match file {
            File::Missing => String::new(),
            File::Unreadable => {
                return Ok(Err(self.abort(&format!(
                    "tried to configure {key} using a file \"{path}\", but could not read it"
                ))))
            }
            File::Text(t) => t.clone(),
        };
        let (new, removed) = edit_lines(&text, regex, line);
        let written = self.ctx.conn.put_file(
            new.as_bytes(),
            path,
            &PutOptions {
                mode: None,
                become_: self.ctx.become_.clone(),
            },
        );
        if let Err(e) = written {
            if matches!(e, crate::ConnectionError::Unreachable(_)) {
                return Err(e.into());
            }
            return Ok(Err(self.abort(&format!(
                "tried to configure {key} using a file \"{path}\", but could not write to it"
            ))));
        }
        self.msgs.push(format!(
            "Added 1 line and deleted {removed} line(s) on {path}"
        ));
        Ok(Ok(()))
    }

    fn systemd(
        &mut self,
        timedatectl: &str,
        planned: &Values,
    ) -> Result<Result<(Values, Values), Fail>, ModuleError> {
        let status =
            |job: &mut Self| job.execute(&[timedatectl.to_owned(), "status".into()], false);
        let read = |text: &str| -> Result<Values, Fail> {
            planned
                .iter()
                .map(|(k, _)| {
                    timedatectl_value(k, text)
                        .map(|v| (*k, v))
                        .ok_or_else(|| failed("'NoneType' object has no attribute 'group'"))
                })
                .collect()
        };
        let before = match status(self)? {
            Ok(text) => match read(&text) {
                Ok(v) => v,
                Err(f) => return Ok(Err(f)),
            },
            Err(f) => return Ok(Err(f)),
        };
        if self.ctx.check_mode {
            return Ok(Ok((before, planned.clone())));
        }
        for ((key, want), (_, now)) in planned.iter().zip(&before) {
            if want != now {
                let (sub, value) = if *key == "hwclock" {
                    ("set-local-rtc", if want == "local" { "yes" } else { "no" })
                } else {
                    ("set-timezone", want.as_str())
                };
                let argv = [timedatectl.to_owned(), sub.to_owned(), value.to_owned()];
                if let Err(f) = self.execute(&argv, true)? {
                    return Ok(Err(f));
                }
            }
        }
        let after = match status(self)? {
            Ok(text) => match read(&text) {
                Ok(v) => v,
                Err(f) => return Ok(Err(f)),
            },
            Err(f) => return Ok(Err(f)),
        };
        Ok(Ok((before, after)))
    }

    fn nosystemd(
        &mut self,
        cfg: &NoSystemd,
        planned: &Values,
    ) -> Result<Result<(Values, Values), Fail>, ModuleError> {
        let tz = planned
            .iter()
            .find(|(k, _)| *k == "name")
            .map(|(_, v)| v.as_str());
        let read = |job: &Self, phase: &str| -> Result<Result<Values, Fail>, ModuleError> {
            let files = job.read_files(cfg, tz)?;
            let mut values = Vec::new();
            for (key, want) in planned {
                match job.nosystemd_get(cfg, &files, key, want, phase) {
                    Ok(v) => values.push((*key, v)),
                    Err(f) => return Ok(Err(f)),
                }
            }
            Ok(Ok(values))
        };
        let before = match read(self, "before")? {
            Ok(v) => v,
            Err(f) => return Ok(Err(f)),
        };
        if self.ctx.check_mode {
            return Ok(Ok((before, planned.clone())));
        }
        for ((key, want), (_, now)) in planned.iter().zip(&before) {
            if want == now {
                continue;
            }
            let files = self.read_files(cfg, tz)?;
            if *key == "name" {
                let line = match cfg.name_key {
                    Some(k) => format!("{k}=\"{want}\"\n"),
                    None => format!("{want}\n"),
                };
                let regex = line_regex("name", cfg.name_key);
                if let Err(f) =
                    self.edit_file(cfg.name_conf, &files.name_conf, "name", &regex, &line)?
                {
                    return Ok(Err(f));
                }
                for argv in &cfg.update_timezone {
                    if let Err(f) = self.execute(argv, false)? {
                        return Ok(Err(f));
                    }
                }
            } else {
                let (option, utc) = if want == "local" {
                    ("--localtime", "no")
                } else {
                    ("--utc", "yes")
                };
                let regex = line_regex("hwclock", None);
                let line = format!("UTC={utc}\n");
                if let Err(f) = self.edit_file(
                    cfg.hwclock_conf,
                    &files.hwclock_conf,
                    "hwclock",
                    &regex,
                    &line,
                )? {
                    return Ok(Err(f));
                }
                let argv = [cfg.hwclock.clone(), "--systohc".into(), option.into()];
                if let Err(f) = self.execute(&argv, true)? {
                    return Ok(Err(f));
                }
            }
        }
        let after = match read(self, "after")? {
            Ok(v) => v,
            Err(f) => return Ok(Err(f)),
        };
        Ok(Ok((before, after)))
    }

    /// `NosystemdTimezone.__init__`: the files and commands for this distribution.
    fn nosystemd_config(
        &self,
        probe: &Map<String, Value>,
        tz: Option<&str>,
    ) -> Result<Result<NoSystemd, Fail>, ModuleError> {
        let tool = |name: &str| {
            probe
                .get(name)
                .and_then(Value::as_str)
                .filter(|p| p.starts_with('/'))
                .map(str::to_owned)
        };
        let required = |name: &str| {
            tool(name).ok_or_else(|| {
                failed(
                    probe
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                )
            })
        };
        let tzfile = tz.map(|t| format!("/usr/share/zoneinfo/{t}"));
        let mut cfg = NoSystemd {
            name_conf: "/etc/timezone",
            ..NoSystemd::default()
        };
        if let Some(file) = &tzfile {
            let cp = match required("cp") {
                Ok(p) => p,
                Err(f) => return Ok(Err(f)),
            };
            cfg.update_timezone = vec![vec![
                cp,
                "--remove-destination".into(),
                file.clone(),
                "/etc/localtime".into(),
            ]];
        }
        cfg.hwclock = match required("hwclock") {
            Ok(p) => p,
            Err(f) => return Ok(Err(f)),
        };
        let id = probe.get("id").and_then(Value::as_str).unwrap_or("");
        let distribution = get_distribution(id);
        if let Some(reconfigure) = tool("dpkg-reconfigure") {
            if let Some(file) = &tzfile {
                let ln = match required("ln") {
                    Ok(p) => p,
                    Err(f) => return Ok(Err(f)),
                };
                cfg.update_timezone = vec![
                    vec![ln, "-sf".into(), file.clone(), "/etc/localtime".into()],
                    vec![
                        reconfigure,
                        "--frontend".into(),
                        "noninteractive".into(),
                        "tzdata".into(),
                    ],
                ];
            }
            cfg.hwclock_conf = "/etc/default/rcS";
        } else if distribution == "Alpine" || distribution == "Gentoo" {
            cfg.hwclock_conf = "/etc/conf.d/hwclock";
            if distribution == "Alpine" {
                let setup = match required("setup-timezone") {
                    Ok(p) => p,
                    Err(f) => return Ok(Err(f)),
                };
                cfg.update_timezone = vec![vec![setup, "-z".into(), tz.unwrap_or("").to_owned()]];
            }
        } else {
            if let Some(update) = tool("tzdata-update") {
                if !probe.contains_key("localtime_link") {
                    cfg.update_timezone = vec![vec![update]];
                }
            }
            cfg.name_conf = "/etc/sysconfig/clock";
            cfg.hwclock_conf = "/etc/sysconfig/clock";
            let files = self.read_files(&cfg, None)?;
            cfg.name_key = Some(match &files.name_conf {
                File::Text(t) if first_match(r"^(TIMEZONE)\s*=", t).is_some() => "TIMEZONE",
                File::Unreadable => {
                    return Ok(Err(self.abort(
                        "could not read configuration file \"/etc/sysconfig/clock\"",
                    )))
                }
                _ => "ZONE",
            });
        }
        Ok(Ok(cfg))
    }
}

impl Module for Timezone {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        if let Some(h) = &a.hwclock {
            if h != "local" && h != "UTC" {
                return Ok(failed(format!(
                    "value of hwclock must be one of: local, UTC, got: {h}"
                ))
                .into());
            }
        }
        let mut planned: Values = Vec::new();
        if let Some(h) = a.hwclock {
            planned.push(("hwclock", h));
        }
        if let Some(n) = a.name.clone() {
            planned.push(("name", n));
        }
        if planned.is_empty() {
            return Ok(failed("one of the following is required: hwclock, name").into());
        }
        let mut job = Job {
            ctx,
            msgs: Vec::new(),
        };
        let probe = job.probe(a.name.as_deref())?;
        let get = |k: &str| probe.get(k).and_then(Value::as_str).unwrap_or("");
        if get("system") != "Linux" {
            return Ok(failed(format!(
                "rsible's timezone module manages Linux hosts; this one runs {}",
                get("system")
            ))
            .into());
        }
        let zone_missing = a.name.is_some() && get("zonefile") != "1";
        let missing_zone = || {
            job_abort_text(&format!(
                "given timezone \"{}\" is not available",
                a.name.as_deref().unwrap_or("")
            ))
        };
        let systemd = get("timedatectl").starts_with('/') && get("timedatectl_rc") == "0";
        let done = if systemd {
            if zone_missing {
                return Ok(failed(missing_zone()).into());
            }
            let timedatectl = get("timedatectl").to_owned();
            job.systemd(&timedatectl, &planned)?
        } else {
            if zone_missing {
                return Ok(failed(missing_zone()).into());
            }
            let cfg = match job.nosystemd_config(&probe, a.name.as_deref())? {
                Ok(c) => c,
                Err(f) => return Ok(f.into()),
            };
            job.nosystemd(&cfg, &planned)?
        };
        let (before, after) = match done {
            Ok(d) => d,
            Err(f) => return Ok(f.into()),
        };
        if !ctx.check_mode && after != planned {
            return Ok(job
                .abort(&format!(
                    "still not desired state, though changes have made - planned: {}, after: {}",
                    py_dict(&planned),
                    py_dict(&after)
                ))
                .into());
        }
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(before != after));
        r.insert(
            "diff".into(),
            json!({"before": as_object(&before), "after": as_object(&after)}),
        );
        if !job.msgs.is_empty() {
            r.insert("msg".into(), json!(job.msgs.join("\n")));
        }
        Ok(r.into())
    }
}

/// `abort()`'s text before any command ran.
fn job_abort_text(msg: &str) -> String {
    format!("Error message:\n{msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    // `timedatectl status` of a Debian bookworm systemd-nspawn host (tier 1c).
    const STATUS: &str = "               Local time: Fri 2026-12-04 22:41:05 UTC
           Universal time: Fri 2026-12-04 22:41:05 UTC
                 RTC time: n/a
                Time zone: Etc/UTC (UTC, +0000)
System clock synchronized: no
              NTP service: n/a
          RTC in local TZ: no
";

    #[test]
    fn timedatectl_status_is_read_as_the_module_reads_it() {
        assert_eq!(
            timedatectl_value("name", STATUS).as_deref(),
            Some("Etc/UTC")
        );
        assert_eq!(timedatectl_value("hwclock", STATUS).as_deref(), Some("UTC"));
        let local = STATUS.replace("TZ: no", "TZ: yes");
        assert_eq!(
            timedatectl_value("hwclock", &local).as_deref(),
            Some("local")
        );
        assert_eq!(
            timedatectl_value("name", "      Timezone: Asia/Tokyo (JST, +0900)\n").as_deref(),
            Some("Asia/Tokyo")
        );
    }

    #[test]
    fn configuration_lines_replace_every_match_at_the_first() {
        assert_eq!(
            edit_lines("Etc/UTC\n", &line_regex("name", None), "Asia/Tokyo\n"),
            ("Asia/Tokyo\n".to_owned(), 1)
        );
        assert_eq!(
            edit_lines("", &line_regex("name", None), "Asia/Tokyo\n"),
            ("Asia/Tokyo\n".to_owned(), 0)
        );
        assert_eq!(
            edit_lines(
                "# rc\nUTC=no\nX=1\nUTC = yes\n",
                &line_regex("hwclock", None),
                "UTC=yes\n"
            ),
            ("# rc\nUTC=yes\nX=1\n".to_owned(), 2)
        );
        assert_eq!(
            first_match(
                &line_regex("name", Some("ZONE")),
                "ZONE=\"Europe/Paris\"\nUTC=true\n"
            )
            .as_deref(),
            Some("Europe/Paris")
        );
        assert_eq!(
            py_dict(&vec![
                ("hwclock", "UTC".into()),
                ("name", "Asia/Tokyo".into())
            ]),
            "{'hwclock': 'UTC', 'name': 'Asia/Tokyo'}"
        );
    }
}

//! `access_time`/`modification_time` of the `file` module: Ansible's `get_timestamp_for_time`
//! and `update_timestamp_for_file`. An explicit time is wall-clock time in the target's local
//! timezone (`time.mktime` on the target), so the target converts it: `date -d` for the epoch the
//! comparison and the diff need, `touch -t` to set it.

use std::fmt::Write as _;

use chrono::format::{parse, Parsed, StrftimeItems};
use chrono::NaiveDateTime;
use rsible_template::py_str_repr as py_repr;
use serde_json::{json, Value};

use crate::file::Args;
use crate::target::file_state::State;
use rsible_connection::shell::quote;

/// Ansible's default `*_time_format`.
const DEFAULT_FORMAT: &str = "%Y%m%d%H%M.%S";

/// One of the two times.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stamp {
    Preserve,
    Now,
    /// A wall-clock time, as `touch -t` and `date -d` read it.
    At(NaiveDateTime),
}

impl Stamp {
    fn touch_t(t: &NaiveDateTime) -> String {
        t.format("%Y%m%d%H%M.%S").to_string()
    }

    fn date_d(t: &NaiveDateTime) -> String {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// The requested access and modification times.
#[derive(Debug, Clone)]
pub(crate) struct Stamps {
    pub(crate) atime: Stamp,
    pub(crate) mtime: Stamp,
}

/// What applying the stamps does: the commands, and the diff entries when they are known before
/// running (the previous times came from the probe); `from_apply` asks for the before-times the
/// apply script prints (`B:`), for a path created by that script.
#[derive(Debug, Default)]
pub(crate) struct StampPlan {
    pub(crate) changed: bool,
    pub(crate) cmds: Vec<String>,
    pub(crate) before: serde_json::Map<String, Value>,
    pub(crate) after: serde_json::Map<String, Value>,
    /// `(atime, mtime)` after the change, for entries whose before-time the apply script reports.
    pub(crate) from_apply: Option<(Option<f64>, Option<f64>)>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `time.strptime` (missing fields default to 1900-01-01 00:00:00), with Python's messages.
fn strptime(value: &str, format: &str) -> Result<NaiveDateTime, String> {
    let attempt = |s: &str| -> Result<NaiveDateTime, chrono::format::ParseError> {
        let mut p = Parsed::new();
        parse(&mut p, s, StrftimeItems::new(format))?;
        if p.year().is_none() && p.year_div_100().is_none() && p.year_mod_100().is_none() {
            p.set_year(1900)?;
        }
        if p.month().is_none() && p.ordinal().is_none() && p.week_from_sun().is_none() {
            p.set_month(1)?;
        }
        if p.day().is_none() && p.ordinal().is_none() && p.weekday().is_none() {
            p.set_day(1)?;
        }
        if p.hour_div_12().is_none() && p.hour_mod_12().is_none() {
            p.set_hour(0)?;
        }
        if p.minute().is_none() {
            p.set_minute(0)?;
        }
        if p.second().is_none() {
            p.set_second(0)?;
        }
        Ok(NaiveDateTime::new(p.to_naive_date()?, p.to_naive_time()?))
    };
    match attempt(value) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == chrono::format::ParseErrorKind::TooLong => {
            // Python names what is left over after the longest prefix that matches.
            let rest = (1..value.len())
                .rev()
                .filter(|&i| value.is_char_boundary(i))
                .find(|&i| attempt(&value[..i]).is_ok())
                .map_or(value, |i| &value[i..]);
            Err(format!("unconverted data remains: {rest}"))
        }
        Err(_) => Err(format!(
            "time data {} does not match format {}",
            py_repr(value),
            py_repr(format)
        )),
    }
}

fn stamp(value: Option<String>, format: Option<String>, state: &str) -> Result<Stamp, String> {
    // keep_backward_compatibility_on_timestamps: unset is "now" for touch, else "preserve".
    let value = match value {
        Some(v) => v,
        None if state == "touch" => return Ok(Stamp::Now),
        None => return Ok(Stamp::Preserve),
    };
    match value.as_str() {
        "preserve" => Ok(Stamp::Preserve),
        "now" => Ok(Stamp::Now),
        _ => {
            let format = format.unwrap_or_else(|| DEFAULT_FORMAT.to_owned());
            strptime(&value, &format).map(Stamp::At).map_err(|e| {
                format!(
                    "Error while obtaining timestamp for time {value} using format {format}: {e}"
                )
            })
        }
    }
}

impl Stamps {
    /// Both times kept.
    pub(crate) fn preserve() -> Stamps {
        Stamps {
            atime: Stamp::Preserve,
            mtime: Stamp::Preserve,
        }
    }

    pub(crate) fn from_args(a: &Args, state: &str) -> Result<Stamps, String> {
        Ok(Stamps {
            mtime: stamp(
                text(a.modification_time.as_ref()),
                text(a.modification_time_format.as_ref()),
                state,
            )?,
            atime: stamp(
                text(a.access_time.as_ref()),
                text(a.access_time_format.as_ref()),
                state,
            )?,
        })
    }

    /// Whether any time is to be set.
    pub(crate) fn active(&self) -> bool {
        self.atime != Stamp::Preserve || self.mtime != Stamp::Preserve
    }

    /// Lines for the state probe (which names the path `$p`): the current times, and the epoch
    /// of each explicit time as the target's timezone reads it.
    pub(crate) fn probe_lines(&self) -> String {
        let mut s = String::new();
        if !self.active() {
            return s;
        }
        s.push_str("echo \"x:$(stat -L -c '%.9X|%.9Y' -- \"$p\" 2>/dev/null)\"\n");
        for (tag, st) in [("xa", &self.atime), ("xm", &self.mtime)] {
            if let Stamp::At(t) = st {
                let _ = writeln!(
                    s,
                    "echo \"{tag}:$(date -d {} +%s)\"",
                    quote(&Stamp::date_d(t))
                );
            }
        }
        s
    }

    /// The commands setting the times on `path`, without deciding whether they are needed.
    fn commands(&self, path: &str) -> Vec<String> {
        let q = quote(path);
        if self.atime == Stamp::Now && self.mtime == Stamp::Now {
            return vec![format!("touch -- {q}")];
        }
        let mut cmds = Vec::new();
        for (flag, st) in [("-a", &self.atime), ("-m", &self.mtime)] {
            match st {
                Stamp::Preserve => {}
                Stamp::Now => cmds.push(format!("touch {flag} -- {q}")),
                Stamp::At(t) => cmds.push(format!(
                    "touch {flag} -t {} -- {q}",
                    quote(&Stamp::touch_t(t))
                )),
            }
        }
        cmds
    }

    fn targets(&self, st: &State, now: f64) -> (Option<f64>, Option<f64>) {
        let one = |s: &Stamp, epoch: Option<f64>| match s {
            Stamp::Preserve => None,
            Stamp::Now => Some(now),
            Stamp::At(_) => Some(epoch.unwrap_or(f64::NAN)),
        };
        (
            one(&self.atime, st.epoch_atime),
            one(&self.mtime, st.epoch_mtime),
        )
    }

    /// `update_timestamp_for_file` on `path`, which exists with the times the probe saw.
    pub(crate) fn plan_existing(&self, path: &str, st: &State) -> StampPlan {
        let mut p = StampPlan::default();
        if !self.active() {
            return p;
        }
        let (prev_a, prev_m) = st.times.unwrap_or((f64::NAN, f64::NAN));
        let (a, m) = self.targets(st, now());
        let a = a.unwrap_or(prev_a);
        let m = m.unwrap_or(prev_m);
        let both_now = self.atime == Stamp::Now && self.mtime == Stamp::Now;
        if !both_now && a == prev_a && m == prev_m {
            return p;
        }
        p.changed = true;
        p.cmds = self.commands(path);
        if m != prev_m {
            p.before.insert("mtime".into(), json!(prev_m));
            p.after.insert("mtime".into(), json!(m));
        }
        if a != prev_a {
            p.before.insert("atime".into(), json!(prev_a));
            p.after.insert("atime".into(), json!(a));
        }
        p
    }

    /// The same for a path the apply script creates first: its before-times are those of the
    /// new path, which the script prints (`B:`) before setting the requested ones.
    pub(crate) fn plan_created(&self, path: &str, st: &State) -> StampPlan {
        let mut p = StampPlan::default();
        if !self.active() {
            return p;
        }
        p.changed = true;
        let q = quote(path);
        p.cmds
            .push(format!("echo \"B:$(stat -c '%.9X|%.9Y' -- {q})\""));
        p.cmds.extend(self.commands(path));
        p.from_apply = Some(self.targets(st, now()));
        p
    }
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Diff entries from the `B:` line of the apply script and the planned after-times.
pub(crate) fn created_diff(
    times: &str,
    after: (Option<f64>, Option<f64>),
    before_map: &mut serde_json::Map<String, Value>,
    after_map: &mut serde_json::Map<String, Value>,
) {
    let (at, mt) = times.split_once('|').unwrap_or((times, times));
    let prev_a = at.parse::<f64>().unwrap_or(0.0);
    let prev_m = mt.parse::<f64>().unwrap_or(0.0);
    let (a, m) = after;
    let a = a.unwrap_or(prev_a);
    let m = m.unwrap_or(prev_m);
    if m != prev_m {
        before_map.insert("mtime".into(), json!(prev_m));
        after_map.insert("mtime".into(), json!(m));
    }
    if a != prev_a {
        before_map.insert("atime".into(), json!(prev_a));
        after_map.insert("atime".into(), json!(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};
    use crate::{Module as _, ResultMap};
    use chrono::TimeZone as _;
    use rsible_connection::local::LocalConnection;
    use std::os::unix::fs::MetadataExt as _;

    fn run(env: &Env, a: Value) -> ResultMap {
        let conn = LocalConnection::new();
        crate::file::FILE.run(&env.ctx(&conn), &args(a)).result()
    }

    /// `time.mktime` of a wall-clock time here (1704209400 for 2024-01-02 15:30 under UTC,
    /// as Python gave it on the test hosts).
    fn local_epoch(s: &str) -> i64 {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        chrono::Local
            .from_local_datetime(&t)
            .earliest()
            .unwrap()
            .timestamp()
    }

    fn times(path: &str) -> (i64, i64) {
        let m = std::fs::metadata(path).unwrap();
        (m.atime(), m.mtime())
    }

    // Results compared with ansible-playbook 2.19 (connection: local) on the same tasks.
    #[test]
    fn touch_sets_explicit_times_then_is_ok() {
        let dir = tempfile::tempdir().unwrap();
        let f = format!("{}/u", dir.path().display());
        let env = Env {
            diff: true,
            ..Env::default()
        };
        let a = json!({"path": f, "state": "touch",
            "modification_time": "202401021530.00", "access_time": "202401021530.00"});
        let r = run(&env, a.clone());
        let want = local_epoch("2024-01-02 15:30:00");
        assert_eq!(r["changed"], true);
        assert_eq!(times(&f), (want, want));
        assert_eq!(r["diff"]["after"]["mtime"], json!(want as f64));
        assert_eq!(r["diff"]["after"]["atime"], json!(want as f64));
        assert_eq!(r["diff"]["before"]["state"], "absent");
        let r = run(&env, a);
        assert_eq!(r["changed"], false);
        assert_eq!(
            r["diff"],
            json!({"before": {"path": f, "state": "file"}, "after": {"path": f, "state": "touch"}})
        );
        // preserve keeps both times, and is ok unless something else changes.
        let keep = json!({"path": f, "state": "touch", "modification_time": "preserve",
            "access_time": "preserve"});
        let r = run(&env, keep.clone());
        assert_eq!(r["changed"], false);
        assert_eq!(times(&f), (want, want));
        let mut with_mode = keep;
        with_mode["mode"] = json!("0600");
        let r = run(&env, with_mode);
        assert_eq!(r["changed"], true);
        assert_eq!(
            r["diff"],
            json!({"before": {"path": f, "state": "file", "mode": "0644"},
                   "after": {"path": f, "state": "touch", "mode": "0600"}})
        );
        assert_eq!(times(&f), (want, want));
        // A custom format, only the modification time.
        let r = run(
            &env,
            json!({"path": f, "state": "touch", "modification_time": "2024-01-02 15:31:00",
                "modification_time_format": "%Y-%m-%d %H:%M:%S", "access_time": "preserve"}),
        );
        assert_eq!(r["changed"], true);
        let m2 = local_epoch("2024-01-02 15:31:00");
        assert_eq!(times(&f), (want, m2));
        assert_eq!(
            r["diff"],
            json!({"before": {"path": f, "state": "file", "mtime": want as f64},
                   "after": {"path": f, "state": "touch", "mtime": m2 as f64}})
        );
    }

    #[test]
    fn file_and_directory_times() {
        let dir = tempfile::tempdir().unwrap();
        let f = format!("{}/f", dir.path().display());
        std::fs::write(&f, "").unwrap();
        let want = local_epoch("2020-01-01 00:00:00");
        let a = json!({"path": f, "state": "file", "modification_time": "202001010000.00"});
        let r = run(&Env::default(), a.clone());
        assert_eq!(r["changed"], true);
        assert_eq!(times(&f).1, want);
        let r = run(&Env::default(), a);
        assert_eq!(r["changed"], false);
        // Check mode reports the change without making it.
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        let r = run(
            &env,
            json!({"path": f, "modification_time": "202001010001.00"}),
        );
        assert_eq!(r["changed"], true);
        assert_eq!(times(&f).1, want);

        let d = format!("{}/d", dir.path().display());
        let a = json!({"path": d, "state": "directory",
            "modification_time": "202001010000.00", "access_time": "202001010000.00"});
        let r = run(&Env::default(), a.clone());
        assert_eq!(r["changed"], true);
        assert_eq!(times(&d), (want, want));
        // Probing a directory must not read it (that would move its atime).
        let r = run(&Env::default(), a);
        assert_eq!(r["changed"], false);
        assert_eq!(times(&d), (want, want));
        // Ansible sets the times right after creating the first missing directory, and fails.
        let deep = format!("{}/m/n", dir.path().display());
        let r = run(
            &Env::default(),
            json!({"path": deep, "state": "directory", "modification_time": "now"}),
        );
        assert_eq!(
            r,
            crate::util::map(json!({"changed": false, "failed": true, "path": deep,
                "msg": format!("Error while updating modification or access time: [Errno 2] No such file or directory: b'{deep}'")}))
        );
        let r = run(
            &Env::default(),
            json!({"path": d, "state": "directory", "modification_time": "bad"}),
        );
        assert_eq!(
            r["msg"],
            "Error while obtaining timestamp for time bad using format %Y%m%d%H%M.%S: time data 'bad' does not match format '%Y%m%d%H%M.%S'"
        );
    }

    #[test]
    fn scripts_quote_the_times() {
        let fake = FakeConnection::with_outputs(vec![
            FakeConnection::out(
                0,
                "l:81a4|0|0|root|root|0|1|5\nt:81a4|0|0|root|root|0|1|5\nx:1.5|2.5\nxm:1704209400\n",
                "",
            ),
            FakeConnection::out(
                0,
                "l:81a4|0|0|root|root|0|1|5\nt:81a4|0|0|root|root|0|1|5\n",
                "",
            ),
        ]);
        let env = Env::default();
        let r = crate::file::FILE
            .run(
                &env.ctx(&fake),
                &args(json!({"path": "/tmp/it's", "state": "touch",
                    "modification_time": "2024-01-02 15:30:00",
                    "modification_time_format": "%Y-%m-%d %H:%M:%S",
                    "access_time": "now"})),
            )
            .result();
        assert_eq!(r["changed"], true);
        insta::assert_snapshot!(fake.lines().join("\n---\n"));
    }

    // Messages and values from Python 3.11's time.strptime (checked by running it).
    #[test]
    fn strptime_like_python() {
        let t = strptime("202401021530.00", DEFAULT_FORMAT).unwrap();
        assert_eq!(t.to_string(), "2024-01-02 15:30:00");
        let t = strptime("2024-01-02 15:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(t.to_string(), "2024-01-02 15:30:00");
        assert_eq!(
            strptime("abc", DEFAULT_FORMAT).unwrap_err(),
            "time data 'abc' does not match format '%Y%m%d%H%M.%S'"
        );
        assert_eq!(
            strptime("202401021530.00x", DEFAULT_FORMAT).unwrap_err(),
            "unconverted data remains: x"
        );
    }
}

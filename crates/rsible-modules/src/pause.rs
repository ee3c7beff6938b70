//! `pause`: wait a number of seconds or minutes, or for the user to answer a prompt. Runs once
//! per play on the controller (Ansible's `BYPASS_HOST_LOOP`).
//!
//! ```yaml
//! - pause: { seconds: 10 }
//! - pause: { prompt: "Check the console, then press enter" }
//!   register: answer
//! ```
//!
//! As Ansible's action: a duration under a second is a second; without a terminal on stdin a
//! prompt is not waited for (a warning says so) while a duration is still slept. On a terminal
//! the prompt is shown and one line read; rsible does not hide the typed text for `echo: false`,
//! shows no `[task name]` line above the prompt and has no Ctrl+C menu (Ctrl+C stops the run).

use crate::util::py_type;
use std::io::{BufRead as _, IsTerminal as _};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::{parse_bool, ArgSpec};
use crate::util::py_datetime;
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "pause",
    ArgSpec::new("pause", &["echo", "minutes", "prompt", "seconds"]),
)
.kind(Kind::Controller)
.without_async()
.bypass_host_loop();

pub(crate) struct Pause;
pub(crate) static PAUSE: Pause = Pause;

/// The action's `int` conversion of `minutes`/`seconds` (Python's `int(value)`).
fn int_arg(args: &serde_json::Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    let refused = |v: &Value| {
        format!(
            "argument '{key}' is of type {} and we were unable to convert to int: invalid literal for int() with base 10: {}",
            py_type(v),
            rsible_template::py_repr(v)
        )
    };
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
        Some(Value::Number(n)) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64))),
        Some(v @ Value::String(s)) => s.trim().parse().map(Some).map_err(|_| refused(v)),
        Some(v) => Err(refused(v)),
    }
}

impl Module for Pause {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        // The action validates its own spec: its refusals are raised.
        let raised = |msg: String| Ok(ModuleOutput::raised(msg));
        if let Err(e) = INFO.args.check(args) {
            return Ok(ModuleOutput {
                raised: true,
                ..ModuleOutput::from(e)
            });
        }
        let (minutes, seconds) = match (int_arg(args, "minutes"), int_arg(args, "seconds")) {
            (Err(m), _) | (_, Err(m)) => return raised(m),
            (Ok(m), Ok(s)) => (m, s),
        };
        if minutes.is_some() && seconds.is_some() {
            return raised("parameters are mutually exclusive: minutes|seconds".into());
        }
        let echo = match args.get("echo") {
            None | Some(Value::Null) => true,
            Some(v) => match parse_bool(v) {
                Some(b) => b,
                None => {
                    return raised(format!(
                        "argument 'echo' is of type {} and we were unable to convert to bool: The value {} is not a valid boolean.  Valid booleans include: 'no', 'n', 'true', 'y', 'false', 'on', 'yes', '1', '0', 'off', 't', 'f', 1, 0, 1.0, 0.0, True, False",
                        py_type(v),
                        crate::args::scalar_text(v)
                    ))
                }
            },
        };
        let prompt = args
            .get("prompt")
            .filter(|v| !v.is_null())
            .map(rsible_template::py_str)
            .filter(|p| !p.is_empty());
        let hidden = if echo { "" } else { " (output is hidden)" };
        let (duration, unit) = match (minutes, seconds) {
            (Some(m), _) => (Some(m.saturating_mul(60)), "minutes"),
            (None, Some(s)) => (Some(s), "seconds"),
            (None, None) => (None, "minutes"),
        };
        let interactive = std::io::stdin().is_terminal();
        let start = Instant::now();
        let started = py_datetime(&chrono::Local::now());
        let mut result = ResultMap::new();
        let mut user_input = String::new();
        match duration {
            Some(secs) => {
                let secs = secs.max(1);
                (ctx.display)(&format!("Pausing for {secs} seconds{hidden}"));
                let notice = "(ctrl+C then 'C' = continue early, ctrl+C then 'A' = abort)\r";
                if prompt.is_some() || interactive {
                    (ctx.display)(notice);
                }
                std::thread::sleep(Duration::from_secs(secs.unsigned_abs()));
            }
            None if interactive => {
                let text = prompt
                    .as_deref()
                    .unwrap_or("Press enter to continue, Ctrl+C to interrupt");
                (ctx.display)(&format!("{text}{hidden}:"));
                let mut line = String::new();
                let _ = std::io::stdin().lock().read_line(&mut line);
                user_input = line.trim_end_matches(['\n', '\r']).to_owned();
            }
            None => {
                result.insert(
                    "warnings".into(),
                    json!(["Not waiting for response to prompt as stdin is not interactive"]),
                );
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let shown = if unit == "minutes" {
            elapsed / 60.0
        } else {
            elapsed
        };
        let shown = (shown * 100.0).round() / 100.0;
        result.insert("changed".into(), Value::Bool(false));
        result.insert("rc".into(), Value::from(0));
        result.insert("stderr".into(), Value::from(""));
        result.insert(
            "stdout".into(),
            Value::from(format!(
                "Paused for {} {unit}",
                rsible_template::py_str(&json!(shown))
            )),
        );
        result.insert("start".into(), Value::from(started));
        result.insert(
            "stop".into(),
            Value::from(py_datetime(&chrono::Local::now())),
        );
        result.insert("delta".into(), Value::from(elapsed.trunc() as i64));
        result.insert("echo".into(), Value::Bool(echo));
        result.insert("user_input".into(), Value::from(user_input));
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_convert_as_python_int() {
        let a = serde_json::from_value(json!({"seconds": "5", "minutes": 1.9})).unwrap();
        assert_eq!(int_arg(&a, "seconds"), Ok(Some(5)));
        assert_eq!(int_arg(&a, "minutes"), Ok(Some(1)));
        let bad = serde_json::from_value(json!({"seconds": "soon"})).unwrap();
        assert_eq!(
            int_arg(&bad, "seconds"),
            Err("argument 'seconds' is of type str and we were unable to convert to int: invalid literal for int() with base 10: 'soon'".into())
        );
    }
}

//! `max_fail_percentage`: once more of a batch's hosts have failed than the play allows, the
//! linear strategy fails every host left, says `NO MORE HOSTS LEFT` and the run ends after the
//! play (ansible-core `StrategyModule.run` of `linear.py`, `RUN_FAILED_BREAK_PLAY`; the play's
//! next batch still runs when this one held hosts that had failed before it).

use rsible_parser::{Node, Play};
use rsible_template::{Origin, Value, Vars};

use super::{PlayCtx, Runner};
use crate::shared::Shared;
use crate::template_node::render_node;
use crate::{vars, RunError};

/// The play's `max_fail_percentage` as a fraction (`isa='percent'`: a number, or text that
/// reads as one once its `%` signs are dropped), templated with the play's variables as
/// `Play.post_validate` does, before the play is announced.
pub(super) fn max_fail_fraction(shared: &Shared<'_>, play: &Play) -> Result<Option<f64>, RunError> {
    let Some(node) = &play.max_fail_percentage else {
        return Ok(None);
    };
    let mut play_vars = Vars::new();
    vars::extend_nodes(&mut play_vars, &play.vars);
    vars::extend(&mut play_vars, &shared.extra_vars);
    let value = render_node(&shared.templar, node, &play_vars, &Origin::default())?;
    match to_percent(&value) {
        Ok(p) => Ok(p.map(|p| p / 100.0)),
        Err(shown) => Err(invalid(node, &shown)),
    }
}

/// Python's `float()` of the value with its `%` signs removed; `None` for null; the value's
/// repr when it does not read as a number.
fn to_percent(value: &Value) -> Result<Option<f64>, String> {
    let parsed = match value {
        Value::Null => return Ok(None),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => py_float(&s.replace('%', "")),
        _ => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| rsible_template::py_repr(value))
}

/// Python's `float(text)`: surrounding blanks, `_` between digits, `inf`/`nan` in any case.
fn py_float(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let t = t.replace('_', "");
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan")
        || unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        t.parse::<f64>().ok()
    } else {
        None
    }
}

fn invalid(node: &Node, shown: &str) -> RunError {
    RunError::Parse(rsible_parser::ParseError::Invalid {
        message: format!(
            "Error processing keyword 'max_fail_percentage': The value {shown} could not be converted to 'percent'."
        ),
        span: node.span,
        hint: None,
    })
}

impl Runner<'_> {
    /// After a task: when the batch's failed hosts exceed the play's share (`>`, not `>=`),
    /// every host left is failed (not counted in the recap), `NO MORE HOSTS LEFT` is shown
    /// twice (once by the check, once because no host is left) and the run ends after the play.
    pub(super) fn check_max_fail(&mut self, ctx: &mut PlayCtx<'_>) {
        let Some(fraction) = ctx.max_fail else {
            return;
        };
        if ctx.broken || ctx.batch_size == 0 {
            return;
        }
        #[expect(clippy::cast_precision_loss, reason = "host counts")]
        let share = ctx.batch_failed.len() as f64 / ctx.batch_size as f64;
        if share <= fraction {
            return;
        }
        for h in &ctx.hosts {
            if let Some(st) = self.states.get_mut(h) {
                if !st.unreachable {
                    st.failed = true;
                }
            }
        }
        ctx.hosts.clear();
        ctx.broken = true;
        self.cb.playbook_on_no_hosts_remaining();
        self.cb.playbook_on_no_hosts_remaining();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_values_read_as_python_float() {
        let p = |v: Value| to_percent(&v);
        assert_eq!(p(Value::from(30)), Ok(Some(30.0)));
        assert_eq!(p(Value::from("49%")), Ok(Some(49.0)));
        assert_eq!(p(Value::from(" 12.5 ")), Ok(Some(12.5)));
        assert_eq!(p(Value::from("1_0")), Ok(Some(10.0)));
        assert_eq!(p(Value::Null), Ok(None));
        assert_eq!(p(Value::from("abc")), Err("'abc'".to_owned()));
        assert_eq!(p(Value::from("")), Err("''".to_owned()));
        assert!(p(Value::from("inf")).is_ok_and(|v| v == Some(f64::INFINITY)));
    }
}

//! `throttle`: at most that many hosts run the task at once (below `forks`). ansible-core reads
//! it when it queues the task (`StrategyBase._queue_task`): templated with the host's
//! variables, then Python's `int()`, whose failure stops the run (exit 1).

use rsible_parser::Task;
use rsible_template::{Origin, Value, Vars};

use super::{PlayCtx, Runner};
use crate::task::Inherited;
use crate::template_node::render_node;
use crate::RunError;

impl Runner<'_> {
    /// The task's `throttle` for the host whose variables are `vars`: `None` when it does not
    /// limit anything (absent, 0 or negative, or `run_once`, which ansible-core ignores it for).
    pub(super) fn throttle(
        &self,
        ctx: &PlayCtx<'_>,
        task: &Task,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Option<usize>, RunError> {
        let keywords = Inherited::new(task, ctx.play);
        let Some(node) = keywords.throttle() else {
            return Ok(None);
        };
        let value = render_node(&self.shared.templar, node, vars, origin).map_err(|e| {
            RunError::Other(format!(
                "Failed to convert the throttle value to an integer: {}",
                e.ansible_message()
            ))
        })?;
        let n = py_int(&value).map_err(|why| {
            RunError::Other(format!(
                "Failed to convert the throttle value to an integer: {why}"
            ))
        })?;
        if n <= 0 || keywords.run_once() {
            return Ok(None);
        }
        Ok(Some(usize::try_from(n).unwrap_or(usize::MAX)))
    }
}

/// Python's `int(value)`: ints, floats toward zero, booleans, and text that is a whole number
/// in base 10 (blanks around it, `_` between digits); else Python's message.
fn py_int(value: &Value) -> Result<i128, String> {
    match value {
        Value::Bool(b) => Ok(i128::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(i128::from(i));
            }
            if let Some(u) = n.as_u64() {
                return Ok(i128::from(u));
            }
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.is_nan() {
                return Err("cannot convert float NaN to integer".to_owned());
            }
            if f.is_infinite() {
                return Err("cannot convert float infinity to integer".to_owned());
            }
            #[expect(clippy::cast_possible_truncation, reason = "Python truncates too")]
            Ok(f.trunc() as i128)
        }
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            let well_formed = !digits.is_empty()
                && !digits.starts_with('_')
                && !digits.ends_with('_')
                && !digits.contains("__")
                && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
            let parsed = well_formed
                .then(|| t.replace('_', "").parse::<i128>().ok())
                .flatten();
            parsed.ok_or_else(|| {
                format!(
                    "invalid literal for int() with base 10: {}",
                    rsible_template::py_repr(value)
                )
            })
        }
        Value::Null => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"
                .to_owned(),
        ),
        Value::Array(_) => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'list'"
                .to_owned(),
        ),
        Value::Object(_) => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'dict'"
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_reads_as_python() {
        assert_eq!(py_int(&Value::from(3)), Ok(3));
        assert_eq!(py_int(&Value::from(2.9)), Ok(2));
        assert_eq!(py_int(&Value::from(" 1_0 ")), Ok(10));
        assert_eq!(py_int(&Value::Bool(true)), Ok(1));
        assert_eq!(
            py_int(&Value::from("2.5")),
            Err("invalid literal for int() with base 10: '2.5'".to_owned())
        );
        assert!(py_int(&Value::from("abc")).is_err());
        assert!(py_int(&Value::from("")).is_err());
        assert!(py_int(&Value::Null).is_err());
    }
}

//! Numbers written in task keywords (`retries delay async poll`), converted as ansible-core
//! 2.19's field attributes convert them, and the waits Python's `time.sleep` would refuse.
//! Every path here returns a message Ansible gives; none panics, whatever the playbook says.

use std::time::Duration;

use serde_json::Value;

/// A keyword value that is not a number of the keyword's type.
#[derive(Debug, thiserror::Error)]
#[error("The value {shown} could not be converted to '{kind}'.")]
pub(crate) struct NotANumber {
    shown: String,
    kind: &'static str,
}

/// `isa='int'`: whole numbers, integral floats, and text that reads as either; booleans count
/// as 0 and 1, as in Python. Python's ints have no bound: beyond `i128` the value saturates,
/// which no playbook can tell apart.
pub(crate) fn to_int(v: &Value) -> Result<i128, NotANumber> {
    let integral = |f: f64| {
        #[expect(clippy::cast_possible_truncation, reason = "integral, saturating")]
        (f.is_finite() && f.fract() == 0.0).then_some(f as i128)
    };
    let parsed = match v {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().and_then(integral)),
        Value::String(s) => {
            let t = s.trim().replace('_', "");
            t.parse::<i128>()
                .ok()
                .or_else(|| t.parse::<f64>().ok().and_then(integral))
        }
        _ => None,
    };
    parsed.ok_or_else(|| NotANumber {
        shown: rsible_template::py_repr(v),
        kind: "int",
    })
}

/// `isa='float'`: any number, or text Python's `float()` reads (`inf`, `nan`, `1e300`).
pub(crate) fn to_float(v: &Value) -> Result<f64, NotANumber> {
    let parsed = match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace('_', "").parse::<f64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| NotANumber {
        shown: rsible_template::py_repr(v),
        kind: "float",
    })
}

/// The longest wait `time.sleep` takes: its clock counts nanoseconds in 64 bits.
const MAX_SLEEP_SECS: f64 = 9_223_372_036.0;

/// `time.sleep(delay)` with a float, as the `until` loop sleeps.
pub(crate) fn sleep_float(secs: f64) -> Result<(), String> {
    if secs.is_nan() {
        return Err("Invalid value NaN (not a number)".to_owned());
    }
    if secs.abs() > MAX_SLEEP_SECS {
        return Err("timestamp out of range for platform time_t".to_owned());
    }
    if secs > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(secs));
    }
    Ok(())
}

/// The error `time.sleep(n)` gives for an int too large for its clock, if `secs` is one.
pub(crate) fn int_sleep_error(secs: i128) -> Option<&'static str> {
    #[expect(clippy::cast_precision_loss, reason = "a bound, not a value")]
    (secs.unsigned_abs() as f64 > MAX_SLEEP_SECS)
        .then_some("timestamp too large to convert to C _PyTime_t")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn ints_as_python_converts_them() {
        assert_eq!(to_int(&json!(3)).ok(), Some(3));
        assert_eq!(to_int(&json!(-1)).ok(), Some(-1));
        assert_eq!(to_int(&json!(4.0)).ok(), Some(4));
        assert_eq!(to_int(&json!("1e3")).ok(), Some(1000));
        assert_eq!(to_int(&json!(" 12 ")).ok(), Some(12));
        assert_eq!(to_int(&json!(true)).ok(), Some(1));
        assert_eq!(to_int(&json!(u64::MAX)).ok(), Some(i128::from(u64::MAX)));
        assert_eq!(
            to_int(&json!(2.7))
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some("The value 2.7 could not be converted to 'int'.")
        );
        assert_eq!(
            to_int(&json!("soon"))
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some("The value 'soon' could not be converted to 'int'.")
        );
        assert!(to_int(&json!("inf")).is_err());
        assert!(to_int(&json!([1])).is_err());
    }

    #[test]
    fn floats_and_sleeps_as_python() {
        assert_eq!(to_float(&json!("1e300")).ok(), Some(1e300));
        assert!(to_float(&json!("inf")).is_ok_and(f64::is_infinite));
        assert!(to_float(&json!("nan")).is_ok_and(f64::is_nan));
        assert!(to_float(&json!("later")).is_err());
        assert_eq!(
            sleep_float(f64::NAN),
            Err("Invalid value NaN (not a number)".to_owned())
        );
        assert_eq!(
            sleep_float(1e300),
            Err("timestamp out of range for platform time_t".to_owned())
        );
        assert_eq!(sleep_float(0.0), Ok(()));
        assert!(int_sleep_error(15).is_none());
        assert!(int_sleep_error(i128::from(i64::MAX)).is_some());
    }

    proptest! {
        // Whatever a playbook writes, conversion answers and a refused wait is never slept.
        #[test]
        fn never_panics(s in ".{0,40}", f in proptest::num::f64::ANY, i in any::<i64>()) {
            for v in [json!(s), json!(f), json!(i)] {
                let _ = to_int(&v);
                if let Ok(x) = to_float(&v) {
                    if x.is_nan() || x.abs() > MAX_SLEEP_SECS {
                        prop_assert!(sleep_float(x).is_err());
                    }
                }
                if let Ok(n) = to_int(&v) {
                    let _ = int_sleep_error(n);
                }
            }
        }
    }
}

//! `strftime(format, second=None, utc=False)`: Python's `time.strftime` of the controller's
//! local time (or UTC), now or at an epoch second.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local, TimeZone, Utc};
use minijinja::value::{Kwargs, Rest, Value};
use minijinja::Error;
use serde_json::Value as Json;

use crate::convert::{py_str, value_to_json};
use crate::filter_args::bind;
use crate::filters::fail;

fn format_at<Tz: TimeZone>(t: &DateTime<Tz>, fmt: &str) -> Result<String, Error>
where
    Tz::Offset: std::fmt::Display,
{
    let items: Vec<Item<'_>> = StrftimeItems::new(fmt).collect();
    // C's strftime leaves an unknown conversion as written; chrono refuses the whole format.
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(fail(
            "strftime",
            format!("unsupported format string {fmt:?}"),
        ));
    }
    let mut o = String::new();
    std::fmt::Write::write_fmt(
        &mut o,
        format_args!("{}", t.format_with_items(items.into_iter())),
    )
    .map_err(|e| fail("strftime", e))?;
    Ok(o)
}

pub(crate) fn strftime(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["second", "utc"], &args, &kwargs)?;
    let fmt = py_str(&value_to_json(&v)?);
    let utc = a[1].as_ref().is_some_and(Value::is_true);
    let second = match a[0].as_ref().map(value_to_json).transpose()? {
        None | Some(Json::Null) => None,
        Some(s) => {
            let f = match &s {
                Json::Number(n) => n.as_f64(),
                Json::Bool(b) => Some(f64::from(u8::from(*b))),
                Json::String(t) => t.trim().parse::<f64>().ok(),
                _ => None,
            };
            match f {
                Some(f) if f.is_finite() => Some(f),
                _ => {
                    return Err(fail(
                        "strftime",
                        format!("Invalid value for epoch value ({})", py_str(&s)),
                    ))
                }
            }
        }
    };
    let at = match second {
        // time.localtime truncates toward zero... of the float seconds.
        Some(s) => Utc
            .timestamp_opt(s.trunc() as i64, 0)
            .single()
            .ok_or_else(|| fail("strftime", "timestamp out of range for platform time_t"))?,
        None => Utc::now(),
    };
    let o = if utc {
        format_at(&at, &fmt)?
    } else {
        format_at(&at.with_timezone(&Local), &fmt)?
    };
    Ok(Value::from(o))
}

//! Jinja2 built-in filters minijinja does not have: `center truncate filesizeformat striptags`.

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Error, ErrorKind};
use serde_json::Value as Json;

use crate::convert::{py_str, value_to_json};
use crate::filter_args::{bind, opt};

fn text(v: &Value) -> Result<String, Error> {
    Ok(py_str(&value_to_json(v)?))
}

/// `str.center(width)`: CPython puts the odd space on the left when the width is odd.
pub(crate) fn center(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["width"], &args, &kwargs)?;
    let width: i64 = opt(a[0].as_ref())?.unwrap_or(80);
    let s = text(&v)?;
    let len = s.chars().count() as i64;
    if width <= len {
        return Ok(Value::from(s));
    }
    let marg = width - len;
    let left = marg / 2 + (marg & width & 1);
    let right = marg - left;
    Ok(Value::from(format!(
        "{}{s}{}",
        " ".repeat(left as usize),
        " ".repeat(right as usize)
    )))
}

/// `truncate(s, length=255, killwords=False, end='...', leeway=5)`.
pub(crate) fn truncate(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["length", "killwords", "end", "leeway"], &args, &kwargs)?;
    let length: i64 = opt(a[0].as_ref())?.unwrap_or(255);
    let killwords = a[1].as_ref().is_some_and(Value::is_true);
    let end = match a[2].as_ref() {
        Some(e) => text(e)?,
        None => "...".to_owned(),
    };
    let leeway: i64 = opt(a[3].as_ref())?.unwrap_or(5);
    let end_len = end.chars().count() as i64;
    if length < end_len {
        return Err(crate::filters::fail(
            "truncate",
            format!("expected length >= {end_len}, got {length}"),
        ));
    }
    if leeway < 0 {
        return Err(crate::filters::fail(
            "truncate",
            format!("expected leeway >= 0, got {leeway}"),
        ));
    }
    let s = text(&v)?;
    let chars: Vec<char> = s.chars().collect();
    if chars.len() as i64 <= length + leeway {
        return Ok(Value::from(s));
    }
    let head: String = chars[..(length - end_len) as usize].iter().collect();
    if killwords {
        return Ok(Value::from(format!("{head}{end}")));
    }
    let kept = head.rsplit_once(' ').map_or(head.as_str(), |(k, _)| k);
    Ok(Value::from(format!("{kept}{end}")))
}

/// `filesizeformat(value, binary=False)`.
pub(crate) fn filesizeformat(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["binary"], &args, &kwargs)?;
    let binary = a[0].as_ref().is_some_and(Value::is_true);
    let bytes = match value_to_json(&v)? {
        Json::Number(n) => n.as_f64().unwrap_or(0.0),
        Json::Bool(b) => f64::from(u8::from(b)),
        Json::String(s) => s.trim().parse::<f64>().map_err(|_| {
            crate::filters::fail(
                "filesizeformat",
                format!(
                    "could not convert string to float: {}",
                    crate::convert::py_str_repr(&s)
                ),
            )
        })?,
        other => {
            return Err(crate::filters::fail(
                "filesizeformat",
                format!(
                    "float() argument must be a string or a real number, not '{}'",
                    crate::convert::py_type(&other)
                ),
            ))
        }
    };
    let base = if binary { 1024.0 } else { 1000.0 };
    let prefixes = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    if bytes == 1.0 {
        return Ok(Value::from("1 Byte"));
    }
    if bytes < base {
        return Ok(Value::from(format!("{} Bytes", bytes.trunc() as i64)));
    }
    let mut unit = base;
    for (i, prefix) in prefixes.iter().enumerate() {
        unit = base.powi(i as i32 + 2);
        if bytes < unit || i + 1 == prefixes.len() {
            return Ok(Value::from(format!("{:.1} {prefix}", base * bytes / unit)));
        }
    }
    Ok(Value::from(format!("{:.1} YB", base * bytes / unit)))
}

/// `striptags`: comments and tags removed, entities decoded, whitespace collapsed.
pub(crate) fn striptags(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let re = regex::Regex::new(r"(?s)<!--.*?-->|<[^>]*>")
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let stripped = re.replace_all(&s, "");
    let words: Vec<&str> = stripped.split_whitespace().collect();
    Ok(Value::from(unescape(&words.join(" "))))
}

/// `html.unescape` for the named and numeric entities markup commonly holds.
fn unescape(s: &str) -> String {
    let re = match regex::Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);") {
        Ok(re) => re,
        Err(_) => return s.to_owned(),
    };
    re.replace_all(s, |c: &regex::Captures<'_>| {
        let name = &c[1];
        let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
            u32::from_str_radix(hex, 16).ok()
        } else if let Some(dec) = name.strip_prefix('#') {
            dec.parse().ok()
        } else {
            match name {
                "amp" => Some(38),
                "lt" => Some(60),
                "gt" => Some(62),
                "quot" => Some(34),
                "apos" => Some(39),
                "nbsp" => Some(160),
                _ => None,
            }
        };
        code.and_then(char::from_u32)
            .map_or_else(|| c[0].to_owned(), String::from)
    })
    .into_owned()
}

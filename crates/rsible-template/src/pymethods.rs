//! Python methods that templates call on values (`x.startswith('a')`, `d.items()`).

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};
use serde_json::Value as Json;

use crate::convert::{json_to_value, py_str, value_to_json};

fn unknown(method: &str, v: &Json) -> Error {
    Error::new(
        ErrorKind::UnknownMethod,
        format!(
            "object of type '{}' has no attribute '{method}'",
            crate::convert::py_type(v)
        ),
    )
}

fn str_arg(args: &[Value], i: usize) -> Result<Option<String>, Error> {
    match args.get(i) {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => Ok(Some(py_str(&value_to_json(v)?))),
    }
}

fn strip_chars<'a>(s: &'a str, chars: Option<&str>, left: bool, right: bool) -> &'a str {
    let pred = |c: char| match chars {
        Some(set) => set.contains(c),
        None => c.is_whitespace(),
    };
    let mut r = s;
    if left {
        r = r.trim_start_matches(pred);
    }
    if right {
        r = r.trim_end_matches(pred);
    }
    r
}

fn prefix_test(s: &str, arg: &Value, ends: bool) -> Result<bool, Error> {
    let options: Vec<String> = match value_to_json(arg)? {
        Json::Array(a) => a.iter().map(py_str).collect(),
        other => vec![py_str(&other)],
    };
    Ok(options.iter().any(|o| {
        if ends {
            s.ends_with(o.as_str())
        } else {
            s.starts_with(o.as_str())
        }
    }))
}

/// `str.format` with `{}`, `{0}` and `{{`/`}}`; format specs are ignored.
fn str_format(fmt: &str, args: &[Value]) -> Result<String, Error> {
    let mut out = String::new();
    let mut auto = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(x) => field.push(x),
                        None => {
                            return Err(Error::new(
                                ErrorKind::InvalidOperation,
                                "Single '{' encountered in format string",
                            ))
                        }
                    }
                }
                let name = field.split([':', '!']).next().unwrap_or("");
                let idx = if name.is_empty() {
                    auto += 1;
                    auto - 1
                } else {
                    name.parse::<usize>().map_err(|_| {
                        Error::new(ErrorKind::InvalidOperation, format!("KeyError: '{name}'"))
                    })?
                };
                let arg = args.get(idx).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("Replacement index {idx} out of range for positional args tuple"),
                    )
                })?;
                out.push_str(&py_str(&value_to_json(arg)?));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Result<Option<Value>, Error> {
    let a0 = || args.first().cloned().unwrap_or(Value::UNDEFINED);
    Ok(Some(match method {
        "startswith" => Value::from(prefix_test(s, &a0(), false)?),
        "endswith" => Value::from(prefix_test(s, &a0(), true)?),
        "strip" => Value::from(strip_chars(s, str_arg(args, 0)?.as_deref(), true, true)),
        "lstrip" => Value::from(strip_chars(s, str_arg(args, 0)?.as_deref(), true, false)),
        "rstrip" => Value::from(strip_chars(s, str_arg(args, 0)?.as_deref(), false, true)),
        "lower" => Value::from(s.to_lowercase()),
        "upper" => Value::from(s.to_uppercase()),
        "isdigit" => Value::from(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        "isalpha" => Value::from(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "replace" => {
            let from = str_arg(args, 0)?.unwrap_or_default();
            let to = str_arg(args, 1)?.unwrap_or_default();
            Value::from(s.replace(&from, &to))
        }
        "find" => {
            let sub = str_arg(args, 0)?.unwrap_or_default();
            Value::from(s.find(&sub).map_or(-1, |b| s[..b].chars().count() as i64))
        }
        "count" => {
            let sub = str_arg(args, 0)?.unwrap_or_default();
            Value::from(if sub.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(&sub).count()
            })
        }
        "splitlines" => Value::from(s.lines().map(str::to_owned).collect::<Vec<_>>()),
        "split" | "rsplit" => {
            let sep = str_arg(args, 0)?;
            let max = args.get(1).and_then(Value::as_i64).filter(|m| *m >= 0);
            let parts: Vec<String> = match (sep.as_deref(), max) {
                (None, _) => s.split_whitespace().map(str::to_owned).collect(),
                (Some(""), _) => {
                    return Err(Error::new(ErrorKind::InvalidOperation, "empty separator"))
                }
                (Some(p), Some(m)) if method == "split" => {
                    s.splitn(m as usize + 1, p).map(str::to_owned).collect()
                }
                (Some(p), Some(m)) => {
                    let mut v: Vec<String> =
                        s.rsplitn(m as usize + 1, p).map(str::to_owned).collect();
                    v.reverse();
                    v
                }
                (Some(p), None) => s.split(p).map(str::to_owned).collect(),
            };
            Value::from(parts)
        }
        "join" => {
            let items: Vec<String> = match value_to_json(&a0())? {
                Json::Array(a) => a.iter().map(py_str).collect(),
                other => vec![py_str(&other)],
            };
            Value::from(items.join(s))
        }
        "format" => Value::from(str_format(s, args)?),
        "capitalize" => {
            let mut c = s.chars();
            Value::from(match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect::<String>(),
                None => String::new(),
            })
        }
        _ => return Ok(None),
    }))
}

pub(crate) fn call_method(
    _state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    if let Some(s) = value.as_str() {
        if let Some(v) = string_method(s, method, args)? {
            return Ok(v);
        }
    }
    let j = value_to_json(value)?;
    match (&j, method) {
        (Json::Object(m), "keys") => Ok(Value::from(m.keys().cloned().collect::<Vec<_>>())),
        (Json::Object(m), "values") => {
            Ok(json_to_value(&Json::Array(m.values().cloned().collect())))
        }
        (Json::Object(m), "items") => Ok(json_to_value(&Json::Array(
            m.iter()
                .map(|(k, v)| Json::Array(vec![Json::String(k.clone()), v.clone()]))
                .collect(),
        ))),
        (Json::Object(_), "get") => {
            let key = args.first().cloned().unwrap_or(Value::UNDEFINED);
            match value.get_item(&key) {
                Ok(v) if !v.is_undefined() => Ok(v),
                _ => Ok(args.get(1).cloned().unwrap_or(Value::from(()))),
            }
        }
        (Json::Array(a), "index") => {
            let x = value_to_json(&args.first().cloned().unwrap_or(Value::UNDEFINED))?;
            a.iter()
                .position(|i| *i == x)
                .map(Value::from)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("{} is not in list", crate::convert::py_repr(&x)),
                    )
                })
        }
        (Json::Array(a), "count") => {
            let x = value_to_json(&args.first().cloned().unwrap_or(Value::UNDEFINED))?;
            Ok(Value::from(a.iter().filter(|i| **i == x).count()))
        }
        _ => Err(unknown(method, &j)),
    }
}

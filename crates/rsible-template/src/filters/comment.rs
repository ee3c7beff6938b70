//! `comment(text, style='plain', **kw)`: text turned into a comment block.

use minijinja::value::{Kwargs, Value};
use minijinja::Error;
use serde_json::Value as Json;

use crate::convert::{py_str, py_str_repr, py_type, value_to_json};
use crate::filters::fail;

const STYLES: &[(&str, &[(&str, &str)])] = &[
    ("plain", &[("decoration", "# ")]),
    ("erlang", &[("decoration", "% ")]),
    ("c", &[("decoration", "// ")]),
    (
        "cblock",
        &[("beginning", "/*"), ("decoration", " * "), ("end", " */")],
    ),
    (
        "xml",
        &[("beginning", "<!--"), ("decoration", " - "), ("end", "-->")],
    ),
];

/// Python's `int(x)` of a count parameter.
fn count(v: &Json) -> Result<usize, Error> {
    let n = match v {
        Json::Bool(b) => Some(i64::from(*b)),
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Json::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        // A negative count repeats nothing, as `str * -1` is ''.
        Some(n) => Ok(usize::try_from(n).unwrap_or(0)),
        None => Err(fail(
            "comment",
            format!(
                "invalid literal for int() with base 10: {}",
                py_str_repr(&py_str(v))
            ),
        )),
    }
}

pub(crate) fn comment(v: Value, style: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let style = match style {
        Some(s) => Some(s),
        None => kwargs.get::<Option<Value>>("style")?,
    };
    let style = style.map_or_else(|| "plain".to_owned(), |s| s.to_string());
    let Some((_, style_params)) = STYLES.iter().find(|(n, _)| *n == style) else {
        return Err(fail(
            "comment",
            format!("Invalid style {}.", py_str_repr(&style)),
        ));
    };
    let mut kw: Vec<(String, Json)> = Vec::new();
    for key in kwargs.args() {
        if key != "style" {
            let v: Value = kwargs.get(key)?;
            kw.push((key.to_owned(), value_to_json(&v)?));
        }
    }
    let given = |k: &str| kw.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let style_param = |k: &str| {
        style_params
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| Json::String((*v).to_owned()))
    };
    let prepostfix = given("decoration")
        .or_else(|| style_param("decoration"))
        .map_or_else(String::new, |d| py_str(&d));
    let param = |k: &str, default: Json| given(k).or_else(|| style_param(k)).unwrap_or(default);
    let s = |k: &str, default: &str| py_str(&param(k, Json::String(default.to_owned())));
    let newline = s("newline", "\n");
    let beginning = s("beginning", "");
    let prefix = s("prefix", prepostfix.trim_end());
    let prefix_count = count(&param("prefix_count", Json::from(1)))?;
    let decoration = s("decoration", "");
    let postfix = s("postfix", prepostfix.trim_end());
    let postfix_count = count(&param("postfix_count", Json::from(1)))?;
    let end = s("end", "");

    let text = match value_to_json(&v)? {
        Json::String(t) => t,
        other => {
            return Err(fail(
                "comment",
                format!("'{}' object has no attribute 'replace'", py_type(&other)),
            ))
        }
    };
    let mut o = String::new();
    if !beginning.is_empty() {
        o.push_str(&beginning);
        o.push_str(&newline);
    }
    if !prefix.is_empty() {
        let one = if prefix == newline {
            newline.clone()
        } else {
            format!("{prefix}{newline}")
        };
        o.push_str(&one.repeat(prefix_count));
    }
    let decorated = if newline.is_empty() {
        // Python's `str.replace('', x)` puts `x` between every character and at both ends.
        let mut d = decoration.repeat(2);
        for c in text.chars() {
            d.push(c);
            d.push_str(&format!("{newline}{decoration}"));
        }
        d
    } else {
        format!(
            "{decoration}{}",
            text.replace(&newline, &format!("{newline}{decoration}"))
        )
    };
    let lone = format!("{decoration}{newline}");
    let trimmed = format!("{}{newline}", decoration.trim_end());
    o.push_str(&if lone.is_empty() {
        decorated
    } else {
        decorated.replace(&lone, &trimmed)
    });
    for _ in 0..postfix_count {
        o.push_str(&newline);
        o.push_str(&postfix);
    }
    if !end.is_empty() {
        o.push_str(&newline);
        o.push_str(&end);
    }
    Ok(Value::from(o))
}

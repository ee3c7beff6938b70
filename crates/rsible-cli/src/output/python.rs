//! Python's own text forms of data: `json.dumps(..., sort_keys=True, ensure_ascii=False)` for
//! result dumps and `str()`/`repr()` for loop labels, because Ansible prints both verbatim.

use std::fmt::Write as _;

use serde_json::Value;

/// `json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False)`.
pub fn json_dumps(value: &Value, indent: Option<usize>) -> String {
    let mut out = String::new();
    write_json(&mut out, value, indent, 0, false);
    out
}

/// `json.dumps(value, indent=indent, sort_keys=True)`: Python's default `ensure_ascii=True`,
/// as Ansible's `_serialize_diff` uses it.
pub fn json_dumps_ascii(value: &Value, indent: Option<usize>) -> String {
    let mut out = String::new();
    write_json(&mut out, value, indent, 0, true);
    out
}

fn write_json(out: &mut String, value: &Value, indent: Option<usize>, depth: usize, ascii: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&json_number(n)),
        Value::String(s) => write_json_str(out, s, ascii),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, indent, depth + 1);
                write_json(out, item, indent, depth + 1, ascii);
            }
            close(out, indent, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                separator(out, i, indent, depth + 1);
                write_json_str(out, key, ascii);
                out.push_str(": ");
                write_json(out, &map[key.as_str()], indent, depth + 1, ascii);
            }
            close(out, indent, depth);
            out.push('}');
        }
    }
}

/// Python puts `", "` between items when compact and `",\n" + indent` when indenting.
fn separator(out: &mut String, index: usize, indent: Option<usize>, depth: usize) {
    match indent {
        Some(width) => {
            if index > 0 {
                out.push(',');
            }
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
        None => {
            if index > 0 {
                out.push_str(", ");
            }
        }
    }
}

fn close(out: &mut String, indent: Option<usize>, depth: usize) {
    if let Some(width) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(width * depth));
    }
}

fn json_number(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        return py_float(f);
    }
    n.to_string()
}

/// Python's `float.__repr__`: shortest round-trip digits, `1.0` not `1`, exponent past 1e16.
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// JSON string escaping as Python's encoder does it; with `ascii`, everything outside
/// printable ASCII becomes `\uXXXX` (UTF-16 surrogate pairs above the BMP).
fn write_json_str(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ascii && !(' '..='~').contains(&c)) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `str(value)`: strings as they are, everything else as `repr`.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr(value)` for the JSON-shaped data a result holds.
pub fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) if f.is_nan() => out.push_str("nan"),
            Some(f) if f.is_infinite() => out.push_str(if f > 0.0 { "inf" } else { "-inf" }),
            Some(f) => out.push_str(&py_float(f)),
            None => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_str_repr(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, k);
                out.push_str(": ");
                write_repr(out, v);
            }
            out.push('}');
        }
    }
}

/// `repr(str)`: single quotes unless the text holds `'` and no `"`.
fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected strings from python3: json.dumps(v, sort_keys=True, ensure_ascii=False[, indent=4]).
    #[test]
    fn dumps_compact_and_indented_like_python() {
        let v = json!({"b": [1, 2.5, {}], "a": "x\"\n", "c": null, "d": []});
        assert_eq!(
            json_dumps(&v, None),
            r#"{"a": "x\"\n", "b": [1, 2.5, {}], "c": null, "d": []}"#
        );
        assert_eq!(
            json_dumps(&v, Some(4)),
            "{\n    \"a\": \"x\\\"\\n\",\n    \"b\": [\n        1,\n        2.5,\n        {}\n    ],\n    \"c\": null,\n    \"d\": []\n}"
        );
    }

    // Expected from python3: json.dumps(v, sort_keys=True, indent=4).
    #[test]
    fn dumps_ascii_like_python() {
        let v = json!({"é": "\u{7f}ü😀\u{1}", "a": [1]});
        assert_eq!(
            json_dumps_ascii(&v, Some(4)),
            "{\n    \"a\": [\n        1\n    ],\n    \"\\u00e9\": \"\\u007f\\u00fc\\ud83d\\ude00\\u0001\"\n}"
        );
    }

    // Expected strings from python3: str(v) / repr(v).
    #[test]
    fn repr_like_python() {
        assert_eq!(py_str(&json!({"n": 1, "v": "x"})), "{'n': 1, 'v': 'x'}");
        assert_eq!(py_str(&json!("plain")), "plain");
        assert_eq!(
            py_str(&json!([true, null, 1.0, "it's"])),
            "[True, None, 1.0, \"it's\"]"
        );
        assert_eq!(py_float(1e20), "1e+20");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1e-5), "1e-05");
    }
}

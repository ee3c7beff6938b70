//! `json.dumps` as Python writes it (ensure_ascii, `repr` floats, its separators).

use serde_json::Value as Json;

use crate::convert::py_float;

fn write_str(o: &mut String, s: &str) {
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    o.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

fn newline(o: &mut String, indent: Option<usize>, level: usize) {
    if let Some(n) = indent {
        o.push('\n');
        o.push_str(&" ".repeat(n * level));
    }
}

fn write(
    o: &mut String,
    v: &Json,
    indent: Option<usize>,
    sort: bool,
    item_sep: &str,
    level: usize,
) {
    match v {
        Json::Null => o.push_str("null"),
        Json::Bool(b) => o.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let s = py_float(f);
                o.push_str(match s.as_str() {
                    "inf" => "Infinity",
                    "-inf" => "-Infinity",
                    "nan" => "NaN",
                    _ => &s,
                });
            } else {
                o.push_str(&n.to_string());
            }
        }
        Json::String(s) => write_str(o, s),
        Json::Array(a) => {
            if a.is_empty() {
                o.push_str("[]");
                return;
            }
            o.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    o.push_str(item_sep);
                }
                newline(o, indent, level + 1);
                write(o, item, indent, sort, item_sep, level + 1);
            }
            newline(o, indent, level);
            o.push(']');
        }
        Json::Object(m) => {
            if m.is_empty() {
                o.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Json)> = m.iter().collect();
            if sort {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            o.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    o.push_str(item_sep);
                }
                newline(o, indent, level + 1);
                write_str(o, k);
                o.push_str(": ");
                write(o, val, indent, sort, item_sep, level + 1);
            }
            newline(o, indent, level);
            o.push('}');
        }
    }
}

/// `json.dumps(v, indent=indent, sort_keys=sort, separators=(item_sep, ': '))`.
pub(crate) fn dumps(v: &Json, indent: Option<usize>, sort: bool, item_sep: &str) -> String {
    let mut o = String::new();
    write(&mut o, v, indent, sort, item_sep, 0);
    o
}

//! `json.dumps` as Python writes it (`repr` floats, its default separators), for the
//! `to_json` filters, module payloads and the CLI's result dumps alike.

use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::convert::py_float;

fn write_str(o: &mut String, s: &str, ensure_ascii: bool) {
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
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(o, "\\u{unit:04x}");
                }
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

/// What `json.dumps` is called with.
#[derive(Clone, Copy)]
struct Style {
    indent: Option<usize>,
    sort_keys: bool,
    ensure_ascii: bool,
}

impl Style {
    /// Python's default `item_separator`: `", "`, or `","` when indenting.
    fn item_separator(self) -> &'static str {
        if self.indent.is_some() {
            ","
        } else {
            ", "
        }
    }

    fn newline(self, o: &mut String, level: usize) {
        if let Some(n) = self.indent {
            o.push('\n');
            o.push_str(&" ".repeat(n * level));
        }
    }
}

fn write(o: &mut String, v: &Json, style: Style, level: usize) {
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
        Json::String(s) => write_str(o, s, style.ensure_ascii),
        Json::Array(a) => {
            if a.is_empty() {
                o.push_str("[]");
                return;
            }
            o.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    o.push_str(style.item_separator());
                }
                style.newline(o, level + 1);
                write(o, item, style, level + 1);
            }
            style.newline(o, level);
            o.push(']');
        }
        Json::Object(m) => {
            if m.is_empty() {
                o.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Json)> = m.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            o.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    o.push_str(style.item_separator());
                }
                style.newline(o, level + 1);
                write_str(o, k, style.ensure_ascii);
                o.push_str(": ");
                write(o, val, style, level + 1);
            }
            style.newline(o, level);
            o.push('}');
        }
    }
}

/// `json.dumps(v, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)`.
pub fn json_dumps(v: &Json, indent: Option<usize>, sort_keys: bool, ensure_ascii: bool) -> String {
    let mut o = String::new();
    let style = Style {
        indent,
        sort_keys,
        ensure_ascii,
    };
    write(&mut o, v, style, 0);
    o
}

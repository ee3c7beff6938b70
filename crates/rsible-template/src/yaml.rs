//! YAML as PyYAML writes it (`yaml.dump` with sorted keys) and reads it (YAML 1.1 scalars).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value as Json};

use crate::convert::py_float;

const WIDTH: usize = 80;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// `default_flow_style=None`: collections of scalars only are written inline.
    Auto,
    Always,
    Never,
}

struct Emitter {
    out: String,
    indent: usize,
    flow: Flow,
    sort_keys: bool,
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

/// A mapping's entries in the order PyYAML writes them: by key unless `sort_keys=False`.
fn entries(m: &Map<String, Json>, sort: bool) -> Vec<(&String, &Json)> {
    let mut e: Vec<_> = m.iter().collect();
    if sort {
        e.sort_by(|a, b| a.0.cmp(b.0));
    }
    e
}

/// True when PyYAML's implicit resolver would read `s` back as something other than a string.
fn resolves_to_non_str(s: &str) -> bool {
    !matches!(resolve_plain(s), Json::String(_))
}

fn int_like(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if body.is_empty() || body.starts_with('_') {
        return None;
    }
    let clean = body.replace('_', "");
    let n = if let Some(b) = clean.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if let Some(h) = clean.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if clean.len() > 1 && clean.starts_with('0') {
        i64::from_str_radix(&clean[1..], 8).ok()?
    } else if clean.chars().all(|c| c.is_ascii_digit()) && !clean.is_empty() {
        clean.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -n } else { n })
}

fn float_like(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let neg = s.starts_with('-');
    match body {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        ".nan" | ".NaN" | ".NAN" if s == body => return Some(f64::NAN),
        _ => {}
    }
    let re = regex::Regex::new(
        r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?)$",
    )
    .ok()?;
    if !re.is_match(s) {
        return None;
    }
    s.replace('_', "").parse().ok()
}

fn resolve_plain(s: &str) -> Json {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Json::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Json::Bool(false);
        }
        _ => {}
    }
    if let Some(i) = int_like(s) {
        return Json::from(i);
    }
    if let Some(f) = float_like(s) {
        if let Some(n) = serde_json::Number::from_f64(f) {
            return Json::Number(n);
        }
        return Json::String(s.to_owned());
    }
    Json::String(s.to_owned())
}

fn plain_allowed(s: &str, flow: bool) -> bool {
    if s.is_empty() || resolves_to_non_str(s) {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    let second = s.chars().nth(1);
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    if "-?:".contains(first) && second.is_none_or(|c| c == ' ') {
        return false;
    }
    if s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains('\n')
        || s.contains('\t')
    {
        return false;
    }
    if flow && s.chars().any(|c| ",?[]{}".contains(c)) {
        return false;
    }
    !s.chars().any(|c| c.is_control())
}

fn double_quoted(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            '\0' => o.push_str("\\0"),
            c if c.is_control() => o.push_str(&format!("\\x{:02X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

impl Emitter {
    fn column(&self) -> usize {
        self.out.len() - self.out.rfind('\n').map_or(0, |i| i + 1)
    }

    /// Writes words, breaking a single space into a new line past the width (PyYAML's folding).
    fn write_folded(&mut self, s: &str, cont_indent: usize) {
        let mut first = true;
        for word in s.split(' ') {
            if !first {
                if self.column() > WIDTH && !word.is_empty() && !self.out.ends_with(' ') {
                    self.out.push('\n');
                    self.out.push_str(&" ".repeat(cont_indent));
                } else {
                    self.out.push(' ');
                }
            }
            first = false;
            self.out.push_str(word);
        }
    }

    fn scalar(&mut self, v: &Json, flow: bool, cont_indent: usize) {
        match v {
            Json::Null => self.out.push_str("null"),
            Json::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let r = py_float(f).to_lowercase();
                let r = match r.as_str() {
                    "inf" => ".inf".to_owned(),
                    "-inf" => "-.inf".to_owned(),
                    "nan" => ".nan".to_owned(),
                    _ if !r.contains('.') && r.contains('e') => r.replacen('e', ".0e", 1),
                    _ => r,
                };
                self.out.push_str(&r);
            }
            Json::Number(n) => self.out.push_str(&n.to_string()),
            Json::String(s) => {
                if plain_allowed(s, flow) {
                    self.write_folded(s, cont_indent);
                } else if s.chars().any(|c| c.is_control() && c != '\n') {
                    self.out.push_str(&double_quoted(s));
                } else {
                    self.out.push('\'');
                    let body = s.replace('\'', "''");
                    let mut rest = body.as_str();
                    while let Some(i) = rest.find('\n') {
                        self.write_folded(&rest[..i], cont_indent);
                        let after = &rest[i..];
                        let run = after.len() - after.trim_start_matches('\n').len();
                        // PyYAML folds a run of n line breaks into n + 1, then indents.
                        self.out.push_str(&"\n".repeat(run + 1));
                        self.out.push_str(&" ".repeat(cont_indent));
                        rest = &after[run..];
                    }
                    self.write_folded(rest, cont_indent);
                    self.out.push('\'');
                }
            }
            _ => {}
        }
    }

    /// A flow collection inside a node whose block indent is `parent`.
    fn flow_node(&mut self, v: &Json, parent: usize) {
        let inner = parent + self.indent;
        let cont_indent = inner + self.indent;
        match v {
            Json::Array(a) => {
                self.out.push('[');
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.flow_node(item, inner);
                }
                self.out.push(']');
            }
            Json::Object(m) => {
                self.out.push('{');
                for (i, (k, val)) in entries(m, self.sort_keys).into_iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.scalar(&Json::String(k.clone()), true, cont_indent);
                    self.out.push_str(": ");
                    self.flow_node(val, inner);
                }
                self.out.push('}');
            }
            other => self.scalar(other, true, parent + self.indent),
        }
    }

    fn wants_flow(&self, v: &Json) -> bool {
        match v {
            Json::Array(a) => {
                a.is_empty()
                    || self.flow == Flow::Always
                    || (self.flow == Flow::Auto && a.iter().all(is_scalar))
            }
            Json::Object(m) => {
                m.is_empty()
                    || self.flow == Flow::Always
                    || (self.flow == Flow::Auto && m.values().all(is_scalar))
            }
            _ => false,
        }
    }

    /// Writes `v` as a block node whose lines start at column `col`; the caller has written
    /// what precedes it on the current line.
    fn block(&mut self, v: &Json, col: usize) {
        match v {
            Json::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        self.newline(col);
                    }
                    if is_scalar(item) || self.wants_flow(item) {
                        self.out.push_str("- ");
                        self.node(item, col);
                    } else {
                        self.out.push('-');
                        self.out.push_str(&" ".repeat(self.indent - 1));
                        self.block(item, col + self.indent);
                    }
                }
            }
            Json::Object(m) => {
                for (i, (k, val)) in entries(m, self.sort_keys).into_iter().enumerate() {
                    if i > 0 {
                        self.newline(col);
                    }
                    self.scalar(&Json::String(k.clone()), false, col + self.indent);
                    self.out.push(':');
                    match val {
                        Json::Array(a) if !self.wants_flow(val) && !a.is_empty() => {
                            // PyYAML writes a sequence under a key without extra indentation.
                            self.newline(col);
                            self.block(val, col);
                        }
                        Json::Object(_) if !self.wants_flow(val) => {
                            self.newline(col + self.indent);
                            self.block(val, col + self.indent);
                        }
                        _ => {
                            self.out.push(' ');
                            self.node(val, col);
                        }
                    }
                }
            }
            other => self.scalar(other, false, col),
        }
    }

    fn newline(&mut self, col: usize) {
        self.out.push('\n');
        self.out.push_str(&" ".repeat(col));
    }

    /// A scalar or flow node inside a block node whose indent is `parent`.
    fn node(&mut self, v: &Json, parent: usize) {
        if is_scalar(v) {
            self.scalar(v, false, parent + self.indent);
        } else {
            self.flow_node(v, parent);
        }
    }
}

/// `yaml.dump(v, indent=indent, default_flow_style=…, sort_keys=…, allow_unicode=True)`.
pub(crate) fn dump_with(v: &Json, indent: usize, flow: Flow, sort_keys: bool) -> String {
    let indent = indent.clamp(2, 9);
    let mut e = Emitter {
        out: String::new(),
        indent,
        flow,
        sort_keys,
    };
    if is_scalar(v) || e.wants_flow(v) {
        // A top-level node starts with no indent; PyYAML then indents its insides as flow.
        e.node(v, 0);
    } else {
        e.block(v, 0);
    }
    e.out.push('\n');
    e.out
}

enum Frame {
    Seq(Vec<Json>, usize),
    Map(Map<String, Json>, Option<String>, usize),
}

/// `yaml.safe_load`: the first document, with YAML 1.1 scalars.
pub(crate) fn load(text: &str) -> Result<Json, String> {
    Ok(load_docs(text, false)?
        .into_iter()
        .next()
        .unwrap_or(Json::Null))
}

/// `yaml.safe_load_all`: every document (an empty one is `None`).
pub(crate) fn load_all(text: &str) -> Result<Vec<Json>, String> {
    load_docs(text, true)
}

fn load_docs(text: &str, all: bool) -> Result<Vec<Json>, String> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Json> = HashMap::new();
    let mut result: Option<Json> = None;
    for ev in Parser::new_from_str(text) {
        let (ev, _span) = ev.map_err(|e| e.to_string())?;
        let (value, anchor) = match ev {
            Event::SequenceStart(id, _) => {
                stack.push(Frame::Seq(Vec::new(), id));
                continue;
            }
            Event::MappingStart(id, _) => {
                stack.push(Frame::Map(Map::new(), None, id));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(v, id)) => (Json::Array(v), id),
                Some(Frame::Map(m, _, id)) => (Json::Object(m), id),
                None => return Err("unbalanced YAML events".into()),
            },
            Event::Scalar(s, style, id, tag) => {
                let v = match (&tag, style) {
                    (Some(t), _) if t.suffix == "str" => Json::String(s.into_owned()),
                    (_, ScalarStyle::Plain) => resolve_plain(&s),
                    _ => Json::String(s.into_owned()),
                };
                (v, id)
            }
            Event::Alias(id) => (anchors.get(&id).cloned().unwrap_or(Json::Null), 0),
            Event::DocumentEnd => {
                if all {
                    docs.push(result.take().unwrap_or(Json::Null));
                } else if result.is_some() {
                    break;
                }
                continue;
            }
            _ => continue,
        };
        if anchor > 0 {
            anchors.insert(anchor, value.clone());
        }
        match stack.last_mut() {
            Some(Frame::Seq(v, _)) => v.push(value),
            Some(Frame::Map(m, key, _)) => match key.take() {
                Some(k) => {
                    if k == "<<" {
                        if let Json::Object(src) = value {
                            for (a, b) in src {
                                m.entry(a).or_insert(b);
                            }
                        }
                    } else {
                        m.insert(k, value);
                    }
                }
                None => {
                    *key = Some(match value {
                        Json::String(s) => s,
                        other => crate::convert::py_str(&other),
                    })
                }
            },
            None => result = Some(value),
        }
    }
    if !all {
        docs.push(result.unwrap_or(Json::Null));
    }
    Ok(docs)
}

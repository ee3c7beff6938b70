//! The YAML loader: saphyr-parser's event stream → [`Node`] trees with spans.
//!
//! Anchors, aliases and `<<` merge keys are handled here, and plain scalars are resolved by
//! PyYAML's YAML 1.1 rules so values mean what they mean to Ansible.

use std::collections::HashMap;
use std::path::Path;

use rsible_source::{Position, SourceId, SourceMap, Span};
use saphyr_parser::{Event, Marker, Parser, ScanError, StrInput, Tag};

use crate::resolve::resolve_plain;
use crate::yaml_error::{line_hint, scan_error_message};
use crate::{Node, NodeKind, ParseError, ScalarStyle};

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;
/// Alias expansion past this many nodes is refused ("billion laughs").
const MAX_NODES: usize = 1_000_000;

/// Loads every document of a YAML file; the file is registered in the `SourceMap`.
pub fn load_yaml_file(path: &Path) -> Result<Vec<Node>, ParseError> {
    let text = crate::vault::read_text(path)?;
    load_yaml_str(path, &text)
}

/// Loads every document of a YAML text registered under `path`.
pub fn load_yaml_str(path: &Path, text: &str) -> Result<Vec<Node>, ParseError> {
    let source = SourceMap::add(path, text);
    load_yaml_source(source, text)
}

/// Loads every document of a text already registered as `source`.
///
/// PyYAML ignores indentation inside flow collections (`x: {` … `}` closed in column 0), where
/// the YAML spec and saphyr-parser want it deeper than the parent: such a line is indented
/// and the text loaded again, so Ansible's files load as they do there (positions on a
/// re-indented line shift by the added spaces).
pub fn load_yaml_source(source: SourceId, text: &str) -> Result<Vec<Node>, ParseError> {
    let first = load_once(source, text);
    let Err(err) = &first else {
        return first;
    };
    let mut fixed = text.to_owned();
    let mut line = flow_indent_error_line(err);
    for _ in 0..64 {
        let Some(n) = line.filter(|&n| inside_flow(&fixed, n)) else {
            break;
        };
        fixed = indent_line(&fixed, n);
        match load_once(source, &fixed) {
            Ok(docs) => return Ok(docs),
            Err(e) => line = flow_indent_error_line(&e),
        }
    }
    first
}

/// The 1-based line of an indentation error, the kind PyYAML would not raise in flow context.
fn flow_indent_error_line(e: &ParseError) -> Option<u32> {
    match e {
        ParseError::Yaml { message, span, .. } if message.contains("invalid indentation") => {
            Some(span.start.line)
        }
        _ => None,
    }
}

/// Whether line `line` (1-based) starts inside a `[`/`{` collection, skipping quoted strings
/// and comments.
fn inside_flow(text: &str, line: u32) -> bool {
    let before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    let mut chars = text[..before.min(text.len())].chars().peekable();
    while let Some(c) = chars.next() {
        if comment {
            comment = c != '\n';
        } else if let Some(q) = quote {
            if q == '"' && c == '\\' {
                chars.next();
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' if depth > 0 || matches!(prev, ' ' | ':' | '\n' | '-') => {
                    quote = Some(c)
                }
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        prev = c;
    }
    depth > 0
}

/// `text` with two more spaces at the start of line `line` (1-based).
fn indent_line(text: &str, line: u32) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            out.push_str("  ");
        }
        out.push_str(l);
    }
    out
}

fn load_once(source: SourceId, text: &str) -> Result<Vec<Node>, ParseError> {
    let mut loader = Loader {
        parser: Parser::new_from_str(text),
        source,
        anchors: HashMap::new(),
        nodes: 0,
        last: Position::new(1, 1),
    };
    loader.stream()
}

/// Converts a saphyr marker (1-based line, 0-based column) to a [`Position`].
pub(crate) fn position(mark: Marker) -> Position {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "files are far below 4G lines"
    )]
    Position::new(mark.line().max(1) as u32, mark.col() as u32 + 1)
}

struct Loader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    source: SourceId,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    last: Position,
}

impl<'a> Loader<'a> {
    fn span(&self, s: saphyr_parser::Span) -> Span {
        Span::new(self.source, position(s.start), position(s.end))
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => {
                let span = self.span(span);
                self.last = span.end;
                Ok((event, span))
            }
            Some(Err(e)) => Err(self.scan_error(&e)),
            None => Err(ParseError::Yaml {
                message: "unexpected end of stream".to_owned(),
                span: Span::point(self.source, self.last),
                hint: None,
            }),
        }
    }

    fn scan_error(&self, e: &ScanError) -> ParseError {
        let text = SourceMap::get(self.source).map(|f| f.text.clone());
        let (message, at, hint) = scan_error_message(e, text.as_deref().unwrap_or(""));
        ParseError::Yaml {
            message,
            span: Span::point(self.source, at),
            hint,
        }
    }

    fn stream(&mut self) -> Result<Vec<Node>, ParseError> {
        let mut docs = Vec::new();
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(docs),
                Event::DocumentStart(_) => {
                    // Anchors do not reach across documents.
                    self.anchors.clear();
                    let (event, span) = self.next()?;
                    docs.push(self.node(event, span, 0)?);
                }
                _ => {
                    return Err(ParseError::Yaml {
                        message: "expected a document".to_owned(),
                        span,
                        hint: None,
                    })
                }
            }
        }
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), ParseError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(ParseError::Yaml {
                message: "too many nodes after expanding aliases".to_owned(),
                span,
                hint: None,
            });
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::Yaml {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span,
                hint: None,
            });
        }
        self.count(1, span)?;
        let (node, anchor) = match event {
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
                    return Err(undefined_alias(span));
                };
                // Counted before cloning, so an alias bomb stops before it takes the memory.
                self.count(size, span)?;
                let Some((target, _)) = self.anchors.get(&id) else {
                    return Err(undefined_alias(span));
                };
                // The alias's own position is more useful in messages than the anchor's.
                let mut node = target.clone();
                node.span = span;
                return Ok(node);
            }
            Event::Scalar(value, style, anchor, tag) => {
                (scalar(&value, style, tag.as_deref(), span)?, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), span, "!!seq")?;
                let start = self.nodes;
                let mut items = Vec::new();
                let end = loop {
                    let (event, ispan) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break ispan;
                    }
                    items.push(self.node(event, ispan, depth + 1)?);
                };
                let node = Node {
                    kind: NodeKind::Seq(items),
                    span: Span::new(self.source, span.start, end.end.max(span.start)),
                    style: None,
                    untrusted: false,
                };
                self.remember(anchor, node.clone(), start);
                return Ok(node);
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), span, "!!map")?;
                let start = self.nodes;
                let node = self.mapping(span, depth)?;
                self.remember(anchor, node.clone(), start);
                return Ok(node);
            }
            _ => {
                return Err(ParseError::Yaml {
                    message: "expected a node".to_owned(),
                    span,
                    hint: None,
                })
            }
        };
        self.remember(anchor, node.clone(), self.nodes);
        Ok(node)
    }

    fn remember(&mut self, anchor: usize, node: Node, start: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node, self.nodes - start));
        }
    }

    fn mapping(&mut self, span: Span, depth: usize) -> Result<Node, ParseError> {
        let mut merged: Vec<(Node, Node)> = Vec::new();
        let mut own: Vec<(Node, Node)> = Vec::new();
        let end = loop {
            let (event, kspan) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break kspan;
            }
            let is_merge = matches!(
                &event,
                Event::Scalar(v, saphyr_parser::ScalarStyle::Plain, _, None) if v == "<<"
            );
            let key = self.node(event, kspan, depth + 1)?;
            if matches!(key.kind, NodeKind::Map(_) | NodeKind::Seq(_)) {
                return Err(self.unhashable(&key));
            }
            let (event, vspan) = self.next()?;
            let value = self.node(event, vspan, depth + 1)?;
            if is_merge {
                merge_into(&mut merged, &value)?;
                continue;
            }
            if let Some(pos) = own.iter().position(|(k, _)| same_key(k, &key)) {
                // Ansible (PyYAML) keeps the last value and only warns.
                let first = own.remove(pos).0;
                rsible_source::push_warning(
                    rsible_source::Diagnostic::warning(format!(
                        "duplicate mapping key `{}`: the last value is used",
                        key.key_string()
                    ))
                    .with_span(Some(key.span))
                    .with_note(format!("first defined at {}", first.span)),
                );
            }
            own.push((key, value));
        };
        // Keys written in the mapping win over merged ones, which keep their place.
        for (key, value) in own {
            if let Some(slot) = merged.iter_mut().find(|(k, _)| same_key(k, &key)) {
                *slot = (key, value);
            } else {
                merged.push((key, value));
            }
        }
        Ok(Node {
            kind: NodeKind::Map(merged),
            span: Span::new(self.source, span.start, end.end.max(span.start)),
            style: None,
            untrusted: false,
        })
    }
}

impl Loader<'_> {
    /// PyYAML refuses mapping and list keys; they are nearly always an unquoted `{{ }}`.
    fn unhashable(&self, key: &Node) -> ParseError {
        let line = SourceMap::line(self.source, key.span.start.line).unwrap_or_default();
        ParseError::Yaml {
            message: "while constructing a mapping, found unhashable key".to_owned(),
            span: key.span,
            hint: line_hint(&line),
        }
    }
}

fn undefined_alias(span: Span) -> ParseError {
    ParseError::Yaml {
        message: "found undefined alias".to_owned(),
        span,
        hint: None,
    }
}

/// Map keys compare by value, as Python dict keys do (`1` and `1.0` aside).
fn same_key(a: &Node, b: &Node) -> bool {
    a.kind == b.kind
}

/// Whether two merged keys are the same Python object to PyYAML 6.0.4's `flatten_mapping`,
/// which skips a merged key only then. CPython shares one-character strings, so for those the
/// first map wins; any other key from a later map overrides (as `dict()` keeps the last value
/// at the first position).
fn first_merge_wins(key: &Node) -> bool {
    key.as_str().is_some_and(|s| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| u32::from(c) < 256) && chars.next().is_none()
    })
}

/// `<<: *x` or `<<: [*x, *y]`, with PyYAML's precedence between the merged maps.
fn merge_into(merged: &mut Vec<(Node, Node)>, value: &Node) -> Result<(), ParseError> {
    let maps: Vec<&Node> = match &value.kind {
        NodeKind::Map(_) => vec![value],
        NodeKind::Seq(items) => items.iter().collect(),
        _ => {
            return Err(ParseError::Yaml {
                message: format!(
                    "expected a mapping or list of mappings for merging, but found {}",
                    value.type_name()
                ),
                span: value.span,
                hint: None,
            })
        }
    };
    for map in maps {
        let Some(pairs) = map.as_map() else {
            return Err(ParseError::Yaml {
                message: format!(
                    "expected a mapping for merging, but found {}",
                    map.type_name()
                ),
                span: map.span,
                hint: None,
            });
        };
        for (k, v) in pairs {
            match merged.iter_mut().find(|(mk, _)| same_key(mk, k)) {
                None => merged.push((k.clone(), v.clone())),
                Some(slot) if !first_merge_wins(k) => slot.1 = v.clone(),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

fn is_core(tag: &Tag, name: &str) -> bool {
    (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!") && tag.suffix == name
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

fn check_collection_tag(tag: Option<&Tag>, span: Span, name: &str) -> Result<(), ParseError> {
    match tag {
        None => Ok(()),
        Some(t) if is_core(t, &name[2..]) || t.handle == "!" && t.suffix == "unsafe" => Ok(()),
        Some(t) => Err(ParseError::Yaml {
            message: format!(
                "could not determine a constructor for the tag '{}'",
                tag_text(t)
            ),
            span,
            hint: None,
        }),
    }
}

fn scalar(
    value: &str,
    style: saphyr_parser::ScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<Node, ParseError> {
    let style = match style {
        saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
        saphyr_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        saphyr_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        saphyr_parser::ScalarStyle::Literal => ScalarStyle::Literal,
        saphyr_parser::ScalarStyle::Folded => ScalarStyle::Folded,
    };
    let string = || NodeKind::Str(value.to_owned());
    let kind = match tag {
        None if style == ScalarStyle::Plain => resolve_plain(value),
        None => string(),
        // `!unsafe` only marks strings as untemplatable; the value is otherwise untouched.
        Some(t) if t.handle == "!" && t.suffix == "unsafe" => string(),
        Some(t) if is_vault(t) => NodeKind::Str(crate::vault::scalar_plaintext(value, span)),
        Some(t) if is_core(t, "str") => string(),
        Some(t) if is_core(t, "null") || is_core(t, "bool") || is_core(t, "int") => {
            let kind = resolve_plain(value);
            let ok = match &kind {
                NodeKind::Null => is_core(t, "null"),
                NodeKind::Bool(_) => is_core(t, "bool"),
                NodeKind::Int(_) | NodeKind::UInt(_) => is_core(t, "int"),
                _ => false,
            };
            if !ok {
                return Err(bad_tagged(t, value, span));
            }
            kind
        }
        Some(t) if is_core(t, "float") => match resolve_plain(value) {
            NodeKind::Float(f) => NodeKind::Float(f),
            #[expect(clippy::cast_precision_loss, reason = "Python's float(int) too")]
            NodeKind::Int(i) => NodeKind::Float(i as f64),
            #[expect(clippy::cast_precision_loss, reason = "Python's float(int) too")]
            NodeKind::UInt(u) => NodeKind::Float(u as f64),
            _ => return Err(bad_tagged(t, value, span)),
        },
        Some(t) => {
            return Err(ParseError::Yaml {
                message: format!(
                    "could not determine a constructor for the tag '{}'",
                    tag_text(t)
                ),
                span,
                hint: None,
            })
        }
    };
    // A vaulted value is never templated (ansible-core drops its trust mark).
    let untrusted =
        matches!(tag, Some(t) if t.handle == "!" && t.suffix == "unsafe" || is_vault(t));
    let style = matches!(kind, NodeKind::Str(_)).then_some(style);
    Ok(Node {
        kind,
        span,
        style,
        untrusted,
    })
}

/// `!vault`, and its deprecated spelling `!vault-encrypted`.
fn is_vault(tag: &Tag) -> bool {
    tag.handle == "!" && matches!(tag.suffix.as_str(), "vault" | "vault-encrypted")
}

fn bad_tagged(tag: &Tag, value: &str, span: Span) -> ParseError {
    ParseError::Yaml {
        message: format!("`{value}` is not a valid `{}` value", tag_text(tag)),
        span,
        hint: None,
    }
}

#[cfg(test)]
mod flow_indent_tests {
    use super::*;

    #[test]
    fn a_flow_mapping_closed_in_column_0_loads_as_in_pyyaml() {
        let docs =
            load_yaml_str(Path::new("flow.yml"), "x: {\n  a: 1\n}\ny: [\n1, 2\n]\n").unwrap();
        let v = docs[0].to_value();
        assert_eq!(v["x"]["a"], 1);
        assert_eq!(v["y"][1], 2);
    }

    #[test]
    fn block_indentation_errors_stay_errors() {
        assert!(load_yaml_str(Path::new("bad.yml"), "a:\n  b: 1\n c: 2\n").is_err());
    }
}

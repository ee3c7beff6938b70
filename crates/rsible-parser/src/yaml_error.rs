//! saphyr-parser's scan errors, reworded as libyaml (Ansible's YAML parser) words them, with
//! the advice Ansible adds for the usual mistakes.

use std::sync::OnceLock;

use regex::Regex;
use rsible_source::Position;
use saphyr_parser::ScanError;

use crate::yaml::position;

/// What to report for a scan error in `text`: message, position, hint.
pub(crate) fn scan_error_message(e: &ScanError, text: &str) -> (String, Position, Option<String>) {
    let at = position(*e.marker());
    let info = e.info();
    let line = text.lines().nth(at.line as usize - 1).unwrap_or_default();
    if info.contains("tab") {
        return (
            "found character '\\t' that cannot start any token".to_owned(),
            first_tab(text, at).unwrap_or(at),
            Some("tabs are usually invalid in YAML: indent with spaces".to_owned()),
        );
    }
    let message = match info {
        "while parsing node, found unknown anchor" => "found undefined alias".to_owned(),
        "invalid indentation in quoted scalar" if !closes_quote(text, e.marker().index()) => {
            "while scanning a quoted scalar, found unexpected end of stream".to_owned()
        }
        other => other.to_owned(),
    };
    (message, at, line_hint(line))
}

/// The first tab at or after the error's line. libyaml points at the tab itself; saphyr may
/// point past it, or at the start of the scalar the tab breaks.
fn first_tab(text: &str, at: Position) -> Option<Position> {
    text.lines()
        .enumerate()
        .skip(at.line as usize - 1)
        .find_map(|(i, line)| {
            let col = line.chars().position(|c| c == '\t')?;
            Some(Position::new(
                u32::try_from(i + 1).ok()?,
                u32::try_from(col + 1).ok()?,
            ))
        })
}

/// Ansible's `AnsibleYAMLParserError` advice, keyed on the line the error is on.
pub(crate) fn line_hint(line: &str) -> Option<String> {
    static TEMPLATE: OnceLock<Option<Regex>> = OnceLock::new();
    static COLON: OnceLock<Option<Regex>> = OnceLock::new();
    let template = TEMPLATE
        .get_or_init(|| Regex::new(r"^\s*(?:-\s+)*(?:[\w\s]+:\s+)?\{\{.*\}\}").ok())
        .as_ref()?;
    if template.is_match(line) {
        return Some(
            "this may be an issue with missing quotes around a template block: write \
             `raw: \"{{ some_var }}\"`, not `raw: {{ some_var }}`"
                .to_owned(),
        );
    }
    let colon = COLON
        .get_or_init(|| Regex::new(r"^\s*(?:-\s+)*(?:[\w\s\[\]{}]+:\s+)?(.*)$").ok())
        .as_ref()?;
    let value = colon.captures(line)?.get(1)?.as_str();
    let unquoted = !(value.starts_with('"') || value.starts_with('\''));
    let bad_colon = value.contains(": ") || value.ends_with(':');
    (unquoted && bad_colon && !line.trim_start().starts_with(':')).then(|| {
        "colons in unquoted values must be followed by a non-space character: write \
         `raw: \"echo 'name: ansible'\"`, not `raw: echo 'name: ansible'`"
            .to_owned()
    })
}

/// Whether the quoted scalar opening at char index `start` is ever closed.
fn closes_quote(text: &str, start: usize) -> bool {
    let mut chars = text.chars().skip(start);
    let Some(quote) = chars.next() else {
        return false;
    };
    let mut escaped = false;
    for c in chars {
        if quote == '"' && c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == quote && !escaped {
            return true;
        }
        escaped = false;
    }
    false
}

//! INI inventories, read as Ansible's `plugins/inventory/ini.py` reads them.
//!
//! ```ini
//! web[01:02] ansible_user=deploy
//! [db]
//! db1 ansible_port=2222 tier='gold'
//! [prod:children]
//! db
//! [prod:vars]
//! region=eu
//! ```

use rsible_source::{Position, SourceId, Span};
use serde_json::Value;

use crate::host_range::{expand_hosts, split_port};
use crate::inventory::Inventory;
use crate::py_literal::parse_ini_value;
use crate::ParseError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Hosts,
    Children,
    Vars,
}

/// A group named before it was defined, remembered until the end of the file.
struct Pending {
    line: u32,
    section: Section,
    parents: Vec<String>,
}

fn error(source: SourceId, line: u32, message: String) -> ParseError {
    ParseError::Invalid {
        message,
        span: Span::point(source, Position::new(line, 1)),
        hint: None,
    }
}

/// `[name]` or `[name:kind]`, optionally followed by a comment.
fn section_header(line: &str) -> Option<(&str, Option<&str>)> {
    let inner = line.strip_prefix('[')?;
    let close = inner.find(']')?;
    let rest = inner[close + 1..].trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    let body = &inner[..close];
    let (name, kind) = match body.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (body, None),
    };
    let name_ok = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == ']');
    let kind_ok =
        kind.is_none_or(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'));
    (name_ok && kind_ok).then_some((name, kind))
}

/// A line of group names under `[x:children]`: one name, then only a comment.
fn group_name(line: &str) -> Option<&str> {
    let end = line
        .find(|c: char| c.is_whitespace() || c == ':' || c == ']')
        .unwrap_or(line.len());
    let rest = line[end..].trim_start();
    (end > 0 && (rest.is_empty() || rest.starts_with('#'))).then_some(&line[..end])
}

pub(crate) fn parse_ini(
    inv: &mut Inventory,
    source: SourceId,
    text: &str,
) -> Result<(), ParseError> {
    let mut group = "ungrouped".to_owned();
    let mut section = Section::Hosts;
    let mut pending: Vec<(String, Pending)> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((name, kind)) = section_header(line) {
            section = match kind.unwrap_or("hosts") {
                "hosts" => Section::Hosts,
                "children" => Section::Children,
                "vars" => Section::Vars,
                other => {
                    return Err(error(
                        source,
                        line_no,
                        format!("Section [{name}:{other}] has unknown type: {other}"),
                    ))
                }
            };
            group = name.to_owned();
            if !inv.groups.contains_key(&group) {
                if section == Section::Vars && !pending.iter().any(|(n, _)| *n == group) {
                    pending.push((
                        group.clone(),
                        Pending {
                            line: line_no,
                            section,
                            parents: Vec::new(),
                        },
                    ));
                }
                inv.add_group(&group);
            }
            if section != Section::Vars {
                if let Some(i) = pending.iter().position(|(n, _)| *n == group) {
                    let (_, decl) = pending.remove(i);
                    for parent in decl.parents {
                        inv.add_child(&parent, &group);
                    }
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(error(
                source,
                line_no,
                format!(
                    "Invalid section entry: '{line}'. Please make sure that there are no spaces \
                     in the section entry, and that there are no other invalid characters"
                ),
            ));
        }
        match section {
            Section::Hosts => host_line(inv, source, line_no, line, &group)?,
            Section::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(error(
                        source,
                        line_no,
                        format!("Expected key=value, got: {line}"),
                    ));
                };
                let value = parse_ini_value(v.trim());
                if let Some(g) = inv.groups.get_mut(&group) {
                    g.vars.insert(k.trim().to_owned(), value);
                }
            }
            Section::Children => {
                let Some(child) = group_name(line) else {
                    return Err(error(
                        source,
                        line_no,
                        format!("Expected group name, got: {line}"),
                    ));
                };
                if inv.groups.contains_key(child) {
                    inv.add_child(&group, child);
                } else if let Some((_, decl)) = pending.iter_mut().find(|(n, _)| n == child) {
                    decl.parents.push(group.clone());
                } else {
                    pending.push((
                        child.to_owned(),
                        Pending {
                            line: line_no,
                            section,
                            parents: vec![group.clone()],
                        },
                    ));
                }
            }
        }
    }
    if let Some((name, decl)) = pending.into_iter().next() {
        let message = match decl.section {
            Section::Vars => {
                format!("Section [{name}:vars] not valid for undefined group '{name}'")
            }
            _ => format!(
                "Section [{}:children] includes undefined group '{name}'",
                decl.parents.last().map_or("", String::as_str)
            ),
        };
        return Err(error(source, decl.line, message));
    }
    Ok(())
}

fn host_line(
    inv: &mut Inventory,
    source: SourceId,
    line_no: u32,
    line: &str,
    group: &str,
) -> Result<(), ParseError> {
    let tokens = shell_words(line).map_err(|e| {
        error(
            source,
            line_no,
            format!("Error parsing host definition '{line}': {e}"),
        )
    })?;
    let Some(first) = tokens.first() else {
        return Ok(());
    };
    let (pattern, port) = split_port(first);
    if first.trim().ends_with(':') && port.is_none() {
        return Err(error(
            source,
            line_no,
            format!(
                "Invalid host pattern '{first}' supplied, ending in ':' is not allowed, this \
                 character is reserved to provide a port"
            ),
        ));
    }
    let hosts = expand_hosts(&pattern).map_err(|e| error(source, line_no, e.0))?;
    if hosts.iter().any(|h| h.trim() == "---") {
        return Err(error(
            source,
            line_no,
            format!(
                "Invalid host pattern '{first}' supplied, '---' is normally a sign this is a \
                 YAML file"
            ),
        ));
    }
    let mut vars: Vec<(String, Value)> = Vec::new();
    for token in &tokens[1..] {
        let Some((k, v)) = token.split_once('=') else {
            return Err(error(
                source,
                line_no,
                format!("Expected key=value host variable assignment, got: {token}"),
            ));
        };
        vars.push((k.to_owned(), parse_ini_value(v)));
    }
    for host in hosts {
        inv.add_host(&host, Some(group));
        let entry = inv.hosts.entry(host.clone()).or_default();
        if let Some(port) = port {
            entry
                .vars
                .insert("ansible_port".to_owned(), Value::from(port));
        }
        for (k, v) in &vars {
            entry.vars.insert(k.clone(), v.clone());
        }
    }
    Ok(())
}

/// `shlex.split(line, comments=True)`: POSIX quoting, `#` outside quotes ends the line.
pub(crate) fn shell_words(line: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' => break,
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => word.push(n),
                    None => return Err("No escaped character"),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => word.push(n),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek() {
                            Some(&n) if n == '"' || n == '\\' => {
                                word.push(n);
                                chars.next();
                            }
                            _ => word.push('\\'),
                        },
                        Some(n) => word.push(n),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from `shlex.split(line, comments=True)`.
    #[test]
    fn splits_like_shlex() {
        assert_eq!(
            shell_words("h1 a=\"x y\" b='1' c=d#e f").unwrap_or_default(),
            ["h1", "a=x y", "b=1", "c=d"]
        );
        assert_eq!(
            shell_words(r#"h "a\"b" c\ d"#).unwrap_or_default(),
            ["h", "a\"b", "c d"]
        );
        assert!(shell_words("h 'open").is_err());
    }

    proptest::proptest! {
        #[test]
        fn garbled_ini_never_panics(text in "[\\[\\]:=#;'\" \\\\a-c0-9\n-]{0,120}") {
            let mut inv = Inventory::new();
            let source = rsible_source::SourceMap::add("fuzz.ini", text.as_str());
            let _ = parse_ini(&mut inv, source, &text);
        }
    }
}

//! Host patterns (`hosts: web:&prod:!db1`), group membership and inventory variables, as
//! Ansible's `InventoryManager.get_hosts` and `VariableManager` compute them.

use regex::Regex;
use serde_json::{Map, Value};

use crate::inventory::Inventory;
use crate::ParseError;

/// Names that mean the controller itself even when the inventory does not list them.
const LOCALHOST: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// The hosts a pattern selects, in Ansible's order, without duplicates.
///
/// Supports `all`, `*`, host and group names, globs, `~regex`, `a:b`/`a,b` (union), `a:&b`
/// (intersection), `a:!b` (exclusion) and `group[0]`/`group[1:3]` subscripts. `localhost` is
/// matched by name even when the inventory does not list it, but never by `all`.
pub fn match_hosts(inv: &Inventory, pattern: &str) -> Result<Vec<String>, ParseError> {
    match_hosts_with_warnings(inv, pattern).map(|(hosts, _)| hosts)
}

/// [`match_hosts`], plus the `[WARNING]` lines Ansible prints (`Could not match supplied host
/// pattern, ignoring: x`).
pub fn match_hosts_with_warnings(
    inv: &Inventory,
    pattern: &str,
) -> Result<(Vec<String>, Vec<String>), ParseError> {
    let mut warnings = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for p in order_patterns(split_host_pattern(pattern)) {
        if inv.hosts.contains_key(&p) {
            hosts.push(p);
            continue;
        }
        let that = match_one(inv, &p, &mut warnings)?;
        if p.starts_with('!') {
            hosts.retain(|h| !that.contains(h));
        } else if p.starts_with('&') {
            hosts.retain(|h| that.contains(h));
        } else {
            for h in that {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
        }
    }
    let mut unique: Vec<String> = Vec::with_capacity(hosts.len());
    for h in hosts {
        if !unique.contains(&h) {
            unique.push(h);
        }
    }
    Ok((unique, warnings))
}

fn pattern_error(message: String) -> ParseError {
    ParseError::Pattern { message }
}

/// Whether a whole pattern is one address (`host`, `host:22`, `web[1:3]`, an IPv6 address),
/// which keeps its colons.
fn is_single_address(pattern: &str) -> bool {
    let colons = pattern.matches(':').count();
    if colons == 0 {
        return true;
    }
    let v6 = colons >= 2
        && pattern
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '[' | ']'));
    if v6 {
        return true;
    }
    // `name:port` or `name[1:3]` / `name[1:3]:port`: colons outside brackets followed by
    // digits only.
    let mut depth = 0i32;
    let mut outside = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => outside.push(i),
            _ => {}
        }
    }
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']' | ':'))
    };
    match outside[..] {
        [] => name_ok(pattern),
        [at] => {
            let port = &pattern[at + 1..];
            name_ok(&pattern[..at]) && !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// `split_host_pattern`: commas, or (for backwards compatibility) colons outside brackets.
fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_owned).collect()
    } else if is_single_address(pattern) {
        vec![pattern.to_owned()]
    } else {
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut depth = 0i32;
        for c in pattern.chars() {
            let split = depth == 0 && (c == ':' || c.is_whitespace());
            match c {
                '[' => depth += 1,
                ']' => depth = (depth - 1).max(0),
                _ => {}
            }
            if split {
                parts.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        }
        parts.push(current);
        parts
    };
    parts
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Plain patterns first, then `&` intersections, then `!` exclusions.
fn order_patterns(patterns: Vec<String>) -> Vec<String> {
    let (mut regular, mut and, mut not) = (Vec::new(), Vec::new(), Vec::new());
    for p in patterns {
        if p.starts_with('!') {
            not.push(p);
        } else if p.starts_with('&') {
            and.push(p);
        } else {
            regular.push(p);
        }
    }
    if regular.is_empty() {
        regular.push("all".to_owned());
    }
    regular.into_iter().chain(and).chain(not).collect()
}

/// A `[n]` or `[a:b]` subscript: the pattern without it, and `(start, end)`.
fn split_subscript(pattern: &str) -> (&str, Option<(i64, Option<i64>)>) {
    if pattern.starts_with('~') || !pattern.ends_with(']') {
        return (pattern, None);
    }
    let Some(open) = pattern.rfind('[') else {
        return (pattern, None);
    };
    if open == 0 {
        return (pattern, None);
    }
    let inner = &pattern[open + 1..pattern.len() - 1];
    let base = &pattern[..open];
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some(n) = inner
        .strip_prefix('-')
        .filter(|s| digits(s))
        .or(Some(inner).filter(|s| digits(s)))
    {
        let value: i64 = n.parse().unwrap_or(0);
        let value = if inner.starts_with('-') {
            -value
        } else {
            value
        };
        return (base, Some((value, None)));
    }
    if let Some((start, end)) = inner.split_once([':', '-']) {
        if digits(start) && (end.is_empty() || digits(end)) {
            let start: i64 = start.parse().unwrap_or(0);
            let end: i64 = if end.is_empty() {
                -1
            } else {
                end.parse().unwrap_or(0)
            };
            return (base, Some((start, Some(end))));
        }
    }
    (pattern, None)
}

fn apply_subscript(
    hosts: Vec<String>,
    subscript: Option<(i64, Option<i64>)>,
    pattern: &str,
) -> Result<Vec<String>, ParseError> {
    let Some((start, end)) = subscript else {
        return Ok(hosts);
    };
    if hosts.is_empty() {
        return Ok(hosts);
    }
    let len = i64::try_from(hosts.len()).unwrap_or(i64::MAX);
    let index = |i: i64| if i < 0 { len + i } else { i };
    match end.filter(|e| *e != 0) {
        Some(end) => {
            let end = if end == -1 { len - 1 } else { end };
            let from = usize::try_from(index(start).clamp(0, len)).unwrap_or(0);
            let to = usize::try_from((end + 1).clamp(0, len)).unwrap_or(0);
            Ok(hosts
                .get(from..to.max(from))
                .map(<[String]>::to_vec)
                .unwrap_or_default())
        }
        None => {
            let i = index(start);
            usize::try_from(i)
                .ok()
                .and_then(|i| hosts.get(i).cloned())
                .map(|h| vec![h])
                .ok_or_else(|| {
                    pattern_error(format!(
                        "No hosts matched the subscripted pattern '{pattern}'"
                    ))
                })
        }
    }
}

fn compile(pattern: &str) -> Result<Regex, ParseError> {
    let source = match pattern.strip_prefix('~') {
        // Python's `re.match` anchors only at the start.
        Some(re) => format!("^(?:{re})"),
        None => rsible_source::glob::translate(pattern),
    };
    Regex::new(&source).map_err(|_| pattern_error(format!("Invalid host list pattern: {pattern}")))
}

fn match_one(
    inv: &Inventory,
    pattern: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, ParseError> {
    let bare = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
    let (expr, subscript) = split_subscript(bare);
    let hosts = enumerate(inv, expr, warnings)?;
    apply_subscript(hosts, subscript, bare)
}

fn enumerate(
    inv: &Inventory,
    pattern: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, ParseError> {
    let re = compile(pattern)?;
    let mut results: Vec<String> = Vec::new();
    let groups: Vec<&String> = inv.groups.keys().filter(|g| re.is_match(g)).collect();
    for g in &groups {
        results.extend(inv.group_hosts(g));
    }
    let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
    if groups.is_empty() || special {
        results.extend(inv.hosts.keys().filter(|h| re.is_match(h)).cloned());
    }
    if results.is_empty() && LOCALHOST.contains(&pattern) {
        results.push(pattern.to_owned());
    }
    if results.is_empty() && groups.is_empty() && pattern != "all" {
        warnings.push(format!(
            "Could not match supplied host pattern, ignoring: {pattern}"
        ));
    }
    Ok(results)
}

/// The groups a host is in (directly or through child groups), sorted, without `all` and
/// `ungrouped` — Ansible's `group_names`.
pub fn group_names(inv: &Inventory, host: &str) -> Vec<String> {
    let mut names: Vec<String> = inv
        .host_groups(host)
        .into_iter()
        .filter(|g| *g != "all" && *g != "ungrouped")
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

fn priority(inv: &Inventory, group: &str) -> i64 {
    inv.groups
        .get(group)
        .and_then(|g| g.vars.get("ansible_group_priority"))
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(1)
}

/// A host's inventory variables: `all`, then its other groups from the shallowest to the
/// deepest (ties by `ansible_group_priority`, then name), then the host's own.
///
/// A `localhost` the inventory does not list gets `all`'s variables plus
/// `ansible_connection: local`, like Ansible's implicit localhost.
pub fn host_vars(inv: &Inventory, host: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(h) = inv.hosts.get(host) else {
        if LOCALHOST.contains(&host) {
            if let Some(all) = inv.groups.get("all") {
                out.extend(all.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            out.insert("ansible_connection".to_owned(), Value::from("local"));
        }
        return out;
    };
    let mut groups: Vec<(usize, i64, &str)> = inv
        .host_groups(host)
        .into_iter()
        .map(|g| (inv.depth(g), priority(inv, g), g))
        .collect();
    groups.sort();
    for (_, _, g) in groups {
        if let Some(group) = inv.groups.get(g) {
            out.extend(group.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    out.extend(h.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// Whether `host` is the implicit localhost: not in the inventory, but a localhost name.
pub fn is_implicit_localhost(inv: &Inventory, host: &str) -> bool {
    !inv.hosts.contains_key(host) && LOCALHOST.contains(&host)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_pattern_never_panics(pattern in "[a-c0-9:,&!~*?\\[\\]().^$ -]{0,24}") {
            let mut inv = Inventory::new();
            inv.add_host("a1", Some("ab"));
            inv.add_host("b2", Some("ungrouped"));
            let _ = match_hosts(&inv, &pattern);
        }
    }

    /// `fnmatch.translate` semantics, checked with Python's `fnmatch.fnmatchcase`.
    #[test]
    fn globs_match_like_fnmatch() {
        let cases = [
            ("web*", "web01", true),
            ("web?", "web01", false),
            ("web[0-9]*", "web01", true),
            ("web[!0]*", "web01", false),
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "aexample.com", false),
        ];
        for (glob, name, want) in cases {
            let re = compile(glob).map(|r| r.is_match(name));
            assert_eq!(re.ok(), Some(want), "{glob} vs {name}");
        }
    }
}

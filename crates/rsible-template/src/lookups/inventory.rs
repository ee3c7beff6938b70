//! `inventory_hostnames`: the hosts a pattern selects, from the `groups` variable, as
//! ansible-core's `InventoryManager.get_hosts` evaluates it (`inventory/manager.py`).

use serde_json::{Map, Value as Json};

use crate::convert::py_str;
use crate::scope::Scope;
use crate::TemplateError;

/// `split_host_pattern`: on commas, else on colons outside brackets.
fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_owned).collect()
    } else {
        match regex::Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+") {
            Ok(re) => re
                .find_iter(pattern)
                .map(|m| m.as_str().to_owned())
                .collect(),
            Err(_) => vec![pattern.to_owned()],
        }
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `_match_list`: names an fnmatch pattern (or, after `~`, a regex) matches at their start.
fn match_list(names: &[String], pattern: &str) -> Result<Vec<String>, ()> {
    let re = match pattern.strip_prefix('~') {
        Some(r) => {
            crate::regex_py::compile(&format!("\\A(?:{r})"), false, false).map_err(|_| ())?
        }
        None => regex::Regex::new(&rsible_source::glob::translate(pattern)).map_err(|_| ())?,
    };
    Ok(names.iter().filter(|n| re.is_match(n)).cloned().collect())
}

struct Inventory {
    groups: Vec<(String, Vec<String>)>,
    hosts: Vec<String>,
}

impl Inventory {
    fn from_groups(groups: &Map<String, Json>) -> Self {
        let mut hosts: Vec<String> = Vec::new();
        let groups = groups
            .iter()
            .map(|(g, members)| {
                let list: Vec<String> = match members {
                    Json::Array(a) => a.iter().map(py_str).collect(),
                    _ => Vec::new(),
                };
                for h in &list {
                    if !hosts.contains(h) {
                        hosts.push(h.clone());
                    }
                }
                (g.clone(), list)
            })
            .collect();
        Inventory { groups, hosts }
    }

    /// `_enumerate_matches`.
    fn enumerate(&self, pattern: &str) -> Result<Vec<String>, ()> {
        let names: Vec<String> = self.groups.iter().map(|(g, _)| g.clone()).collect();
        let groups = match_list(&names, pattern)?;
        let mut out = Vec::new();
        for g in &groups {
            if let Some((_, members)) = self.groups.iter().find(|(n, _)| n == g) {
                out.extend(members.iter().cloned());
            }
        }
        let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
        if groups.is_empty() || special {
            out.extend(match_list(&self.hosts, pattern)?);
        }
        Ok(out)
    }

    /// `_match_one_pattern`: the pattern without `&`/`!`, then its subscript.
    fn match_one(&self, pattern: &str) -> Result<Vec<String>, ()> {
        let pattern = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
        let (expr, subscript) = split_subscript(pattern);
        let hosts = self.enumerate(&expr)?;
        match subscript {
            None => Ok(hosts),
            Some((start, None)) => {
                let at = if start < 0 {
                    hosts.len() as i64 + start
                } else {
                    start
                };
                usize::try_from(at)
                    .ok()
                    .and_then(|i| hosts.get(i).cloned())
                    .map(|h| vec![h])
                    .ok_or(())
            }
            Some((start, Some(end))) => {
                let end = if end == -1 {
                    hosts.len() as i64 - 1
                } else {
                    end
                };
                let (s, e) = (start.max(0) as usize, (end + 1).max(0) as usize);
                Ok(hosts
                    .get(s.min(hosts.len())..e.min(hosts.len()).max(s.min(hosts.len())))
                    .map(<[String]>::to_vec)
                    .unwrap_or_default())
            }
        }
    }
}

/// `_split_subscript`: `name[i]` or `name[a:b]` (`[a-b]` too).
fn split_subscript(pattern: &str) -> (String, Option<(i64, Option<i64>)>) {
    if pattern.starts_with('~') {
        return (pattern.to_owned(), None);
    }
    let Ok(re) = regex::Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]+)?)\]$") else {
        return (pattern.to_owned(), None);
    };
    let Some(c) = re.captures(pattern) else {
        return (pattern.to_owned(), None);
    };
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    let sub = match num(2) {
        Some(idx) => (idx, None),
        None => (num(3).unwrap_or(0), Some(num(5).unwrap_or(-1))),
    };
    (c[1].to_owned(), Some(sub))
}

pub(crate) fn inventory_hostnames(
    scope: &Scope,
    terms: &[Json],
) -> Result<Vec<Json>, TemplateError> {
    let groups = match scope.vars.get("groups") {
        Some(Json::Object(g)) => g.clone(),
        Some(_) => Map::new(),
        // `variables['groups']`: the KeyError's text.
        None => return Err(super::plugin_error("inventory_hostnames", "'groups'")),
    };
    let inv = Inventory::from_groups(&groups);
    let mut patterns: Vec<String> = Vec::new();
    for t in terms {
        match t {
            Json::Array(a) => a
                .iter()
                .for_each(|p| patterns.extend(split_host_pattern(&py_str(p)))),
            other => patterns.extend(split_host_pattern(&py_str(other))),
        }
    }
    // `order_patterns`: plain ones, then `&`, then `!`; none plain means `all`.
    let mut regular: Vec<String> = patterns
        .iter()
        .filter(|p| !p.starts_with(['&', '!']))
        .cloned()
        .collect();
    if regular.is_empty() {
        regular.push("all".to_owned());
    }
    let ordered = regular
        .into_iter()
        .chain(patterns.iter().filter(|p| p.starts_with('&')).cloned())
        .chain(patterns.iter().filter(|p| p.starts_with('!')).cloned());
    let mut hosts: Vec<String> = Vec::new();
    for p in ordered {
        if inv.hosts.contains(&p) {
            hosts.push(p);
            continue;
        }
        // Any error (a bad regex, a subscript past the end) makes the lookup return nothing.
        let Ok(that) = inv.match_one(&p) else {
            return Ok(Vec::new());
        };
        if p.starts_with('!') {
            hosts.retain(|h| !that.contains(h));
        } else if p.starts_with('&') {
            hosts.retain(|h| that.contains(h));
        } else {
            let existing = hosts.clone();
            hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for h in hosts {
        if !seen.contains(&h) {
            seen.push(h);
        }
    }
    Ok(seen.into_iter().map(Json::String).collect())
}

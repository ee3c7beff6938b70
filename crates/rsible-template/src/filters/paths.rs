//! Path filters on Python's `posixpath`/`ntpath`: `normpath relpath commonpath expandvars
//! win_basename win_dirname win_splitdrive fileglob`.

use std::path::Path;

use minijinja::value::Value;
use minijinja::Error;
use serde_json::Value as Json;

use crate::convert::{json_to_value, py_str, py_type, value_to_json};
use crate::filters::fail;

fn text(v: &Value) -> Result<String, Error> {
    Ok(py_str(&value_to_json(v)?))
}

/// `posixpath.normpath`.
pub(crate) fn normpath_str(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let initial = match p.len() - p.trim_start_matches('/').len() {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut comps: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if comps.last().is_some_and(|l| *l != "..") {
                    comps.pop();
                } else if initial.is_empty() {
                    comps.push(c);
                }
            }
            _ => comps.push(c),
        }
    }
    let o = format!("{initial}{}", comps.join("/"));
    if o.is_empty() {
        ".".to_owned()
    } else {
        o
    }
}

pub(crate) fn normpath(v: Value) -> Result<Value, Error> {
    Ok(Value::from(normpath_str(&text(&v)?)))
}

fn abspath(p: &str) -> String {
    if p.starts_with('/') {
        normpath_str(p)
    } else {
        let cwd =
            std::env::current_dir().map_or_else(|_| "/".to_owned(), |d| d.display().to_string());
        normpath_str(&format!("{cwd}/{p}"))
    }
}

/// `relpath(path, start=os.curdir)`.
pub(crate) fn relpath(v: Value, start: Option<Value>) -> Result<Value, Error> {
    let path = text(&v)?;
    if path.is_empty() {
        return Err(fail("relpath", "no path specified"));
    }
    let start = match start {
        Some(s) => text(&s)?,
        None => ".".to_owned(),
    };
    let sa = abspath(&start);
    let pa = abspath(&path);
    let s: Vec<&str> = sa.split('/').filter(|c| !c.is_empty()).collect();
    let p: Vec<&str> = pa.split('/').filter(|c| !c.is_empty()).collect();
    let common = s.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut rel: Vec<&str> = vec![".."; s.len() - common];
    rel.extend(&p[common..]);
    Ok(Value::from(if rel.is_empty() {
        ".".to_owned()
    } else {
        rel.join("/")
    }))
}

/// `commonpath(paths)`.
pub(crate) fn commonpath(v: Value) -> Result<Value, Error> {
    let paths: Vec<String> = match value_to_json(&v)? {
        Json::Array(a) => a.iter().map(py_str).collect(),
        other => {
            return Err(fail(
                "commonpath",
                format!(
                    "|commonpath expects sequence, got <class '{}'> instead.",
                    py_type(&other)
                ),
            ))
        }
    };
    if paths.is_empty() {
        return Err(fail("commonpath", "commonpath() arg is an empty sequence"));
    }
    let abs = paths[0].starts_with('/');
    if paths.iter().any(|p| p.starts_with('/') != abs) {
        return Err(fail("commonpath", "Can't mix absolute and relative paths"));
    }
    let split: Vec<Vec<&str>> = paths
        .iter()
        .map(|p| {
            p.split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect()
        })
        .collect();
    let (Some(s1), Some(s2)) = (split.iter().min(), split.iter().max()) else {
        return Ok(Value::from(""));
    };
    let n = s1.iter().zip(s2).take_while(|(a, b)| a == b).count();
    Ok(Value::from(format!(
        "{}{}",
        if abs { "/" } else { "" },
        s1[..n].join("/")
    )))
}

/// `os.path.expandvars`: `$name` and `${name}` from the controller's environment; unknown
/// ones stay.
pub(crate) fn expandvars(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let re = regex::Regex::new(r"\$(\w+|\{[^}]*\})").map_err(|e| fail("expandvars", e))?;
    let mut o = String::new();
    let mut last = 0;
    for m in re.captures_iter(&s) {
        let (Some(whole), Some(name)) = (m.get(0), m.get(1)) else {
            continue;
        };
        let raw = name.as_str();
        let name = raw
            .strip_prefix('{')
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(raw);
        o.push_str(&s[last..whole.start()]);
        match std::env::var(name) {
            Ok(val) => o.push_str(&val),
            Err(_) => o.push_str(whole.as_str()),
        }
        last = whole.end();
    }
    o.push_str(&s[last..]);
    Ok(Value::from(o))
}

/// `ntpath.splitdrive`.
fn nt_splitdrive(p: &str) -> (String, String) {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() >= 2 {
        let norm: Vec<char> = chars
            .iter()
            .map(|&c| if c == '/' { '\\' } else { c })
            .collect();
        if norm[0] == '\\' && norm[1] == '\\' {
            let head: String = norm.iter().take(8).collect::<String>().to_uppercase();
            let start = if head == "\\\\?\\UNC\\" { 8 } else { 2 };
            let find = |from: usize| (from..norm.len()).find(|&i| norm[i] == '\\');
            let Some(i1) = find(start) else {
                return (p.to_owned(), String::new());
            };
            let Some(i2) = find(i1 + 1) else {
                return (p.to_owned(), String::new());
            };
            return (chars[..i2].iter().collect(), chars[i2..].iter().collect());
        }
        if norm[1] == ':' {
            return (chars[..2].iter().collect(), chars[2..].iter().collect());
        }
    }
    (String::new(), p.to_owned())
}

/// `ntpath.split`.
fn nt_split(p: &str) -> (String, String) {
    let (d, rest) = nt_splitdrive(p);
    let seps = ['\\', '/'];
    let i = rest.rfind(seps).map_or(0, |i| i + 1);
    let (head, tail) = rest.split_at(i);
    let trimmed = head.trim_end_matches(seps);
    let head = if trimmed.is_empty() { head } else { trimmed };
    (format!("{d}{head}"), tail.to_owned())
}

pub(crate) fn win_basename(v: Value) -> Result<Value, Error> {
    Ok(Value::from(nt_split(&text(&v)?).1))
}

pub(crate) fn win_dirname(v: Value) -> Result<Value, Error> {
    Ok(Value::from(nt_split(&text(&v)?).0))
}

pub(crate) fn win_splitdrive(v: Value) -> Result<Value, Error> {
    let (d, p) = nt_splitdrive(&text(&v)?);
    Ok(Value::from(vec![d, p]))
}

/// `glob.glob(pattern)` limited to regular files: each component matched with `fnmatch`
/// (hidden names only by a pattern that starts with a dot), relative to the working directory.
pub(crate) fn glob(pattern: &str) -> Vec<String> {
    let abs = pattern.starts_with('/');
    let mut found: Vec<String> = vec![if abs { "/".to_owned() } else { String::new() }];
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let magic = comp.contains(['*', '?', '[']);
        let mut next = Vec::new();
        for base in &found {
            let join = |name: &str| {
                format!(
                    "{base}{}{name}",
                    if base.is_empty() || base.ends_with('/') {
                        ""
                    } else {
                        "/"
                    }
                )
            };
            if !magic {
                let p = join(comp);
                if Path::new(&p).symlink_metadata().is_ok() {
                    next.push(p);
                }
                continue;
            }
            let Ok(re) = regex::Regex::new(&rsible_source::glob::translate(comp)) else {
                continue;
            };
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.filter_map(Result::ok) {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && !comp.starts_with('.') {
                    continue;
                }
                if re.is_match(&name) && (last || Path::new(&join(&name)).is_dir()) {
                    next.push(join(&name));
                }
            }
        }
        found = next;
    }
    if comps.is_empty() {
        return Vec::new();
    }
    found
        .into_iter()
        .filter(|p| Path::new(p).is_file())
        .collect()
}

pub(crate) fn fileglob(v: Value) -> Result<Value, Error> {
    let files = glob(&text(&v)?);
    Ok(json_to_value(&Json::Array(
        files.into_iter().map(Json::String).collect(),
    )))
}

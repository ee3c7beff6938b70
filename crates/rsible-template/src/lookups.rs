//! Lookup plugins (`lookup()`, `query()`, `with_<name>`), run on the controller.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::{Map, Value as Json};
use walkdir::WalkDir;

use crate::convert::{json_to_value, py_str, value_to_json};
use crate::scope::Scope;
use crate::TemplateError;

mod community;
mod first_found;
mod inventory;
mod password;
mod template;
mod url;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", lookup);
    env.add_function("query", query);
    env.add_function("q", query);
}

fn plugin_error(name: &str, msg: impl std::fmt::Display) -> TemplateError {
    TemplateError::Render {
        message: format!("The lookup plugin '{name}' failed: {msg}"),
        span: None,
    }
}

/// A lookup failure raised from another error (`raise AnsibleError(...) from e`).
fn plugin_error_from(name: &str, msg: impl std::fmt::Display, cause: String) -> TemplateError {
    TemplateError::Caused(Box::new(crate::Caused {
        context: format!("The lookup plugin '{name}' failed: {msg}"),
        cause,
        origin: None,
        span: None,
    }))
}

fn call(
    state: &State,
    name: &str,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<(Vec<Json>, bool), Error> {
    let scope = Scope::from_state(state)
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "lookup outside of a template"))?;
    let mut opts = Map::new();
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        opts.insert(key.to_owned(), value_to_json(&v)?);
    }
    let wantlist = opts
        .remove("wantlist")
        .is_some_and(|v| crate::convert::py_truthy(&v));
    let errors = opts.remove("errors").map(|v| py_str(&v));
    let mut jterms = Vec::with_capacity(terms.len());
    for t in terms {
        jterms.push(value_to_json(t)?);
    }
    match run(&scope, name, &jterms, &opts, None) {
        Ok(items) => Ok((items, wantlist)),
        Err(e) => match errors.as_deref() {
            Some("ignore") | Some("warn") => Ok((Vec::new(), true)),
            _ => {
                let msg = e.to_string();
                scope.set_pending(e);
                Err(Error::new(ErrorKind::InvalidOperation, msg))
            }
        },
    }
}

fn lookup(state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let (items, wantlist) = call(state, &name, &terms, &kwargs)?;
    if wantlist || items.is_empty() {
        return Ok(json_to_value(&Json::Array(items)));
    }
    if items.len() == 1 {
        return Ok(json_to_value(&items[0]));
    }
    if items.iter().all(Json::is_string) {
        let parts: Vec<String> = items.iter().map(py_str).collect();
        return Ok(Value::from(parts.join(",")));
    }
    Ok(json_to_value(&Json::Array(items)))
}

fn query(state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let (items, _) = call(state, &name, &terms, &kwargs)?;
    Ok(json_to_value(&Json::Array(items)))
}

/// Runs lookup `name` over `terms`.
pub(crate) fn run(
    scope: &Arc<Scope>,
    name: &str,
    terms: &[Json],
    opts: &Map<String, Json>,
    with_subdir: Option<&str>,
) -> Result<Vec<Json>, TemplateError> {
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    match name {
        "file" => file(scope, terms, opts),
        "env" => Ok(terms
            .iter()
            .map(|t| {
                let var = py_str(t);
                match std::env::var(&var) {
                    Ok(v) => Json::String(v),
                    Err(_) => opts
                        .get("default")
                        .cloned()
                        .unwrap_or(Json::String(String::new())),
                }
            })
            .collect()),
        "template" => template::template(scope, terms, opts),
        "items" => Ok(terms
            .iter()
            .flat_map(|t| match t {
                Json::Array(a) => a.clone(),
                other => vec![other.clone()],
            })
            .collect()),
        "list" => Ok(terms.to_vec()),
        "indexed_items" => {
            let items: Vec<Json> = terms
                .iter()
                .flat_map(|t| match t {
                    Json::Array(a) => a.clone(),
                    other => vec![other.clone()],
                })
                .collect();
            Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, v)| Json::Array(vec![Json::from(i), v]))
                .collect())
        }
        "dict" => {
            let mut out = Vec::new();
            for t in terms {
                let Json::Object(m) = t else {
                    return Err(plugin_error(
                        "dict",
                        format!(
                            "with_dict expects a dict, got {}",
                            crate::convert::py_type(t)
                        ),
                    ));
                };
                for (k, v) in m {
                    let mut e = Map::new();
                    e.insert("key".into(), Json::String(k.clone()));
                    e.insert("value".into(), v.clone());
                    out.push(Json::Object(e));
                }
            }
            Ok(out)
        }
        "sequence" => {
            let mut out = Vec::new();
            for t in terms {
                out.extend(sequence(&py_str(t), opts)?);
            }
            Ok(out)
        }
        "fileglob" => Ok(terms
            .iter()
            .flat_map(|t| fileglob(scope, &py_str(t)))
            .map(Json::String)
            .collect()),
        "first_found" => first_found::first_found(scope, terms, opts, with_subdir),
        "vars" => {
            let ctx = scope.context();
            let mut out = Vec::new();
            for t in terms {
                let n = py_str(t);
                let v = ctx.get_attr(&n).ok().filter(|v| !v.is_undefined());
                match v {
                    Some(v) => out.push(value_to_json(&v).map_err(|e| plugin_error("vars", e))?),
                    None => match opts.get("default") {
                        Some(d) => out.push(d.clone()),
                        None => {
                            return Err(plugin_error(
                                "vars",
                                format!("No variable found with this name: {n}"),
                            ))
                        }
                    },
                }
            }
            Ok(out)
        }
        "pipe" => {
            let mut out = Vec::new();
            for t in terms {
                let stdout = shell_output(scope, "pipe", &py_str(t))?;
                out.push(Json::String(
                    String::from_utf8_lossy(&stdout).trim_end().to_owned(),
                ));
            }
            Ok(out)
        }
        "lines" => {
            let mut out = Vec::new();
            for t in terms {
                let stdout = shell_output(scope, "lines", &py_str(t))?;
                out.extend(
                    split_lines(&String::from_utf8_lossy(&stdout))
                        .into_iter()
                        .map(Json::String),
                );
            }
            Ok(out)
        }
        "together" => together(terms),
        "url" => url::url(terms, opts),
        "inventory_hostnames" => inventory::inventory_hostnames(scope, terms),
        "password" => password::password(scope, terms, opts),
        "flattened" | "community.general.flattened" => Ok(community::flattened(terms)),
        "collection_version" | "community.general.collection_version" => {
            community::collection_version(scope, terms, opts)
        }
        "random_choice" => Ok(random_choice(terms)),
        "varnames" => varnames(scope, terms),
        "csvfile" => csvfile(scope, terms, opts),
        "subelements" => subelements(terms),
        "ini" => ini(scope, terms, opts),
        "nested" => {
            let mut acc: Vec<Vec<Json>> = vec![Vec::new()];
            for t in terms {
                let list = match t {
                    Json::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                acc = acc
                    .into_iter()
                    .flat_map(|prefix| {
                        list.iter().map(move |x| {
                            let mut p = prefix.clone();
                            p.push(x.clone());
                            p
                        })
                    })
                    .collect();
            }
            Ok(acc.into_iter().map(Json::Array).collect())
        }
        other => Err(TemplateError::Render {
            message: format!("lookup plugin ({other}) not found"),
            span: None,
        }),
    }
}

/// The directories relative lookup terms are searched in: the task's search path, or, where
/// there is no task (a play's `vars_files`), the playbook's directory, as
/// `LookupBase.find_file_in_search_path` falls back to the loader's basedir.
fn search_paths(scope: &Scope) -> Vec<PathBuf> {
    if !scope.search_paths.is_empty() {
        return scope.search_paths.clone();
    }
    scope
        .vars
        .get("playbook_dir")
        .and_then(Json::as_str)
        .map(|d| vec![PathBuf::from(d)])
        .unwrap_or_default()
}

/// Candidate paths for `term` in `subdir` of each search path, as `find_file_in_search_path`.
fn candidates(scope: &Scope, subdir: &str, term: &str) -> Vec<PathBuf> {
    let expanded = crate::filters::expand_user(term);
    let p = Path::new(&expanded);
    if p.is_absolute() {
        return vec![p.to_path_buf()];
    }
    let mut out = Vec::new();
    for base in &search_paths(scope) {
        out.push(base.join(subdir).join(p));
        out.push(base.join(p));
    }
    out
}

fn find(scope: &Scope, subdir: &str, term: &str) -> Option<PathBuf> {
    candidates(scope, subdir, term)
        .into_iter()
        .find(|p| p.is_file())
}

fn file(
    scope: &Scope,
    terms: &[Json],
    opts: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let rstrip = opts.get("rstrip").is_none_or(crate::filters::truthy_word);
    let lstrip = opts.get("lstrip").is_some_and(crate::filters::truthy_word);
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        let path = find(scope, "files", &term).ok_or_else(|| {
            plugin_error(
                "file",
                format!("Unable to access the file '{term}': File not found. Use -vvvvv to see paths searched."),
            )
        })?;
        let text = read_text(&path).map_err(|e| match e {
            FileError::Io(e) => {
                plugin_error("file", format!("Unable to access the file '{term}': {e}"))
            }
            // The vault's error is the cause, at the file.
            FileError::Vault(e) => TemplateError::Caused(Box::new(crate::Caused {
                context: format!(
                    "The lookup plugin 'file' failed: Unable to access the file '{term}'"
                ),
                cause: e.to_string(),
                origin: Some(rsible_source::Span::new(
                    rsible_source::SourceMap::add(&path, String::new()),
                    rsible_source::Position::new(0, 0),
                    rsible_source::Position::new(0, 0),
                )),
                span: None,
            })),
        })?;
        let mut s = text.as_str();
        if rstrip {
            s = s.trim_end();
        }
        if lstrip {
            s = s.trim_start();
        }
        out.push(Json::String(s.to_owned()));
    }
    Ok(out)
}

enum FileError {
    Io(std::io::Error),
    Vault(rsible_vault::VaultError),
}

/// A file's text as the loader gives it (`get_text_file_contents`): decrypted when it is vault
/// data.
fn read_text(path: &Path) -> Result<String, FileError> {
    let data = fs_err::read(path).map_err(FileError::Io)?;
    let data = if rsible_vault::is_encrypted(&data) {
        rsible_vault::current()
            .decrypt(&data)
            .map_err(FileError::Vault)?
            .plaintext
    } else {
        data
    };
    String::from_utf8(data).map_err(|e| {
        FileError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("stream did not contain valid UTF-8: {e}"),
        ))
    })
}

fn sequence(term: &str, opts: &Map<String, Json>) -> Result<Vec<Json>, TemplateError> {
    let bad = |m: String| plugin_error("sequence", m);
    let mut start: i64 = 1;
    let mut end: Option<i64> = None;
    let mut count: Option<i64> = None;
    let mut stride: i64 = 1;
    let mut format = String::from("%d");
    let num = |s: &str| -> Result<i64, TemplateError> {
        let s = s.trim();
        let r = if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if let Some(o) = s.strip_prefix("0o") {
            i64::from_str_radix(o, 8).ok()
        } else {
            s.parse().ok()
        };
        r.ok_or_else(|| plugin_error("sequence", format!("can't parse arg {s}")))
    };
    let mut apply = |k: &str, v: &str| -> Result<(), TemplateError> {
        match k {
            "start" => start = num(v)?,
            "end" => end = Some(num(v)?),
            "count" => count = Some(num(v)?),
            "stride" => stride = num(v)?,
            "format" => format = v.to_owned(),
            other => {
                return Err(bad(format!(
                    "unrecognized arguments to with_sequence: ['{other}']"
                )))
            }
        }
        Ok(())
    };
    for (k, v) in opts {
        apply(k, &py_str(v))?;
    }
    if term.contains('=') {
        for kv in term.split_whitespace() {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad(format!("can't parse arg {kv}")))?;
            apply(k, v)?;
        }
    } else if !term.trim().is_empty() {
        // Shortcut form: [start-]end[/stride][:format]
        let (rest, fmt) = match term.split_once(':') {
            Some((r, f)) => (r, Some(f)),
            None => (term, None),
        };
        let (rest, st) = match rest.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (rest, None),
        };
        match rest.split_once('-') {
            Some((a, b)) => {
                apply("start", a)?;
                apply("end", b)?;
            }
            None => apply("end", rest)?,
        }
        if let Some(s) = st {
            apply("stride", s)?;
        }
        if let Some(f) = fmt {
            apply("format", f)?;
        }
    }
    let end = match (end, count) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "can't specify both count and end in with_sequence".into()
            ))
        }
        (Some(e), None) => e,
        (None, Some(c)) => {
            if c == 0 {
                return Ok(Vec::new());
            }
            start + (c - 1) * stride
        }
        (None, None) => return Err(bad("must specify count or end in with_sequence".into())),
    };
    if stride == 0 {
        return Ok(Vec::new());
    }
    if (stride > 0 && end < start) || (stride < 0 && end > start) {
        return Err(bad("to count backwards make stride negative".into()));
    }
    let mut out = Vec::new();
    let mut i = start;
    while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
        out.push(Json::String(percent_format(&format, i)));
        if out.len() > 1_000_000 {
            break;
        }
        i += stride;
    }
    Ok(out)
}

/// `format % i` for the `%d`/`%x`/`%0Nd` forms `with_sequence` uses.
fn percent_format(fmt: &str, i: i64) -> String {
    let re = regex::Regex::new(r"%(0?)(\d*)([dxXo])");
    let Ok(re) = re else { return fmt.to_owned() };
    re.replace(fmt, |c: &regex::Captures| {
        let width: usize = c[2].parse().unwrap_or(0);
        let body = match &c[3] {
            "x" => format!("{i:x}"),
            "X" => format!("{i:X}"),
            "o" => format!("{i:o}"),
            _ => i.to_string(),
        };
        if c[1].is_empty() {
            format!("{body:>width$}")
        } else {
            format!("{body:0>width$}")
        }
    })
    .replace("%%", "%")
}

fn fileglob(scope: &Scope, term: &str) -> Vec<String> {
    let (dir, pat) = match term.rfind('/') {
        Some(i) => (&term[..i], &term[i + 1..]),
        None => ("", term),
    };
    let dirs: Vec<PathBuf> = if dir.is_empty() {
        search_paths(scope)
            .iter()
            .flat_map(|b| [b.join("files"), b.clone()])
            .collect()
    } else {
        candidates(scope, "files", dir)
    };
    // `fnmatch` on each name, as Python's glob matches one path component.
    let Ok(pat) = regex::Regex::new(&rsible_source::glob::translate(pat)) else {
        return Vec::new();
    };
    for d in dirs.iter().filter(|d| d.is_dir()) {
        // One level: the pattern matches names directly in `d`, links followed as glob does.
        let found: Vec<String> = WalkDir::new(d)
            .min_depth(1)
            .max_depth(1)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter(|e| pat.is_match(&e.file_name().to_string_lossy()))
            .map(|e| e.path().to_string_lossy().into_owned())
            .collect();
        // Directory order, as Python's glob returns it.
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// Runs `cmd` with `/bin/sh -c` in the playbook's directory (Ansible's loader basedir, the
/// working directory of the `pipe` and `lines` lookups); its stdout, or the lookup's error
/// when it exits non-zero. Stderr is left to the terminal, as Ansible leaves it.
fn shell_output(scope: &Scope, name: &str, cmd: &str) -> Result<Vec<u8>, TemplateError> {
    let mut command = std::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null());
    if let Some(dir) = scope
        .vars
        .get("playbook_dir")
        .and_then(Json::as_str)
        .filter(|d| Path::new(d).is_dir())
    {
        command.current_dir(dir);
    }
    let res = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| plugin_error(name, e))?;
    if !res.status.success() {
        return Err(plugin_error(
            name,
            format!(
                "lookup_plugin.{name}({cmd}) returned {}",
                res.status.code().unwrap_or(-1)
            ),
        ));
    }
    Ok(res.stdout)
}

/// Python's `bytes.splitlines()`: lines end at `\n`, `\r` or `\r\n`, which are dropped.
fn split_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(at) => {
                out.push(rest[..at].to_owned());
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[at + skip..];
            }
            None => {
                out.push(rest.to_owned());
                break;
            }
        }
    }
    out
}

/// What Python iterates when it iterates `v` (`zip_longest`'s arguments): a list's items, a
/// string's characters, a dict's keys.
fn py_iter(name: &str, v: &Json) -> Result<Vec<Json>, TemplateError> {
    match v {
        Json::Array(a) => Ok(a.clone()),
        Json::String(s) => Ok(s.chars().map(|c| Json::String(c.to_string())).collect()),
        Json::Object(m) => Ok(m.keys().map(|k| Json::String(k.clone())).collect()),
        other => Err(plugin_error(
            name,
            format!(
                "'{}' object is not iterable",
                crate::convert::py_type(other)
            ),
        )),
    }
}

/// `together`: the lists side by side (`itertools.zip_longest`, `None` filling the short
/// ones), each row flattened one level as `LookupBase._flatten` does.
fn together(terms: &[Json]) -> Result<Vec<Json>, TemplateError> {
    if terms.is_empty() {
        return Err(plugin_error(
            "together",
            "with_together requires at least one element in each list",
        ));
    }
    let lists = terms
        .iter()
        .map(|t| py_iter("together", t))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok((0..rows)
        .map(|i| {
            let mut row = Vec::new();
            for list in &lists {
                match list.get(i).cloned().unwrap_or(Json::Null) {
                    Json::Array(inner) => row.extend(inner),
                    other => row.push(other),
                }
            }
            Json::Array(row)
        })
        .collect())
}

/// `subelements`: for each dict of a list (or of a dict's values), one `[dict, element]` pair
/// per element of the list under a (dotted) key; the dict is given without that key, as the
/// plugin pops it. Items and results marked `skipped` are left out.
fn subelements(terms: &[Json]) -> Result<Vec<Json>, TemplateError> {
    let terms_error = |msg: &str| {
        plugin_error(
            "subelements",
            format!("subelements lookup expects a list of two or three items, {msg}"),
        )
    };
    if !(2..=3).contains(&terms.len()) {
        return Err(terms_error(""));
    }
    let Some(path) = terms[1].as_str() else {
        return Err(terms_error(
            "first a dict or a list, second a string pointing to the subkey",
        ));
    };
    let skipped = |m: &Map<String, Json>| m.get("skipped").is_some_and(|v| v != &Json::Bool(false));
    let elements: Vec<Json> = match &terms[0] {
        Json::Array(a) => a.clone(),
        Json::Object(m) if skipped(m) => return Ok(Vec::new()),
        Json::Object(m) => m.values().cloned().collect(),
        _ => {
            return Err(terms_error(
                "first a dict or a list, second a string pointing to the subkey",
            ))
        }
    };
    let flags = match terms.get(2) {
        None => Map::new(),
        Some(Json::Object(m)) if m.keys().all(|k| k == "skip_missing") => m.clone(),
        Some(_) => {
            return Err(terms_error(
                "the optional third item must be a dict with flags ('skip_missing',)",
            ))
        }
    };
    let skip_missing = flags
        .get("skip_missing")
        .is_some_and(crate::filters::truthy_word);
    let keys: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    for item0 in elements {
        let Json::Object(item0) = item0 else {
            return Err(plugin_error(
                "subelements",
                format!(
                    "subelements lookup expects a dictionary, got '{}'",
                    py_str(&item0)
                ),
            ));
        };
        if skipped(&item0) {
            continue;
        }
        let mut item0 = Json::Object(item0);
        let sublist = take_sublist(&mut item0, &keys, skip_missing)?;
        for item1 in sublist {
            out.push(Json::Array(vec![item0.clone(), item1]));
        }
    }
    Ok(out)
}

/// Walks `keys` down `item` and removes the list the last one names (the plugin's `pop`).
/// With `skip_missing`, a missing key is passed over as the plugin's `continue` does, so the
/// next key is looked up at the same level, and a missing last key gives no elements.
fn take_sublist(
    item: &mut Json,
    keys: &[&str],
    skip_missing: bool,
) -> Result<Vec<Json>, TemplateError> {
    let fail = |msg: String| Err(plugin_error("subelements", msg));
    // First the keys actually descended through, read-only; then one mutable walk to pop.
    let mut descended: Vec<&str> = Vec::new();
    let mut cur: &Json = item;
    let mut found_last = None;
    for (i, key) in keys.iter().enumerate() {
        let last = i + 1 == keys.len();
        let Json::Object(map) = cur else {
            return Ok(Vec::new());
        };
        let Some(value) = map.get(*key) else {
            if skip_missing {
                continue;
            }
            return fail(format!(
                "could not find '{key}' key in iterated item '{}'",
                py_str(cur)
            ));
        };
        if last {
            if !value.is_array() {
                return fail(format!(
                    "the key {key} should point to a list, got '{}'",
                    py_str(value)
                ));
            }
            found_last = Some(*key);
        } else if value.is_object() {
            descended.push(key);
            cur = value;
        } else if !skip_missing {
            return fail(format!(
                "the key {key} should point to a dictionary, got '{}'",
                py_str(value)
            ));
        }
    }
    let Some(last) = found_last else {
        return Ok(Vec::new());
    };
    let mut target = Some(item);
    for key in descended {
        target = target.and_then(|t| t.get_mut(key));
    }
    Ok(match target {
        Some(Json::Object(map)) => match map.shift_remove(last) {
            Some(Json::Array(list)) => list,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    })
}

/// The `ini` lookup's options, in the plugin's order (inline `k=v` words are matched against
/// them in this order, as `_parse_params` does).
const INI_OPTIONS: &[&str] = &[
    "type",
    "file",
    "section",
    "re",
    "encoding",
    "default",
    "case_sensitive",
    "allow_no_value",
    "interpolation",
];

/// `_parse_params`: the words of an inline term grouped under the option each `k=` word
/// starts (the first group is the key), in the order the groups appear.
fn ini_params(term: &str) -> Vec<String> {
    let mut params: Vec<(&str, String)> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    let mut this = "key";
    for (i, phrase) in term.split_whitespace().enumerate() {
        if phrase.contains('=') {
            for k in INI_OPTIONS {
                if phrase.contains(&format!("{k}=")) {
                    this = k;
                }
            }
        }
        match params.iter_mut().find(|(k, _)| *k == this) {
            Some((_, v)) if i != 0 && !v.is_empty() => {
                v.push(' ');
                v.push_str(phrase);
            }
            Some((_, v)) => {
                *v = phrase.to_owned();
                keys.push(this);
            }
            None => {
                params.push((this, phrase.to_owned()));
                keys.push(this);
            }
        }
    }
    keys.iter()
        .map(|k| {
            params
                .iter()
                .find(|(p, _)| p == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// An option as the plugin's config system converts it (`boolean` options from words).
fn ini_flag(opts: &Map<String, Json>, key: &str, default: bool) -> bool {
    opts.get(key).map_or(default, crate::filters::truthy_word)
}

fn ini_str(opts: &Map<String, Json>, key: &str, default: &str) -> String {
    opts.get(key).map_or_else(|| default.to_owned(), py_str)
}

/// `ini`: values of keys (or of keys matching a regex) in a section of an ini file, or of a
/// Java properties file, found in the `files` search path.
fn ini(
    scope: &Scope,
    terms: &[Json],
    kwargs: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let err = |m: String| plugin_error("ini", m);
    let mut opts = kwargs.clone();
    if let Some(v) = opts.remove("allow_none") {
        opts.entry("allow_no_value").or_insert(v);
    }
    // The parser is built once, from the options given as keywords (inline ones come later).
    let mut parser = crate::ini::Ini::new(crate::ini::IniOptions {
        allow_no_value: ini_flag(&opts, "allow_no_value", false),
        case_sensitive: ini_flag(&opts, "case_sensitive", false),
    });
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        let mut key = term.clone();
        if term.contains('=') || term.trim().contains(' ') {
            let params = ini_params(&term);
            let mut updated_key = false;
            for param in &params {
                if param.contains('=') {
                    let parts: Vec<&str> = param.split('=').collect();
                    let [name, value] = parts[..] else {
                        return Err(err(format!(
                            "Could not use {} from {}: too many values to unpack (expected 2)",
                            crate::convert::py_str_repr(param),
                            py_str(&Json::Array(
                                params.iter().cloned().map(Json::String).collect()
                            ))
                        )));
                    };
                    if !INI_OPTIONS.contains(&name) {
                        return Err(err(format!(
                            "{} is not a valid option.",
                            crate::convert::py_str_repr(name)
                        )));
                    }
                    opts.insert(name.to_owned(), Json::String(value.to_owned()));
                } else if key == term {
                    // Only the first word that is not an option: the form never took more.
                    key.clone_from(param);
                    updated_key = true;
                }
            }
            if !updated_key {
                return Err(err(format!(
                    "No key to look up was provided as first term within string inline options: {term}"
                )));
            }
        }
        let kind = ini_str(&opts, "type", "ini");
        let file = ini_str(&opts, "file", "ansible.ini");
        let mut section = ini_str(&opts, "section", "global");
        if kind != "ini" && kind != "properties" {
            return Err(err(format!(
                "Invalid value \"{kind}\" for configuration option \"plugin_type: lookup plugin: ini setting: type \", valid values are: ini, properties"
            )));
        }
        let path =
            find(scope, "files", &file).ok_or_else(|| err("Invalid filename None.".to_owned()))?;
        let bytes = fs_err::read(&path).map_err(|e| err(e.to_string()))?;
        let mut text =
            crate::ini::decode(&bytes, &ini_str(&opts, "encoding", "utf-8")).map_err(err)?;
        if kind == "properties" {
            // Java properties have no sections: the plugin puts them in one.
            text.insert_str(0, "[java_properties]\n");
            section = "java_properties".to_owned();
        }
        parser.read(&text).map_err(|e| {
            if e.contains("already exists") && e.contains("option") {
                err(format!(
                    "Duplicate option in {}: {e}",
                    crate::convert::py_str_repr(&file)
                ))
            } else {
                err(e)
            }
        })?;
        if !parser.has_section(&section) {
            return Err(err(format!(
                "No section {} in {}.",
                crate::convert::py_str_repr(&section),
                crate::convert::py_str_repr(&file)
            )));
        }
        let interpolate = ini_flag(&opts, "interpolation", true);
        if ini_flag(&opts, "re", false) {
            let re =
                crate::regex_py::compile(&format!("\\A(?:{key})"), false, false).map_err(err)?;
            for (k, v) in parser.items(&section, interpolate).map_err(err)? {
                if re.is_match(&k) {
                    out.push(v.map_or(Json::Null, Json::String));
                }
            }
        } else {
            match parser.get(&section, &key, interpolate).map_err(err)? {
                None => match opts.get("default") {
                    Some(Json::Null) => {}
                    Some(d) => out.push(d.clone()),
                    None => out.push(Json::String(String::new())),
                },
                Some(None) => {}
                Some(Some(v)) => out.push(Json::String(v)),
            }
        }
    }
    Ok(out)
}

/// `random_choice`: one of the terms, picked at random (all of none).
fn random_choice(terms: &[Json]) -> Vec<Json> {
    use std::hash::{BuildHasher, RandomState};
    if terms.is_empty() {
        return Vec::new();
    }
    // std's per-process random hash keys are the randomness; no choice needs to be secret.
    let r = RandomState::new().hash_one(std::time::SystemTime::now());
    let at = usize::try_from(r % terms.len() as u64).unwrap_or(0);
    vec![terms[at].clone()]
}

/// `varnames`: the names of the task's variables a Python regex finds (`re.search`), for each
/// term in turn.
fn varnames(scope: &Scope, terms: &[Json]) -> Result<Vec<Json>, TemplateError> {
    let mut out = Vec::new();
    for t in terms {
        let Json::String(term) = t else {
            return Err(plugin_error(
                "varnames",
                format!(
                    "Invalid setting identifier, \"{}\" is not a string, it is a <class '{}'>",
                    py_str(t),
                    crate::convert::py_type(t)
                ),
            ));
        };
        let re = crate::regex_py::compile(term, false, false).map_err(|e| {
            plugin_error(
                "varnames",
                format!(
                    "Unable to use \"{term}\" as a search parameter: {}",
                    crate::regex_py::python_error(term, &e)
                ),
            )
        })?;
        out.extend(
            scope
                .vars
                .keys()
                .filter(|k| k.as_str() != crate::UNTRUSTED_VARS && re.is_match(k))
                .map(|k| Json::String(k.clone())),
        );
    }
    Ok(out)
}

/// `csvfile`: for each key, the `col` column of the first row of a CSV file whose `keycol`
/// column is the key (Python's csv module, excel dialect); inline `k=v` options as the plugin
/// parses them.
fn csvfile(
    scope: &Scope,
    terms: &[Json],
    kwargs: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let err = |m: String| plugin_error("csvfile", m);
    const OPTIONS: &[&str] = &["col", "keycol", "default", "delimiter", "file", "encoding"];
    let mut opts = kwargs.clone();
    if let Some(bad) = opts.keys().find(|k| !OPTIONS.contains(&k.as_str())) {
        return Err(err(format!(
            "{} is not a valid option",
            crate::convert::py_str_repr(bad)
        )));
    }
    if terms.is_empty() {
        return Err(err("Search key is required but was not found".to_owned()));
    }
    let mut out = Vec::new();
    for t in terms {
        let (raw, kv) = split_kv(&py_str(t));
        let Some(key) = raw else {
            return Err(err("Search key is required but was not found".to_owned()));
        };
        for (name, value) in kv {
            if !OPTIONS.contains(&name.as_str()) {
                return Err(err(format!(
                    "{} is not a valid option",
                    crate::convert::py_str_repr(&name)
                )));
            }
            opts.insert(name, Json::String(value));
        }
        // The config system's `int` conversion, and its wording when it refuses a value.
        let int_opt = |name: &str, default: usize| -> Result<usize, TemplateError> {
            let invalid = |shown: String| {
                err(format!(
                    "Config '{name}' for 'csvfile' lookup plugin from 'Direct' has an invalid value: Invalid value provided for 'int': {shown}"
                ))
            };
            match opts.get(name) {
                None => Ok(default),
                Some(Json::Number(n)) => n
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| invalid(n.to_string())),
                Some(other) => py_str(other)
                    .trim()
                    .parse()
                    .map_err(|_| invalid(crate::convert::py_repr(other))),
            }
        };
        let col = int_opt("col", 1)?;
        let keycol = int_opt("keycol", 0)?;
        let mut delimiter = ini_str(&opts, "delimiter", "TAB");
        if delimiter == "TAB" {
            delimiter = "\t".to_owned();
        }
        let Some(delim) = delimiter
            .chars()
            .next()
            .filter(|_| delimiter.chars().count() == 1)
        else {
            return Err(err("\"delimiter\" must be a 1-character string".to_owned()));
        };
        let file = ini_str(&opts, "file", "ansible.csv");
        let path = find(scope, "files", &file).ok_or_else(|| {
            err("expected str, bytes or os.PathLike object, not NoneType".to_owned())
        })?;
        let bytes = fs_err::read(&path).map_err(|e| err(e.to_string()))?;
        let text = crate::ini::decode(&bytes, &ini_str(&opts, "encoding", "utf-8")).map_err(err)?;
        let found = csv_rows(&text, delim)
            .into_iter()
            .find(|row| row.get(keycol).is_some_and(|k| *k == key));
        match found {
            Some(row) => match row.get(col) {
                Some(v) => out.push(Json::String(v.clone())),
                None => return Err(err("list index out of range".to_owned())),
            },
            // A list default is spread into the results, as the plugin extends with it.
            None => match opts.get("default") {
                None | Some(Json::Null) => {}
                Some(Json::Array(items)) => out.extend(items.iter().cloned()),
                Some(d) => out.push(d.clone()),
            },
        }
    }
    Ok(out)
}

/// `parse_kv` for the lookups' inline options: words split on spaces outside quotes; a word
/// `name=value` (a plain name) is an option, its value unquoted; the other words, joined with
/// spaces, are the raw parameter.
fn split_kv(term: &str) -> (Option<String>, Vec<(String, String)>) {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in term.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let unquote = |v: &str| -> String {
        for q in ['"', '\''] {
            if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
                return inner.to_owned();
            }
        }
        v.to_owned()
    };
    let mut raw: Vec<String> = Vec::new();
    let mut kv = Vec::new();
    for w in words {
        match w.split_once('=') {
            Some((k, v))
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                kv.push((k.to_owned(), unquote(v)));
            }
            _ => raw.push(w),
        }
    }
    let raw = (!raw.is_empty()).then(|| raw.join(" "));
    (raw, kv)
}

/// The rows of a CSV text as Python's `csv.reader` (excel dialect) reads them: fields split
/// on `delim`, `"` quotes (a doubled one is a quote), line ends `\n`, `\r\n` or `\r` outside
/// quotes; blank lines are empty rows.
fn csv_rows(text: &str, delim: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            c if c == delim => {
                row.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if !row.is_empty() || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                }
                rows.push(std::mem::take(&mut row));
                at_start = true;
            }
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if !row.is_empty() || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

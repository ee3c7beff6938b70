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
    match run(&scope, name, &jterms, &opts) {
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
        "template" => template(scope, terms),
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
        "first_found" => first_found(scope, terms, opts),
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
                let cmd = py_str(t);
                let res = std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(&cmd)
                    .output()
                    .map_err(|e| plugin_error("pipe", e))?;
                if !res.status.success() {
                    return Err(plugin_error(
                        "pipe",
                        format!(
                            "lookup_plugin.pipe({cmd}) returned {}",
                            res.status.code().unwrap_or(-1)
                        ),
                    ));
                }
                out.push(Json::String(
                    String::from_utf8_lossy(&res.stdout).trim_end().to_owned(),
                ));
            }
            Ok(out)
        }
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

/// Candidate paths for `term` in `subdir` of each search path, as `find_file_in_search_path`.
fn candidates(scope: &Scope, subdir: &str, term: &str) -> Vec<PathBuf> {
    let expanded = crate::filters::expand_user(term);
    let p = Path::new(&expanded);
    if p.is_absolute() {
        return vec![p.to_path_buf()];
    }
    let mut out = Vec::new();
    for base in &scope.search_paths {
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
        let text = fs_err::read_to_string(&path).map_err(|e| {
            plugin_error("file", format!("Unable to access the file '{term}': {e}"))
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

fn template(scope: &Arc<Scope>, terms: &[Json]) -> Result<Vec<Json>, TemplateError> {
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        let path = find(scope, "templates", &term).ok_or_else(|| {
            plugin_error(
                "template",
                format!("the template file {term} could not be found for the lookup"),
            )
        })?;
        let text = fs_err::read_to_string(&path).map_err(|e| plugin_error("template", e))?;
        out.push(Json::String(crate::render::render_string(
            scope, &text, false, None,
        )?));
    }
    Ok(out)
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
        scope
            .search_paths
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

fn first_found(
    scope: &Scope,
    terms: &[Json],
    opts: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let mut files: Vec<String> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let push_list = |v: &Json, into: &mut Vec<String>| match v {
        Json::Array(a) => into.extend(a.iter().map(py_str)),
        Json::String(s) => into.extend(s.split([',', ';']).map(str::to_owned)),
        other => into.push(py_str(other)),
    };
    for t in terms {
        match t {
            Json::Object(m) => {
                if let Some(f) = m.get("files") {
                    push_list(f, &mut files);
                }
                if let Some(p) = m.get("paths") {
                    push_list(p, &mut paths);
                }
            }
            Json::Array(a) => files.extend(a.iter().map(py_str)),
            other => files.push(py_str(other)),
        }
    }
    if let Some(f) = opts.get("files") {
        push_list(f, &mut files);
    }
    if let Some(p) = opts.get("paths") {
        push_list(p, &mut paths);
    }
    let skip = opts.get("skip").is_some_and(crate::filters::truthy_word);
    for f in &files {
        let found = if paths.is_empty() {
            find(scope, "files", f)
        } else {
            paths
                .iter()
                .map(|p| Path::new(p).join(f))
                .find(|p| p.is_file())
        };
        if let Some(p) = found {
            return Ok(vec![Json::String(p.to_string_lossy().into_owned())]);
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(plugin_error(
        "first_found",
        "No file was found when using first_found.",
    ))
}

//! Ansible's filters (`plugins/filter/core.py`, `mathstuff.py`) on JSON-shaped values.

use std::path::{Component, Path, PathBuf};

use base64::Engine;
use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use crate::convert::{json_to_value, py_str, py_type, value_to_json};
use crate::pyjson;
use crate::regex_py;
use crate::scope::Scope;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("d", minijinja::filters::default);
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("string", to_string);
    env.add_filter("join", join);
    env.add_filter("split", split);
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", regex_escape);
    env.add_filter("unique", unique);
    env.add_filter("union", union);
    env.add_filter("difference", difference);
    env.add_filter("intersect", intersect);
    env.add_filter("symmetric_difference", symmetric_difference);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("combine", combine);
    env.add_filter("flatten", flatten);
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_nice_yaml", to_nice_yaml);
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("quote", quote);
    env.add_filter("basename", basename);
    env.add_filter("dirname", dirname);
    env.add_filter("expanduser", expanduser);
    env.add_filter("realpath", realpath);
    env.add_filter("splitext", splitext);
    env.add_filter("path_join", path_join);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("type_debug", type_debug);
    env.add_filter("hash", hash);
    env.add_filter("checksum", checksum);
    env.add_filter("sha1", checksum);
    env.add_filter("extract", extract);
    env.add_filter("zip", zip);
}

pub(crate) fn fail(plugin: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("The filter plugin 'ansible.builtin.{plugin}' failed: {msg}"),
    )
}

fn j(v: &Value) -> Result<Json, Error> {
    value_to_json(v)
}

fn out(v: Json) -> Value {
    json_to_value(&v)
}

/// Python's `to_text()` of a filter's input.
fn text(v: &Value) -> Result<String, Error> {
    Ok(py_str(&j(v)?))
}

fn list_of(plugin: &str, v: &Value) -> Result<Vec<Json>, Error> {
    match j(v)? {
        Json::Array(a) => Ok(a),
        Json::Object(m) => Ok(m.into_iter().map(|(k, _)| Json::String(k)).collect()),
        Json::String(s) => Ok(s.chars().map(|c| Json::String(c.to_string())).collect()),
        other => Err(fail(
            plugin,
            format!("'{}' object is not iterable", py_type(&other)),
        )),
    }
}

/// Ansible's `boolean(value, strict=False)`.
pub(crate) fn truthy_word(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64() == Some(1.0),
        Json::String(s) => matches!(
            s.trim().to_lowercase().as_str(),
            "y" | "yes" | "on" | "1" | "true" | "t" | "1.0"
        ),
        _ => false,
    }
}

fn to_bool(v: Value) -> Result<Value, Error> {
    Ok(Value::from(truthy_word(&j(&v)?)))
}

/// Python's `int(str, base)`: optional sign, digits, underscores between digits.
fn parse_py_int(s: &str, base: u32) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = digits.to_lowercase();
    let digits = match base {
        16 => lower.strip_prefix("0x").unwrap_or(&lower),
        8 => lower.strip_prefix("0o").unwrap_or(&lower),
        2 => lower.strip_prefix("0b").unwrap_or(&lower),
        _ => &lower,
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let n = i64::from_str_radix(&digits.replace('_', ""), base).ok()?;
    Some(if neg { -n } else { n })
}

fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim().to_lowercase();
    match t.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ if t.contains("inf") || t.contains("nan") => None,
        _ => t.parse().ok(),
    }
}

fn to_int(v: Value, default: Option<Value>, base: Option<u32>) -> Result<Value, Error> {
    let base = base.unwrap_or(10);
    let parsed = match j(&v)? {
        Json::Bool(b) => Some(i64::from(b)),
        Json::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Json::String(s) => parse_py_int(&s, base).or_else(|| {
            parse_py_float(&s)
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        _ => None,
    };
    Ok(match parsed {
        Some(i) => Value::from(i),
        None => default.unwrap_or_else(|| Value::from(0)),
    })
}

fn to_float(v: Value, default: Option<Value>) -> Result<Value, Error> {
    let parsed = match j(&v)? {
        Json::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        Json::Number(n) => n.as_f64(),
        Json::String(s) => parse_py_float(&s),
        _ => None,
    };
    Ok(match parsed {
        Some(f) => Value::from(f),
        None => default.unwrap_or_else(|| Value::from(0.0)),
    })
}

fn to_string(v: Value) -> Result<Value, Error> {
    Ok(Value::from(text(&v)?))
}

fn join(v: Value, sep: Option<String>, attribute: Option<String>) -> Result<Value, Error> {
    let sep = sep.unwrap_or_default();
    let items = match j(&v)? {
        Json::Array(a) => a,
        Json::String(s) => {
            return Ok(Value::from(
                s.chars().map(String::from).collect::<Vec<_>>().join(&sep),
            ))
        }
        Json::Object(m) => m.into_iter().map(|(k, _)| Json::String(k)).collect(),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("'{}' object is not iterable", py_type(&other)),
            ))
        }
    };
    let parts: Vec<String> = items
        .iter()
        .map(|i| match &attribute {
            Some(a) => i.get(a).map(py_str).unwrap_or_default(),
            None => py_str(i),
        })
        .collect();
    Ok(Value::from(parts.join(&sep)))
}

fn split(v: Value, sep: Option<String>, maxsplit: Option<i64>) -> Result<Value, Error> {
    let s = text(&v)?;
    let max = maxsplit.filter(|m| *m >= 0).map(|m| m as usize);
    let parts: Vec<String> = match sep.as_deref() {
        None => {
            let mut parts = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if max.is_some_and(|m| parts.len() >= m) {
                    parts.push(rest.trim_end().to_owned());
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                parts.push(rest[..end].to_owned());
                rest = rest[end..].trim_start();
            }
            parts
        }
        Some("") => return Err(fail("split", "empty separator")),
        Some(sep) => match max {
            Some(m) => s.splitn(m + 1, sep).map(String::from).collect(),
            None => s.split(sep).map(String::from).collect(),
        },
    };
    Ok(Value::from(parts))
}

fn regex_replace(
    v: Value,
    pattern: Option<String>,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let s = text(&v)?;
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let re = regex_py::compile(&pattern.unwrap_or_default(), ignorecase, multiline)
        .map_err(|e| fail("regex_replace", e))?;
    let rep = regex_py::replacement(&replacement.unwrap_or_default())
        .map_err(|e| fail("regex_replace", e))?;
    let found = re.find_iter(&s).count();
    if mandatory > 0 && found != mandatory {
        return Err(fail(
            "regex_replace",
            format!(
                "'{}' should match {mandatory} times, but matches {found} times",
                re.as_str()
            ),
        ));
    }
    Ok(Value::from(
        re.replacen(&s, count, rep.as_str()).into_owned(),
    ))
}

fn regex_search(
    v: Value,
    pattern: String,
    args: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let s = text(&v)?;
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let re =
        regex_py::compile(&pattern, ignorecase, multiline).map_err(|e| fail("regex_search", e))?;
    let Some(caps) = re.captures(&s) else {
        return Ok(Value::from(()));
    };
    if args.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let mut items = Vec::new();
    for arg in args.iter() {
        let group = if let Some(n) = arg.strip_prefix("\\g<").and_then(|r| r.strip_suffix('>')) {
            match n.parse::<usize>() {
                Ok(i) => caps.get(i),
                Err(_) => caps.name(n),
            }
        } else if let Some(n) = arg.strip_prefix('\\').and_then(|r| r.parse::<usize>().ok()) {
            caps.get(n)
        } else {
            return Err(fail("regex_search", format!("Unknown argument: {arg}")));
        };
        items.push(group.map_or(Json::Null, |m| Json::String(m.as_str().to_owned())));
    }
    Ok(out(Json::Array(items)))
}

fn regex_findall(v: Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let s = text(&v)?;
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let re =
        regex_py::compile(&pattern, ignorecase, multiline).map_err(|e| fail("regex_findall", e))?;
    let groups = re.captures_len() - 1;
    let mut items = Vec::new();
    for caps in re.captures_iter(&s) {
        let g = |i: usize| Json::String(caps.get(i).map_or("", |m| m.as_str()).to_owned());
        items.push(match groups {
            0 => g(0),
            1 => g(1),
            n => Json::Array((1..=n).map(g).collect()),
        });
    }
    Ok(out(Json::Array(items)))
}

fn regex_escape(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let mut o = String::new();
    for c in s.chars() {
        if !(c.is_alphanumeric() || c == '_') && (c as u32) < 128 {
            o.push('\\');
        }
        o.push(c);
    }
    Ok(Value::from(o))
}

fn dedup(items: Vec<Json>) -> Vec<Json> {
    let mut o: Vec<Json> = Vec::new();
    for i in items {
        if !o.contains(&i) {
            o.push(i);
        }
    }
    o
}

fn unique(v: Value) -> Result<Value, Error> {
    Ok(out(Json::Array(dedup(list_of("unique", &v)?))))
}

fn union(a: Value, b: Value) -> Result<Value, Error> {
    let mut x = list_of("union", &a)?;
    x.extend(list_of("union", &b)?);
    Ok(out(Json::Array(dedup(x))))
}

fn difference(a: Value, b: Value) -> Result<Value, Error> {
    let y = list_of("difference", &b)?;
    let x = dedup(list_of("difference", &a)?);
    Ok(out(Json::Array(
        x.into_iter().filter(|i| !y.contains(i)).collect(),
    )))
}

fn intersect(a: Value, b: Value) -> Result<Value, Error> {
    let y = list_of("intersect", &b)?;
    let x = dedup(list_of("intersect", &a)?);
    Ok(out(Json::Array(
        x.into_iter().filter(|i| y.contains(i)).collect(),
    )))
}

fn symmetric_difference(a: Value, b: Value) -> Result<Value, Error> {
    let x = list_of("symmetric_difference", &a)?;
    let y = list_of("symmetric_difference", &b)?;
    let both: Vec<Json> = dedup(x.clone())
        .into_iter()
        .filter(|i| y.contains(i))
        .collect();
    let mut all = x;
    all.extend(y);
    Ok(out(Json::Array(
        dedup(all)
            .into_iter()
            .filter(|i| !both.contains(i))
            .collect(),
    )))
}

fn dict2items(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let kn = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or_else(|| "key".into());
    let vn = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    let Json::Object(m) = j(&v)? else {
        return Err(fail(
            "dict2items",
            format!(
                "dict2items requires a dictionary, got {} instead.",
                py_type(&j(&v)?)
            ),
        ));
    };
    let items = m
        .into_iter()
        .map(|(k, val)| {
            let mut e = serde_json::Map::new();
            e.insert(kn.clone(), Json::String(k));
            e.insert(vn.clone(), val);
            Json::Object(e)
        })
        .collect();
    Ok(out(Json::Array(items)))
}

fn items2dict(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let kn = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or_else(|| "key".into());
    let vn = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    let Json::Array(a) = j(&v)? else {
        return Err(fail(
            "items2dict",
            "items2dict requires a list, got a non-list instead.",
        ));
    };
    let mut m = serde_json::Map::new();
    for item in a {
        let (Some(k), Some(val)) = (item.get(&kn), item.get(&vn)) else {
            return Err(fail(
                "items2dict",
                format!("items2dict requires each dictionary to have '{kn}' and '{vn}' keys"),
            ));
        };
        let key = match k {
            Json::String(s) => s.clone(),
            other => py_str(other),
        };
        m.insert(key, val.clone());
    }
    Ok(out(Json::Object(m)))
}

fn merge(
    a: &mut serde_json::Map<String, Json>,
    b: serde_json::Map<String, Json>,
    recursive: bool,
    list_merge: &str,
) {
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(Json::Object(x)), Json::Object(y)) if recursive => {
                merge(x, y, recursive, list_merge)
            }
            (Some(Json::Array(x)), Json::Array(y)) => match list_merge {
                "append" => x.extend(y),
                "prepend" => {
                    let mut n = y;
                    n.append(x);
                    *x = n;
                }
                "append_rp" => {
                    x.retain(|i| !y.contains(i));
                    x.extend(y);
                }
                "prepend_rp" => {
                    let mut n = y.clone();
                    n.extend(x.drain(..).filter(|i| !y.contains(i)));
                    *x = n;
                }
                "keep" => {}
                _ => *x = y,
            },
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
}

fn combine(v: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = kwargs
        .get::<Option<String>>("list_merge")?
        .unwrap_or_else(|| "replace".into());
    kwargs.assert_all_used()?;
    let mut dicts = vec![j(&v)?];
    for o in others.iter() {
        match j(o)? {
            Json::Array(a) => dicts.extend(a),
            other => dicts.push(other),
        }
    }
    let mut acc = serde_json::Map::new();
    for d in dicts {
        let Json::Object(m) = d else {
            return Err(fail(
                "combine",
                format!(
                    "failed to combine variables, expected dicts but got a '{}'",
                    py_type(&d)
                ),
            ));
        };
        merge(&mut acc, m, recursive, &list_merge);
    }
    Ok(out(Json::Object(acc)))
}

fn flatten_into(items: Vec<Json>, levels: Option<i64>, skip_nulls: bool, o: &mut Vec<Json>) {
    for i in items {
        match i {
            Json::Null if skip_nulls => {}
            Json::Array(a) if levels.is_none_or(|l| l > 0) => {
                flatten_into(a, levels.map(|l| l - 1), skip_nulls, o)
            }
            other => o.push(other),
        }
    }
}

fn flatten(v: Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    kwargs.assert_all_used()?;
    let mut o = Vec::new();
    flatten_into(list_of("flatten", &v)?, levels, skip_nulls, &mut o);
    Ok(out(Json::Array(o)))
}

fn to_json(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?;
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false);
    let _ = kwargs.get::<Option<bool>>("ensure_ascii")?;
    kwargs.assert_all_used()?;
    let sep = if indent.is_some() { "," } else { ", " };
    Ok(Value::from(pyjson::dumps(&j(&v)?, indent, sort_keys, sep)))
}

fn to_nice_json(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(4);
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    Ok(Value::from(pyjson::dumps(
        &j(&v)?,
        Some(indent),
        sort_keys,
        ",",
    )))
}

fn from_json(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let parsed: Json = serde_json::from_str(&s).map_err(|e| fail("from_json", e))?;
    Ok(out(parsed))
}

fn to_yaml(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(2);
    let flow = kwargs.get::<Option<Value>>("default_flow_style")?;
    let _ = kwargs.get::<Option<Value>>("width")?;
    kwargs.assert_all_used()?;
    let style = match flow {
        Some(f) if f.is_none() => crate::yaml::Flow::Auto,
        Some(f) if f.is_true() => crate::yaml::Flow::Always,
        Some(_) => crate::yaml::Flow::Never,
        None => crate::yaml::Flow::Auto,
    };
    Ok(Value::from(crate::yaml::dump(&j(&v)?, indent, style)))
}

fn to_nice_yaml(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(4);
    let _ = kwargs.get::<Option<Value>>("width")?;
    kwargs.assert_all_used()?;
    Ok(Value::from(crate::yaml::dump(
        &j(&v)?,
        indent,
        crate::yaml::Flow::Never,
    )))
}

fn from_yaml(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let parsed = crate::yaml::load(&s).map_err(|e| fail("from_yaml", e))?;
    Ok(out(parsed))
}

/// `shlex.quote`.
pub(crate) fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let safe = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\"'\"'"))
    }
}

fn quote(v: Value) -> Result<Value, Error> {
    let s = match j(&v)? {
        Json::Null => String::new(),
        other => py_str(&other),
    };
    Ok(Value::from(shell_quote(&s)))
}

fn basename(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    Ok(Value::from(s.rsplit('/').next().unwrap_or("")))
}

/// `posixpath.dirname`.
fn dirname(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let head = match s.rfind('/') {
        Some(i) => &s[..=i],
        None => "",
    };
    let trimmed = head.trim_end_matches('/');
    Ok(Value::from(if trimmed.is_empty() { head } else { trimmed }))
}

pub(crate) fn expand_user(s: &str) -> String {
    if s == "~" || s.starts_with("~/") {
        if let Ok(home) = std::env::var("HOME") {
            let home = if home.len() > 1 {
                home.trim_end_matches('/')
            } else {
                &home
            };
            return format!("{home}{}", &s[1..]);
        }
    }
    s.to_owned()
}

fn expanduser(v: Value) -> Result<Value, Error> {
    Ok(Value::from(expand_user(&text(&v)?)))
}

/// `os.path.normpath` of an absolute path.
fn normalize(p: &Path) -> PathBuf {
    let mut o = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                o.pop();
            }
            Component::Normal(n) => o.push(n),
            _ => {}
        }
    }
    o
}

fn realpath(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let p = Path::new(&s);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(p)
    };
    let r = std::fs::canonicalize(&abs).unwrap_or_else(|_| normalize(&abs));
    Ok(Value::from(r.to_string_lossy().into_owned()))
}

fn splitext(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let base_start = s.rfind('/').map_or(0, |i| i + 1);
    let base = &s[base_start..];
    let dot = base
        .rfind('.')
        .filter(|&i| base[..i].chars().any(|c| c != '.'));
    let (a, b) = match dot {
        Some(i) => (
            s[..base_start + i].to_owned(),
            s[base_start + i..].to_owned(),
        ),
        None => (s.clone(), String::new()),
    };
    Ok(Value::from(vec![a, b]))
}

fn path_join(v: Value) -> Result<Value, Error> {
    let parts: Vec<String> = match j(&v)? {
        Json::Array(a) => a.iter().map(py_str).collect(),
        other => vec![py_str(&other)],
    };
    let mut o = String::new();
    for p in parts {
        if p.starts_with('/') {
            o = p;
        } else if o.is_empty() || o.ends_with('/') {
            o.push_str(&p);
        } else {
            o.push('/');
            o.push_str(&p);
        }
    }
    Ok(Value::from(o))
}

fn b64encode(v: Value) -> Result<Value, Error> {
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(text(&v)?),
    ))
}

fn b64decode(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    // Python's non-validating decoder drops characters outside the alphabet.
    let cleaned: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/'))
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let bytes = engine
        .decode(&cleaned)
        .map_err(|_| fail("b64decode", "Incorrect padding"))?;
    Ok(Value::from(String::from_utf8_lossy(&bytes).into_owned()))
}

fn mandatory(state: &State, v: Value, msg: Option<String>) -> Result<Value, Error> {
    if !v.is_undefined() {
        return Ok(v);
    }
    let m = msg.unwrap_or_else(|| {
        let name = Scope::from_state(state)
            .and_then(|s| s.last_miss())
            .map(|m| m.name());
        match name {
            Some(n) => format!("Mandatory variable '{n}' not defined."),
            None => "Mandatory variable not defined.".into(),
        }
    });
    Err(fail("mandatory", m))
}

fn ternary(v: Value, t: Value, f: Value, none: Option<Value>) -> Result<Value, Error> {
    if v.is_none() {
        if let Some(n) = none {
            return Ok(n);
        }
    }
    Ok(if v.is_true() { t } else { f })
}

fn type_debug(v: Value) -> Result<Value, Error> {
    Ok(Value::from(py_type(&j(&v)?)))
}

fn digest(kind: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest;
    match kind {
        "sha1" => Some(hex::encode(sha1::Sha1::digest(data))),
        "sha256" => Some(hex::encode(sha2::Sha256::digest(data))),
        "sha512" => Some(hex::encode(sha2::Sha512::digest(data))),
        _ => None,
    }
}

fn hash(v: Value, kind: Option<String>) -> Result<Value, Error> {
    let kind = kind.unwrap_or_else(|| "sha1".into());
    match digest(&kind, text(&v)?.as_bytes()) {
        Some(h) => Ok(Value::from(h)),
        None => Ok(Value::from(())),
    }
}

fn checksum(v: Value) -> Result<Value, Error> {
    hash(v, None)
}

fn extract(item: Value, container: Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut cur = container.get_item(&item)?;
    if let Some(keys) = morekeys {
        let keys = match j(&keys)? {
            Json::Array(a) => a,
            other => vec![other],
        };
        for k in keys {
            cur = cur.get_item(&json_to_value(&k))?;
        }
    }
    Ok(cur)
}

fn zip(v: Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut lists = vec![list_of("zip", &v)?];
    for o in others.iter() {
        lists.push(list_of("zip", o)?);
    }
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    let rows = (0..n)
        .map(|i| Json::Array(lists.iter().map(|l| l[i].clone()).collect()))
        .collect();
    Ok(out(Json::Array(rows)))
}

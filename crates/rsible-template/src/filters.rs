//! Ansible's filters (`plugins/filter/core.py`, `mathstuff.py`) on JSON-shaped values.

use std::path::{Component, Path, PathBuf};

use base64::Engine;
use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde_json::Value as Json;

use crate::convert::{json_to_value, py_str, py_type, value_to_json};
use crate::filter_args::{bind, opt, opt_str};
use crate::pyjson;
use crate::pyset::{self, PySet};
use crate::regex_py;
use crate::scope::Scope;

mod comment;
pub(crate) mod crypt;
mod data;
mod jinja;
mod json_query;
mod math;
mod paths;
pub(crate) use paths::normpath_str;
pub(crate) mod pyrandom;
mod random;
mod time;

pub(crate) fn register(env: &mut Environment<'static>) {
    crate::env::add_filter(env, "selectattr", selectattr);
    crate::env::add_filter(env, "rejectattr", rejectattr);
    crate::env::add_filter(env, "default", default);
    crate::env::add_filter(env, "d", default);
    crate::env::add_filter(env, "bool", to_bool);
    crate::env::add_filter(env, "int", to_int);
    crate::env::add_filter(env, "float", to_float);
    crate::env::add_filter(env, "string", to_string);
    crate::env::add_filter(env, "join", join);
    crate::env::add_filter(env, "split", split);
    crate::env::add_filter(env, "regex_replace", regex_replace);
    crate::env::add_filter(env, "regex_search", regex_search);
    crate::env::add_filter(env, "regex_findall", regex_findall);
    crate::env::add_filter(env, "regex_escape", regex_escape);
    crate::env::add_filter(env, "unique", unique);
    crate::env::add_filter(env, "union", union);
    crate::env::add_filter(env, "difference", difference);
    crate::env::add_filter(env, "intersect", intersect);
    crate::env::add_filter(env, "symmetric_difference", symmetric_difference);
    crate::env::add_filter(env, "dict2items", dict2items);
    crate::env::add_filter(env, "items2dict", items2dict);
    crate::env::add_filter(env, "combine", combine);
    crate::env::add_filter(env, "flatten", flatten);
    crate::env::add_filter(env, "to_json", to_json);
    crate::env::add_filter(env, "to_nice_json", to_nice_json);
    crate::env::add_filter(env, "from_json", from_json);
    crate::env::add_filter(env, "to_yaml", to_yaml);
    crate::env::add_filter(env, "to_nice_yaml", to_nice_yaml);
    crate::env::add_filter(env, "from_yaml", from_yaml);
    crate::env::add_filter(env, "quote", quote);
    crate::env::add_filter(env, "basename", basename);
    crate::env::add_filter(env, "dirname", dirname);
    crate::env::add_filter(env, "expanduser", expanduser);
    crate::env::add_filter(env, "realpath", realpath);
    crate::env::add_filter(env, "splitext", splitext);
    crate::env::add_filter(env, "path_join", path_join);
    crate::env::add_filter(env, "b64encode", b64encode);
    crate::env::add_filter(env, "b64decode", b64decode);
    crate::env::add_filter(env, "mandatory", mandatory);
    crate::env::add_filter(env, "ternary", ternary);
    crate::env::add_filter(env, "type_debug", type_debug);
    crate::env::add_filter(env, "hash", hash);
    crate::env::add_filter(env, "checksum", checksum);
    crate::env::add_filter(env, "sha1", checksum);
    crate::env::add_filter(env, "extract", extract);
    crate::env::add_filter(env, "zip", zip);
    crate::env::add_filter(env, "product", product);
    crate::env::add_filter(env, "wordcount", wordcount);
    crate::env::add_filter(env, "comment", comment::comment);
    crate::env::add_filter(env, "password_hash", crypt::password_hash);
    crate::env::add_filter(env, "md5", crypt::md5);
    crate::env::add_filter(env, "to_uuid", crypt::to_uuid);
    crate::env::add_filter(env, "subelements", data::subelements);
    crate::env::add_filter(env, "from_yaml_all", data::from_yaml_all);
    env.add_filter("json_query", json_query::json_query);
    env.add_filter("community.general.json_query", json_query::json_query);
    crate::env::add_filter(env, "log", math::log);
    crate::env::add_filter(env, "pow", math::pow);
    crate::env::add_filter(env, "root", math::root);
    crate::env::add_filter(env, "human_readable", math::human_readable);
    crate::env::add_filter(env, "human_to_bytes", math::human_to_bytes);
    crate::env::add_filter(env, "combinations", math::combinations);
    crate::env::add_filter(env, "permutations", math::permutations);
    crate::env::add_filter(env, "zip_longest", math::zip_longest);
    crate::env::add_filter(env, "rekey_on_member", math::rekey_on_member);
    crate::env::add_filter(env, "normpath", paths::normpath);
    crate::env::add_filter(env, "relpath", paths::relpath);
    crate::env::add_filter(env, "commonpath", paths::commonpath);
    crate::env::add_filter(env, "expandvars", paths::expandvars);
    crate::env::add_filter(env, "win_basename", paths::win_basename);
    crate::env::add_filter(env, "win_dirname", paths::win_dirname);
    crate::env::add_filter(env, "win_splitdrive", paths::win_splitdrive);
    crate::env::add_filter(env, "fileglob", paths::fileglob);
    crate::env::add_filter(env, "random", random::random);
    crate::env::add_filter(env, "shuffle", random::shuffle);
    crate::env::add_filter(env, "strftime", time::strftime);
    crate::env::add_filter(env, "center", jinja::center);
    crate::env::add_filter(env, "truncate", jinja::truncate);
    crate::env::add_filter(env, "filesizeformat", jinja::filesizeformat);
    crate::env::add_filter(env, "striptags", jinja::striptags);
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

pub(crate) fn list_of(plugin: &str, v: &Value) -> Result<Vec<Json>, Error> {
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

/// Ansible's `default(value, default_value='', boolean=False)`.
fn default(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["default_value", "boolean"], &args, &kwargs)?;
    let other = a[0].clone().unwrap_or_else(|| Value::from(""));
    let boolean = a[1].as_ref().is_some_and(Value::is_true);
    Ok(if v.is_undefined() || (boolean && !v.is_true()) {
        other
    } else {
        v
    })
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
fn parse_py_int(s: &str, base: u32) -> Option<i128> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = digits.to_lowercase();
    // Base 0 reads the base from the prefix, and then a plain number may not start with 0.
    let (base, digits) = match base {
        0 => match lower.get(..2) {
            Some("0x") => (16, &lower[2..]),
            Some("0o") => (8, &lower[2..]),
            Some("0b") => (2, &lower[2..]),
            _ if lower.starts_with('0') && lower.trim_start_matches(['0', '_']).is_empty() => {
                (10, lower.as_str())
            }
            _ if lower.starts_with('0') => return None,
            _ => (10, lower.as_str()),
        },
        16 => (16, lower.strip_prefix("0x").unwrap_or(&lower)),
        8 => (8, lower.strip_prefix("0o").unwrap_or(&lower)),
        2 => (2, lower.strip_prefix("0b").unwrap_or(&lower)),
        // Python raises ValueError for any other base outside 2..=36.
        b if (2..=36).contains(&b) => (b, lower.as_str()),
        _ => return None,
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let n = i128::from_str_radix(&digits.replace('_', ""), base).ok()?;
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

/// Jinja's `int(value, default=0, base=10)`; both parameters may be given by name.
fn to_int(
    v: Value,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default = match default {
        Some(d) => Some(d),
        None => kwargs.get::<Option<Value>>("default")?,
    };
    let base = match base {
        Some(b) => b,
        None => kwargs.get::<Option<u32>>("base")?.unwrap_or(10),
    };
    kwargs.assert_all_used()?;
    // Python ints are unbounded: keep what 64 bits (signed or not) can hold exactly.
    let from_float = |f: f64| f.is_finite().then(|| f.trunc() as i128);
    let parsed = match j(&v)? {
        Json::Bool(b) => Some(i128::from(b)),
        Json::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().and_then(from_float)),
        Json::String(s) => {
            parse_py_int(&s, base).or_else(|| parse_py_float(&s).and_then(from_float))
        }
        _ => None,
    };
    Ok(match parsed {
        Some(i) => match (i64::try_from(i), u64::try_from(i)) {
            (Ok(small), _) => Value::from(small),
            (Err(_), Ok(unsigned)) => Value::from(unsigned),
            _ => Value::from(i),
        },
        None => default.unwrap_or_else(|| Value::from(0)),
    })
}

/// Jinja's `float(value, default=0.0)`; `default` may be given by name.
fn to_float(v: Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = match default {
        Some(d) => Some(d),
        None => kwargs.get::<Option<Value>>("default")?,
    };
    kwargs.assert_all_used()?;
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

/// Jinja's `join(value, d='', attribute=None)`.
fn join(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["d", "attribute"], &args, &kwargs)?;
    let sep = opt_str(a[0].as_ref())?.unwrap_or_default();
    let attribute = opt_str(a[1].as_ref())?;
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

/// Python's `str.split(sep=None, maxsplit=-1)`.
fn split(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["sep", "maxsplit"], &args, &kwargs)?;
    let sep = opt_str(a[0].as_ref())?;
    let maxsplit: Option<i64> = opt(a[1].as_ref())?;
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

fn regex_replace(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(
        &[
            "pattern",
            "replacement",
            "ignorecase",
            "multiline",
            "count",
            "mandatory_count",
        ],
        &args,
        &kwargs,
    )?;
    let pattern = opt_str(a[0].as_ref())?;
    let replacement = opt_str(a[1].as_ref())?;
    let ignorecase = a[2].as_ref().is_some_and(Value::is_true);
    let multiline = a[3].as_ref().is_some_and(Value::is_true);
    let count: usize = opt(a[4].as_ref())?.unwrap_or(0);
    let mandatory: usize = opt(a[5].as_ref())?.unwrap_or(0);
    let s = text(&v)?;
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

/// Ansible's `regex_search(value, regex, *args, **kwargs)`: `args` name groups to return.
fn regex_search(v: Value, args: Rest<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let (pattern, args) = match args.split_first() {
        Some((p, rest)) => (p.clone(), rest.to_vec()),
        None => match kwargs.get::<Option<String>>("regex")? {
            Some(p) => (p, Vec::new()),
            None => return Err(Error::from(ErrorKind::MissingArgument)),
        },
    };
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

/// Jinja's `unique(case_sensitive=False, attribute=None)`, with Ansible's fallback to plain
/// `==` when an item cannot be hashed.
fn unique(
    v: Value,
    case_sensitive: Option<bool>,
    attribute: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let case_sensitive = match case_sensitive {
        Some(c) => Some(c),
        None => kwargs.get::<Option<bool>>("case_sensitive")?,
    };
    let attribute = match attribute {
        Some(a) => Some(a),
        None => kwargs.get::<Option<String>>("attribute")?,
    };
    kwargs.assert_all_used()?;
    let items = list_of("unique", &v)?;
    let key_of = |item: &Json| {
        let mut key = item.clone();
        if let Some(attr) = &attribute {
            for part in attr.split('.') {
                key = match (&key, part.parse::<usize>()) {
                    (Json::Array(a), Ok(i)) => a.get(i).cloned().unwrap_or(Json::Null),
                    (Json::Object(m), _) => m.get(part).cloned().unwrap_or(Json::Null),
                    _ => Json::Null,
                };
            }
        }
        if case_sensitive == Some(true) {
            key
        } else {
            pyset::fold_case(&key)
        }
    };
    let keys: Vec<Json> = items.iter().map(key_of).collect();
    if matches!(pyset::hashes(&keys), pyset::Hashes::Unhashable) {
        if case_sensitive == Some(false) || attribute.is_some() {
            return Err(fail(
                "unique",
                "Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied.",
            ));
        }
        return Ok(out(Json::Array(pyset::dedup(items))));
    }
    let mut seen: Vec<Json> = Vec::new();
    let mut kept = Vec::new();
    for (item, key) in items.into_iter().zip(keys) {
        if !pyset::contains(&seen, &key) {
            seen.push(key);
            kept.push(item);
        }
    }
    Ok(out(Json::Array(kept)))
}

/// Runs a set operation as `list(set(a) OP set(b))` when CPython's order can be replayed;
/// otherwise `fallback` gives Ansible's list-based result (for unhashable items) or a
/// first-seen order (for strings, whose order Python randomises).
fn set_op(
    plugin: &str,
    a: &Value,
    b: &Value,
    op: fn(&PySet, &PySet) -> PySet,
    fallback: fn(Vec<Json>, Vec<Json>) -> Vec<Json>,
) -> Result<Value, Error> {
    let x = list_of(plugin, a)?;
    let y = list_of(plugin, b)?;
    let items = match (pyset::hashes(&x), pyset::hashes(&y)) {
        (pyset::Hashes::Fixed(hx), pyset::Hashes::Fixed(hy)) => {
            op(&PySet::from_items(&x, &hx), &PySet::from_items(&y, &hy)).into_items()
        }
        _ => fallback(x, y),
    };
    Ok(out(Json::Array(items)))
}

fn union_list(x: Vec<Json>, y: Vec<Json>) -> Vec<Json> {
    let mut all = x;
    all.extend(y);
    pyset::dedup(all)
}

fn intersect_list(x: Vec<Json>, y: Vec<Json>) -> Vec<Json> {
    pyset::dedup(x.into_iter().filter(|i| pyset::contains(&y, i)).collect())
}

fn difference_list(x: Vec<Json>, y: Vec<Json>) -> Vec<Json> {
    pyset::dedup(x.into_iter().filter(|i| !pyset::contains(&y, i)).collect())
}

fn symmetric_difference_list(x: Vec<Json>, y: Vec<Json>) -> Vec<Json> {
    let both = intersect_list(x.clone(), y.clone());
    union_list(x, y)
        .into_iter()
        .filter(|i| !pyset::contains(&both, i))
        .collect()
}

fn union(a: Value, b: Value) -> Result<Value, Error> {
    set_op("union", &a, &b, PySet::union, union_list)
}

fn difference(a: Value, b: Value) -> Result<Value, Error> {
    set_op("difference", &a, &b, PySet::difference, difference_list)
}

fn intersect(a: Value, b: Value) -> Result<Value, Error> {
    set_op("intersect", &a, &b, PySet::intersection, intersect_list)
}

fn symmetric_difference(a: Value, b: Value) -> Result<Value, Error> {
    set_op(
        "symmetric_difference",
        &a,
        &b,
        PySet::symmetric_difference,
        symmetric_difference_list,
    )
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
    Ok(Value::from(pyjson::json_dumps(
        &j(&v)?,
        indent,
        sort_keys,
        true,
    )))
}

fn to_nice_json(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(4);
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    Ok(Value::from(pyjson::json_dumps(
        &j(&v)?,
        Some(indent),
        sort_keys,
        true,
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
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let style = match flow {
        Some(f) if f.is_none() => crate::yaml::Flow::Auto,
        Some(f) if f.is_true() => crate::yaml::Flow::Always,
        Some(_) => crate::yaml::Flow::Never,
        None => crate::yaml::Flow::Auto,
    };
    Ok(Value::from(crate::yaml::dump_with(
        &j(&v)?,
        indent,
        style,
        sort_keys,
    )))
}

fn to_nice_yaml(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(4);
    let _ = kwargs.get::<Option<Value>>("width")?;
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    Ok(Value::from(crate::yaml::dump_with(
        &j(&v)?,
        indent,
        crate::yaml::Flow::Never,
        sort_keys,
    )))
}

fn from_yaml(v: Value) -> Result<Value, Error> {
    let s = text(&v)?;
    let parsed = crate::yaml::load(&s).map_err(|e| fail("from_yaml", e))?;
    Ok(out(parsed))
}

fn quote(v: Value) -> Result<Value, Error> {
    let s = match j(&v)? {
        Json::Null => String::new(),
        other => py_str(&other),
    };
    // Ansible's `quote` is `shlex.quote`, which is what every command line is built with.
    Ok(Value::from(rsible_connection::shell::quote(&s)))
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

/// `b64encode(string, encoding='utf-8', urlsafe=False)`; only UTF-8 is supported.
fn b64encode(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["encoding", "urlsafe"], &args, &kwargs)?;
    if a[1].as_ref().is_some_and(Value::is_true) {
        return Ok(Value::from(
            base64::engine::general_purpose::URL_SAFE.encode(text(&v)?),
        ));
    }
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(text(&v)?),
    ))
}

/// `b64decode(string, encoding='utf-8', urlsafe=False)`; only UTF-8 is supported.
fn b64decode(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["encoding", "urlsafe"], &args, &kwargs)?;
    let urlsafe = a[1].as_ref().is_some_and(Value::is_true);
    let mut s = text(&v)?;
    if urlsafe {
        s = s.replace('-', "+").replace('_', "/");
    }
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

fn mandatory(state: &State, v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["msg"], &args, &kwargs)?;
    let msg = opt_str(a[0].as_ref())?;
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

fn ternary(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["true_val", "false_val", "none_val"], &args, &kwargs)?;
    let (Some(t), Some(f)) = (a[0].clone(), a[1].clone()) else {
        return Err(Error::from(ErrorKind::MissingArgument));
    };
    let none = a[2].clone();
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
        "sha224" => Some(hex::encode(sha2::Sha224::digest(data))),
        "sha384" => Some(hex::encode(sha2::Sha384::digest(data))),
        "md5" => Some(hex::encode(md5::Md5::digest(data))),
        _ => None,
    }
}

fn hash(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["hashtype"], &args, &kwargs)?;
    let kind = opt_str(a[0].as_ref())?.unwrap_or_else(|| "sha1".into());
    hash_of(&v, &kind)
}

fn hash_of(v: &Value, kind: &str) -> Result<Value, Error> {
    match digest(kind, text(v)?.as_bytes()) {
        Some(h) => Ok(Value::from(h)),
        None => Err(fail("hash", format!("unsupported hash type {kind}"))),
    }
}

fn checksum(v: Value) -> Result<Value, Error> {
    hash_of(&v, "sha1")
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

/// `itertools.product` of the input and each argument: every combination, as lists.
fn product(v: Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut rows: Vec<Vec<Json>> = vec![Vec::new()];
    let mut lists = vec![list_of("product", &v)?];
    for o in others.iter() {
        lists.push(list_of("product", o)?);
    }
    for list in &lists {
        rows = rows
            .iter()
            .flat_map(|row| {
                list.iter().map(move |x| {
                    let mut r = row.clone();
                    r.push(x.clone());
                    r
                })
            })
            .collect();
    }
    Ok(out(Json::Array(
        rows.into_iter().map(Json::Array).collect(),
    )))
}

/// Jinja's `wordcount`: words as its regex `\w+` finds them.
fn wordcount(s: String) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in s.chars() {
        let w = c.is_alphanumeric() || c == '_';
        if w && !in_word {
            count += 1;
        }
        in_word = w;
    }
    count
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

/// Jinja's `selectattr`/`rejectattr` look the attribute up strictly under Ansible: an item
/// without it fails the template, unless the test is `defined`/`undefined`.
fn strict_attr_items(value: &Value, attr: &str, test_name: Option<&str>) -> Result<(), Error> {
    if matches!(test_name, Some("defined" | "undefined")) {
        return Ok(());
    }
    let Ok(items) = value.try_iter() else {
        return Ok(());
    };
    for item in items {
        let first = attr.split('.').next().unwrap_or(attr);
        let found = match item.kind() {
            minijinja::value::ValueKind::Map => {
                item.get_attr(first).is_ok_and(|v| !v.is_undefined())
            }
            _ => false,
        };
        if !found {
            return Err(Error::new(
                ErrorKind::UnknownMethod,
                format!(
                    "object of type '{}' has no attribute '{first}'",
                    py_type(&j(&item)?)
                ),
            ));
        }
    }
    Ok(())
}

fn selectattr(
    state: &mut State,
    value: Value,
    attr: std::borrow::Cow<'_, str>,
    test_name: Option<std::borrow::Cow<'_, str>>,
    args: minijinja::value::Rest<minijinja::value::ValueOrKwargs>,
) -> Result<Vec<Value>, Error> {
    strict_attr_items(&value, &attr, test_name.as_deref())?;
    minijinja::filters::selectattr(state, value, attr, test_name, args)
}

fn rejectattr(
    state: &mut State,
    value: Value,
    attr: std::borrow::Cow<'_, str>,
    test_name: Option<std::borrow::Cow<'_, str>>,
    args: minijinja::value::Rest<minijinja::value::ValueOrKwargs>,
) -> Result<Vec<Value>, Error> {
    strict_attr_items(&value, &attr, test_name.as_deref())?;
    minijinja::filters::rejectattr(state, value, attr, test_name, args)
}

//! Ansible's Jinja tests (`plugins/test/core.py`, `files.py`, `mathstuff.py`).

use std::cmp::Ordering;
use std::path::Path;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};
use serde_json::Value as Json;

use crate::convert::{py_str, py_type, value_to_json};
use crate::regex_py;

pub(crate) fn register(env: &mut Environment<'static>) {
    crate::env::add_test(env, "failed", failed);
    crate::env::add_test(env, "failure", failed);
    crate::env::add_test(env, "succeeded", succeeded);
    crate::env::add_test(env, "success", succeeded);
    crate::env::add_test(env, "successful", succeeded);
    crate::env::add_test(env, "changed", changed);
    crate::env::add_test(env, "change", changed);
    crate::env::add_test(env, "skipped", skipped);
    crate::env::add_test(env, "skip", skipped);
    crate::env::add_test(env, "match", is_match);
    crate::env::add_test(env, "search", is_search);
    crate::env::add_test(env, "regex", is_regex);
    crate::env::add_test(env, "version", version);
    crate::env::add_test(env, "version_compare", version);
    crate::env::add_test(env, "subset", subset);
    crate::env::add_test(env, "issubset", subset);
    crate::env::add_test(env, "superset", superset);
    crate::env::add_test(env, "issuperset", superset);
    crate::env::add_test(env, "unreachable", |v: Value| {
        Ok::<_, Error>(flag(&result_map("unreachable", &v)?, "unreachable"))
    });
    crate::env::add_test(env, "reachable", |v: Value| {
        Ok::<_, Error>(!flag(&result_map("reachable", &v)?, "unreachable"))
    });
    crate::env::add_test(env, "timedout", timedout);
    crate::env::add_test(env, "finished", |v: Value| async_state("finished", &v));
    crate::env::add_test(env, "started", |v: Value| async_state("started", &v));
    crate::env::add_test(env, "truthy", |v: Value, kwargs: Kwargs| {
        truthy(&v, &kwargs)
    });
    crate::env::add_test(env, "falsy", |v: Value, kwargs: Kwargs| {
        truthy(&v, &kwargs).map(|b| !b)
    });
    crate::env::add_test(env, "nan", is_nan);
    crate::env::add_test(env, "isnan", is_nan);
    crate::env::add_test(env, "contains", contains);
    // plugins/test/files.py: each test under both of its names, as os.path's functions.
    crate::env::add_test(env, "exists", |p: String| Path::new(&p).exists());
    crate::env::add_test(env, "link_exists", |p: String| {
        std::fs::symlink_metadata(Path::new(&p)).is_ok()
    });
    for name in ["file", "is_file"] {
        crate::env::add_test(env, name, |p: String| Path::new(&p).is_file());
    }
    for name in ["directory", "is_dir"] {
        crate::env::add_test(env, name, |p: String| Path::new(&p).is_dir());
    }
    for name in ["link", "is_link"] {
        crate::env::add_test(env, name, |p: String| Path::new(&p).is_symlink());
    }
    for name in ["abs", "is_abs"] {
        crate::env::add_test(env, name, |p: String| p.starts_with('/'));
    }
    crate::env::add_test(env, "same_file", |a: String, b: String| {
        same_file("same_file", &a, &b)
    });
    crate::env::add_test(env, "is_same_file", |a: String, b: String| {
        same_file("is_same_file", &a, &b)
    });
    for name in ["mount", "is_mount"] {
        crate::env::add_test(env, name, |p: String| is_mount(&p));
    }
    crate::env::add_test(env, "vaulted_file", vaulted_file);
    crate::env::add_test(env, "all", |v: Value| py_all_any("all", &v, true));
    crate::env::add_test(env, "any", |v: Value| py_all_any("any", &v, false));
}

/// Python's `all(value)` (`want` true) or `any(value)` (`want` false).
fn py_all_any(test: &str, v: &Value, want: bool) -> Result<bool, Error> {
    let items: Vec<Json> = match value_to_json(v)? {
        Json::Array(a) => a,
        Json::Object(m) => m.into_iter().map(|(k, _)| Json::String(k)).collect(),
        Json::String(s) => s.chars().map(|c| Json::String(c.to_string())).collect(),
        other => {
            return Err(fail(
                test,
                format!(
                    "'{}' object is not iterable",
                    crate::convert::py_type(&other)
                ),
            ))
        }
    };
    let truthy = |i: &Json| crate::convert::py_truthy(i);
    Ok(if want {
        items.iter().all(truthy)
    } else {
        items.iter().any(truthy)
    })
}

/// `vaulted_file`: whether the file starts with the vault header.
fn vaulted_file(p: String) -> Result<bool, Error> {
    use std::io::Read;
    const HEADER: &[u8] = b"$ANSIBLE_VAULT";
    let mut f = std::fs::File::open(&p).map_err(|e| {
        fail(
            "vaulted_file",
            format!(
                "Cannot test if the file {} is a vault: {}",
                crate::convert::py_str_repr(&p),
                os_error(&e, &p).replace(&format!(": '{p}'"), &format!(": b'{p}'"))
            ),
        )
    })?;
    let mut head = Vec::new();
    f.by_ref()
        .take(HEADER.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| fail("vaulted_file", e))?;
    Ok(head == HEADER)
}

/// Python's text for an OSError about `path`: `[Errno 2] No such file or directory: 'x'`.
fn os_error(e: &std::io::Error, path: &str) -> String {
    let text = e.to_string();
    // std appends " (os error N)" to the C library's message; Python puts the number first.
    let strerror = text
        .rsplit_once(" (os error ")
        .map_or(text.as_str(), |(msg, _)| msg);
    match e.raw_os_error() {
        Some(errno) => format!("[Errno {errno}] {strerror}: '{path}'"),
        None => format!("{strerror}: '{path}'"),
    }
}

/// `os.path.samefile`: both paths (links followed) are the same device and inode; a path that
/// cannot be examined fails the test, as the OSError does in Python.
fn same_file(test: &str, a: &str, b: &str) -> Result<bool, Error> {
    use std::os::unix::fs::MetadataExt;
    let ma = std::fs::metadata(a).map_err(|e| fail(test, os_error(&e, a)))?;
    let mb = std::fs::metadata(b).map_err(|e| fail(test, os_error(&e, b)))?;
    Ok(ma.dev() == mb.dev() && ma.ino() == mb.ino())
}

/// `os.path.ismount` on POSIX: not a symlink, and either on another device than its parent or
/// the same inode as it (`/`); a path that cannot be examined is not a mount point.
fn is_mount(p: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return false;
    };
    if meta.file_type().is_symlink() {
        return false;
    }
    let Ok(parent) = std::fs::symlink_metadata(Path::new(p).join("..")) else {
        return false;
    };
    meta.dev() != parent.dev() || meta.ino() == parent.ino()
}

fn fail(test: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("The test plugin 'ansible.builtin.{test}' failed: {msg}"),
    )
}

fn result_map(test: &str, v: &Value) -> Result<serde_json::Map<String, Json>, Error> {
    match value_to_json(v)? {
        Json::Object(m) => Ok(m),
        _ => Err(fail(
            test,
            format!("The '{test}' test expects a dictionary"),
        )),
    }
}

fn flag(m: &serde_json::Map<String, Json>, key: &str) -> bool {
    m.get(key).is_some_and(crate::filters::truthy_word)
}

fn failed(v: Value) -> Result<bool, Error> {
    Ok(flag(&result_map("failed", &v)?, "failed"))
}

fn succeeded(v: Value) -> Result<bool, Error> {
    Ok(!flag(&result_map("succeeded", &v)?, "failed"))
}

fn changed(v: Value) -> Result<bool, Error> {
    let m = result_map("changed", &v)?;
    if let Some(Json::Array(results)) = m.get("results") {
        if results.first().is_some_and(Json::is_object) && !m.contains_key("changed") {
            return Ok(results
                .iter()
                .any(|r| r.get("changed").is_some_and(crate::filters::truthy_word)));
        }
    }
    Ok(flag(&m, "changed"))
}

/// `timedout`: the result says it timed out, with a period.
fn timedout(v: Value) -> Result<bool, Error> {
    let m = result_map("timedout", &v)?;
    Ok(match m.get("timedout") {
        Some(Json::Object(t)) => t.get("period").is_some_and(crate::convert::py_truthy),
        _ => false,
    })
}

/// `finished`/`started` of an async job's status; a result without the key counts as
/// finished/started (Ansible warns that the task was not async).
fn async_state(test: &str, v: &Value) -> Result<bool, Error> {
    let m = result_map(test, v)?;
    Ok(m.get(test).is_none_or(crate::convert::py_truthy))
}

/// `truthy`: Python's `bool(value)`, after `boolean()` when `convert_bool` is set (a value
/// `boolean` refuses is judged as it is).
fn truthy(v: &Value, kwargs: &Kwargs) -> Result<bool, Error> {
    let convert = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let j = value_to_json(v)?;
    if convert {
        let word = match &j {
            Json::String(s) => Some(s.trim().to_lowercase()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match word.as_deref() {
            Some("y" | "yes" | "on" | "1" | "true" | "t" | "1.0") => return Ok(true),
            Some("n" | "no" | "off" | "0" | "false" | "f" | "0.0" | "") => return Ok(false),
            _ => {}
        }
    }
    Ok(crate::convert::py_truthy(&j))
}

/// `nan`/`isnan`: a float that is NaN (anything else is not).
fn is_nan(v: Value) -> bool {
    f64::try_from(v).is_ok_and(f64::is_nan)
}

fn skipped(v: Value) -> Result<bool, Error> {
    Ok(flag(&result_map("skipped", &v)?, "skipped"))
}

fn regex_test(
    name: &str,
    v: &Value,
    pattern: &str,
    kwargs: &Kwargs,
    anchored: bool,
) -> Result<bool, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let pat = if anchored {
        format!("\\A(?:{pattern})")
    } else {
        pattern.to_owned()
    };
    let re = regex_py::compile(&pat, ignorecase, multiline).map_err(|e| fail(name, e))?;
    let s = py_str(&value_to_json(v)?);
    Ok(re.is_match(&s))
}

fn is_match(v: Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let r = regex_test("match", &v, &pattern, &kwargs, true);
    kwargs.assert_all_used()?;
    r
}

fn is_search(v: Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let r = regex_test("search", &v, &pattern, &kwargs, false);
    kwargs.assert_all_used()?;
    r
}

fn is_regex(v: Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let anchored = kwargs.get::<Option<String>>("match_type")?.as_deref() == Some("match");
    let r = regex_test("regex", &v, &pattern, &kwargs, anchored);
    kwargs.assert_all_used()?;
    r
}

#[derive(Debug, PartialEq, Eq)]
enum Part {
    Num(u64),
    Word(String),
}

/// `LooseVersion`: runs of digits and of letters; dots and anything else separate them.
fn loose_parts(s: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut digits = false;
    let flush = |cur: &mut String, digits: bool, parts: &mut Vec<Part>| {
        if !cur.is_empty() {
            parts.push(if digits {
                Part::Num(cur.parse().unwrap_or(u64::MAX))
            } else {
                Part::Word(std::mem::take(cur))
            });
            cur.clear();
        }
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !digits {
                flush(&mut cur, digits, &mut parts);
                digits = true;
            }
            cur.push(c);
        } else if c == '.' {
            flush(&mut cur, digits, &mut parts);
        } else {
            if digits {
                flush(&mut cur, digits, &mut parts);
                digits = false;
            }
            cur.push(c);
        }
    }
    flush(&mut cur, digits, &mut parts);
    parts
}

fn cmp_parts(a: &[Part], b: &[Part]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Part::Num(p), Part::Num(q)) => p.cmp(q),
            (Part::Word(p), Part::Word(q)) => p.cmp(q),
            (Part::Num(_), Part::Word(_)) => Ordering::Less,
            (Part::Word(_), Part::Num(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn version(v: Value, other: Value, op: Option<String>, kwargs: Kwargs) -> Result<bool, Error> {
    let op = match op {
        Some(o) => o,
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    let _ = kwargs.get::<Option<bool>>("strict")?;
    let _ = kwargs.get::<Option<String>>("version_type")?;
    kwargs.assert_all_used()?;
    let a = py_str(&value_to_json(&v)?);
    let b = py_str(&value_to_json(&other)?);
    if b.is_empty() {
        return Err(fail(
            "version",
            "Version comparison failed: Version parameter to compare against cannot be empty",
        ));
    }
    let ord = cmp_parts(&loose_parts(&a), &loose_parts(&b));
    Ok(match op.as_str() {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        other => {
            return Err(fail("version", format!("Invalid operator type ({other})")));
        }
    })
}

fn as_list(v: &Value) -> Result<Vec<Json>, Error> {
    Ok(match value_to_json(v)? {
        Json::Array(a) => a,
        Json::Object(m) => m.into_iter().map(|(k, _)| Json::String(k)).collect(),
        other => vec![other],
    })
}

fn subset(a: Value, b: Value) -> Result<bool, Error> {
    let (x, y) = (as_list(&a)?, as_list(&b)?);
    Ok(x.iter().all(|i| y.contains(i)))
}

fn superset(a: Value, b: Value) -> Result<bool, Error> {
    subset(b, a)
}

/// Python's `item in seq`, which is what the test is in Ansible: a substring test on a string
/// (whose operand must then be a string too), key membership on a dict, element membership
/// on a list; anything else is not a container.
fn contains(seq: Value, item: Value) -> Result<bool, Error> {
    let item = value_to_json(&item)?;
    match value_to_json(&seq)? {
        Json::String(s) => match &item {
            Json::String(needle) => Ok(s.contains(needle.as_str())),
            other => Err(fail(
                "contains",
                format!(
                    "'in <string>' requires string as left operand, not {}",
                    py_type(other)
                ),
            )),
        },
        // Keys are strings once converted, and a key is found only by an equal string, as a
        // Python dict with string keys finds it.
        Json::Object(m) => Ok(item.as_str().is_some_and(|k| m.contains_key(k))),
        Json::Array(a) => Ok(a.contains(&item)),
        other => Err(fail(
            "contains",
            format!("argument of type '{}' is not iterable", py_type(&other)),
        )),
    }
}

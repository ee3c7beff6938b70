//! Helpers shared by modules: result builders, Python-style timestamps, checksums, paths on
//! the target and `src:` lookup on the controller.

use std::path::{Path, PathBuf};

use md5::Md5;
use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::{ModuleContext, ResultMap};

/// A failed result as a module's `fail_json` gives it: `changed: false, failed: true, msg`.
pub(crate) fn failed(msg: impl Into<String>) -> ResultMap {
    let mut r = ResultMap::new();
    r.insert("changed".into(), Value::Bool(false));
    r.insert("failed".into(), Value::Bool(true));
    r.insert("msg".into(), Value::String(msg.into()));
    r
}

/// Builds a result map from `json!({...})`.
pub(crate) fn map(v: Value) -> ResultMap {
    match v {
        Value::Object(m) => m,
        _ => ResultMap::new(),
    }
}

/// Python's `str(datetime.now())`: microseconds are left out when they are zero.
pub(crate) fn py_datetime(t: &chrono::DateTime<chrono::Local>) -> String {
    use chrono::Timelike;
    if t.nanosecond() / 1000 == 0 {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}

/// Python's `str(timedelta)` for a non-negative duration: `0:00:01.234567`.
pub(crate) fn py_timedelta(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let micros = d.subsec_micros();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let hms = format!("{}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
    let hms = if micros == 0 {
        hms
    } else {
        format!("{hms}.{micros:06}")
    };
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        n => format!("{n} days, {hms}"),
    }
}

/// Command output as text with every trailing `\r`/`\n` removed (`strip_empty_ends`).
pub(crate) fn output_text(bytes: &[u8], strip: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    if strip {
        text.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        text.into_owned()
    }
}

/// Python's `str.splitlines()`: every line boundary Python knows, `\r\n` as one.
pub(crate) fn py_splitlines(text: &str) -> Vec<Value> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(Value::String(std::mem::take(&mut cur)));
            }
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => lines.push(Value::String(std::mem::take(&mut cur))),
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        lines.push(Value::String(cur));
    }
    lines
}

/// Sets `stdout`/`stderr` and the `_lines` lists the action layer adds.
pub(crate) fn set_output(r: &mut ResultMap, stdout: String, stderr: String) {
    r.insert("stdout_lines".into(), Value::Array(py_splitlines(&stdout)));
    r.insert("stderr_lines".into(), Value::Array(py_splitlines(&stderr)));
    r.insert("stdout".into(), Value::String(stdout));
    r.insert("stderr".into(), Value::String(stderr));
}

/// Python's `json.dumps(v)` with its defaults: `", "`/`": "` separators and `ensure_ascii`
/// (what copy writes for a list or dict `content`).
pub(crate) fn py_json_dumps(v: &Value) -> String {
    rsible_template::json_dumps(v, None, false, true)
}

pub(crate) fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

pub(crate) fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Permission bits as Ansible prints them: `'0644'`.
pub(crate) fn mode_string(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// Where a controller-side `src:` is looked for, as Ansible's `_find_needle(kind, src)`:
/// `<role>/<kind>/src`, `<role>/src`, `<role>/tasks/<kind>/src`, `<role>/tasks/src`, then
/// `<playbook_dir>/<kind>/src`, `<playbook_dir>/src` (listed twice without a role, as Ansible's
/// search stack holds the play's and the playbook's directory). Returns the path found, or
/// Ansible's message listing what was searched.
pub(crate) fn find_needle(
    ctx: &ModuleContext<'_>,
    kind: &str,
    src: &str,
) -> Result<PathBuf, String> {
    const TAIL: &str = " on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option";
    let expanded = expand_local_user(src);
    let p = Path::new(&expanded);
    if p.is_absolute() {
        return if p.exists() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("Could not find or access '{src}'{TAIL}"))
        };
    }
    let mut candidates = Vec::new();
    let pb = &ctx.playbook_dir;
    match &ctx.role_path {
        Some(role) => {
            candidates.push(role.join(kind).join(p));
            candidates.push(role.join(p));
            candidates.push(role.join("tasks").join(kind).join(p));
            candidates.push(role.join("tasks").join(p));
        }
        None => {
            candidates.push(pb.join(kind).join(p));
            candidates.push(pb.join(p));
        }
    }
    candidates.push(pb.join(kind).join(p));
    candidates.push(pb.join(p));
    for c in &candidates {
        if c.exists() {
            return Ok(c.clone());
        }
    }
    let searched: Vec<String> = candidates
        .iter()
        .map(|c| format!("\t{}", c.display()))
        .collect();
    Err(format!(
        "Could not find or access '{src}'\nSearched in:\n{}{TAIL}",
        searched.join("\n")
    ))
}

/// `~` on the controller means the controller user's `$HOME`.
pub(crate) fn expand_local_user(path: &str) -> String {
    if path == "~" || path.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return format!("{}{}", home.to_string_lossy(), &path[1..]);
        }
    }
    path.to_owned()
}

/// Python's `fnmatch.fnmatch` on POSIX (case-sensitive; `*` also matches `/`).
pub(crate) fn fnmatch(name: &str, pattern: &str) -> bool {
    regex::Regex::new(&rsible_source::glob::translate(pattern)).is_ok_and(|r| r.is_match(name))
}

/// Python's `str.capitalize()`: the first character upper case, the rest lower case.
pub(crate) fn py_capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// ansible-core's `get_distribution()` on Linux from the os-release `ID`: capitalized, with
/// `Amzn` and `Rhel` renamed and `OtherLinux` when there is none.
pub(crate) fn get_distribution(os_release_id: &str) -> String {
    match py_capitalize(os_release_id).as_str() {
        "Amzn" => "Amazon".into(),
        "Rhel" => "Redhat".into(),
        "" => "OtherLinux".into(),
        other => other.to_owned(),
    }
}

/// Python's `type(v).__name__`, as Ansible's argument messages print a value's type.
pub fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings from Python: str(datetime(...)), str(timedelta(...)).
    #[test]
    fn python_time_formats() {
        use std::time::Duration;
        assert_eq!(py_timedelta(Duration::from_micros(3012)), "0:00:00.003012");
        assert_eq!(py_timedelta(Duration::from_secs(3725)), "1:02:05");
        assert_eq!(py_timedelta(Duration::from_secs(90_061)), "1 day, 1:01:01");
    }

    #[test]
    fn digests_match_sha1sum_and_md5sum() {
        // `printf 'abc\n' | sha1sum` / `md5sum`, as in Ansible's copy result for content "abc\n".
        assert_eq!(
            sha1_hex(b"abc\n"),
            "03cfd743661f07975fa2f1220c5194cbaff48451"
        );
        assert_eq!(md5_hex(b"abc\n"), "0bee89b07a248e27c83fc3d5951213c1");
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    #[test]
    fn splitlines_like_python() {
        // "a\r\nb\rc\n\nd\n".splitlines() == ['a', 'b', 'c', '', 'd']
        assert_eq!(
            py_splitlines("a\r\nb\rc\n\nd\n"),
            vec![s("a"), s("b"), s("c"), s(""), s("d")]
        );
        assert!(py_splitlines("").is_empty());
    }

    #[test]
    fn json_dumps_like_python() {
        let v: Value = serde_json::from_str(
            r#"{"a": [1, "\u00e9\n\"x\u2603\ud83d\ude00\u007f\u0001", null, 1.5, 2.0], "b": {"c": true}}"#,
        )
        .unwrap();
        // python3 -c 'import json; print(json.dumps(<the same value>))'
        assert_eq!(
            py_json_dumps(&v),
            r#"{"a": [1, "\u00e9\n\"x\u2603\ud83d\ude00\u007f\u0001", null, 1.5, 2.0], "b": {"c": true}}"#
        );
    }

    // Expected values from Python's fnmatch.fnmatch.
    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch("top/sub/b.txt", "top/*"));
        assert!(fnmatch("a.txt", "?.txt"));
        assert!(fnmatch("b1", "[ab][0-9]"));
        assert!(!fnmatch("c1", "[ab][0-9]"));
        assert!(fnmatch("c1", "[!ab]1"));
        assert!(fnmatch("a[", "a["));
        assert!(!fnmatch("a.txt", "*.TXT"));
        assert!(fnmatch("x+y", "x+y"));
    }

    #[test]
    fn strips_all_trailing_newlines() {
        assert_eq!(output_text(b"hi\r\n\n", true), "hi");
        assert_eq!(output_text(b"hi\n", false), "hi\n");
    }
}

//! The text `--diff` shows for a result's `diff` (`CallbackBase._get_diff` and
//! `_serialize_diff` in `plugins/callback/__init__.py`).

use serde_json::{Map, Value};

use super::color::{stringc, Color};
use super::python::{json_dumps_ascii, py_str};
use super::unified_diff::{split_lines_keepends, unified_diff};

/// `DIFF_CONTEXT`'s default.
pub const DEFAULT_CONTEXT: usize = 3;

const NO_NEWLINE: &str = "\n\\ No newline at end of file\n";

/// The text for one `diff` value: a dict, or a list of dicts, each with `before`/`after`
/// (text, or a dict shown as JSON), optional `before_header`/`after_header`, `prepared` (text
/// shown as is) and the binary / too-large markers. Empty when there is nothing to show.
pub fn render_diff(diff: &Value, color: bool, context: usize) -> String {
    let parts: Vec<&Value> = match diff {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = String::new();
    for part in parts {
        if let Value::Object(d) = part {
            render_one(d, color, context, &mut out);
        }
    }
    out
}

fn render_one(d: &Map<String, Value>, color: bool, context: usize, out: &mut String) {
    if d.contains_key("dst_binary") {
        out.push_str("diff skipped: destination file appears to be binary\n");
    }
    if d.contains_key("src_binary") {
        out.push_str("diff skipped: source file appears to be binary\n");
    }
    if let Some(size) = d.get("dst_larger") {
        out.push_str(&format!(
            "diff skipped: destination file size is greater than {}\n",
            percent_d(size)
        ));
    }
    if let Some(size) = d.get("src_larger") {
        out.push_str(&format!(
            "diff skipped: source file size is greater than {}\n",
            percent_d(size)
        ));
    }
    if let (Some(before), Some(after)) = (d.get("before"), d.get("after")) {
        let header = |key: &str, label: &str| match d.get(key) {
            Some(h) => format!("{label}: {}", py_str(h)),
            None => label.to_owned(),
        };
        let before_lines = file_lines(before);
        let after_lines = file_lines(after);
        let lines = unified_diff(
            &before_lines,
            &after_lines,
            &header("before_header", "before"),
            &header("after_header", "after"),
            context,
        );
        for line in &lines {
            let c = if line.starts_with('+') {
                Some(Color::DiffAdd)
            } else if line.starts_with('-') {
                Some(Color::DiffRemove)
            } else if line.starts_with("@@") {
                Some(Color::DiffLines)
            } else {
                None
            };
            match c {
                Some(c) => out.push_str(&stringc(line, c, color)),
                None => out.push_str(line),
            }
        }
        if !lines.is_empty() {
            out.push('\n');
        }
    }
    if let Some(prepared) = d.get("prepared") {
        out.push_str(&py_str(prepared));
    }
}

/// The lines difflib compares: a dict as indented JSON, `None` as nothing, and a last line
/// without a newline marked as in `diff -u`.
fn file_lines(v: &Value) -> Vec<String> {
    let text = match v {
        Value::Object(_) => json_dumps_ascii(v, Some(4)) + "\n",
        Value::Null => String::new(),
        other => py_str(other),
    };
    let mut lines = split_lines_keepends(&text);
    if let Some(last) = lines.last_mut().filter(|l| !l.ends_with('\n')) {
        last.push_str(NO_NEWLINE);
    }
    lines
}

/// Python's `"%d" % value`: integers as they are, floats truncated, booleans as 0/1.
fn percent_d(v: &Value) -> String {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(|i| i.to_string())
            .or_else(|| n.as_u64().map(|u| u.to_string()))
            .or_else(|| n.as_f64().map(|f| format!("{}", f.trunc())))
            .unwrap_or_else(|| n.to_string()),
        Value::Bool(b) => u8::from(*b).to_string(),
        other => py_str(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected from ansible-core 2.19.14: CallbackBase()._get_diff(d) with ANSIBLE_NOCOLOR=1.
    #[test]
    fn binary_and_large_messages() {
        let d = json!({"dst_binary": 1, "src_binary": 1, "dst_larger": 1000, "src_larger": 7.9});
        assert_eq!(
            render_diff(&d, false, 3),
            "diff skipped: destination file appears to be binary\ndiff skipped: source file appears to be binary\ndiff skipped: destination file size is greater than 1000\ndiff skipped: source file size is greater than 7\n"
        );
        assert_eq!(render_diff(&json!({"prepared": "p\n"}), false, 3), "p\n");
        assert_eq!(
            render_diff(&json!({"before": "a\n", "after": "a\n"}), false, 3),
            ""
        );
    }
}

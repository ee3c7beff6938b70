//! Python's own text forms of data: `json.dumps(..., sort_keys=True, ensure_ascii=False)` for
//! result dumps and `str()`/`repr()` for loop labels, because Ansible prints both verbatim.

use serde_json::Value;

pub use rsible_template::{py_repr, py_str};

/// `json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False)`.
pub fn json_dumps(value: &Value, indent: Option<usize>) -> String {
    rsible_template::json_dumps(value, indent, true, false)
}

/// `json.dumps(value, indent=indent, sort_keys=True)`: Python's default `ensure_ascii=True`,
/// as Ansible's `_serialize_diff` uses it.
pub fn json_dumps_ascii(value: &Value, indent: Option<usize>) -> String {
    rsible_template::json_dumps(value, indent, true, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsible_template::py_float;
    use serde_json::json;

    // Expected strings from python3: json.dumps(v, sort_keys=True, ensure_ascii=False[, indent=4]).
    #[test]
    fn dumps_compact_and_indented_like_python() {
        let v = json!({"b": [1, 2.5, {}], "a": "x\"\n", "c": null, "d": []});
        assert_eq!(
            json_dumps(&v, None),
            r#"{"a": "x\"\n", "b": [1, 2.5, {}], "c": null, "d": []}"#
        );
        assert_eq!(
            json_dumps(&v, Some(4)),
            "{\n    \"a\": \"x\\\"\\n\",\n    \"b\": [\n        1,\n        2.5,\n        {}\n    ],\n    \"c\": null,\n    \"d\": []\n}"
        );
    }

    // Expected from python3: json.dumps(v, sort_keys=True, indent=4).
    #[test]
    fn dumps_ascii_like_python() {
        let v = json!({"é": "\u{7f}ü😀\u{1}", "a": [1]});
        assert_eq!(
            json_dumps_ascii(&v, Some(4)),
            "{\n    \"a\": [\n        1\n    ],\n    \"\\u00e9\": \"\\u007f\\u00fc\\ud83d\\ude00\\u0001\"\n}"
        );
    }

    // Expected strings from python3: str(v) / repr(v).
    #[test]
    fn repr_like_python() {
        assert_eq!(py_str(&json!({"n": 1, "v": "x"})), "{'n': 1, 'v': 'x'}");
        assert_eq!(py_str(&json!("plain")), "plain");
        assert_eq!(
            py_str(&json!([true, null, 1.0, "it's"])),
            "[True, None, 1.0, \"it's\"]"
        );
        assert_eq!(py_float(1e20), "1e+20");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1e-5), "1e-05");
    }
}

//! `-e/--extra-vars` values: `k=v` pairs (Ansible's `parse_kv`), inline JSON/YAML, `@file`
//! (`ansible/utils/vars.py: load_extra_vars`).

use std::path::Path;

use rsible_template::Vars;
use serde_json::Value;

/// Why an `-e` value could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ExtraVarsError {
    #[error("Please prepend extra_vars filename '{0}' with '@'")]
    NeedsAt(String),
    #[error("Invalid extra vars data supplied. '{0}' could not be made into a dictionary")]
    NotADict(String),
    #[error(transparent)]
    Parse(#[from] rsible_parser::ParseError),
    #[error("extra vars '{text}' are neither valid JSON nor YAML: {message}")]
    Inline { text: String, message: String },
}

/// One `-e` value as a variables map.
pub fn load_extra_vars(opt: &str) -> Result<Vars, ExtraVarsError> {
    if opt.is_empty() {
        return Ok(Vars::new());
    }
    let data = if let Some(file) = opt.strip_prefix('@') {
        let docs = rsible_parser::load_yaml_file(Path::new(file))?;
        docs.first()
            .map_or(Value::Null, rsible_parser::Node::to_value)
    } else if opt.starts_with('/') || opt.starts_with('.') {
        return Err(ExtraVarsError::NeedsAt(opt.to_owned()));
    } else if opt.starts_with('[') || opt.starts_with('{') {
        parse_inline(opt)?
    } else {
        Value::Object(parse_kv(opt))
    };
    match data {
        Value::Object(map) => Ok(map),
        _ => Err(ExtraVarsError::NotADict(opt.to_owned())),
    }
}

/// JSON is tried first (the common case, and independent of the YAML loader); flow YAML
/// such as `{a: 1}` goes through the parser.
fn parse_inline(text: &str) -> Result<Value, ExtraVarsError> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    let docs = rsible_parser::load_yaml_str(Path::new("<extra vars>"), text).map_err(|e| {
        ExtraVarsError::Inline {
            text: text.to_owned(),
            message: e.to_string(),
        }
    })?;
    Ok(docs
        .first()
        .map_or(Value::Null, rsible_parser::Node::to_value))
}

/// Ansible's `parse_kv` without `check_raw`: `k=v` words (escapes decoded, quotes respected);
/// words without `=` are joined into `_raw_params`. Values stay strings.
pub fn parse_kv(args: &str) -> Vars {
    let mut out = Vars::new();
    let mut raw_params: Vec<String> = Vec::new();
    for orig in split_args(args) {
        let word = decode_escapes(&orig);
        if !word.contains('=') {
            raw_params.push(orig);
            continue;
        }
        let Some(pos) = find_unescaped_eq(&word) else {
            raw_params.push(word.replace("\\=", "="));
            continue;
        };
        let key = word[..pos].trim().to_owned();
        let value = unquote(word[pos + 1..].trim());
        out.insert(key, Value::String(value.to_owned()));
    }
    if !raw_params.is_empty() {
        out.insert(
            "_raw_params".to_owned(),
            Value::String(raw_params.join(" ")),
        );
    }
    out
}

/// `_decode_escapes`: Python's unicode escapes (`\\n`, `\\"`, `\\x41`, `\\u00e9`, …).
fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let simple = match chars[i + 1] {
                '\\' => Some('\\'),
                '\'' => Some('\''),
                '"' => Some('"'),
                'a' => Some('\u{7}'),
                'b' => Some('\u{8}'),
                'f' => Some('\u{c}'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\u{b}'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                i += 2;
                continue;
            }
            let digits = match chars[i + 1] {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            if digits > 0 && i + 2 + digits <= chars.len() {
                let hex: String = chars[i + 2..i + 2 + digits].iter().collect();
                if hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(c);
                        i += 2 + digits;
                        continue;
                    }
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The first `=` after position 0 that has no backslash before it.
fn find_unescaped_eq(word: &str) -> Option<usize> {
    let bytes = word.as_bytes();
    (1..bytes.len()).find(|&i| bytes[i] == b'=' && bytes[i - 1] != b'\\')
}

/// `unquote`: drops one pair of matching outer quotes.
fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() > 1
        && (b[0] == b'"' || b[0] == b'\'')
        && b[0] == b[b.len() - 1]
        && b[b.len() - 2] != b'\\'
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Splits on whitespace outside quotes, keeping the quotes (as `split_args` does).
pub fn split_args(args: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in args.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match (c, quote) {
            ('\\', _) => {
                cur.push(c);
                escaped = true;
            }
            ('"' | '\'', None) => {
                quote = Some(c);
                cur.push(c);
            }
            (c, Some(q)) if c == q => {
                quote = None;
                cur.push(c);
            }
            (c, None) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (c, _) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected maps from python3 -c "from ansible.parsing.splitter import parse_kv; print(parse_kv(...))".
    #[test]
    fn parse_kv_like_ansible() {
        let v = parse_kv(r#"a=1 b="two words" c='x y' d=e=f"#);
        assert_eq!(
            Value::Object(v),
            json!({"a": "1", "b": "two words", "c": "x y", "d": "e=f"})
        );
        assert_eq!(
            Value::Object(parse_kv("novalue k=v")),
            json!({"k": "v", "_raw_params": "novalue"})
        );
        assert_eq!(
            Value::Object(parse_kv(r#"k="a \"q\" b""#)),
            json!({"k": "a \"q\" b"})
        );
    }

    #[test]
    fn inline_json_and_errors() {
        assert_eq!(
            Value::Object(load_extra_vars(r#"{"a": [1, 2]}"#).unwrap_or_default()),
            json!({"a": [1, 2]})
        );
        assert!(matches!(
            load_extra_vars("./x.yml"),
            Err(ExtraVarsError::NeedsAt(_))
        ));
        assert!(matches!(
            load_extra_vars("[1, 2]"),
            Err(ExtraVarsError::NotADict(_))
        ));
    }
}

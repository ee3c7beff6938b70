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
    /// Exit 4 in Ansible, as any `AnsibleParserError`.
    #[error("{0}")]
    Unbalanced(String),
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
        Value::Object(parse_kv(opt)?)
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
pub fn parse_kv(args: &str) -> Result<Vars, ExtraVarsError> {
    let pairs = rsible_parser::parse_kv(args, false)
        .map_err(|e| ExtraVarsError::Unbalanced(format!("{e}: {args}")))?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected maps from python3 -c "from ansible.parsing.splitter import parse_kv; print(parse_kv(...))".
    #[test]
    fn parse_kv_like_ansible() {
        let v = parse_kv(r#"a=1 b="two words" c='x y' d=e=f"#).unwrap_or_default();
        assert_eq!(
            Value::Object(v),
            json!({"a": "1", "b": "two words", "c": "x y", "d": "e=f"})
        );
        assert_eq!(
            Value::Object(parse_kv("novalue k=v").unwrap_or_default()),
            json!({"k": "v", "_raw_params": "novalue"})
        );
        assert_eq!(
            Value::Object(parse_kv(r#"k="a \"q\" b""#).unwrap_or_default()),
            json!({"k": "a \"q\" b"})
        );
    }

    // Expected from the same parse_kv: Jinja blocks stay whole, only spaces and newlines split.
    #[test]
    fn parse_kv_keeps_jinja_and_rejects_unbalanced() {
        assert_eq!(
            Value::Object(parse_kv("a={{ x }} b=2").unwrap_or_default()),
            json!({"a": "{{ x }}", "b": "2"})
        );
        assert_eq!(
            Value::Object(parse_kv("a=1\tb=2").unwrap_or_default()),
            json!({"a": "1\tb=2"})
        );
        assert!(matches!(
            parse_kv("a=\"b"),
            Err(ExtraVarsError::Unbalanced(m))
                if m == "failed at splitting arguments, either an unbalanced jinja2 block or quotes: a=\"b"
        ));
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

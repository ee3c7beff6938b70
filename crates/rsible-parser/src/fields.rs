//! Turning keyword values into the shapes the model holds, with Ansible's type rules.

use crate::{Node, NodeKind, ParseError};

/// Names Jinja reserves; Ansible refuses them as variable names.
const JINJA_KEYWORDS: &[&str] = &[
    "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else",
    "import", "with", "without", "context",
];

pub(crate) fn wrong_type(keyword: &str, expected: &'static str, node: &Node) -> ParseError {
    ParseError::WrongType {
        keyword: keyword.to_owned(),
        expected,
        found: node.type_name(),
        span: node.span,
    }
}

pub(crate) fn invalid(message: impl Into<String>, node: &Node) -> ParseError {
    ParseError::Invalid {
        message: message.into(),
        span: node.span,
        hint: None,
    }
}

/// The pairs of a mapping, or a `WrongType` error naming `what`.
pub(crate) fn map_of<'n>(node: &'n Node, what: &str) -> Result<&'n [(Node, Node)], ParseError> {
    node.as_map()
        .ok_or_else(|| wrong_type(what, "a mapping", node))
}

/// A key that must be a string (keywords, module names, variable names).
pub(crate) fn key_str<'n>(key: &'n Node, what: &str) -> Result<&'n str, ParseError> {
    key.as_str()
        .ok_or_else(|| wrong_type(what, "string keys", key))
}

/// A list value, where null means empty.
pub(crate) fn list_of<'n>(node: &'n Node, keyword: &str) -> Result<&'n [Node], ParseError> {
    match &node.kind {
        NodeKind::Null => Ok(&[]),
        NodeKind::Seq(items) => Ok(items),
        _ => Err(wrong_type(keyword, "a list", node)),
    }
}

fn is_scalar(node: &Node) -> bool {
    !matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_))
}

/// `tags:` — a comma-separated string, a number, or a list of them.
pub(crate) fn tags(node: &Node, keyword: &str) -> Result<Vec<String>, ParseError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Str(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()),
        NodeKind::Int(_) | NodeKind::UInt(_) | NodeKind::Float(_) | NodeKind::Bool(_) => {
            Ok(vec![node.key_string()])
        }
        NodeKind::Seq(items) => items
            .iter()
            .map(|item| {
                if is_scalar(item) && !matches!(item.kind, NodeKind::Null) {
                    Ok(item.key_string())
                } else {
                    Err(wrong_type(keyword, "a list of strings", item))
                }
            })
            .collect(),
        NodeKind::Map(_) => Err(wrong_type(keyword, "a string or a list", node)),
    }
}

/// `when:`-like keywords: one expression, or a list that must all hold.
pub(crate) fn conditions(node: &Node) -> Vec<Node> {
    match &node.kind {
        NodeKind::Null => Vec::new(),
        // A mapping is kept: Ansible fails the task when it evaluates it ("Conditional
        // expressions must be strings"), so the runner reports it there, with its position.
        NodeKind::Seq(items) => items.clone(),
        _ => vec![node.clone()],
    }
}

/// `notify:`/`listen:` — a string or a list of strings.
pub(crate) fn names(node: &Node, keyword: &str) -> Result<Vec<Node>, ParseError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Str(_) => Ok(vec![node.clone()]),
        NodeKind::Seq(items) => {
            for item in items {
                if !is_scalar(item) || matches!(item.kind, NodeKind::Null) {
                    return Err(wrong_type(keyword, "a list of strings", item));
                }
            }
            Ok(items.clone())
        }
        _ => Err(wrong_type(keyword, "a string or a list", node)),
    }
}

/// A valid Ansible variable name: an ASCII identifier that is not a Jinja keyword.
pub(crate) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let head_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    head_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !JINJA_KEYWORDS.contains(&name)
}

/// `vars:` (and vars files): a mapping of valid variable names; null means none.
pub(crate) fn vars(node: &Node, owner: &str) -> Result<Vec<(String, Node)>, ParseError> {
    let pairs = match &node.kind {
        NodeKind::Null => return Ok(Vec::new()),
        NodeKind::Map(pairs) => pairs,
        _ => {
            return Err(ParseError::Invalid {
                message: format!("Vars in a {owner} must be specified as a dictionary"),
                span: node.span,
                hint: None,
            })
        }
    };
    pairs
        .iter()
        .map(|(k, v)| {
            let name = k.key_string();
            if k.as_str().is_some_and(is_variable_name) {
                Ok((name, v.clone()))
            } else {
                Err(ParseError::Invalid {
                    message: format!("Invalid variable name '{name}'"),
                    span: k.span,
                    hint: Some(
                        "Variable names must be strings starting with a letter or underscore \
                         character, and contain only letters, numbers and underscores"
                            .to_owned(),
                    ),
                })
            }
        })
        .collect()
}

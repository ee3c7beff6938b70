//! Templating of YAML nodes at run time: each string scalar is rendered with its own position.

use rsible_parser::{Node, NodeKind, ScalarStyle};
// Python's `str()` (environment values, map keys) and truthiness.
pub(crate) use rsible_template::{py_str as python_str, py_truthy as truthy};
use rsible_template::{Origin, Templar, TemplateError, Value, Vars};

/// Renders every string in `node` (keys too), keeping native types of lone `{{ expr }}`s.
pub(crate) fn render_node(
    templar: &Templar,
    node: &Node,
    vars: &Vars,
    base: &Origin,
) -> Result<Value, TemplateError> {
    match &node.kind {
        NodeKind::Str(s) => {
            if Templar::is_template(s) && !node.untrusted {
                templar.render_str(s, vars, &origin_for(node, base))
            } else {
                Ok(Value::String(s.clone()))
            }
        }
        NodeKind::Seq(items) => items
            .iter()
            .map(|n| render_node(templar, n, vars, base))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        NodeKind::Map(pairs) => {
            let mut out = serde_json::Map::new();
            for (k, v) in pairs {
                let key = match &k.kind {
                    NodeKind::Str(_) => match render_node(templar, k, vars, base)? {
                        Value::String(s) => s,
                        other => python_str(&other),
                    },
                    // Non-string keys as json.dumps writes them (`off:` → "false").
                    _ => k.key_string(),
                };
                out.insert(key, render_node(templar, v, vars, base)?);
            }
            Ok(Value::Object(out))
        }
        _ => Ok(node.to_value()),
    }
}

/// The origin of one scalar: its own span, the lookups' search paths of the task.
pub(crate) fn origin_for(node: &Node, base: &Origin) -> Origin {
    Origin {
        span: Some(node.span),
        exact_lines: matches!(node.style, Some(ScalarStyle::Plain | ScalarStyle::Literal)),
        search_paths: base.search_paths.clone(),
    }
}

/// Evaluates a `when:`-style node: a bool stays a bool, a string is a bare expression.
pub(crate) fn eval_condition_node(
    templar: &Templar,
    node: &Node,
    vars: &Vars,
    base: &Origin,
) -> Result<bool, TemplateError> {
    match &node.kind {
        NodeKind::Bool(b) => Ok(*b),
        NodeKind::Null => Ok(false),
        NodeKind::Str(_) if node.untrusted => Err(TemplateError::Untrusted {
            span: Some(node.span),
        }),
        NodeKind::Str(s) => templar.eval_condition(s, vars, &origin_for(node, base)),
        NodeKind::Map(_) | NodeKind::Seq(_) => Err(TemplateError::Render {
            message: "Conditional expressions must be strings.".to_owned(),
            span: Some(node.span),
        }),
        // Ansible 2.19 judges non-boolean literals like any other expression (an error).
        _ => templar.eval_condition(&python_str(&node.to_value()), vars, &origin_for(node, base)),
    }
}

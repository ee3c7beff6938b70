//! A role's argument specification (`meta/argument_specs.yml`, or `argument_specs` in
//! `meta/main.yml`) becomes its first task, as Ansible's `Role._prepend_validation_task`
//! does: `validate_argument_spec` on the entry point's `options`, with the role's parameters,
//! tagged `always`.

use rsible_source::Span;

use crate::role::load_main;
use crate::task::{parse_task, TaskContext};
use crate::yaml::load_yaml_file;
use crate::{FromFiles, Node, NodeKind, ParseError, Role, Task};

/// The spec of every entry point: `argument_specs.yml` (or `.yaml`) wins over `meta/main.yml`,
/// and their contents are not merged.
fn argument_specs(role: &Role) -> Result<Option<Node>, ParseError> {
    for ext in ["yml", "yaml"] {
        let path = role.path.join("meta").join(format!("argument_specs.{ext}"));
        if path.is_file() {
            let doc = load_yaml_file(&path)?.into_iter().next();
            return Ok(doc.and_then(|d| d.get("argument_specs").cloned()));
        }
    }
    Ok(load_main(&role.path, "meta")?.and_then(|m| m.get("argument_specs").cloned()))
}

/// Ansible's validation task has no place in a file: its errors show `Origin: <unknown>` and
/// the task's data as Python prints it, shortened to 120 columns (`textwrap.shorten`). The
/// span returned points at that text, registered under `<unknown>`, line 0.
fn unknown_origin(name: &str, options: &Node, role: &Role, entry: &str) -> Span {
    let params: serde_json::Map<String, serde_json::Value> = role
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.to_value()))
        .collect();
    let data = serde_json::json!({
        "action": "ansible.builtin.validate_argument_spec",
        "args": {
            "argument_spec": options.to_value(),
            "provided_arguments": params,
            "validate_args_context": {
                "type": "role",
                "name": role.name,
                "argument_spec_name": entry,
                "path": role.path.to_string_lossy(),
            },
        },
        "name": name,
        "tags": ["always"],
    });
    let text = shorten(&rsible_template::py_repr(&data), 120);
    let id = rsible_source::SourceMap::add("<unknown>", text);
    Span::point(id, rsible_source::Position::new(0, 0))
}

/// Python's `textwrap.shorten(text, width)`: whitespace collapsed, whole words kept, ` [...]`
/// when cut.
fn shorten(text: &str, width: usize) -> String {
    const PLACEHOLDER: &str = " [...]";
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= width {
        return joined;
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut len = 0;
    for w in &words {
        let add = w.chars().count() + usize::from(!kept.is_empty());
        if len + add > width {
            break;
        }
        kept.push(w);
        len += add;
    }
    while let Some(last) = kept.last() {
        if len + PLACEHOLDER.len() <= width {
            break;
        }
        len -= last.chars().count() + usize::from(kept.len() > 1);
        kept.pop();
    }
    if kept.is_empty() {
        return PLACEHOLDER.trim_start().to_owned();
    }
    kept.join(" ") + PLACEHOLDER
}

fn at(kind: NodeKind, span: Span) -> Node {
    Node {
        kind,
        span,
        style: None,
        untrusted: false,
    }
}

fn text(s: &str, span: Span) -> Node {
    at(NodeKind::Str(s.to_owned()), span)
}

/// The validation task for the role's entry point (`tasks_from`, else `main`), if it has a
/// spec.
pub(crate) fn validation_task(
    role: &Role,
    from_files: &FromFiles,
    ctx: &TaskContext<'_>,
) -> Result<Option<Task>, ParseError> {
    let Some(specs) = argument_specs(role)? else {
        return Ok(None);
    };
    let entry = from_files.tasks.as_deref().unwrap_or("main");
    let Some(spec) = specs.get(entry).filter(|s| match &s.kind {
        NodeKind::Map(m) => !m.is_empty(),
        NodeKind::Null => false,
        _ => true,
    }) else {
        return Ok(None);
    };
    let mut name = format!("Validating arguments against arg spec '{entry}'");
    if let Some(desc) = spec.get("short_description") {
        name.push_str(" - ");
        name.push_str(&desc.key_string());
    }
    let options = spec
        .get("options")
        .cloned()
        .unwrap_or_else(|| at(NodeKind::Map(Vec::new()), spec.span));
    let span = unknown_origin(&name, &options, role, entry);
    let params = role
        .params
        .iter()
        .map(|(k, v)| (text(k, v.span), v.clone()))
        .collect();
    let context = vec![
        (text("type", span), text("role", span)),
        (text("name", span), text(&role.name, span)),
        (text("argument_spec_name", span), text(entry, span)),
        (text("path", span), text(&role.path.to_string_lossy(), span)),
    ];
    let args = vec![
        (text("argument_spec", span), options),
        (
            text("provided_arguments", span),
            at(NodeKind::Map(params), span),
        ),
        (
            text("validate_args_context", span),
            at(NodeKind::Map(context), span),
        ),
    ];
    let task = at(
        NodeKind::Map(vec![
            (text("name", span), text(&name, span)),
            (
                text("ansible.builtin.validate_argument_spec", span),
                at(NodeKind::Map(args), span),
            ),
            (
                text("tags", span),
                at(NodeKind::Seq(vec![text("always", span)]), span),
            ),
        ]),
        span,
    );
    parse_task(&task, ctx).map(Some)
}

#[cfg(test)]
mod tests {
    use super::shorten;

    /// Expected values from Python's `textwrap.shorten`.
    #[test]
    fn shortens_as_python() {
        assert_eq!(shorten("{'a': 'b',   'c':\n 'd'}", 10), "[...]");
        assert_eq!(
            shorten("{'a': 'b',   'c':\n 'd'}", 30),
            "{'a': 'b', 'c': 'd'}"
        );
        assert_eq!(shorten("one two three four", 15), "one two [...]");
    }
}

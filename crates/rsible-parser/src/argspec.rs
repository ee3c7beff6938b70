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
    let span = spec.span;
    let mut name = format!("Validating arguments against arg spec '{entry}'");
    if let Some(desc) = spec.get("short_description") {
        name.push_str(" - ");
        name.push_str(&desc.key_string());
    }
    let options = spec
        .get("options")
        .cloned()
        .unwrap_or_else(|| at(NodeKind::Map(Vec::new()), span));
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

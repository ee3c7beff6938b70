//! `import_tasks:` — a static include: the file's tasks replace the import, each inheriting
//! the import's keywords as Ansible's parent chain would give them (`when:` prepended, `tags:`
//! added, `vars:` under the task's own, inheritable keywords where the task sets none).
//!
//! ```yaml
//! - import_tasks: setup.yml
//!   when: ansible_os_family == "Debian"
//!   tags: setup
//! ```

use std::path::PathBuf;

use crate::fields::{invalid, key_str, map_of};

use crate::keywords::{self, short_name, Scope};
use crate::module_args::parse_kv;
use crate::task::{parse_tasks, set_keyword, TaskContext};
use crate::yaml::load_yaml_file;
use crate::{Node, NodeKind, ParseError, Task, TaskKeywords};

/// Imports nested deeper than this are taken for a cycle.
const MAX_IMPORT_DEPTH: usize = 32;

/// Keywords of an import statement or block that its tasks do not inherit (Ansible's
/// `NonInheritableFieldAttribute`s), so rsible refuses them rather than drop them.
const NOT_ON_IMPORT: &[&str] = &[
    "register",
    "async",
    "poll",
    "changed_when",
    "failed_when",
    "until",
    "retries",
    "delay",
    "loop_control",
    "listen",
];

/// The `import_tasks` key of a task entry, if it is one.
pub(crate) fn import_key(entry: &Node) -> Option<&Node> {
    entry
        .as_map()?
        .iter()
        .map(|(k, _)| k)
        .find(|k| k.as_str().is_some_and(|k| short_name(k) == "import_tasks"))
}

/// The file an import names: `import_tasks: x.yml`, `import_tasks: file=x.yml` or
/// `import_tasks: {file: x.yml}`.
fn file_name(value: &Node) -> Result<String, ParseError> {
    let name = match &value.kind {
        NodeKind::Str(s) => parse_kv(s, false).ok().and_then(|kv| {
            kv.into_iter()
                .find(|(k, _)| k == "_raw_params" || k == "file")
                .map(|(_, v)| v)
        }),
        NodeKind::Map(_) => value.get("file").and_then(Node::as_str).map(str::to_owned),
        _ => None,
    };
    let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
        return Err(invalid("No file specified for import_tasks", value));
    };
    Ok(name)
}

/// A templated file name rendered as Ansible renders a static import's at load time: with the
/// variables known then — the play's `vars`, the role's defaults, vars and parameters with
/// `role_path`/`role_name`, and the import's own `vars`. Host variables, facts and registered
/// results do not exist yet, so a name that needs them is an error, as in Ansible.
pub(crate) fn render_name(
    name: &str,
    value: &Node,
    ctx: &TaskContext<'_>,
    own: &TaskKeywords,
    what: &str,
) -> Result<String, ParseError> {
    if !rsible_template::Templar::is_template(name) {
        return Ok(name.to_owned());
    }
    let mut vars = rsible_template::Vars::new();
    let put = |vars: &mut rsible_template::Vars, pairs: &[(String, Node)]| {
        for (k, v) in pairs {
            vars.insert(k.clone(), v.to_value());
        }
    };
    if let Some(role) = &ctx.role {
        put(&mut vars, &role.defaults);
    }
    put(&mut vars, &ctx.vars);
    if let Some(role) = &ctx.role {
        put(&mut vars, &role.vars);
        put(&mut vars, &role.params);
        vars.insert("role_name".into(), role.name.clone().into());
        vars.insert(
            "role_path".into(),
            role.path.to_string_lossy().into_owned().into(),
        );
    }
    put(&mut vars, &own.vars);
    let origin = rsible_template::Origin {
        span: Some(value.span),
        ..Default::default()
    };
    match rsible_template::Templar::new().render_str(name, &vars, &origin) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Ok(rsible_template::py_str(&other)),
        Err(e) => Err(ParseError::Invalid {
            message: format!("cannot template the `{what}` name: {}", e.ansible_message()),
            span: e.span().unwrap_or(value.span),
            hint: Some(format!(
                "a static import is read when the playbook is loaded, before hosts, facts \
                     and registered variables exist; use `{}` for a name that needs them",
                what.replace("import_", "include_")
            )),
        }),
    }
}

pub(crate) fn import_tasks(
    entry: &Node,
    key: &Node,
    ctx: &TaskContext<'_>,
) -> Result<Vec<Task>, ParseError> {
    if ctx.depth >= MAX_IMPORT_DEPTH {
        return Err(invalid(
            format!("`import_tasks` nested more than {MAX_IMPORT_DEPTH} deep (a cycle?)"),
            key,
        ));
    }
    let parent = parent_keywords(entry, &[key], "import_tasks")?;
    let value = entry.get_node(key).unwrap_or(key);
    let file = render_name(&file_name(value)?, value, ctx, &parent, "import_tasks")?;
    let mut candidates: Vec<PathBuf> = Vec::new();
    for dir in std::iter::once(&ctx.dir).chain(&ctx.fallback) {
        let path = dir.join(&file);
        if !candidates.contains(&path) {
            candidates.push(path);
        }
    }
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        return Err(ParseError::Invalid {
            message: format!("Could not find or access '{file}'"),
            span: key.span,
            hint: Some(format!(
                "searched {}",
                candidates
                    .iter()
                    .map(|p| format!("`{}`", p.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        });
    };
    let docs = load_yaml_file(path)?;
    let inner = TaskContext {
        dir: path.parent().map(PathBuf::from).unwrap_or_default(),
        depth: ctx.depth + 1,
        ..ctx.clone()
    };
    let tasks = match docs.first() {
        None => Vec::new(),
        Some(doc) if doc.kind == NodeKind::Null => Vec::new(),
        Some(doc) if doc.as_seq().is_none() => {
            return Err(invalid(
                "included task files must contain a list of tasks",
                doc,
            ))
        }
        Some(doc) => parse_tasks(doc, "import_tasks", &inner)?,
    };
    Ok(tasks
        .into_iter()
        .map(|mut t| {
            inherit(&mut t.keywords, &parent);
            t
        })
        .collect())
}

/// The keywords of an import or block that its tasks inherit; `skip` are the keys the caller
/// handles itself (`import_tasks:`, `block:`).
pub(crate) fn parent_keywords(
    entry: &Node,
    skip: &[&Node],
    what: &str,
) -> Result<TaskKeywords, ParseError> {
    let mut parent = TaskKeywords::default();
    for (k_node, value) in map_of(entry, "a task")? {
        let k = key_str(k_node, "a task")?;
        if skip.contains(&k_node) || k == "name" {
            // Ansible shows no name for a static import or a block.
            continue;
        }
        if (k == "loop" || k.starts_with("with_")) && what.starts_with("import_") {
            return Err(invalid(
                format!(
                    "You cannot use loops on '{what}' statements. You should use '{}' instead",
                    what.replace("import_", "include_")
                ),
                k_node,
            ));
        }
        if k == "loop" || k.starts_with("with_") || NOT_ON_IMPORT.contains(&k) {
            return Err(invalid(
                format!("`{k}` is not a valid keyword for `{what}`"),
                k_node,
            ));
        }
        keywords::check_runs(k, Scope::Block, k_node, value)?;
        if !set_keyword(&mut parent, k, value, false)? {
            return Err(invalid(
                format!("`{k}` is not a valid keyword for `{what}`"),
                k_node,
            ));
        }
    }
    Ok(parent)
}

/// Gives a task what it inherits from the import statement or block around it.
pub(crate) fn inherit(kw: &mut TaskKeywords, parent: &TaskKeywords) {
    kw.when = parent.when.iter().chain(&kw.when).cloned().collect();
    // Ansible's `tags` extend without prepending: the task's own come first.
    for t in &parent.tags {
        if !kw.tags.contains(t) {
            kw.tags.push(t.clone());
        }
    }
    let mut vars = parent.vars.clone();
    for (k, v) in &kw.vars {
        if let Some(slot) = vars.iter_mut().find(|(pk, _)| pk == k) {
            slot.1 = v.clone();
        } else {
            vars.push((k.clone(), v.clone()));
        }
    }
    kw.vars = vars;
    kw.under_module_defaults(&parent.module_defaults);
    if kw.notify.is_empty() {
        kw.notify.clone_from(&parent.notify);
    }
    macro_rules! inherit_options {
        ($($field:ident),*) => {
            $(if kw.$field.is_none() {
                kw.$field.clone_from(&parent.$field);
            })*
        };
    }
    inherit_options!(
        ignore_errors,
        ignore_unreachable,
        delegate_to,
        delegate_facts,
        run_once,
        become_,
        become_user,
        become_method,
        become_flags,
        environment,
        no_log,
        check_mode,
        diff,
        connection,
        remote_user,
        any_errors_fatal,
        throttle,
        timeout,
        port
    );
}

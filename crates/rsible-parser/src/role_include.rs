//! `import_role` and `include_role` statements (Ansible's `IncludeRole`).
//!
//! `import_role` is static: the role is found and read when the playbook is loaded, and its
//! tasks replace the statement, each inheriting the statement's keywords (`when:`, `tags:`,
//! `vars:` …) as an `import_tasks`'s do. Its handlers join the play's, and (unless
//! `public: false`) its defaults and vars are seen by the whole play.
//!
//! `include_role` is a task: its options are checked here, and the runner loads the role
//! (templated name, per host and loop item) with [`load_role`].
//!
//! ```yaml
//! - import_role:
//!     name: web
//!     tasks_from: install
//!   when: ansible_os_family == "Debian"
//! - include_role:
//!     name: "{{ item }}"
//!     apply: {tags: deploy}
//!   loop: [db, web]
//! ```

use std::path::Path;
use std::sync::Arc;

use rsible_source::Span;

use crate::fields::invalid;
use crate::import::{inherit, parent_keywords, render_name};
use crate::keywords::short_name;
use crate::module_args::parse_kv;
use crate::role::{load_named_role, How, Imported};
use crate::task::TaskContext;
use crate::{FromFiles, Node, NodeKind, ParseError, ParseOptions, Role, Task};

/// Every option `include_role`/`import_role` takes (`IncludeRole.VALID_ARGS`).
const VALID_ARGS: &[&str] = &[
    "name",
    "role",
    "tasks_from",
    "vars_from",
    "defaults_from",
    "handlers_from",
    "apply",
    "public",
    "allow_duplicates",
    "rolespec_validate",
];

/// The options of an `include_role`/`import_role` statement, as written (not templated).
#[derive(Clone, Debug)]
pub struct RoleOptions {
    /// The role's name (`name:` or `role:`), and where it was written.
    pub name: Node,
    pub from: FromFiles,
    /// `public:`; unset, an import is public and an include is not.
    pub public: Option<bool>,
    /// `rolespec_validate:` (default true): prepend the argument validation task.
    pub validate: bool,
    /// `apply:` keywords (include_role only).
    pub apply: Option<Node>,
    /// `allow_duplicates:` (default true).
    pub allow_duplicates: bool,
}

/// The `import_role` key of a task entry, if it is one.
pub(crate) fn import_role_key(entry: &Node) -> Option<&Node> {
    entry
        .as_map()?
        .iter()
        .map(|(k, _)| k)
        .find(|k| k.as_str().is_some_and(|k| short_name(k) == "import_role"))
}

/// Ansible's `boolean()` of an option value (a bool, or one of its spellings).
fn truthy(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Bool(b) => *b,
        NodeKind::Int(i) => *i != 0,
        NodeKind::Str(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "yes" | "on" | "1" | "true" | "t" | "y" | "1.0"
        ),
        _ => false,
    }
}

/// Checks the options of an `include_role`/`import_role` (its arguments as one map) as
/// `IncludeRole.load` does; `action` is the key as written, for messages.
pub fn role_options(args: &Node, action: &str) -> Result<RoleOptions, ParseError> {
    let pairs = args.as_map().unwrap_or_default();
    let get = |k: &str| args.get(k);
    let Some(name) = get("name").or_else(|| get("role")).cloned() else {
        return Err(invalid(
            format!("'name' is a required field for {action}."),
            args,
        ));
    };
    let bad: Vec<String> = pairs
        .iter()
        .map(|(k, _)| k.key_string())
        .filter(|k| !VALID_ARGS.contains(&k.as_str()))
        .collect();
    if !bad.is_empty() {
        return Err(invalid(
            format!("Invalid options for {action}: {}", bad.join(",")),
            args,
        ));
    }
    let mut from = FromFiles::default();
    for (key, slot) in [
        ("tasks_from", &mut from.tasks),
        ("vars_from", &mut from.vars),
        ("defaults_from", &mut from.defaults),
        ("handlers_from", &mut from.handlers),
    ] {
        if let Some(v) = get(key) {
            let Some(s) = v.as_str() else {
                return Err(invalid(
                    format!(
                        "Expected a string for {key} but got {} instead",
                        python_class(v)
                    ),
                    v,
                ));
            };
            *slot = Some(s.to_owned());
        }
    }
    let apply = get("apply").filter(|a| a.kind != NodeKind::Null).cloned();
    if let Some(a) = &apply {
        if short_name(action) != "include_role" {
            return Err(invalid(
                format!("Invalid options for {action}: apply"),
                args,
            ));
        }
        if a.as_map().is_none() {
            return Err(invalid(
                format!(
                    "Expected a dict for apply but got {} instead",
                    python_class(a)
                ),
                args,
            ));
        }
    }
    Ok(RoleOptions {
        name,
        from,
        public: get("public").map(truthy),
        validate: get("rolespec_validate").is_none_or(truthy),
        apply,
        allow_duplicates: get("allow_duplicates").is_none_or(truthy),
    })
}

fn python_class(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Null => "<class 'NoneType'>",
        NodeKind::Bool(_) => "<class 'bool'>",
        NodeKind::Int(_) | NodeKind::UInt(_) => "<class 'int'>",
        NodeKind::Float(_) => "<class 'float'>",
        NodeKind::Str(_) => "<class 'str'>",
        NodeKind::Seq(_) => "<class 'list'>",
        NodeKind::Map(_) => "<class 'dict'>",
    }
}

/// The value of `import_role:` as one map: `name=x tasks_from=y` or a mapping.
fn args_map(value: &Node) -> Result<Node, ParseError> {
    match &value.kind {
        NodeKind::Map(_) => Ok(value.clone()),
        NodeKind::Null => Ok(Node {
            kind: NodeKind::Map(Vec::new()),
            ..value.clone()
        }),
        NodeKind::Str(s) => {
            let kv = parse_kv(s, false).map_err(|_| {
                invalid(
                    format!(
                        "failed at splitting arguments, either an unbalanced jinja2 block or \
                         quotes: {s}"
                    ),
                    value,
                )
            })?;
            let at = |text: String| Node {
                kind: NodeKind::Str(text),
                span: Span::point(value.span.source, value.span.start),
                style: None,
                untrusted: value.untrusted,
            };
            Ok(Node {
                kind: NodeKind::Map(kv.into_iter().map(|(k, v)| (at(k), at(v))).collect()),
                ..value.clone()
            })
        }
        _ => Err(crate::fields::wrong_type(
            "import_role",
            "a mapping or a string of arguments",
            value,
        )),
    }
}

/// `import_role`: the role's tasks (its dependencies' first), each inheriting the statement's
/// keywords; the roles themselves go to the play (handlers, public vars).
pub(crate) fn import_role(
    entry: &Node,
    key: &Node,
    ctx: &TaskContext<'_>,
) -> Result<Vec<Task>, ParseError> {
    let action = key.key_string();
    let parent = parent_keywords(entry, &[key], "import_role")?;
    let value = entry.get_node(key).unwrap_or(key);
    let args = args_map(value)?;
    let opts = role_options(&args, &action)?;
    let Some(raw) = opts.name.as_str() else {
        return Err(crate::fields::wrong_type("name", "a role name", &opts.name));
    };
    let name = render_name(raw, &opts.name, ctx, &parent, "import_role")?;
    let how = How {
        from_files: &opts.from,
        validate: opts.validate,
        named: true,
        allow_duplicates: Some(opts.allow_duplicates),
        folded: &[],
    };
    let roles = load_named_role(
        &name,
        opts.name.span,
        &how,
        &ctx.play_dir,
        ctx.role.as_deref(),
        ctx.opts,
        &ctx.imported,
    )?;
    let mut tasks = Vec::new();
    let mut imported = Vec::new();
    for role in roles {
        let mut role = Role::clone(&role);
        role.public = opts.public.unwrap_or(true);
        for mut t in std::mem::take(&mut role.tasks) {
            inherit(&mut t.keywords, &parent);
            tasks.push(t);
        }
        for h in &mut role.handlers {
            inherit(&mut h.keywords, &parent);
        }
        imported.push(Arc::new(role));
    }
    if let Ok(mut play) = ctx.imported.lock() {
        play.imported.extend(imported);
    }
    Ok(tasks)
}

/// What [`load_role`] gives the runner: the roles to run, in order (dependencies first), each
/// with its tasks and handlers, and the roles `import_role` statements inside them brought in.
#[derive(Debug)]
pub struct LoadedRole {
    pub roles: Vec<Arc<Role>>,
    pub imported: Vec<Arc<Role>>,
}

/// Loads a role at run time, for `include_role`: `name` already templated, `apply` keywords
/// given to every task, `parent` the role the statement is in (its directory is searched).
pub fn load_role(
    name: &str,
    span: Span,
    opts: &RoleOptions,
    from: &FromFiles,
    play_dir: &Path,
    parent: Option<&Role>,
    parse_opts: &ParseOptions,
) -> Result<LoadedRole, ParseError> {
    let imported = Imported::default();
    let apply = match &opts.apply {
        Some(a) => Some(parent_keywords(a, &[], "apply")?),
        None => None,
    };
    let mut roles = Vec::new();
    let how = How {
        from_files: from,
        validate: opts.validate,
        named: true,
        allow_duplicates: Some(opts.allow_duplicates),
        folded: &[],
    };
    for role in load_named_role(name, span, &how, play_dir, parent, parse_opts, &imported)? {
        let mut role = Role::clone(&role);
        role.public = opts.public.unwrap_or(false);
        if let Some(apply) = &apply {
            for t in role.tasks.iter_mut().chain(role.handlers.iter_mut()) {
                inherit(&mut t.keywords, apply);
            }
        }
        roles.push(Arc::new(role));
    }
    let imported = imported
        .lock()
        .map(|p| p.imported.clone())
        .unwrap_or_default();
    Ok(LoadedRole { roles, imported })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(yaml: &str, action: &str) -> Result<RoleOptions, String> {
        let docs = crate::load_yaml_str(Path::new("t.yml"), yaml).map_err(|e| e.to_string())?;
        let node = docs.into_iter().next().ok_or("no document")?;
        role_options(&node, action).map_err(|e| e.to_string())
    }

    /// Messages of ansible-core 2.19's `IncludeRole.load`.
    #[test]
    fn options_are_checked_as_ansible_does() {
        let o = options(
            "{role: r, tasks_from: t, handlers_from: h, public: yes, rolespec_validate: no}",
            "include_role",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.name.as_str(), Some("r"));
        assert_eq!(o.from.tasks.as_deref(), Some("t"));
        assert_eq!(o.from.handlers.as_deref(), Some("h"));
        assert_eq!(o.public, Some(true));
        assert!(!o.validate && o.allow_duplicates && o.apply.is_none());
        let err = |yaml: &str, action: &str| options(yaml, action).err().unwrap_or_default();
        assert_eq!(
            err("{tasks_from: t}", "include_role"),
            "'name' is a required field for include_role."
        );
        assert_eq!(
            err("{name: r, bogus: 1}", "ansible.builtin.include_role"),
            "Invalid options for ansible.builtin.include_role: bogus"
        );
        assert_eq!(
            err("{name: r, apply: {tags: x}}", "import_role"),
            "Invalid options for import_role: apply"
        );
        assert_eq!(
            err("{name: r, apply: [x]}", "include_role"),
            "Expected a dict for apply but got <class 'list'> instead"
        );
        assert_eq!(
            err("{name: r, tasks_from: 1}", "include_role"),
            "Expected a string for tasks_from but got <class 'int'> instead"
        );
    }
}

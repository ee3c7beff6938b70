//! `roles:` entries → [`Role`]s loaded from `roles/<name>/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fields::{conditions, invalid, key_str, list_of, tags, vars, wrong_type};
use crate::task::{parse_tasks, TaskContext};
use crate::yaml::load_yaml_file;
use crate::{Node, NodeKind, ParseError, ParseOptions, Role};

/// Role keywords Ansible accepts on a `roles:` entry that rsible does not apply yet.
const ROLE_UNSUPPORTED: &[&str] = &[
    "become_user",
    "become_method",
    "become_flags",
    "environment",
    "ignore_errors",
    "check_mode",
    "diff",
    "no_log",
    "run_once",
    "delegate_to",
    "connection",
    "remote_user",
    "module_defaults",
    "collections",
    "debugger",
    "port",
    "timeout",
];

/// Keywords a `roles:` entry passes to its tasks, handlers and dependencies (ansible-core's
/// task → block → role → play inheritance): folded into each task that does not set its own.
const ROLE_FOLDED: &[&str] = &["any_errors_fatal", "ignore_unreachable", "throttle"];

/// Role dependencies nested deeper than this are taken for a cycle.
const MAX_ROLE_DEPTH: usize = 32;

/// Loads every `roles:` entry of a play, each preceded by its `meta/main.yml` dependencies.
///
/// As in Ansible, a role runs once per play: an entry equal to an earlier one (same role,
/// parameters, own `tags:` and `when:`) is dropped unless the role's meta sets
/// `allow_duplicates: true`.
pub(crate) fn load_roles(
    node: &Node,
    dir: &Path,
    opts: &ParseOptions,
) -> Result<Vec<Arc<Role>>, ParseError> {
    let mut out = Collected::default();
    for entry in list_of(node, "roles")? {
        let from = From {
            dir,
            basedir: None,
            parent: None,
            folded: &[],
            depth: 0,
        };
        add_role(entry, &from, opts, &mut out)?;
    }
    Ok(out.roles)
}

/// The roles of a play so far, with the identity Ansible dedups them by: path, parameters,
/// and the role's own `when:` and `tags:` (`Role._get_hash_dict`; what a dependency inherits
/// from its dependent does not count).
#[derive(Default)]
struct Collected {
    roles: Vec<Arc<Role>>,
    seen: Vec<serde_json::Value>,
}

fn identity(role: &Role) -> serde_json::Value {
    serde_json::json!({
        "path": role.path.to_string_lossy(),
        "params": role.params.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<Vec<_>>(),
        "when": role.when.iter().map(Node::to_value).collect::<Vec<_>>(),
        "tags": role.tags,
    })
}

/// Where a `roles:` entry or dependency was found.
struct From<'a> {
    /// The playbook directory.
    dir: &'a Path,
    /// For a dependency: the directory holding the role that depends on it.
    basedir: Option<PathBuf>,
    /// For a dependency: the role that depends on it (its `when:`/`tags:` pass down).
    parent: Option<&'a Role>,
    /// The [`ROLE_FOLDED`] keywords of the roles that depend on this one, innermost first.
    folded: &'a [(String, Node)],
    depth: usize,
}

fn add_role(
    entry: &Node,
    from: &From<'_>,
    opts: &ParseOptions,
    out: &mut Collected,
) -> Result<(), ParseError> {
    if from.depth > MAX_ROLE_DEPTH {
        return Err(invalid(
            format!("role dependencies nested more than {MAX_ROLE_DEPTH} deep (a cycle?)"),
            entry,
        ));
    }
    let (mut role, mut folded) = role_header(entry, from, &opts.roles_path)?;
    folded.extend(from.folded.iter().cloned());
    let id = identity(&role);
    if let Some(parent) = from.parent {
        // A dependency runs under its dependent's conditions and tags.
        role.when = parent.when.iter().chain(&role.when).cloned().collect();
        for t in &parent.tags {
            if !role.tags.contains(t) {
                role.tags.push(t.clone());
            }
        }
        if role.become_.is_none() {
            role.become_.clone_from(&parent.become_);
        }
    }
    let meta = load_main(&role.path, "meta")?;
    let allow_duplicates = meta
        .as_ref()
        .and_then(|m| m.get("allow_duplicates"))
        .is_some_and(|v| match &v.kind {
            NodeKind::Bool(b) => *b,
            NodeKind::Str(s) => matches!(s.to_lowercase().as_str(), "yes" | "true" | "on" | "1"),
            _ => false,
        });
    if let Some(deps) = meta.as_ref().and_then(|m| m.get("dependencies")) {
        let dep_from = From {
            dir: from.dir,
            basedir: role.path.parent().map(Path::to_path_buf),
            parent: Some(&role),
            folded: &folded,
            depth: from.depth + 1,
        };
        for dep in list_of(deps, "dependencies")? {
            add_role(dep, &dep_from, opts, out)?;
        }
    }
    if !allow_duplicates && out.seen.contains(&id) {
        return Ok(());
    }
    out.seen.push(id);
    // Tasks point at a copy of the role without tasks, so the role need not contain itself.
    let header = Arc::new(role.clone());
    role.tasks = role_tasks(&role.path, "tasks", false, &header, opts)?;
    role.handlers = role_tasks(&role.path, "handlers", true, &header, opts)?;
    for task in role.tasks.iter_mut().chain(role.handlers.iter_mut()) {
        fold_role_keywords(task, &folded);
    }
    out.roles.push(Arc::new(role));
    Ok(())
}

/// The directories searched for a role, in order (Ansible's `_load_role_path`).
fn candidates(name: &str, from: &From<'_>, roles_path: &[PathBuf]) -> Vec<PathBuf> {
    let mut paths = vec![from.dir.join("roles").join(name)];
    paths.extend(roles_path.iter().map(|dir| dir.join(name)));
    if let Some(base) = &from.basedir {
        paths.push(base.join(name));
    }
    paths.push(from.dir.join(name));
    let as_path = PathBuf::from(name);
    if as_path.is_absolute() {
        paths.push(as_path);
    }
    paths.dedup();
    paths
}

/// Gives `task` the role's value of each [`ROLE_FOLDED`] keyword it does not set itself (nor
/// its blocks, already folded into it); the innermost role's value first.
fn fold_role_keywords(task: &mut crate::Task, folded: &[(String, Node)]) {
    for (name, value) in folded {
        let slot = match name.as_str() {
            "any_errors_fatal" => &mut task.keywords.any_errors_fatal,
            "ignore_unreachable" => &mut task.keywords.ignore_unreachable,
            "throttle" => &mut task.keywords.throttle,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.clone());
        }
    }
}

/// A role from its `roles:` entry, with its defaults and vars but no tasks yet; and the
/// [`ROLE_FOLDED`] keywords the entry sets.
fn role_header(
    entry: &Node,
    from: &From<'_>,
    roles_path: &[PathBuf],
) -> Result<(Role, Vec<(String, Node)>), ParseError> {
    let mut folded = Vec::new();
    let mut name_node: Option<&Node> = None;
    let mut params = Vec::new();
    let mut role_tags = Vec::new();
    let mut when = Vec::new();
    let mut become_ = None;
    match &entry.kind {
        NodeKind::Str(_) => name_node = Some(entry),
        NodeKind::Map(pairs) => {
            for (key, value) in pairs {
                match key_str(key, "a role")? {
                    "role" | "name" => name_node = Some(value),
                    "vars" => params.extend(vars(value, "Role")?),
                    "tags" => role_tags = tags(value, "tags")?,
                    "when" => when = conditions(value),
                    "become" => become_ = Some(value.clone()),
                    k if ROLE_FOLDED.contains(&k) => folded.push((k.to_owned(), value.clone())),
                    k if ROLE_UNSUPPORTED.contains(&k) => {
                        return Err(invalid(
                            format!("`{k}` on a role is not supported yet"),
                            key,
                        ))
                    }
                    k => params.push((k.to_owned(), value.clone())),
                }
            }
        }
        _ => return Err(wrong_type("roles", "a role name or a mapping", entry)),
    }
    let Some(name_node) = name_node else {
        return Err(invalid("role definitions must contain a role name", entry));
    };
    let Some(name) = name_node.as_str().filter(|n| !n.trim().is_empty()) else {
        return Err(wrong_type("role", "a role name", name_node));
    };
    let searched = candidates(name, from, roles_path);
    let Some(path) = searched.iter().find(|p| p.is_dir()).cloned() else {
        return Err(ParseError::RoleNotFound {
            name: name.to_owned(),
            span: name_node.span,
            searched,
        });
    };
    let short = Path::new(name)
        .file_name()
        .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned());
    let role = Role {
        name: short,
        span: name_node.span,
        defaults: vars_file(&path, "defaults")?,
        vars: vars_file(&path, "vars")?,
        path,
        params,
        tasks: Vec::new(),
        handlers: Vec::new(),
        tags: role_tags,
        when,
        become_,
    };
    Ok((role, folded))
}

/// `<role>/<sub>/main.yml`, `main.yaml` or `main`, if present.
fn main_file(role: &Path, sub: &str) -> Option<PathBuf> {
    ["main.yml", "main.yaml", "main"]
        .iter()
        .map(|f| role.join(sub).join(f))
        .find(|p| p.is_file())
}

/// The single document of an optional role file (`None` when absent or empty).
fn load_main(role: &Path, sub: &str) -> Result<Option<Node>, ParseError> {
    let Some(file) = main_file(role, sub) else {
        return Ok(None);
    };
    let mut docs = load_yaml_file(&file)?.into_iter();
    let first = docs.next();
    if let Some(extra) = docs.next() {
        return Err(invalid("expected a single document in the stream", &extra));
    }
    Ok(first.filter(|d| d.kind != NodeKind::Null))
}

/// A role's `defaults`/`vars`: `main.yml`, `main.yaml`, `main.json` or `main`, where a `main/`
/// directory gives every file under it (sorted, recursively, hidden and `~` backups left out),
/// each over the ones before, as Ansible's `find_vars_files` with `allow_dir`.
fn vars_file(role: &Path, sub: &str) -> Result<Vec<(String, Node)>, ParseError> {
    let dir = role.join(sub);
    let found = ["main.yml", "main.yaml", "main.json", "main"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists());
    let files = match found {
        Some(p) if p.is_dir() => dir_vars_files(&p),
        Some(p) => vec![p],
        None => Vec::new(),
    };
    let mut out: Vec<(String, Node)> = Vec::new();
    for file in files {
        let mut docs = load_yaml_file(&file)?.into_iter();
        let Some(doc) = docs.next().filter(|d| d.kind != NodeKind::Null) else {
            continue;
        };
        if let Some(extra) = docs.next() {
            return Err(invalid("expected a single document in the stream", &extra));
        }
        for (k, v) in vars(&doc, "Role")? {
            match out.iter_mut().find(|(have, _)| *have == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
    }
    Ok(out)
}

/// `_get_dir_vars_files`: YAML/JSON (or extension-less) files of a directory tree, sorted by
/// name at each level.
fn dir_vars_files(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let text = name.to_string_lossy();
        if text.starts_with('.') || text.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        if path.is_dir() && ext.is_none() {
            out.extend(dir_vars_files(&path));
        } else if path.is_file()
            && ext
                .as_deref()
                .is_none_or(|e| matches!(e, "yml" | "yaml" | "json"))
        {
            out.push(path);
        }
    }
    out
}

fn role_tasks(
    role: &Path,
    sub: &str,
    handlers: bool,
    header: &Arc<Role>,
    opts: &ParseOptions,
) -> Result<Vec<crate::Task>, ParseError> {
    let Some(doc) = load_main(role, sub)? else {
        return Ok(Vec::new());
    };
    let ctx = TaskContext {
        opts,
        handlers,
        role: Some(Arc::clone(header)),
        dir: role.join(sub),
        // Ansible looks for a role's imports in its `tasks/` whatever file imports them.
        fallback: vec![role.join("tasks"), role.to_path_buf()],
        depth: 0,
        vars: Arc::default(),
    };
    parse_tasks(&doc, sub, &ctx)
}

//! `roles:` entries → [`Role`]s loaded from `roles/<name>/`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rsible_source::Span;

use crate::fields::{conditions, invalid, key_str, list_of, tags, vars, wrong_type};
use crate::task::{parse_tasks, TaskContext};
use crate::yaml::load_yaml_file;
use crate::{FromFiles, Node, NodeKind, ParseError, ParseOptions, Role};

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
    "debugger",
    "port",
    "timeout",
];

/// Keywords a `roles:` entry passes to its tasks, handlers and dependencies (ansible-core's
/// task → block → role → play inheritance): folded into each task that does not set its own.
const ROLE_FOLDED: &[&str] = &[
    "any_errors_fatal",
    "ignore_unreachable",
    "throttle",
    "module_defaults",
];

/// Role dependencies nested deeper than this are taken for a cycle.
const MAX_ROLE_DEPTH: usize = 32;

/// What a play's role loading shares: the roles `import_role` loaded (with their handlers),
/// which the play keeps.
pub(crate) type Imported = Arc<Mutex<PlayRoles>>;

#[derive(Debug, Default)]
pub(crate) struct PlayRoles {
    pub(crate) imported: Vec<Arc<Role>>,
}

/// Loads every `roles:` entry of a play, each preceded by its `meta/main.yml` dependencies.
///
/// As in Ansible, a role runs once per play: an entry equal to an earlier one (same role,
/// parameters, own `tags:` and `when:`) is dropped unless the role's meta sets
/// `allow_duplicates: true`.
pub(crate) fn load_roles(
    node: &Node,
    dir: &Path,
    opts: &ParseOptions,
    imported: &Imported,
) -> Result<Vec<Arc<Role>>, ParseError> {
    let mut out = Collected::default();
    for entry in list_of(node, "roles")? {
        let from = From {
            dir,
            basedir: None,
            parent: None,
            folded: &[],
            parents: Vec::new(),
            depth: 0,
            imported,
        };
        add_role(entry, &from, opts, &mut out)?;
    }
    Ok(out.roles)
}

/// A role `include_role`/`import_role` names, with its dependencies before it, each with its
/// tasks (the argument validation task first when the entry point has a spec and `validate`)
/// and handlers; the roles `import_role` statements inside them brought in come after.
pub(crate) fn load_named_role(
    name: &str,
    span: Span,
    how: &How<'_>,
    play_dir: &Path,
    parent: Option<&Role>,
    opts: &ParseOptions,
    imported: &Imported,
) -> Result<Vec<Arc<Role>>, ParseError> {
    let from = From {
        dir: play_dir,
        basedir: parent.and_then(|p| p.path.parent().map(Path::to_path_buf)),
        parent: None,
        folded: &[],
        parents: parent.map(Role::lineage).unwrap_or_default(),
        depth: 0,
        imported,
    };
    let role = locate(name, span, &from, opts, how.from_files)?;
    let mut out = Collected::default();
    add_loaded(role, &from, opts, &mut out, how)?;
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
    /// The directories of the roles above this one, innermost first ([`Role::parents`]).
    parents: Vec<PathBuf>,
    depth: usize,
    imported: &'a Imported,
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
    let (role, mut folded) = role_header(entry, from, opts)?;
    folded.extend(from.folded.iter().cloned());
    let how = How {
        from_files: &FromFiles::default(),
        validate: true,
        named: false,
        allow_duplicates: None,
        folded: &folded,
    };
    add_loaded(role, from, opts, out, &how)
}

/// How a role is loaded.
pub(crate) struct How<'a> {
    /// `tasks_from` and the like.
    pub(crate) from_files: &'a FromFiles,
    /// Prepend the argument validation task.
    pub(crate) validate: bool,
    /// By `include_role`/`import_role` (not `roles:` or a dependency).
    pub(crate) named: bool,
    /// Overrides the role's `allow_duplicates` (`include_role` and `import_role` say true
    /// unless told otherwise).
    pub(crate) allow_duplicates: Option<bool>,
    /// The [`ROLE_FOLDED`] keywords its `roles:` entry and the roles depending on it set.
    pub(crate) folded: &'a [(String, Node)],
}

/// A located role with its dependencies (first) into `out`, unless it is a duplicate.
fn add_loaded(
    mut role: Role,
    from: &From<'_>,
    opts: &ParseOptions,
    out: &mut Collected,
    how: &How<'_>,
) -> Result<(), ParseError> {
    let from_files = how.from_files;
    let id = identity(&role);
    role.dependency = from.parent.is_some();
    role.parents.clone_from(&from.parents);
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
    let allow_duplicates = how.allow_duplicates.unwrap_or_else(|| {
        meta.as_ref()
            .and_then(|m| m.get("allow_duplicates"))
            .is_some_and(|v| match &v.kind {
                NodeKind::Bool(b) => *b,
                NodeKind::Str(s) => {
                    matches!(s.to_lowercase().as_str(), "yes" | "true" | "on" | "1")
                }
                _ => false,
            })
    });
    if let Some(deps) = meta.as_ref().and_then(|m| m.get("dependencies")) {
        let dep_from = From {
            dir: from.dir,
            basedir: role.path.parent().map(Path::to_path_buf),
            parent: Some(&role),
            folded: how.folded,
            parents: role.lineage(),
            depth: from.depth + 1,
            imported: from.imported,
        };
        for dep in list_of(deps, "dependencies")? {
            add_role(dep, &dep_from, opts, out)?;
        }
    }
    if !allow_duplicates {
        if out.seen.contains(&id) {
            return Ok(());
        }
        // The runner skips it on hosts where an equal role has already run.
        let key = serde_json::json!({
            "id": id,
            "from": [&from_files.tasks, &from_files.vars, &from_files.defaults, &from_files.handlers],
            "include": how.named,
        });
        role.dedup = Some(key.to_string());
        out.seen.push(id);
    }
    // Tasks point at a copy of the role without tasks, so the role need not contain itself.
    let header = Arc::new(role.clone());
    let opts = opts.with_library(&role.path);
    let files = RoleFiles {
        role: &role.path,
        header: &header,
        opts: &opts,
        from,
    };
    let mut tasks = Vec::new();
    if how.validate {
        if let Some(task) =
            crate::argspec::validation_task(&role, from_files, &files.context(false, "tasks"))?
        {
            tasks.push(task);
        }
    }
    tasks.extend(files.tasks("tasks", from_files.tasks.as_deref(), false)?);
    role.tasks = tasks;
    role.handlers = files.tasks("handlers", from_files.handlers.as_deref(), true)?;
    for task in role.tasks.iter_mut().chain(role.handlers.iter_mut()) {
        fold_role_keywords(task, how.folded);
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

/// `namespace.collection.role` in the collections paths (and the playbook's `collections/`):
/// the role's directory and its collection.
fn collection_role(name: &str, from: &From<'_>, opts: &ParseOptions) -> Option<(PathBuf, String)> {
    let mut parts = name.split('.');
    let (ns, coll, role) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if parts.next().is_some() || ![ns, coll, role].iter().all(|s| valid(s)) {
        return None;
    }
    let mut roots = vec![from.dir.join("collections")];
    roots.extend(opts.collections_path.iter().cloned());
    roots.iter().find_map(|root| {
        let base = if root.ends_with("ansible_collections") {
            root.clone()
        } else {
            root.join("ansible_collections")
        };
        let path = base.join(ns).join(coll).join("roles").join(role);
        path.is_dir().then(|| (path, format!("{ns}.{coll}")))
    })
}

/// What a `roles:` entry says besides the role's name.
struct Entry<'n> {
    name_node: &'n Node,
    params: Vec<(String, Node)>,
    tags: Vec<String>,
    when: Vec<Node>,
    become_: Option<Node>,
    /// The [`ROLE_FOLDED`] keywords the entry sets.
    folded: Vec<(String, Node)>,
}

/// Gives `task` the role's value of each [`ROLE_FOLDED`] keyword it does not set itself (nor
/// its blocks, already folded into it); the innermost role's value first.
fn fold_role_keywords(task: &mut crate::Task, folded: &[(String, Node)]) {
    // `module_defaults` extends instead: the outermost role's first, the task's own last.
    task.keywords.under_module_defaults(
        folded
            .iter()
            .rev()
            .filter(|(name, _)| name == "module_defaults")
            .map(|(_, value)| value),
    );
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
    opts: &ParseOptions,
) -> Result<(Role, Vec<(String, Node)>), ParseError> {
    let e = role_entry(entry)?;
    let Some(name) = e.name_node.as_str().filter(|n| !n.trim().is_empty()) else {
        return Err(wrong_type("role", "a role name", e.name_node));
    };
    let mut role = locate(name, e.name_node.span, from, opts, &FromFiles::default())?;
    role.params = e.params;
    role.tags = e.tags;
    role.when = e.when;
    role.become_ = e.become_;
    Ok((role, e.folded))
}

fn role_entry(entry: &Node) -> Result<Entry<'_>, ParseError> {
    let mut name_node: Option<&Node> = None;
    let mut params = Vec::new();
    let mut role_tags = Vec::new();
    let mut when = Vec::new();
    let mut become_ = None;
    let mut folded = Vec::new();
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
                    // Accepted; rsible has one module per short name.
                    "collections" => {}
                    "module_defaults" => folded.push((
                        "module_defaults".to_owned(),
                        crate::task::module_defaults(value)?.clone(),
                    )),
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
    Ok(Entry {
        name_node,
        params,
        tags: role_tags,
        when,
        become_,
        folded,
    })
}

/// Finds the role `name` (a collection's first, then the roles paths) and reads its defaults
/// and vars (`defaults_from`/`vars_from` when given).
fn locate(
    name: &str,
    span: Span,
    from: &From<'_>,
    opts: &ParseOptions,
    from_files: &FromFiles,
) -> Result<Role, ParseError> {
    let (path, collection) = match collection_role(name, from, opts) {
        Some((path, coll)) => (path, Some(coll)),
        None => {
            let searched = candidates(name, from, &opts.roles_path);
            let Some(path) = searched.iter().find(|p| p.is_dir()).cloned() else {
                return Err(ParseError::RoleNotFound {
                    name: name.to_owned(),
                    span,
                    searched,
                });
            };
            (path, None)
        }
    };
    let short = match &collection {
        Some(c) => name
            .strip_prefix(c.as_str())
            .unwrap_or(name)
            .trim_start_matches('.')
            .to_owned(),
        None => Path::new(name)
            .file_name()
            .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned()),
    };
    Ok(Role {
        name: short,
        collection,
        span,
        defaults: vars_file(&path, "defaults", from_files.defaults.as_deref(), span)?,
        vars: vars_file(&path, "vars", from_files.vars.as_deref(), span)?,
        path,
        params: Vec::new(),
        tasks: Vec::new(),
        handlers: Vec::new(),
        tags: Vec::new(),
        when: Vec::new(),
        become_: None,
        public: true,
        dedup: None,
        dependency: false,
        parents: Vec::new(),
    })
}

/// The files of `<role>/<sub>/` Ansible's `_load_role_yaml` reads: `main` with `.yml`, `.yaml`,
/// `.json` or no extension (a `*_from` name is tried bare first); with `allow_dir`, a directory
/// of that name gives every file under it. A `*_from` file that is not there is an error when
/// the directory exists.
/// `main` is a `*_from` name with the place that asked for it (where its error points).
fn role_files(
    role: &Path,
    sub: &str,
    main: Option<(&str, Span)>,
    allow_dir: bool,
) -> Result<Vec<PathBuf>, ParseError> {
    let dir = role.join(sub);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let exts: &[&str] = match main {
        None => &[".yml", ".yaml", ".json", ""],
        Some(_) => &["", ".yml", ".yaml", ".json"],
    };
    let base = main.map_or("main", |(m, _)| m);
    for ext in exts {
        let path = dir.join(format!("{base}{ext}"));
        if allow_dir && path.is_dir() {
            return Ok(dir_vars_files(&path));
        }
        if path.is_file() {
            return Ok(vec![path]);
        }
    }
    match main {
        Some((m, span)) => Err(ParseError::Invalid {
            message: format!("Could not find specified file in role: {sub}/{m}"),
            span,
            hint: None,
        }),
        None => Ok(Vec::new()),
    }
}

/// The single document of a role file (`None` when empty).
fn load_single(file: &Path) -> Result<Option<Node>, ParseError> {
    let mut docs = load_yaml_file(file)?.into_iter();
    let first = docs.next();
    if let Some(extra) = docs.next() {
        return Err(invalid("expected a single document in the stream", &extra));
    }
    Ok(first.filter(|d| d.kind != NodeKind::Null))
}

/// The single document of an optional role file (`None` when absent or empty).
pub(crate) fn load_main(role: &Path, sub: &str) -> Result<Option<Node>, ParseError> {
    match role_files(role, sub, None, false)?.first() {
        Some(file) => load_single(file),
        None => Ok(None),
    }
}

/// A role's `defaults`/`vars` (`main`, or the `*_from` file), where a directory gives every
/// file under it (sorted, recursively, hidden and `~` backups left out), each over the ones
/// before, as Ansible's `find_vars_files` with `allow_dir`.
fn vars_file(
    role: &Path,
    sub: &str,
    main: Option<&str>,
    span: Span,
) -> Result<Vec<(String, Node)>, ParseError> {
    let mut out: Vec<(String, Node)> = Vec::new();
    for file in role_files(role, sub, main.map(|m| (m, span)), true)? {
        let Some(doc) = load_single(&file)? else {
            continue;
        };
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

/// Reads a role's task files: `tasks/` and `handlers/` with the role as their context.
struct RoleFiles<'a> {
    role: &'a Path,
    header: &'a Arc<Role>,
    opts: &'a ParseOptions,
    from: &'a From<'a>,
}

impl RoleFiles<'_> {
    fn context(&self, handlers: bool, sub: &str) -> TaskContext<'_> {
        TaskContext {
            opts: self.opts,
            handlers,
            role: Some(Arc::clone(self.header)),
            dir: self.role.join(sub),
            // Ansible looks for a role's imports in its `tasks/` whatever file imports them.
            fallback: vec![self.role.join("tasks"), self.role.to_path_buf()],
            depth: 0,
            vars: Arc::default(),
            play_dir: self.from.dir.to_path_buf(),
            imported: Arc::clone(self.from.imported),
        }
    }

    fn tasks(
        &self,
        sub: &str,
        main: Option<&str>,
        handlers: bool,
    ) -> Result<Vec<crate::Task>, ParseError> {
        let Some(file) = role_files(self.role, sub, main.map(|m| (m, self.header.span)), false)?
            .into_iter()
            .next()
        else {
            return Ok(Vec::new());
        };
        let Some(doc) = load_single(&file)? else {
            return Ok(Vec::new());
        };
        let mut ctx = self.context(handlers, sub);
        if let Some(dir) = file.parent() {
            ctx.dir = dir.to_path_buf();
        }
        parse_tasks(&doc, sub, &ctx)
    }
}

//! One task mapping → [`Task`]: keywords, the module, and its arguments merged into one map.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsible_source::Span;

use crate::block::{block_key, block_tasks};
use crate::fields::{
    conditions, invalid, is_variable_name, key_str, list_of, map_of, names, tags, vars, wrong_type,
};
use crate::import::{import_key, import_tasks};
use crate::keywords::{self, short_name, suggest, Scope};
use crate::module_args::{parse_kv, FREE_FORM_MODULES};
use crate::role_include::{import_role, import_role_key, role_options};
use crate::yaml::load_yaml_file;
use crate::{LoopKind, Node, NodeKind, ParseError, ParseOptions, Role, Task, TaskKeywords};

/// Where tasks are being read: handlers accept `listen:`; role tasks point at their role;
/// `import_tasks:` paths resolve against `dir`, then `fallback`.
#[derive(Clone)]
pub(crate) struct TaskContext<'a> {
    pub(crate) opts: &'a ParseOptions,
    pub(crate) handlers: bool,
    pub(crate) role: Option<Arc<Role>>,
    /// Directory of the file being read.
    pub(crate) dir: PathBuf,
    /// Where else an imported file may be (the playbook directory, a role's `tasks/`).
    pub(crate) fallback: Vec<PathBuf>,
    /// How many `import_tasks` deep this file is.
    pub(crate) depth: usize,
    /// The variables known when the file is loaded (the play's `vars`), lowest precedence
    /// first: a static import's file name is templated with them, as Ansible does.
    pub(crate) vars: Arc<Vec<(String, Node)>>,
    /// The playbook's directory, where `import_role` looks for `roles/`.
    pub(crate) play_dir: PathBuf,
    /// Where `import_role` leaves the roles it loads, for the play.
    pub(crate) imported: crate::role::Imported,
}

/// A task list (`tasks:`, `handlers:`, a role's `tasks/main.yml`); null means empty.
/// `import_tasks:` entries are replaced by the tasks they import.
pub(crate) fn parse_tasks(
    node: &Node,
    keyword: &str,
    ctx: &TaskContext<'_>,
) -> Result<Vec<Task>, ParseError> {
    let mut tasks = Vec::new();
    for entry in list_of(node, keyword)? {
        if let Some(import) = import_key(entry) {
            tasks.extend(import_tasks(entry, import, ctx)?);
        } else if let Some(import) = import_role_key(entry) {
            tasks.extend(import_role(entry, import, ctx)?);
        } else if block_key(entry).is_some() {
            tasks.extend(block_tasks(entry, ctx)?);
        } else {
            tasks.push(parse_task(entry, ctx)?);
        }
    }
    Ok(tasks)
}

/// Loads a task file at run time (for a runner that implements `include_tasks` by listing it
/// in [`ParseOptions::modules`]): its tasks, `import_tasks` and blocks inlined. Tasks of a
/// role's file get `role`; imports inside it are searched beside it, then in the role's
/// `tasks/`.
pub fn load_tasks_file(
    path: &Path,
    opts: &ParseOptions,
    role: Option<Arc<Role>>,
    handlers: bool,
    apply: Option<&Node>,
) -> Result<Vec<Task>, ParseError> {
    let play_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_included_tasks(path, opts, role, handlers, apply, &play_dir).map(|(tasks, _)| tasks)
}

/// [`load_tasks_file`] for a play whose playbook is in `play_dir` (where `import_role`
/// statements in the file look for `roles/`), with the roles those statements loaded (their
/// handlers and variables are the play's).
pub fn load_included_tasks(
    path: &Path,
    opts: &ParseOptions,
    role: Option<Arc<Role>>,
    handlers: bool,
    apply: Option<&Node>,
    play_dir: &Path,
) -> Result<(Vec<Task>, Vec<Arc<Role>>), ParseError> {
    let docs = load_yaml_file(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut fallback = Vec::new();
    if let Some(r) = &role {
        fallback.push(r.path.join("tasks"));
    }
    // The role's own library/ modules and the playbook's, as when the role was loaded.
    let opts = opts.with_library(play_dir);
    let opts = match &role {
        Some(r) => std::borrow::Cow::Owned(opts.with_library(&r.path).into_owned()),
        None => opts,
    };
    let ctx = TaskContext {
        opts: &opts,
        handlers,
        role,
        dir,
        fallback,
        depth: 0,
        vars: Arc::default(),
        play_dir: play_dir.to_path_buf(),
        imported: crate::role::Imported::default(),
    };
    let tasks = match docs.first() {
        None => Ok(Vec::new()),
        Some(doc) if doc.as_seq().is_none() && doc.kind != NodeKind::Null => Err(invalid(
            "included task files must contain a list of tasks",
            doc,
        )),
        Some(doc) => match apply.and_then(Node::as_map) {
            // `apply:` makes the file's tasks a block with those keywords, as Ansible does.
            Some(keywords) => {
                let mut block = vec![(synthetic("block", apply.unwrap_or(doc)), doc.clone())];
                block.extend(keywords.iter().cloned());
                let wrapped = Node {
                    kind: NodeKind::Seq(vec![Node {
                        kind: NodeKind::Map(block),
                        span: doc.span,
                        style: None,
                        untrusted: false,
                    }]),
                    span: doc.span,
                    style: None,
                    untrusted: false,
                };
                parse_tasks(&wrapped, "include_tasks", &ctx)
            }
            None => parse_tasks(doc, "include_tasks", &ctx),
        },
    }?;
    let roles = ctx
        .imported
        .lock()
        .map(|p| p.imported.clone())
        .unwrap_or_default();
    Ok((tasks, roles))
}

/// The module found so far: its canonical name, key node and raw value.
struct Action {
    module: String,
    key: Node,
    value: Node,
}

fn not_supported(name: &str, node: &Node) -> ParseError {
    if short_name(name) == "include" {
        return ParseError::Removed {
            fqcn: "ansible.builtin.include",
            hint: "Use include_tasks or import_tasks instead.",
            date: "2023-05-16",
            span: node.span,
        };
    }
    invalid(format!("`{name}` is not supported yet"), node)
}

pub(crate) fn parse_task(node: &Node, ctx: &TaskContext<'_>) -> Result<Task, ParseError> {
    let pairs = map_of(node, "a task")?;
    let mut kw = TaskKeywords::default();
    let mut name = None;
    let mut action: Option<Action> = None;
    let mut extra_args: Option<&Node> = None;

    let set_action = |action: &mut Option<Action>, new: Action| {
        if let Some(old) = action {
            return Err(ParseError::Invalid {
                message: format!(
                    "conflicting action statements: {}, {}",
                    old.key.key_string(),
                    new.key.key_string()
                ),
                span: new.key.span,
                hint: None,
            });
        }
        *action = Some(new);
        Ok(())
    };

    for (key, value) in pairs {
        let k = key_str(key, "a task")?;
        keywords::check_runs(k, Scope::Task, key, value)?;
        match k {
            "name" => name = Some(value.clone()),
            "args" => extra_args = Some(value),
            "action" | "local_action" => {
                let (module, module_key, args) = split_action(key, value, ctx.opts)?;
                set_action(
                    &mut action,
                    Action {
                        module,
                        key: module_key,
                        value: args,
                    },
                )?;
                if k == "local_action" {
                    kw.delegate_to = Some(Node {
                        kind: NodeKind::Str("localhost".to_owned()),
                        span: key.span,
                        style: None,
                        untrusted: false,
                    });
                }
            }
            "loop" => set_loop(&mut kw, LoopKind::Loop, key, value)?,
            _ if k.starts_with("with_") && k.len() > 5 => {
                set_loop(&mut kw, LoopKind::With(k[5..].to_owned()), key, value)?;
            }
            _ if set_keyword(&mut kw, k, value, ctx.handlers)? => {}
            _ if keywords::UNSUPPORTED_ACTIONS.contains(&short_name(k))
                && !ctx.opts.modules.iter().any(|m| m == short_name(k)) =>
            {
                return Err(not_supported(k, key))
            }
            _ => {
                let Some(module) = ctx.opts.module_for(k) else {
                    return Err(unknown_key(k, key.span, ctx));
                };
                set_action(
                    &mut action,
                    Action {
                        module,
                        key: key.clone(),
                        value: value.clone(),
                    },
                )?;
            }
        }
    }

    let Some(action) = action else {
        return Err(ParseError::Invalid {
            message: "no module/action detected in task".to_owned(),
            span: node.span,
            hint: None,
        });
    };
    if matches!(action.module.as_str(), "include_tasks" | "include_role") {
        include_keywords(pairs, &action, ctx.handlers, node)?;
    }
    let args = module_args(&action, extra_args)?;
    if action.module == "meta" {
        keywords::check_meta(&args, node, ctx.handlers, ctx.role.is_some())?;
    }
    if action.module == "include_role" {
        role_options(&args, &action.key.key_string())?;
    }
    Ok(Task {
        span: node.span,
        name,
        module: action.module,
        module_key: action.key,
        args,
        keywords: kw,
        role: ctx.role.clone(),
        blocks: Vec::new(),
    })
}

/// The keywords `include_tasks` and `include_role` take (ansible-core's
/// `TaskInclude.VALID_INCLUDE_KEYWORDS`; a handler's also `listen`): any other is an error.
fn include_keywords(
    pairs: &[(Node, Node)],
    action: &Action,
    handlers: bool,
    node: &Node,
) -> Result<(), ParseError> {
    const VALID: &[&str] = &[
        "action",
        "args",
        "collections",
        "debugger",
        "ignore_errors",
        "loop",
        "loop_control",
        "name",
        "no_log",
        "register",
        "run_once",
        "tags",
        "timeout",
        "vars",
        "when",
    ];
    for (key, _) in pairs {
        let Some(k) = key.as_str() else { continue };
        let allowed = VALID.contains(&k)
            || k.starts_with("with_")
            || (handlers && k == "listen")
            || key.span == action.key.span;
        if !allowed {
            let class = match (action.module.as_str(), handlers) {
                ("include_role", _) => "IncludeRole",
                (_, true) => "HandlerTaskInclude",
                (_, false) => "TaskInclude",
            };
            return Err(invalid(
                format!("'{k}' is not a valid attribute for a {class}"),
                node,
            ));
        }
    }
    Ok(())
}

/// Sets a task keyword other than the module, `name`, `args`, `action` and loops; `false`
/// when `k` is not one.
pub(crate) fn set_keyword(
    kw: &mut TaskKeywords,
    k: &str,
    value: &Node,
    handlers: bool,
) -> Result<bool, ParseError> {
    match k {
        "register" => kw.register = register(value)?,
        "when" => kw.when = conditions(value),
        "changed_when" => kw.changed_when = conditions(value),
        "failed_when" => kw.failed_when = conditions(value),
        "until" => kw.until = Some(value.clone()),
        "loop_control" => {
            if !matches!(value.kind, NodeKind::Map(_) | NodeKind::Null) {
                return Err(wrong_type(k, "a mapping", value));
            }
            kw.loop_control = Some(value.clone());
        }
        "retries" => kw.retries = Some(value.clone()),
        "delay" => kw.delay = Some(value.clone()),
        "ignore_errors" => kw.ignore_errors = Some(value.clone()),
        "ignore_unreachable" => kw.ignore_unreachable = Some(value.clone()),
        "delegate_to" => kw.delegate_to = Some(value.clone()),
        "delegate_facts" => kw.delegate_facts = Some(value.clone()),
        "run_once" => kw.run_once = Some(value.clone()),
        "become" => kw.become_ = Some(value.clone()),
        "become_user" => kw.become_user = Some(value.clone()),
        "become_method" => kw.become_method = Some(value.clone()),
        "become_flags" => kw.become_flags = Some(value.clone()),
        "environment" => kw.environment = Some(value.clone()),
        "module_defaults" => kw.module_defaults = vec![module_defaults(value)?.clone()],
        // Accepted; rsible has one module per short name, so it resolves nothing differently.
        "collections" => {}
        "async" => kw.async_ = Some(value.clone()),
        "poll" => kw.poll = Some(value.clone()),
        "tags" => kw.tags = tags(value, k)?,
        "notify" => kw.notify = names(value, k)?,
        "no_log" => kw.no_log = Some(value.clone()),
        "vars" => kw.vars = vars(value, "Task")?,
        "check_mode" => kw.check_mode = Some(value.clone()),
        "diff" => kw.diff = Some(value.clone()),
        "connection" => kw.connection = Some(value.clone()),
        "remote_user" => kw.remote_user = Some(value.clone()),
        "any_errors_fatal" => kw.any_errors_fatal = Some(value.clone()),
        "throttle" => kw.throttle = Some(value.clone()),
        "timeout" => kw.timeout = Some(value.clone()),
        "port" => kw.port = Some(value.clone()),
        "listen" if handlers => kw.listen = names(value, k)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `module_defaults:` as Ansible loads it: a mapping or a list of mappings (of actions to
/// their defaults, which only then are templated).
pub(crate) fn module_defaults(value: &Node) -> Result<&Node, ParseError> {
    let ok = |n: &Node| matches!(n.kind, NodeKind::Map(_));
    let bad = match &value.kind {
        NodeKind::Seq(items) => items.iter().find(|i| !ok(i)),
        NodeKind::Null | NodeKind::Map(_) => None,
        _ => Some(value),
    };
    match bad {
        Some(node) => Err(invalid(
            "The field 'module_defaults' is supposed to be a dictionary or list of dictionaries, \
             the keys of which must be static action, module, or group names. Only the values may \
             contain templates. For example: {'ping': \"{{ ping_defaults }}\"}",
            node,
        )),
        None => Ok(value),
    }
}

/// `register:` names a variable, checked at load time as Ansible's `_validate_register` does
/// (`validate_variable_name`): null registers nothing, anything but a valid name is an error.
fn register(value: &Node) -> Result<Option<Node>, ParseError> {
    let name = match &value.kind {
        NodeKind::Null => return Ok(None),
        NodeKind::Str(s) if is_variable_name(s) => return Ok(Some(value.clone())),
        NodeKind::Str(s) => format!("name '{s}'"),
        NodeKind::Bool(b) => format!(
            "name '{}' of type 'bool'",
            if *b { "True" } else { "False" }
        ),
        NodeKind::Int(_) | NodeKind::UInt(_) => {
            format!("name '{}' of type 'int'", value.key_string())
        }
        NodeKind::Float(_) => format!("name '{}' of type 'float'", value.key_string()),
        NodeKind::Seq(_) => "name of type 'list'".to_owned(),
        NodeKind::Map(_) => "name of type 'dict'".to_owned(),
    };
    Err(ParseError::Invalid {
        message: format!("Invalid 'register' specified: Invalid variable {name}."),
        span: value.span,
        hint: Some(
            "Variable names must be strings starting with a letter or underscore character, \
             and contain only letters, numbers and underscores."
                .to_owned(),
        ),
    })
}

fn unknown_key(name: &str, span: Span, ctx: &TaskContext<'_>) -> ParseError {
    let candidates = ctx
        .opts
        .modules
        .iter()
        .map(String::as_str)
        .chain(keywords::names(Scope::Task));
    ParseError::UnknownKey {
        name: name.to_owned(),
        span,
        suggestion: suggest(name, candidates),
    }
}

fn set_loop(
    kw: &mut TaskKeywords,
    kind: LoopKind,
    key: &Node,
    value: &Node,
) -> Result<(), ParseError> {
    if kw.loop_.is_some() {
        let what = match &kind {
            LoopKind::Loop => "loop".to_owned(),
            LoopKind::With(name) => name.clone(),
        };
        return Err(invalid(format!("duplicate loop in task: {what}"), key));
    }
    kw.loop_ = Some((kind, value.clone()));
    Ok(())
}

/// `action: copy src=a dest=b` (or `local_action:`): the module name and its argument string.
fn split_action(
    key: &Node,
    value: &Node,
    opts: &ParseOptions,
) -> Result<(String, Node, Node), ParseError> {
    let Some(text) = value.as_str() else {
        return Err(wrong_type(&key.key_string(), "a string", value));
    };
    let text = text.trim_start();
    let (module, rest) = text
        .split_once(|c: char| c.is_whitespace())
        .unwrap_or((text, ""));
    let short = short_name(module);
    if keywords::UNSUPPORTED_ACTIONS.contains(&short) && !opts.modules.iter().any(|m| m == short) {
        return Err(not_supported(module, value));
    }
    let Some(resolved) = opts.module_for(module) else {
        return Err(ParseError::UnknownKey {
            name: module.to_owned(),
            span: value.span,
            suggestion: suggest(module, opts.modules.iter().map(String::as_str)),
        });
    };
    let module_key = Node {
        kind: NodeKind::Str(module.to_owned()),
        span: value.span,
        style: None,
        untrusted: false,
    };
    let args = Node {
        kind: if rest.trim().is_empty() {
            NodeKind::Null
        } else {
            NodeKind::Str(rest.trim_start().to_owned())
        },
        span: value.span,
        style: value.style,
        untrusted: value.untrusted,
    };
    Ok((resolved, module_key, args))
}

fn is_template(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("{{") && t.ends_with("}}")
}

/// The module's arguments: `args:` first, then the module's own (which win, as in Ansible's
/// `ModuleArgsParser`).
fn module_args(action: &Action, extra: Option<&Node>) -> Result<Node, ParseError> {
    let mut pairs: Vec<(Node, Node)> = Vec::new();
    let put = |pairs: &mut Vec<(Node, Node)>, k: Node, v: Node| {
        if let Some(slot) = pairs.iter_mut().find(|(old, _)| old.kind == k.kind) {
            *slot = (k, v);
        } else {
            pairs.push((k, v));
        }
    };
    if let Some(extra) = extra {
        match &extra.kind {
            NodeKind::Map(m) => {
                for (k, v) in m {
                    put(&mut pairs, k.clone(), v.clone());
                }
            }
            NodeKind::Null => {}
            NodeKind::Str(s) if is_template(s) => {
                let key = synthetic("_variable_params", extra);
                put(&mut pairs, key, extra.clone());
            }
            _ => {
                return Err(ParseError::Invalid {
                    message: "The value of the task `args` keyword is invalid".to_owned(),
                    span: extra.span,
                    hint: Some(
                        "A mapping or template which resolves to a mapping is required".to_owned(),
                    ),
                })
            }
        }
    }
    let value = &action.value;
    match &value.kind {
        NodeKind::Map(m) => {
            for (k, v) in m {
                put(&mut pairs, k.clone(), v.clone());
            }
        }
        NodeKind::Null => {}
        NodeKind::Str(s) => {
            let free_form = FREE_FORM_MODULES.contains(&action.module.as_str());
            let kv = parse_kv(s, free_form).map_err(|_| {
                invalid(
                    format!(
                        "failed at splitting arguments, either an unbalanced jinja2 block or \
                         quotes: {s}"
                    ),
                    value,
                )
            })?;
            for (k, v) in kv {
                let key = synthetic(&k, value);
                let val = synthetic(&v, value);
                put(&mut pairs, key, val);
            }
        }
        _ => {
            return Err(wrong_type(
                &action.key.key_string(),
                "a mapping or a string of arguments",
                value,
            ))
        }
    }
    let span = match value.kind {
        NodeKind::Null => action.key.span,
        _ => value.span,
    };
    Ok(Node {
        kind: NodeKind::Map(pairs),
        span,
        style: None,
        untrusted: false,
    })
}

/// A string cut out of a larger scalar: it points at that scalar's start, and has no style of
/// its own (so Jinja positions inside it are not mapped further).
fn synthetic(text: &str, from: &Node) -> Node {
    Node {
        kind: NodeKind::Str(text.to_owned()),
        span: Span::point(from.span.source, from.span.start),
        style: None,
        // Cut from an `!unsafe` scalar (`shell: !unsafe echo {{ x }}`): as untemplated.
        untrusted: from.untrusted,
    }
}

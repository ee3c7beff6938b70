//! One play mapping → [`Play`].

use std::path::Path;

use rsible_source::Span;

use crate::fields::{invalid, key_str, map_of, tags, vars, wrong_type};
use crate::keywords::{self, suggest, Scope};
use crate::role::load_roles;
use crate::task::{parse_tasks, TaskContext};
use crate::{Node, NodeKind, ParseError, ParseOptions, Play};

pub(crate) fn parse_play(node: &Node, dir: &Path, opts: &ParseOptions) -> Result<Play, ParseError> {
    let pairs = map_of(node, "a play")?;
    let mut play = Play {
        span: node.span,
        name: None,
        hosts: Node {
            kind: NodeKind::Null,
            span: Span::point(node.span.source, node.span.start),
            style: None,
            untrusted: false,
        },
        connection: None,
        gather_facts: None,
        vars: Vec::new(),
        vars_files: Vec::new(),
        roles: Vec::new(),
        imported_roles: Vec::new(),
        pre_tasks: Vec::new(),
        tasks: Vec::new(),
        post_tasks: Vec::new(),
        handlers: Vec::new(),
        environment: None,
        module_defaults: None,
        become_: None,
        become_user: None,
        become_method: None,
        remote_user: None,
        tags: Vec::new(),
        check_mode: None,
        ignore_errors: None,
        serial: None,
        any_errors_fatal: None,
        strategy: None,
        gather_subset: None,
        gather_timeout: None,
        force_handlers: None,
        max_fail_percentage: None,
        order: None,
        no_log: None,
        diff: None,
        run_once: None,
        become_flags: None,
        ignore_unreachable: None,
        port: None,
        throttle: None,
        timeout: None,
    };
    let mut has_hosts = false;
    let imported = crate::role::Imported::default();
    // The play's vars are read first wherever they stand, so that a static import among its
    // tasks can use them in its file name.
    let play_vars = match pairs.iter().find(|(k, _)| k.as_str() == Some("vars")) {
        Some((_, value)) => vars(value, "Play")?,
        None => Vec::new(),
    };
    let tasks_ctx = TaskContext {
        opts,
        handlers: false,
        role: None,
        dir: dir.to_path_buf(),
        fallback: vec![dir.to_path_buf()],
        depth: 0,
        vars: std::sync::Arc::new(play_vars),
        play_dir: dir.to_path_buf(),
        imported: imported.clone(),
    };
    let handlers_ctx = TaskContext {
        handlers: true,
        ..tasks_ctx.clone()
    };
    for (key, value) in pairs {
        let k = key_str(key, "a play")?;
        keywords::check_runs(k, Scope::Play, key, value)?;
        let opt = || Some(value.clone());
        match k {
            "name" => play.name = opt(),
            "hosts" => {
                check_hosts(value)?;
                play.hosts = value.clone();
                has_hosts = true;
            }
            "connection" => play.connection = opt(),
            "gather_facts" => play.gather_facts = opt(),
            "gather_subset" => play.gather_subset = opt(),
            "gather_timeout" => play.gather_timeout = opt(),
            "vars" => play.vars = vars(value, "Play")?,
            "vars_files" => play.vars_files = vars_files(value)?,
            "roles" => play.roles = load_roles(value, dir, opts, &imported)?,
            "pre_tasks" => play.pre_tasks = parse_tasks(value, k, &tasks_ctx)?,
            "tasks" => play.tasks = parse_tasks(value, k, &tasks_ctx)?,
            "post_tasks" => play.post_tasks = parse_tasks(value, k, &tasks_ctx)?,
            "handlers" => play.handlers = parse_tasks(value, k, &handlers_ctx)?,
            "environment" => play.environment = opt(),
            // Accepted; rsible has one module per short name, so it resolves nothing differently.
            "collections" => {}
            "module_defaults" => {
                play.module_defaults = Some(crate::task::module_defaults(value)?.clone());
            }
            "become" => play.become_ = opt(),
            "become_user" => play.become_user = opt(),
            "become_method" => play.become_method = opt(),
            "become_flags" => play.become_flags = opt(),
            "remote_user" => play.remote_user = opt(),
            "tags" => play.tags = tags(value, k)?,
            "check_mode" => play.check_mode = opt(),
            "ignore_errors" => play.ignore_errors = opt(),
            "ignore_unreachable" => play.ignore_unreachable = opt(),
            "serial" => play.serial = opt(),
            "any_errors_fatal" => play.any_errors_fatal = opt(),
            "strategy" => play.strategy = opt(),
            "force_handlers" => play.force_handlers = opt(),
            "max_fail_percentage" => play.max_fail_percentage = opt(),
            "order" => play.order = opt(),
            "no_log" => play.no_log = opt(),
            "diff" => play.diff = opt(),
            "run_once" => play.run_once = opt(),
            "port" => play.port = opt(),
            "throttle" => play.throttle = opt(),
            "timeout" => play.timeout = opt(),
            _ => {
                return Err(ParseError::UnknownKeyword {
                    name: k.to_owned(),
                    owner: "a play",
                    span: key.span,
                    suggestion: suggest(k, keywords::names(Scope::Play)),
                })
            }
        }
    }
    play.imported_roles = imported
        .lock()
        .map(|p| p.imported.clone())
        .unwrap_or_default();
    if !has_hosts {
        return Err(ParseError::Invalid {
            message: "The field 'hosts' is required but was not set".to_owned(),
            span: node.span,
            hint: None,
        });
    }
    Ok(play)
}

/// `Play._validate_hosts`: a non-empty string, or a non-empty list of strings.
fn check_hosts(value: &Node) -> Result<(), ParseError> {
    match &value.kind {
        NodeKind::Str(s) if !s.is_empty() => Ok(()),
        NodeKind::Seq(items) if !items.is_empty() => {
            for item in items {
                match &item.kind {
                    NodeKind::Str(_) => {}
                    NodeKind::Null => {
                        return Err(invalid("Hosts list cannot contain values of 'None'", item))
                    }
                    _ => {
                        return Err(ParseError::Invalid {
                            message: format!(
                                "Hosts list contains an invalid host value: '{}'",
                                item.key_string()
                            ),
                            span: item.span,
                            hint: None,
                        })
                    }
                }
            }
            Ok(())
        }
        NodeKind::Null | NodeKind::Str(_) | NodeKind::Seq(_) => {
            Err(invalid("Hosts list cannot be empty", value))
        }
        _ => Err(wrong_type(
            "hosts",
            "a host pattern or a list of them",
            value,
        )),
    }
}

/// `vars_files:`: a string is a one-element list; an entry that is a list means "the first of
/// these that exists".
fn vars_files(value: &Node) -> Result<Vec<Node>, ParseError> {
    let check = |n: &Node| match &n.kind {
        NodeKind::Str(_) => Ok(()),
        _ => Err(wrong_type("vars_files", "file names", n)),
    };
    match &value.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Str(_) => Ok(vec![value.clone()]),
        NodeKind::Seq(items) => {
            for item in items {
                match &item.kind {
                    NodeKind::Seq(alts) => alts.iter().try_for_each(check)?,
                    _ => check(item)?,
                }
            }
            Ok(items.clone())
        }
        _ => Err(wrong_type("vars_files", "a file name or a list", value)),
    }
}

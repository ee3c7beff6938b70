//! `include_tasks`: the file each host (and loop item) names is read at run time and its
//! tasks run on the hosts that included it.

use std::path::{Path, PathBuf};

use rsible_parser::Task;
use rsible_template::{Value, Vars};

use super::{Only, PlayCtx, Runner};
use crate::outcome::{HostOutcome, Status};
use crate::task::INCLUDE_ROLE;
use crate::template_node::python_str;
use crate::{vars, RunError, TaskInfo};

/// One inclusion: the file (or, for `include_role`, the role's name and templated
/// arguments) and loop item, and the hosts that included it.
struct Inclusion {
    file: String,
    role_args: Option<serde_json::Map<String, Value>>,
    item: Option<LoopItem>,
    hosts: Vec<String>,
}

/// The loop item an included file runs for, with the variables `loop_control` gives it
/// (`index_var`, `ansible_loop` when extended).
#[derive(Clone, PartialEq)]
struct LoopItem {
    item: Value,
    control: Vars,
}

/// What an inclusion loaded: a file's tasks (and the roles its `import_role`s brought), or a
/// role's.
enum Loaded {
    Tasks(Vec<Task>, Vec<std::sync::Arc<rsible_parser::Role>>),
    Role(rsible_parser::LoadedRole),
}

impl Runner<'_> {
    /// Loads each inclusion (grouped by file or role and item, as Ansible does) and announces
    /// it, then runs its tasks on the hosts that included it. Hosts whose include failed are
    /// applied as any task's.
    pub(super) fn run_includes(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        info: &TaskInfo,
        outcomes: Vec<HostOutcome>,
    ) -> Result<(), RunError> {
        let mut groups: Vec<Inclusion> = Vec::new();
        let mut included: Vec<HostOutcome> = Vec::new();
        // Applied together, as any task's results: `any_errors_fatal` then stops the play
        // before an inclusion runs.
        let mut not_included: Vec<HostOutcome> = Vec::new();
        // Ansible lists hosts as their results arrived; with forks they start in inventory
        // order and an include does no work, so that is the order it shows. Completion order
        // here would race.
        let mut outcomes = outcomes;
        outcomes.sort_by_key(|o| ctx.hosts.iter().position(|h| h == &o.host));
        for outcome in outcomes {
            if matches!(outcome.status, Status::Ok | Status::Changed) {
                group(&mut groups, &outcome, info);
                included.push(outcome);
            } else {
                not_included.push(outcome);
            }
        }
        // Each included file counts as an ok for its hosts, not the include itself.
        let mut loaded = Vec::new();
        for inc in groups {
            let what = match &inc.role_args {
                Some(args) => match self.load_included_role(task, args)? {
                    Ok(role) => Loaded::Role(role),
                    Err(reason) => {
                        // A role that cannot be found fails the hosts that included it.
                        for h in &inc.hosts {
                            if let Some(i) = included.iter().position(|o| &o.host == h) {
                                let outcome = failed_include(included.remove(i), &reason);
                                crate::task::show_outcome(self.cb, info, &outcome, false);
                                not_included.push(outcome);
                            }
                        }
                        continue;
                    }
                },
                None => {
                    let path = self.include_path(task, &inc.file);
                    let apply = task.args.as_map().and_then(|pairs| {
                        let (_, v) = pairs.iter().find(|(k, _)| k.as_str() == Some("apply"))?;
                        Some(v)
                    });
                    let (tasks, roles) = rsible_parser::load_included_tasks(
                        &path,
                        &self.shared.parse_opts,
                        task.role.clone(),
                        false,
                        apply,
                        &self.shared.playbook.dir,
                    )?;
                    self.cb.playbook_on_include(
                        &path,
                        &inc.hosts,
                        inc.item.as_ref().map(|i| &i.item),
                    );
                    for h in &inc.hosts {
                        self.stats_for(h).ok += 1;
                    }
                    loaded.push((inc, Loaded::Tasks(tasks, roles)));
                    continue;
                }
            };
            self.cb.playbook_on_include(
                Path::new(&inc.file),
                &inc.hosts,
                inc.item.as_ref().map(|i| &i.item),
            );
            for h in &inc.hosts {
                self.stats_for(h).ok += 1;
            }
            loaded.push((inc, what));
        }
        // What `register:` keeps of an `include_role` that loaded: its arguments.
        for outcome in included {
            if let (Some(name), true) = (&outcome.register, task.module == INCLUDE_ROLE) {
                if let Some(st) = self.states.get_mut(&outcome.host) {
                    st.registered
                        .insert(name.clone(), Value::Object(outcome.result.clone()));
                }
            }
        }
        self.apply_all(ctx, task, not_included, &[]);
        for (inc, what) in loaded {
            let hosts: Vec<String> = inc
                .hosts
                .into_iter()
                .filter(|h| ctx.hosts.contains(h) && !ctx.batch_failed.contains(h))
                .collect();
            if hosts.is_empty() {
                continue;
            }
            self.run_included(ctx, task, info, what, inc.item, hosts)?;
        }
        Ok(())
    }

    /// The role an `include_role` names on some hosts: its templated name and `*_from`
    /// options; `Err` with Ansible's reason when the role is not found.
    fn load_included_role(
        &self,
        task: &Task,
        args: &serde_json::Map<String, Value>,
    ) -> Result<Result<rsible_parser::LoadedRole, String>, RunError> {
        let written = task.module_key.key_string();
        let mut opts = rsible_parser::role_options(&task.args, &written)?;
        let text = |k: &str| args.get(k).map(python_str);
        let name = text("name").or_else(|| text("role")).unwrap_or_default();
        let from = rsible_parser::FromFiles {
            tasks: text("tasks_from"),
            vars: text("vars_from"),
            defaults: text("defaults_from"),
            handlers: text("handlers_from"),
        };
        if let Some(v) = args.get("public") {
            opts.public = Some(crate::template_node::truthy(v));
        }
        if let Some(v) = args.get("rolespec_validate") {
            opts.validate = crate::template_node::truthy(v);
        }
        match rsible_parser::load_role(
            &name,
            opts.name.span,
            &opts,
            &from,
            &self.shared.playbook.dir,
            task.role.as_deref(),
            &self.shared.parse_opts,
        ) {
            Ok(role) => Ok(Ok(role)),
            Err(e) => match &e {
                rsible_parser::ParseError::RoleNotFound { searched, .. } => {
                    self.cb.diagnostic(&e.diagnostic());
                    Ok(Err(format!(
                        "the role '{name}' was not found in {}",
                        searched
                            .iter()
                            .filter_map(|p| p.parent())
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(":")
                    )))
                }
                _ => Err(e.into()),
            },
        }
    }

    /// The tasks of one inclusion, with the include's `vars:` and loop item. A role's
    /// handlers join the play's, and a public role's variables are seen by the play from now.
    fn run_included(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        info: &TaskInfo,
        what: Loaded,
        item: Option<LoopItem>,
        hosts: Vec<String>,
    ) -> Result<(), RunError> {
        let (tasks, roles): (Vec<Task>, Vec<std::sync::Arc<rsible_parser::Role>>) = match what {
            Loaded::Tasks(tasks, imported) => (tasks, imported),
            Loaded::Role(loaded) => {
                let tasks = loaded
                    .roles
                    .iter()
                    .flat_map(|r| r.tasks.iter().cloned())
                    .collect();
                (
                    tasks,
                    loaded.roles.into_iter().chain(loaded.imported).collect(),
                )
            }
        };
        for role in &roles {
            for h in &role.handlers {
                // Each load reads the files anew: the same handler is the same place
                // in the same file.
                let place = |t: &Task| {
                    (
                        rsible_source::SourceMap::path(t.span.source),
                        t.span.start,
                        t.role.as_ref().map(|r| r.path.clone()),
                    )
                };
                let known = ctx.handlers.iter().any(|k| place(k) == place(h));
                if !known {
                    ctx.handlers.push(std::sync::Arc::new(h.clone()));
                }
            }
            if role.public {
                ctx.public_roles.push(std::sync::Arc::clone(role));
            }
            if !role.dependency {
                ctx.play_role_names.push(role.display_name());
            }
        }
        let mut scope_vars = Vars::new();
        vars::extend_nodes(&mut scope_vars, &task.keywords.vars);
        if let Some(LoopItem { item, control }) = item {
            scope_vars.extend(control);
            scope_vars.insert(info.loop_var.clone(), item);
            scope_vars.insert(
                "ansible_loop_var".into(),
                Value::from(info.loop_var.as_str()),
            );
        }
        self.include_vars.push(scope_vars);
        let mut tasks = tasks;
        for t in &mut tasks {
            inherit_from_blocks(&mut t.keywords, &task.keywords);
        }
        let refs: Vec<&Task> = tasks.iter().collect();
        // A handler forced on hosts that failed (`force_handlers`) runs its included tasks on
        // them too. (A failure inside that file then does not stop the rest of it for them.)
        let include_failed = info.is_handler && hosts.iter().any(|h| ctx.forced.contains(h));
        let only = Only {
            hosts,
            include_failed,
        };
        let result = self.run_list(ctx, &refs, 0, Some(&only));
        self.include_vars.pop();
        result.map(|_| ())
    }

    /// Where an included file is: beside the including file, in the role's `tasks/`, or in the
    /// playbook's directory.
    fn include_path(&self, task: &Task, file: &str) -> PathBuf {
        let p = Path::new(file);
        if p.is_absolute() {
            return p.to_owned();
        }
        let mut candidates = Vec::new();
        if let Some(dir) = rsible_source::SourceMap::path(task.span.source).parent() {
            candidates.push(dir.join(p));
        }
        if let Some(role) = &task.role {
            candidates.push(role.path.join("tasks").join(p));
            candidates.push(role.path.join(p));
        }
        candidates.push(self.shared.playbook.dir.join(p));
        let found = candidates
            .iter()
            .find(|c| c.exists())
            .cloned()
            .unwrap_or_else(|| self.shared.playbook.dir.join(p));
        std::path::absolute(&found).unwrap_or(found)
    }
}

/// What one include named: a file, or a role's name and its templated arguments.
type Named = (String, Option<serde_json::Map<String, Value>>);

/// Adds the files (or roles) one host included (one per loop item) to `groups`.
fn group(groups: &mut Vec<Inclusion>, outcome: &HostOutcome, info: &TaskInfo) {
    let named = |r: &Value| -> Option<Named> {
        if let Some(f) = r.get("include") {
            return Some((python_str(f), None));
        }
        let args = r.get("include_args")?.as_object()?;
        let name = args.get("name").or_else(|| args.get("role"))?;
        Some((python_str(name), Some(args.clone())))
    };
    let entries: Vec<(Option<LoopItem>, Named)> = match outcome.result.get("results") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| Some((loop_item(r, info), named(r)?)))
            .collect(),
        _ => named(&Value::Object(outcome.result.clone()))
            .map(|n| (None, n))
            .into_iter()
            .collect(),
    };
    for (item, (file, role_args)) in entries {
        match groups
            .iter_mut()
            .find(|g| g.file == file && g.item == item && g.role_args == role_args)
        {
            Some(g) => g.hosts.push(outcome.host.clone()),
            None => groups.push(Inclusion {
                file,
                role_args,
                item,
                hosts: vec![outcome.host.clone()],
            }),
        }
    }
}

/// An include that could not be loaded on a host: its result, failed with the reason.
fn failed_include(mut outcome: HostOutcome, reason: &str) -> HostOutcome {
    outcome.result.remove("include_args");
    outcome.result.insert("failed".into(), Value::Bool(true));
    outcome.result.insert("reason".into(), Value::from(reason));
    outcome.status = Status::Failed;
    outcome
}

/// The loop item of one item result of a looped include, with its `loop_control` variables.
fn loop_item(result: &Value, info: &TaskInfo) -> Option<LoopItem> {
    let result = result.as_object()?;
    let item = result.get(&info.loop_var)?.clone();
    let mut control = crate::task::item_vars_of(result, &info.loop_var);
    control.remove(&info.loop_var);
    Some(LoopItem { item, control })
}

/// The included tasks sit under the include's blocks: they get what those set and they do not
/// (`become`, `environment`, `module_defaults` before their own, …). The parser folded the
/// blocks' keywords into the include's; these are the ones an include cannot set itself
/// (ansible-core's `VALID_INCLUDE_KEYWORDS`), so they came from its blocks. Its own
/// `ignore_errors`, `when` or `tags` stay with it, as in ansible-core.
fn inherit_from_blocks(
    kw: &mut rsible_parser::TaskKeywords,
    include: &rsible_parser::TaskKeywords,
) {
    macro_rules! unless_set {
        ($($field:ident),*) => {
            $(if kw.$field.is_none() {
                kw.$field.clone_from(&include.$field);
            })*
        };
    }
    unless_set!(
        become_,
        become_user,
        become_method,
        become_flags,
        environment,
        check_mode,
        diff,
        connection,
        remote_user,
        delegate_to,
        delegate_facts,
        any_errors_fatal,
        throttle,
        port
    );
    kw.under_module_defaults(&include.module_defaults);
}

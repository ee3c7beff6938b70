//! `include_tasks`: the file each host (and loop item) names is read at run time and its
//! tasks run on the hosts that included it.

use std::path::{Path, PathBuf};

use rsible_parser::Task;
use rsible_template::{Value, Vars};

use super::{Only, PlayCtx, Runner};
use crate::outcome::{HostOutcome, Status};
use crate::template_node::python_str;
use crate::{vars, RunError, TaskInfo};

/// One included file: its name as the task gave it, the loop item, and the hosts.
type Inclusion = (String, Option<LoopItem>, Vec<String>);

/// The loop item an included file runs for, with the variables `loop_control` gives it
/// (`index_var`, `ansible_loop` when extended).
#[derive(Clone, PartialEq)]
struct LoopItem {
    item: Value,
    control: Vars,
}

impl Runner<'_> {
    /// Announces each file (grouped by file and item, as Ansible does), then runs its tasks on
    /// the hosts that included it. Hosts whose include failed are applied as any task's.
    pub(super) fn run_includes(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        info: &TaskInfo,
        outcomes: Vec<HostOutcome>,
    ) -> Result<(), RunError> {
        let mut groups: Vec<Inclusion> = Vec::new();
        for outcome in outcomes {
            if matches!(outcome.status, Status::Ok | Status::Changed) {
                group(&mut groups, &outcome, info);
            } else {
                self.apply(ctx, task, outcome);
            }
        }
        // Each included file counts as an ok for its hosts, not the include itself.
        let mut loaded = Vec::new();
        for (file, item, hosts) in &groups {
            let path = self.include_path(task, file);
            self.cb
                .playbook_on_include(&path, hosts, item.as_ref().map(|i| &i.item));
            for h in hosts {
                self.stats_for(h).ok += 1;
            }
            loaded.push(path);
        }
        for ((_, item, hosts), path) in groups.into_iter().zip(loaded) {
            self.run_included(ctx, task, info, &path, item, hosts)?;
        }
        Ok(())
    }

    /// The tasks of one included file, with the include's `vars:` and loop item.
    fn run_included(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        info: &TaskInfo,
        path: &Path,
        item: Option<LoopItem>,
        hosts: Vec<String>,
    ) -> Result<(), RunError> {
        let apply = task.args.as_map().and_then(|pairs| {
            let (_, v) = pairs.iter().find(|(k, _)| k.as_str() == Some("apply"))?;
            Some(v)
        });
        let tasks = rsible_parser::load_tasks_file(
            path,
            &self.shared.parse_opts,
            task.role.clone(),
            false,
            apply,
        )?;
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

/// Adds the files one host included (one per loop item) to `groups`.
fn group(groups: &mut Vec<Inclusion>, outcome: &HostOutcome, info: &TaskInfo) {
    let entries: Vec<(Option<LoopItem>, &Value)> = match outcome.result.get("results") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| Some((loop_item(r, info), r.get("include")?)))
            .collect(),
        _ => outcome
            .result
            .get("include")
            .map(|f| (None, f))
            .into_iter()
            .collect(),
    };
    for (item, file) in entries {
        let file = python_str(file);
        match groups.iter_mut().find(|(f, i, _)| *f == file && *i == item) {
            Some(g) => g.2.push(outcome.host.clone()),
            None => groups.push((file, item, vec![outcome.host.clone()])),
        }
    }
}

/// The loop item of one item result of a looped include, with its `loop_control` variables.
fn loop_item(result: &Value, info: &TaskInfo) -> Option<LoopItem> {
    let result = result.as_object()?;
    let item = result.get(&info.loop_var)?.clone();
    let mut control = crate::task::item_vars_of(result, &info.loop_var);
    control.remove(&info.loop_var);
    Some(LoopItem { item, control })
}

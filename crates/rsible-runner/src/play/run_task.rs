//! One task of the play on its hosts: whether it runs at all (tags, `--start-at-task`), its
//! announcement, its jobs for the fork pool, and what `run_once` and `any_errors_fatal` make
//! of the outcomes.

use rsible_parser::{Node, Task};
use rsible_template::{Origin, Value, Vars};

use super::listing::{task_display_name, task_tags};
use super::{Only, PlayCtx, Runner};
use crate::outcome::{HostOutcome, Status};
use crate::task::{
    bypasses_host_loop, changes_inventory, dispatch, HostJob, Inherited, Shown, INCLUDE_ROLE,
    INCLUDE_TASKS, META,
};
use crate::template_node::python_str;
use crate::{vars, RunError, TaskInfo};

/// The identity of the task's role when it does not allow duplicates, and the role instance.
pub(super) fn role_instance(task: &Task) -> Option<(String, usize)> {
    let role = task.role.as_ref()?;
    let key = role.dedup.clone()?;
    Some((key, std::sync::Arc::as_ptr(role) as usize))
}

impl Runner<'_> {
    /// Runs a task on the play's (or the block's) hosts, unless tags or `--start-at-task`
    /// pass it over; `forced_name` names the implicit fact gathering. False when no host is
    /// left to run the rest of the list.
    pub(super) fn run_task_with(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        forced_name: Option<&str>,
        only: Option<&Only>,
    ) -> Result<bool, RunError> {
        let tags = if forced_name.is_some() {
            vec!["always".to_owned()]
        } else {
            task_tags(
                &self.shared,
                ctx.play,
                task,
                &self.task_level_vars(ctx, task),
            )?
        };
        if !crate::tags::should_run(&tags, &self.shared.opts.tags, &self.shared.opts.skip_tags) {
            return Ok(true);
        }
        let display = forced_name.map_or_else(
            || task_display_name(&self.shared, task, &self.task_level_vars(ctx, task)),
            str::to_owned,
        );
        if !self.started && forced_name.is_none() {
            if self.is_start_task(ctx, task) {
                self.started = true;
            } else {
                return Ok(true);
            }
        }
        let mut hosts = self.task_hosts(ctx, only);
        // A role that does not allow duplicates runs once per host (ansible-core's play
        // iterator passes over the tasks of a role that has completed there).
        if let Some((key, addr)) = role_instance(task) {
            hosts.retain(|h| {
                ctx.role_runs
                    .get(&(key.clone(), h.clone()))
                    .is_none_or(|ran| *ran == addr)
            });
            if hosts.is_empty() {
                return Ok(true);
            }
        }
        if let (Some(role), false) = (&task.role, hosts.is_empty()) {
            let id = super::role_id(role);
            hosts.retain(|h| !ctx.ended_roles.iter().any(|(e, r)| e == h && *r == id));
            if hosts.is_empty() {
                // Hosts that ended the role pass over the rest of it.
                return Ok(true);
            }
        }
        if hosts.is_empty() {
            // Ansible ends the play quietly here (`NO MORE HOSTS LEFT` is for
            // max_fail_percentage); inside a block only the block's remaining tasks are skipped.
            return Ok(only.is_some());
        }
        if task.module == META {
            return self.run_meta(ctx, task, display, &hosts);
        }
        let in_handlers = self.in_handlers;
        self.run_on_hosts(ctx, task, display, hosts, in_handlers)?;
        Ok(true)
    }

    pub(super) fn task_info(
        &self,
        ctx: &PlayCtx<'_>,
        task: &Task,
        display: String,
        is_handler: bool,
    ) -> TaskInfo {
        let keywords = Inherited::new(task, ctx.play);
        let loop_control = task.keywords.loop_control.as_ref();
        TaskInfo {
            plain_name: task
                .name
                .as_ref()
                .map_or_else(|| display.clone(), |n| python_str(&n.to_value())),
            name: display,
            is_handler,
            check_mode: self.shared.opts.check,
            no_log: keywords.no_log(),
            module: task.module.clone(),
            loop_var: loop_control
                .and_then(|lc| lc.get("loop_var"))
                .and_then(Node::as_str)
                .unwrap_or("item")
                .to_owned(),
            has_label: loop_control.and_then(|lc| lc.get("label")).is_some(),
            diff: keywords.diff().unwrap_or(self.shared.opts.diff),
            span: Some(task.span),
        }
    }

    /// Whether `task` is the one `--start-at-task` names (by `role : name` or by name).
    pub(super) fn is_start_task(&self, ctx: &PlayCtx<'_>, task: &Task) -> bool {
        let wanted = self
            .shared
            .opts
            .start_at_task
            .as_deref()
            .unwrap_or_default();
        let plain = task
            .name
            .as_ref()
            .map(|n| python_str(&n.to_value()))
            .unwrap_or_default();
        plain == wanted
            || task_display_name(&self.shared, task, &self.task_level_vars(ctx, task)) == wanted
    }

    /// Announces the task, runs it on `hosts` through the fork pool, and applies the outcomes.
    pub(super) fn run_on_hosts(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        display: String,
        hosts: Vec<String>,
        is_handler: bool,
    ) -> Result<(), RunError> {
        let info = self.task_info(ctx, task, display, is_handler);
        if is_handler {
            self.cb.playbook_on_handler_task_start(&info);
        } else {
            self.cb.playbook_on_task_start(&info);
        }
        if ctx.free && bypasses_host_loop(task) {
            return Err(RunError::Other(format!(
                "The '{}' module bypasses the host loop, which is currently not supported in the free strategy and would instead execute for every host in the inventory list.",
                task.module
            )));
        }
        let run_once = Inherited::new(task, ctx.play).run_once();
        // `add_host` runs on the first host too, but its result is that host's alone.
        let once = run_once || bypasses_host_loop(task);
        let targets = if once { &hosts[..1] } else { &hosts[..] };
        let jobs = self.host_jobs(ctx, task, &info, targets);
        let shown = if task.module == INCLUDE_TASKS || task.module == INCLUDE_ROLE {
            Shown::Include
        } else if changes_inventory(task) {
            Shown::Inventory
        } else {
            Shown::All
        };
        let throttle = match jobs.first() {
            Some(job) => self.throttle(ctx, task, &job.vars, &job.origin)?,
            None => None,
        };
        // Under `free` the other hosts run the same task on their own runners: the throttle
        // counts them all (ansible-core counts the workers busy with the task).
        let slot = match (throttle, self.free_throttle) {
            (Some(n), Some(slots)) => Some(slots.acquire(task, n)),
            _ => None,
        };
        let mut outcomes = dispatch(&self.shared, self.cb, &info, &jobs, shown, throttle);
        drop(slot);
        if shown == Shown::Include {
            let ran = self.run_includes(ctx, task, &info, outcomes);
            self.check_max_fail(ctx);
            return ran;
        }
        if shown == Shown::Inventory {
            for outcome in &mut outcomes {
                self.change_inventory(ctx, task, &info, outcome);
            }
        }
        let others = if run_once { &hosts[1..] } else { &[] };
        self.apply_all(ctx, task, outcomes, others);
        self.check_max_fail(ctx);
        Ok(())
    }

    /// One job per target host, each with the host's variables.
    fn host_jobs<'t>(
        &self,
        ctx: &PlayCtx<'t>,
        task: &'t Task,
        info: &'t TaskInfo,
        targets: &[String],
    ) -> Vec<HostJob<'t>> {
        let search = vars::search_paths(task.role.as_deref(), &self.shared.playbook.dir);
        let magic = self.shared_magic(ctx, Some(task));
        targets
            .iter()
            .map(|h| HostJob {
                host: h.clone(),
                task,
                play: ctx.play,
                info,
                vars: self.base_vars_with(ctx, h, Some(task), &Vars::new(), &magic),
                origin: Origin {
                    span: Some(task.span),
                    exact_lines: false,
                    search_paths: search.clone(),
                },
            })
            .collect()
    }

    /// Applies every outcome; a `run_once` result is registered for `others` too, and under
    /// `any_errors_fatal` a failure stops every host of the play.
    pub(super) fn apply_all(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        outcomes: Vec<HostOutcome>,
        others: &[String],
    ) {
        let fatal = Inherited::new(task, ctx.play)
            .any_errors_fatal()
            .unwrap_or(self.shared.opts.any_errors_fatal);
        let mut any_failed = false;
        // A failure inside a block with `rescue` is not final.
        let rescuable = self.rescuable.iter().any(|r| *r);
        for outcome in outcomes {
            let failed = outcome.status == Status::Failed && !outcome.ignore_errors;
            any_failed |= failed;
            if failed && !rescuable {
                ctx.batch_failed.insert(outcome.host.clone());
            }
            if let Some(name) = &outcome.register {
                for other in others {
                    if let Some(st) = self.states.get_mut(other) {
                        st.registered
                            .insert(name.clone(), Value::Object(outcome.result.clone()));
                    }
                }
            }
            self.apply(ctx, task, outcome);
        }
        if any_failed && !others.is_empty() {
            // A `run_once` failure fails every host of the batch, and the strategy then fails
            // them again as under `any_errors_fatal`: marked twice, the other hosts leave the
            // play without a rescue, and without a failure in the recap.
            for h in others {
                if let Some(st) = self.states.get_mut(h) {
                    if !st.unreachable {
                        st.failed = true;
                    }
                }
                ctx.batch_failed.insert(h.clone());
            }
            ctx.hosts.retain(|h| !others.contains(h));
        }
        if fatal && any_failed {
            // any_errors_fatal: every host of the play stops here (not counted as failed);
            // inside a block with `rescue`, every host goes to the rescue.
            for h in &ctx.hosts {
                let failed_itself = self.states.get(h).is_some_and(|s| s.failed);
                if let Some(st) = self.states.get_mut(h) {
                    st.failed = true;
                    // ansible-core's strategy puts every host it did not see fail among the
                    // failed hosts, even those a rescue takes.
                    st.failed_for_later_plays |= rescuable && !failed_itself;
                }
                if !rescuable {
                    ctx.batch_failed.insert(h.clone());
                }
            }
        }
    }
}

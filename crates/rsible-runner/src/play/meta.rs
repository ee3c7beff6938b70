//! `meta:` tasks, which steer the run instead of touching hosts.

use rsible_parser::Task;
use rsible_template::{Origin, Vars};

use super::{PlayCtx, Runner};
use crate::template_node::{eval_condition_node, python_str};
use crate::RunError;

impl Runner<'_> {
    /// Carries out a `meta:` action; false ends the play.
    pub(super) fn run_meta(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        display: String,
        hosts: &[String],
    ) -> Result<bool, RunError> {
        let action = task
            .args
            .get("_raw_params")
            .or_else(|| task.args.get("free_form"))
            .map(|n| python_str(&n.to_value()))
            .unwrap_or_default();
        let chosen = self.meta_hosts(ctx, task, hosts)?;
        match action.trim() {
            "flush_handlers" => {
                let info = self.task_info(ctx, task, display, false);
                self.cb.playbook_on_task_start(&info);
                self.flush_handlers(ctx)?;
                Ok(true)
            }
            "end_play" if !chosen.is_empty() => Ok(false),
            "end_host" => {
                for h in &chosen {
                    ctx.hosts.retain(|x| x != h);
                }
                Ok(!ctx.hosts.is_empty())
            }
            // The parser refuses the meta actions that are not carried out (keywords.rs).
            "noop" | "end_play" => Ok(true),
            "clear_facts" => {
                for h in &chosen {
                    if let Some(st) = self.states.get_mut(h) {
                        st.facts.clear();
                    }
                }
                Ok(true)
            }
            other => Err(RunError::Parse(rsible_parser::ParseError::Invalid {
                message: format!("invalid meta action requested: {other}"),
                span: task.module_key.span,
                hint: Some("one of: flush_handlers, noop, end_play, end_host, clear_facts, clear_host_errors, refresh_inventory, reset_connection, end_batch, end_role".into()),
            })),
        }
    }

    /// The hosts for which the task's `when` holds: meta runs once, but its condition is per
    /// host.
    fn meta_hosts(
        &self,
        ctx: &PlayCtx<'_>,
        task: &Task,
        hosts: &[String],
    ) -> Result<Vec<String>, RunError> {
        let origin = Origin {
            span: Some(task.span),
            exact_lines: false,
            search_paths: Vec::new(),
        };
        let mut chosen = Vec::new();
        for h in hosts {
            let vars = self.base_vars(ctx, h, Some(task), &Vars::new());
            let mut ok = true;
            for cond in &task.keywords.when {
                ok &= eval_condition_node(&self.shared.templar, cond, &vars, &origin)?;
            }
            if ok {
                chosen.push(h.clone());
            }
        }
        Ok(chosen)
    }
}

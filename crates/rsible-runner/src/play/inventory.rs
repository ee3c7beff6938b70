//! `add_host` and `group_by`: what their results change in the run's inventory decides their
//! `changed`, and only then are they shown, item by item, as Ansible's strategy does.

use rsible_modules::{InventoryChange, ResultMap};
use rsible_parser::{ParseError, Task};
use rsible_template::{Origin, Value, Vars};

use super::{PlayCtx, Runner};
use crate::outcome::{failed_result, HostOutcome, Status};
use crate::task::{apply_changed_failed_when, item_vars_of, show_outcome};
use crate::template_node::truthy;
use crate::{ResultEvent, TaskInfo};

impl Runner<'_> {
    /// Applies the inventory changes of one host's outcome, sets `changed` from them, judges
    /// `changed_when`/`failed_when` again with it, and shows the outcome. A failed or skipped
    /// task changes nothing, even the items that succeeded.
    pub(super) fn change_inventory(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        info: &TaskInfo,
        outcome: &mut HostOutcome,
    ) {
        if matches!(outcome.status, Status::Ok | Status::Changed) {
            let kw = &task.keywords;
            let judged = !kw.changed_when.is_empty() || !kw.failed_when.is_empty();
            let vars = judged.then(|| self.base_vars(ctx, &outcome.host, Some(task), &Vars::new()));
            for (index, change) in outcome.inventory.clone() {
                let changed = match self.apply_change(ctx, &outcome.host, change) {
                    Ok(changed) => changed,
                    Err(e) => {
                        outcome.result = failed_result(e.to_string());
                        break;
                    }
                };
                let register = outcome.register.as_deref();
                let Some(i) = index else {
                    outcome
                        .result
                        .insert("changed".into(), Value::Bool(changed));
                    if let Some(vars) = &vars {
                        self.judge_again(task, vars.clone(), register, &mut outcome.result);
                    }
                    continue;
                };
                let item = outcome
                    .result
                    .get_mut("results")
                    .and_then(Value::as_array_mut)
                    .and_then(|items| items.get_mut(i))
                    .and_then(Value::as_object_mut);
                let Some(item) = item else { continue };
                item.insert("changed".into(), Value::Bool(changed));
                if let Some(vars) = &vars {
                    let mut vars = vars.clone();
                    vars.extend(item_vars_of(item, &info.loop_var));
                    self.judge_again(task, vars, register, item);
                }
                let shown = item.clone();
                for flag in ["changed", "failed"] {
                    if shown.get(flag).is_some_and(truthy) {
                        outcome.result.insert(flag.into(), Value::Bool(true));
                    }
                }
                self.cb.runner_item_on_ok(
                    info,
                    &ResultEvent {
                        host: &outcome.host,
                        delegated_to: outcome.delegated_to.as_deref(),
                        result: &shown,
                        ignore_errors: outcome.ignore_errors,
                        item: shown.get(&info.loop_var),
                        error: None,
                    },
                );
            }
            outcome.status = HostOutcome::status_of(&outcome.result);
        }
        show_outcome(self.cb, info, outcome, false);
    }

    /// `changed_when`/`failed_when` once more, now that `changed` is known (Ansible's strategy
    /// judges inventory results again, with the result under the `register` name).
    fn judge_again(&self, task: &Task, vars: Vars, register: Option<&str>, result: &mut ResultMap) {
        let origin = Origin {
            span: Some(task.span),
            ..Origin::default()
        };
        apply_changed_failed_when(&self.shared.templar, task, &origin, &vars, register, result);
    }

    /// One change of the inventory; whether it changed anything.
    fn apply_change(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        host: &str,
        change: InventoryChange,
    ) -> Result<bool, ParseError> {
        let inventory = self.shared.inventory.to_mut();
        match change {
            InventoryChange::AddHost { name, groups, vars } => {
                let changed = inventory.add_dynamic_host(&name, &groups, &vars)?;
                // A host the play adds is one of its hosts for the magic variables (not one
                // it runs on): ansible-core appends it to the play's host cache.
                if changed && !ctx.all_hosts.contains(&name) {
                    ctx.all_hosts.push(name.clone());
                    ctx.play_hosts.push(name);
                }
                Ok(changed)
            }
            InventoryChange::GroupBy { group, parents } => {
                inventory.add_dynamic_group(host, &group, &parents)
            }
        }
    }
}

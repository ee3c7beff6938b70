//! `add_host` and `group_by`: what their results change in the run's inventory decides their
//! `changed`, and only then are they shown, item by item, as Ansible's strategy does.

use rsible_modules::{InventoryChange, ResultMap};
use rsible_parser::{ParseError, Task};
use rsible_template::{Origin, Value, Vars};

use super::{PlayCtx, Runner};
use crate::outcome::{failed_result, HostOutcome, Status};
use crate::task::{apply_changed_failed_when, show_outcome};
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
                let judge = |result: &mut ResultMap, item_vars: Option<&ResultMap>| {
                    result.insert("changed".into(), Value::Bool(changed));
                    let Some(vars) = &vars else { return };
                    let mut vars = vars.clone();
                    if let Some(item) = item_vars {
                        vars.extend(item_vars_of(item, &info.loop_var));
                    }
                    let origin = Origin {
                        span: Some(task.span),
                        ..Origin::default()
                    };
                    let register = outcome.register.as_deref();
                    apply_changed_failed_when(
                        &self.shared.templar,
                        task,
                        &origin,
                        &vars,
                        register,
                        result,
                    );
                };
                let Some(i) = index else {
                    judge(&mut outcome.result, None);
                    continue;
                };
                let item = outcome
                    .result
                    .get_mut("results")
                    .and_then(Value::as_array_mut)
                    .and_then(|items| items.get_mut(i))
                    .and_then(Value::as_object_mut);
                let Some(item) = item else { continue };
                let mut shown = item.clone();
                judge(&mut shown, Some(&item.clone()));
                *item = shown.clone();
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

/// The variables an item's result brings back for conditions judged after the loop (Ansible's
/// `_get_item_vars`): the loop variable, the index variable, `ansible_loop`.
fn item_vars_of(item: &ResultMap, default_loop_var: &str) -> Vars {
    let mut vars = Vars::new();
    let loop_var = item
        .get("ansible_loop_var")
        .and_then(Value::as_str)
        .unwrap_or(default_loop_var);
    let index_var = item.get("ansible_index_var").and_then(Value::as_str);
    for name in [Some(loop_var), index_var, Some("ansible_loop")]
        .into_iter()
        .flatten()
    {
        if let Some(v) = item.get(name) {
            vars.insert(name.to_owned(), v.clone());
        }
    }
    vars
}

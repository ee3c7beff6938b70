//! What one host's outcome of a task changes: the recap counters, the host's state (failed,
//! unreachable, facts, registered values, what a `rescue` sees) and the handlers it notifies.

use rsible_parser::Task;
use rsible_template::{Value, Vars};

use crate::host_state::HostState;

use super::{PlayCtx, Runner};
use crate::outcome::{HostOutcome, Status};
use crate::template_node::{python_str, truthy};
use crate::vars;

impl Runner<'_> {
    /// Folds one host's outcome into the run: stats, host state, register, handlers.
    pub(super) fn apply(&mut self, ctx: &mut PlayCtx<'_>, task: &Task, outcome: HostOutcome) {
        let rescuable = self.rescuable.iter().any(|r| *r);
        self.count(&outcome, rescuable);
        if rescuable && outcome.status == Status::Failed && !outcome.ignore_errors {
            self.keep_for_rescue(task, &outcome);
        }
        let host = outcome.host.clone();
        if matches!(
            outcome.status,
            Status::Ok | Status::Changed | Status::Failed
        ) {
            if let Some((key, addr)) = super::run_task::role_instance(task) {
                ctx.role_runs.entry((key, host.clone())).or_insert(addr);
            }
        }
        // Ansible's strategy looks for notifications before an inventory change (`add_host`,
        // `group_by`) decides `changed`: only their `changed_when` notifies.
        let notifies = outcome.status == Status::Changed
            && (outcome.inventory.is_empty() || !task.keywords.changed_when.is_empty());
        self.store(outcome);
        if notifies {
            super::handlers::notify(ctx, task, &host);
        }
    }

    /// The recap's counters.
    fn count(&mut self, outcome: &HostOutcome, rescuable: bool) {
        let st = self.stats_for(&outcome.host);
        match outcome.status {
            Status::Ok => st.ok += 1,
            Status::Changed => {
                st.ok += 1;
                st.changed += 1;
            }
            Status::Skipped => st.skipped += 1,
            Status::Unreachable if outcome.ignore_unreachable => {
                st.ok += 1;
                st.ignored += 1;
            }
            Status::Unreachable => st.unreachable += 1,
            Status::Failed if outcome.ignore_errors => {
                st.ok += 1;
                st.ignored += 1;
                if outcome.result.get("changed").is_some_and(truthy) {
                    st.changed += 1;
                }
            }
            Status::Failed if rescuable => st.rescued += 1,
            Status::Failed => st.failed += 1,
        }
    }

    /// What a `rescue:` section sees of the failure.
    fn keep_for_rescue(&mut self, task: &Task, outcome: &HostOutcome) {
        let mut failed_task = serde_json::Map::new();
        failed_task.insert(
            "name".into(),
            Value::from(
                task.name
                    .as_ref()
                    .map(|n| python_str(&n.to_value()))
                    .unwrap_or_default(),
            ),
        );
        failed_task.insert("action".into(), Value::from(task.module.as_str()));
        let st = self.states.entry(outcome.host.clone()).or_default();
        st.registered
            .insert("ansible_failed_task".into(), Value::Object(failed_task));
        st.registered.insert(
            "ansible_failed_result".into(),
            Value::Object(outcome.result.clone()),
        );
    }

    /// The host's state: failed or unreachable, facts, `set_fact` values, the registered result.
    fn store(&mut self, outcome: HostOutcome) {
        let state = self.states.entry(outcome.host.clone()).or_default();
        match outcome.status {
            Status::Unreachable if !outcome.ignore_unreachable => state.unreachable = true,
            Status::Failed if !outcome.ignore_errors => state.failed = true,
            _ => {}
        }
        if !state.is_active() {
            self.cleared.remove(&outcome.host);
        }
        learn(
            state,
            outcome.facts,
            outcome.included_vars,
            outcome.set_facts,
            self.shared.opts.hash_merge,
        );
        for (to, facts) in outcome.delegated_facts {
            let (facts, set_facts, included) = crate::task::split_facts(Some(facts));
            let state = self.states.entry(to).or_default();
            learn(
                state,
                facts,
                included,
                set_facts,
                self.shared.opts.hash_merge,
            );
        }
        let state = self.states.entry(outcome.host.clone()).or_default();
        if let Some(name) = &outcome.register {
            let mut r = outcome.result;
            r.retain(|k, _| !crate::task::internal_key(k));
            state.registered.insert(name.clone(), Value::Object(r));
        }
    }
}

/// What a task taught about a host: facts (`setup`), `include_vars` values, `set_fact` values.
fn learn(
    state: &mut HostState,
    facts: Option<Vars>,
    included: Option<Vars>,
    set_facts: Option<Vars>,
    hash_merge: bool,
) {
    if let Some(facts) = facts {
        // `namespace_facts`: `ansible_x` is stored as `x`, except `ansible_local`.
        for (k, v) in facts {
            let k = match k.strip_prefix("ansible_") {
                Some(short) if k != "ansible_local" => {
                    state.plain_facts.remove(short);
                    short.to_owned()
                }
                _ => {
                    if k != "ansible_local" {
                        state.plain_facts.insert(k.clone());
                    }
                    k
                }
            };
            state.facts.insert(k, v);
        }
    }
    if let Some(iv) = included {
        vars::combine(&mut state.included, &iv, hash_merge);
    }
    if let Some(sf) = set_facts {
        vars::extend(&mut state.registered, &sf);
    }
}

//! `meta:` tasks, which steer the run instead of touching hosts, as the linear strategy runs
//! them (`StrategyBase._execute_meta`): `noop`, `end_host` and `flush_handlers` once per host,
//! the others (`end_play`, `end_batch`, `clear_*`) once, for the first host, whose `when` decides for the whole play. Each run is
//! announced (and, at `-vv`, what it did: `META: …`); a `when` that does not hold shows the
//! host skipped (not counted in the recap).

use rsible_modules::ResultMap;
use rsible_parser::Task;
use rsible_template::{Origin, Value, Vars};

use super::{PlayCtx, Runner};
use crate::template_node::{eval_condition_node, python_str};
use crate::{ResultEvent, RunError, TaskInfo};

/// What one `meta:` action does when its condition holds for a host.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    FlushHandlers,
    Noop,
    EndPlay,
    EndBatch,
    EndHost,
    EndRole,
    ClearFacts,
    ClearHostErrors,
    ResetConnection,
}

impl Action {
    fn parse(task: &Task) -> Result<Self, RunError> {
        let action = task
            .args
            .get("_raw_params")
            .or_else(|| task.args.get("free_form"))
            .map(|n| python_str(&n.to_value()))
            .unwrap_or_default();
        // The parser refuses the meta actions that are not carried out (keywords.rs).
        Ok(match action.trim() {
            "flush_handlers" => Self::FlushHandlers,
            "noop" => Self::Noop,
            "end_play" => Self::EndPlay,
            "end_batch" => Self::EndBatch,
            "end_host" => Self::EndHost,
            "end_role" => Self::EndRole,
            "clear_facts" => Self::ClearFacts,
            "clear_host_errors" => Self::ClearHostErrors,
            "reset_connection" => Self::ResetConnection,
            other => return Err(RunError::Parse(rsible_parser::ParseError::Invalid {
                message: format!("invalid meta action requested: {other}"),
                span: task.module_key.span,
                hint: Some("one of: flush_handlers, noop, end_play, end_host, clear_facts, clear_host_errors, refresh_inventory, reset_connection, end_batch, end_role".into()),
            })),
        })
    }

    /// Run for each host rather than once for the first.
    fn per_host(self) -> bool {
        matches!(
            self,
            Self::Noop
                | Self::EndHost
                | Self::EndRole
                | Self::FlushHandlers
                | Self::ResetConnection
        )
    }

    fn name(self) -> &'static str {
        match self {
            Self::FlushHandlers => "flush_handlers",
            Self::Noop => "noop",
            Self::EndPlay => "end_play",
            Self::EndBatch => "end_batch",
            Self::EndHost => "end_host",
            Self::EndRole => "end_role",
            Self::ClearFacts => "clear_facts",
            Self::ClearHostErrors => "clear_host_errors",
            Self::ResetConnection => "reset_connection",
        }
    }

    /// Ansible's `skip_reason` when the condition does not hold for `host` (`role`: the
    /// task's role, for `end_role`, whose reason lacks the comma).
    fn skip_reason(self, host: &str, role: &str) -> String {
        let rest = match self {
            Self::EndRole => format!("continuing role {role} for {host}"),
            Self::FlushHandlers => format!(", not running handlers for {host}"),
            Self::ClearFacts => format!(", not clearing facts and fact cache for {host}"),
            Self::ClearHostErrors => format!(", not clearing host error state for {host}"),
            Self::EndPlay => ", continuing play".to_owned(),
            Self::EndBatch => ", continuing current batch".to_owned(),
            Self::EndHost => format!(", continuing execution for {host}"),
            Self::Noop | Self::ResetConnection => String::new(),
        };
        format!("{} conditional evaluated to False{rest}", self.name())
    }

    /// Ansible's `msg` when the action is carried out for `host`.
    fn done(self, host: &str) -> String {
        match self {
            Self::FlushHandlers => format!("triggered running handlers for {host}"),
            Self::Noop => "noop".to_owned(),
            Self::EndPlay => "ending play".to_owned(),
            Self::EndBatch => "ending batch".to_owned(),
            Self::EndHost => format!("ending play for {host}"),
            Self::EndRole => format!("ending role for {host}"),
            Self::ClearFacts => "facts cleared".to_owned(),
            Self::ClearHostErrors => "cleared host errors".to_owned(),
            Self::ResetConnection => "reset connection".to_owned(),
        }
    }
}

impl Runner<'_> {
    /// Carries out a `meta:` task on `hosts`; false when no host is left in the play (or it
    /// was ended).
    pub(super) fn run_meta(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        display: String,
        hosts: &[String],
    ) -> Result<bool, RunError> {
        let action = Action::parse(task)?;
        let info = self.task_info(ctx, task, display, false);
        let targets = if action.per_host() {
            hosts
        } else {
            &hosts[..1]
        };
        let role = task
            .role
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let mut chosen = Vec::new();
        for host in targets {
            self.cb.playbook_on_task_start(&info);
            // `noop` and `reset_connection` take no condition (Ansible warns and ignores it).
            if matches!(action, Action::Noop | Action::ResetConnection)
                || self.meta_holds(ctx, task, host)?
            {
                // ansible-core reports `end_role` under the role's implicit last task, which
                // shows nothing.
                if action != Action::EndRole {
                    self.cb
                        .verbose(2, None, &format!("META: {}", action.done(host)));
                }
                chosen.push(host.clone());
            } else {
                let reason = action.skip_reason(host, &role);
                self.cb.verbose(2, None, &format!("META: {reason}"));
                self.meta_skipped(&info, action, host, reason);
            }
        }
        match action {
            Action::Noop => {}
            // The host's next task opens a new connection.
            Action::ResetConnection => {
                for host in &chosen {
                    self.shared.connector.forget(host);
                }
            }
            Action::FlushHandlers => self.flush_handlers_of(ctx, Some(&chosen))?,
            Action::EndHost => ctx.hosts.retain(|h| !chosen.contains(h)),
            // The parser allows `end_role` only in a role's tasks.
            Action::EndRole => {
                if let Some(r) = &task.role {
                    let id = super::role_id(r);
                    ctx.ended_roles
                        .extend(chosen.iter().map(|h| (h.clone(), id)));
                }
            }
            // Every host of the batch is done: not even a block's `always` runs for it.
            Action::EndPlay if !chosen.is_empty() => {
                ctx.ended = true;
                ctx.hosts.clear();
                return Ok(false);
            }
            // The same, but the play goes on with its next batch.
            Action::EndBatch if !chosen.is_empty() => {
                ctx.hosts.clear();
                return Ok(false);
            }
            Action::EndPlay | Action::EndBatch => {}
            Action::ClearFacts if !chosen.is_empty() => {
                for h in &ctx.all_hosts {
                    if let Some(st) = self.states.get_mut(h) {
                        st.facts.clear();
                        st.plain_facts.clear();
                    }
                }
            }
            Action::ClearFacts => {}
            Action::ClearHostErrors if !chosen.is_empty() => self.clear_host_errors(ctx),
            Action::ClearHostErrors => {}
        }
        Ok(!ctx.hosts.is_empty())
    }

    /// Every host of the play is no longer failed or unreachable: later plays take them again.
    /// The hosts that had failed in this play stay out of the rest of it (their run of the
    /// play has ended), as ansible-core's play iterator keeps them.
    fn clear_host_errors(&mut self, ctx: &mut PlayCtx<'_>) {
        let mut out = Vec::new();
        for h in &ctx.all_hosts {
            if let Some(st) = self.states.get_mut(h) {
                st.failed_for_later_plays = false;
                if !st.is_active() {
                    st.failed = false;
                    st.unreachable = false;
                    out.push(h.clone());
                    self.cleared.insert(h.clone());
                }
            }
        }
        ctx.hosts.retain(|h| !out.contains(h));
        ctx.play_hosts.retain(|h| !out.contains(h));
    }

    /// Whether the task's `when` holds for `host`.
    fn meta_holds(&self, ctx: &PlayCtx<'_>, task: &Task, host: &str) -> Result<bool, RunError> {
        let origin = Origin {
            span: Some(task.span),
            exact_lines: false,
            search_paths: Vec::new(),
        };
        if task.keywords.when.is_empty() {
            return Ok(true);
        }
        let vars = self.base_vars(ctx, host, Some(task), &Vars::new());
        for cond in &task.keywords.when {
            if !eval_condition_node(&self.shared.templar, cond, &vars, &origin)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn meta_skipped(&self, info: &TaskInfo, action: Action, host: &str, reason: String) {
        let mut result = ResultMap::new();
        let msg = match action {
            Action::EndHost => {
                format!("end_host conditional evaluated to false, continuing execution for {host}")
            }
            _ => action.name().to_owned(),
        };
        result.insert("msg".into(), Value::from(msg));
        result.insert("skipped".into(), Value::Bool(true));
        result.insert("skip_reason".into(), Value::from(reason));
        self.cb.runner_on_skipped(
            info,
            &ResultEvent {
                host,
                delegated_to: None,
                result: &result,
                ignore_errors: false,
                item: None,
                error: None,
            },
        );
    }
}

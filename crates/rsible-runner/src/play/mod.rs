//! The playbook loop: plays, their hosts and `serial` batches ([`batches`]), facts
//! ([`gather`]), sections and blocks ([`blocks`]), one task on the play's hosts
//! ([`run_task`], [`meta`], [`include`]), what each outcome changes ([`apply`], and
//! [`inventory`] for `add_host`/`group_by`), handlers
//! ([`handlers`]), the variables a task sees ([`precedence`]), and `--list-*` ([`listing`]).

mod apply;
mod batches;
mod blocks;
mod free;
mod gather;
mod handlers;
mod include;
mod inventory;
mod listing;
mod max_fail;
mod meta;
mod precedence;
mod run_task;
mod throttle;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;
use rsible_parser::{Inventory, Play, Playbook, Role, Task};
use rsible_template::{Value, Vars};

pub use listing::{list_hosts, list_tasks};

use crate::host_state::HostState;
use crate::shared::Shared;
use crate::{
    Callback, Connector, HostStats, PlayInfo, RunError, RunOptions, RunOutcome, Stats,
    SystemConnector,
};

/// Mutable state of a run, owned by the main thread.
struct Runner<'a> {
    shared: Shared<'a>,
    /// For each block being run: whether it has a `rescue` (a failure there counts as rescued).
    rescuable: Vec<bool>,
    /// Variables of the `include_tasks` being run (its `vars:` and loop item), innermost last.
    include_vars: Vec<Vars>,
    cb: &'a dyn Callback,
    states: IndexMap<String, HostState>,
    stats: IndexMap<String, HostStats>,
    /// `--start-at-task` found yet?
    started: bool,
    /// Hosts whose failure or unreachability `meta: clear_host_errors` cleared (and that have
    /// not failed since): their recap counters no longer make the run fail.
    cleared: HashSet<String>,
    /// Handlers are being run: the tasks a handler includes are shown as handlers.
    in_handlers: bool,
    /// A play left out a host `any_errors_fatal` failed in a rescued block: ansible-core's
    /// play then ends with failed hosts (exit 2) though the recap counts no failure.
    left_out_failed: bool,
    /// Under `strategy: free`, the hosts' runners share the count of hosts running each task.
    free_throttle: Option<&'a free::Slots>,
}

/// The hosts a block section runs on.
struct Only {
    hosts: Vec<String>,
    /// `always:` runs on hosts that failed in the block too.
    include_failed: bool,
}

/// A play's resolved data.
struct PlayCtx<'a> {
    play: &'a Play,
    /// The hosts tasks run on now: the play's, or the current `serial` batch.
    hosts: Vec<String>,
    /// Every host of the play still in it (all batches).
    play_hosts: Vec<String>,
    /// Every host the pattern matched, failed ones from earlier plays included.
    all_hosts: Vec<String>,
    /// Some variable of the play (not of a task) mentions `hostvars`.
    vars_mention_hostvars: bool,
    /// Per host: vars_files content, as written (so `!unsafe` and `!vault` strings stay
    /// untemplated).
    vars_files: HashMap<String, Vec<(String, rsible_parser::Node)>>,
    /// `handler index` → hosts notified, in notification order.
    notified: IndexMap<usize, Vec<String>>,
    /// The play's handlers: its roles' (`roles:`, `import_role`), its own, then those of the
    /// roles `include_role` has loaded so far.
    handlers: Vec<Arc<Task>>,
    /// The roles whose defaults and vars every task of the play sees: `roles:`, public
    /// `import_role`s, and the `include_role`s with `public: true` run so far.
    public_roles: Vec<Arc<Role>>,
    /// Per role that does not allow duplicates (its identity) and host: the role instance
    /// (its address) that ran a task there. An equal role's tasks are not run there again.
    role_runs: HashMap<(String, String), usize>,
    /// `ansible_play_role_names`: the roles the play names (`roles:`, `import_role`, and each
    /// `include_role` run so far), not their dependencies.
    play_role_names: Vec<String>,
    name: String,
    /// `meta: end_play` ended the play: no later batch runs.
    ended: bool,
    /// `force_handlers`: hosts that failed in the section being flushed still run the handlers
    /// they notified.
    forced: Vec<String>,
    /// `max_fail_percentage` as a fraction.
    max_fail: Option<f64>,
    /// Hosts of the current batch, for `max_fail_percentage`.
    batch_size: usize,
    /// Hosts that failed for good in the current batch (not rescued, not ignored), or that
    /// `any_errors_fatal` failed: ansible-core's `TaskQueueManager._failed_hosts`.
    batch_failed: HashSet<String>,
    /// `max_fail_percentage` was exceeded in the current batch: the run ends after this play.
    broken: bool,
    /// Each host walks the play alone (`strategy: free`): this context is one host's.
    free: bool,
    /// `meta: end_role`: the hosts that ended a role (by [`role_id`]) skip its other tasks.
    ended_roles: Vec<(String, usize)>,
}

/// One `roles:` entry: its tasks share one header.
fn role_id(role: &std::sync::Arc<rsible_parser::Role>) -> usize {
    std::sync::Arc::as_ptr(role) as usize
}

/// Runs every play of a playbook against an inventory, reporting through `callback`; hosts
/// are reached through local processes and OpenSSH.
pub fn run_playbook(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
    callback: &dyn Callback,
) -> Result<RunOutcome, RunError> {
    // Owned by this run: its SSH masters and their runtime end with it.
    let connector = SystemConnector::default();
    run_playbook_with(playbook, inventory, opts, callback, &connector)
}

/// [`run_playbook`], with the connections `connector` hands out.
pub fn run_playbook_with(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
    callback: &dyn Callback,
    connector: &dyn Connector,
) -> Result<RunOutcome, RunError> {
    let mut runner = Runner {
        shared: Shared::new(playbook, inventory, opts, connector),
        rescuable: Vec::new(),
        include_vars: Vec::new(),
        cb: callback,
        states: IndexMap::new(),
        stats: IndexMap::new(),
        started: opts.start_at_task.is_none(),
        cleared: HashSet::new(),
        in_handlers: false,
        left_out_failed: false,
        free_throttle: None,
    };
    callback.playbook_on_start(&playbook.path);
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            playbook
                .path
                .strip_prefix(cwd)
                .ok()
                .map(std::path::Path::to_path_buf)
        })
        .unwrap_or_else(|| playbook.path.clone());
    callback.verbose(
        2,
        None,
        &format!("{} plays in {}", playbook.plays.len(), shown.display()),
    );
    for play in &playbook.plays {
        if !runner.run_play(play)? {
            break;
        }
    }
    Ok(runner.recap())
}

impl Runner<'_> {
    fn stats_for(&mut self, host: &str) -> &mut HostStats {
        self.stats.entry(host.to_owned()).or_default()
    }

    /// Shows the recap; how the run ended.
    fn recap(&self) -> RunOutcome {
        let mut hosts: Vec<(String, HostStats)> = self.stats.clone().into_iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(&b.0));
        self.cb.playbook_on_stats(&Stats {
            hosts: hosts.into_iter().collect(),
        });
        let counted = |h: &String| !self.cleared.contains(h);
        if self
            .stats
            .iter()
            .any(|(h, s)| s.unreachable > 0 && counted(h))
        {
            RunOutcome::HostsUnreachable
        } else if self.left_out_failed || self.stats.iter().any(|(h, s)| s.failed > 0 && counted(h))
        {
            RunOutcome::HostsFailed
        } else {
            RunOutcome::Ok
        }
    }

    /// Runs one play; false when the run must stop (every host of the play failed).
    fn run_play(&mut self, play: &Play) -> Result<bool, RunError> {
        let (pattern, mut hosts) = listing::play_hosts(&self.shared, play, Some(self.cb))?;
        // Checked before the play is announced, as Ansible's inventory does when asked for hosts.
        let order = listing::host_order(&self.shared, play)?;
        let max_fail = max_fail::max_fail_fraction(&self.shared, play)?;
        let strategy = free::play_strategy(&self.shared, play)?;
        let free = strategy == free::Strategy::Free;
        let name = listing::play_name(&self.shared, play, &pattern);
        self.check_static_vars_files(play)?;
        self.announce(play, &name, free);
        if let Some((path, source)) = &self.shared.inventory.vault_error {
            return Err(RunError::Parse(rsible_parser::ParseError::Vault {
                path: path.clone(),
                source: source.clone(),
            }));
        }
        if let free::Strategy::Unknown(s) = strategy {
            return Err(RunError::Other(format!(
                "Invalid play strategy specified: {s}"
            )));
        }
        if free && max_fail.is_some() {
            self.cb.warning("Using max_fail_percentage with the free strategy is not supported, as tasks are executed independently on each host");
        }
        let all_hosts = hosts.clone();
        hosts.retain(|h| {
            self.states
                .get(h)
                .is_none_or(|s| s.is_active() && !s.failed_for_later_plays)
        });
        self.left_out_failed |= all_hosts
            .iter()
            .any(|h| self.states.get(h).is_some_and(|s| s.failed_for_later_plays));
        if hosts.is_empty() {
            // Hosts that all failed before are matched: the play just has nothing to run.
            if all_hosts.is_empty() {
                self.cb.playbook_on_no_hosts_matched();
            }
            return Ok(true);
        }
        for h in &hosts {
            self.states.entry(h.clone()).or_default();
        }
        let handlers: Vec<Arc<Task>> = play
            .roles
            .iter()
            .chain(&play.imported_roles)
            .flat_map(|r| r.handlers.iter())
            .chain(&play.handlers)
            .cloned()
            .map(Arc::new)
            .collect();
        let public_roles: Vec<Arc<Role>> = play
            .roles
            .iter()
            .chain(play.imported_roles.iter().filter(|r| r.public))
            .cloned()
            .collect();
        let mut ctx = PlayCtx {
            play,
            hosts: hosts.clone(),
            play_hosts: hosts.clone(),
            all_hosts,
            vars_mention_hostvars: false,
            vars_files: HashMap::new(),
            notified: IndexMap::new(),
            handlers,
            public_roles,
            role_runs: HashMap::new(),
            play_role_names: play
                .roles
                .iter()
                .chain(&play.imported_roles)
                .filter(|r| !r.dependency)
                .map(|r| r.display_name())
                .collect(),
            name,
            ended: false,
            forced: Vec::new(),
            max_fail,
            batch_size: 0,
            batch_failed: HashSet::new(),
            broken: false,
            free,
            ended_roles: Vec::new(),
        };
        for host in &hosts {
            let files = self.load_vars_files(&ctx, host)?;
            ctx.vars_files.insert(host.clone(), files);
        }
        ctx.vars_mention_hostvars = crate::vars::play_mentions(
            play,
            &self.shared.inventory,
            &self.shared.extra_vars,
            "hostvars",
        ) || ctx
            .vars_files
            .values()
            .flatten()
            .any(|(_, v)| crate::vars::value_mentions(&v.to_value(), "hostvars"));
        // `ansible_play_hosts` keeps inventory order; the batches run in the play's `order`.
        // They are cut from every host the play matched, those that failed before included
        // (ansible-core's `_get_serialized_batches`); those sit the batch out.
        let batches =
            batches::serial_batches(&self.shared, play, &order.apply(ctx.all_hosts.clone()))?;
        let mut break_play = false;
        for (i, batch) in batches.into_iter().enumerate() {
            if i > 0 {
                // Each `serial` batch is announced as the play again, as Ansible does.
                self.announce(play, &ctx.name, free);
            }
            ctx.batch_size = batch.len();
            ctx.batch_failed.clear();
            ctx.broken = false;
            let whole = batch.len();
            ctx.hosts = batch.into_iter().filter(|h| hosts.contains(h)).collect();
            if ctx.hosts.is_empty() {
                continue;
            }
            // ansible-playbook stops the run when the hosts that failed in a batch are as
            // many as the batch's hosts: never when some had failed before the play.
            let failed_before = ctx.hosts.len() != whole;
            let go_on = if free {
                self.run_batch_free(&mut ctx)?
            } else {
                self.run_batch(&mut ctx)?
            };
            // Past `max_fail_percentage` the play goes on with its next batch only when this
            // one held hosts that had failed before (then not all of it failed in it); the run
            // ends after the play.
            break_play |= ctx.broken;
            if !go_on && !failed_before {
                // Ansible stops the whole run when every host of a batch failed in it.
                return Ok(false);
            }
            if ctx.ended {
                break;
            }
        }
        Ok(!break_play)
    }

    /// The play's `force_handlers`, templated with the play's variables; else the option.
    fn force_handlers(&self, ctx: &PlayCtx<'_>) -> Result<bool, RunError> {
        let Some(node) = &ctx.play.force_handlers else {
            return Ok(self.shared.opts.force_handlers);
        };
        let value = crate::template_node::render_node(
            &self.shared.templar,
            node,
            &self.play_level_vars(ctx),
            &rsible_template::Origin::default(),
        )?;
        Ok(match value {
            Value::Null => self.shared.opts.force_handlers,
            // A bool keyword: Ansible's `boolean()` reads the usual spellings.
            Value::String(s) => matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "yes" | "on" | "1" | "true" | "t" | "y" | "1.0"
            ),
            v => crate::template_node::truthy(&v),
        })
    }

    fn announce(&self, play: &Play, name: &str, free: bool) {
        self.cb.playbook_on_play_start(&PlayInfo {
            name: name.to_owned(),
            check_mode: self.shared.opts.check,
            span: Some(play.span),
            free,
        });
    }

    /// One batch of a play (the whole play without `serial`); false when every host failed.
    fn run_batch(&mut self, ctx: &mut PlayCtx<'_>) -> Result<bool, RunError> {
        let play = ctx.play;
        // `meta: end_host` takes hosts out of `ctx.hosts`; they did not fail.
        let batch = ctx.hosts.clone();
        // Under --start-at-task, a play before the one holding the task is passed over
        // entirely, facts included (Ansible's play iterator).
        let holds_start =
            self.started || listing::play_tasks(play).any(|t| self.is_start_task(ctx, t));
        if holds_start && self.gather_facts(ctx)? {
            self.run_gather_facts(ctx)?;
        }
        let sections: [Vec<&Task>; 3] = [
            play.pre_tasks.iter().collect(),
            play.roles
                .iter()
                .flat_map(|r| r.tasks.iter())
                .chain(play.tasks.iter())
                .collect(),
            play.post_tasks.iter().collect(),
        ];
        let force = self.force_handlers(ctx)?;
        for section in sections {
            let entered = self.task_hosts(ctx, None);
            let go_on = self.run_list(ctx, &section, 0, None)?;
            // Under `force_handlers` each section is a block whose `always` flushes the
            // handlers, so the hosts that failed in it flush theirs too (ansible-core's
            // `Play.compile`); a host ended by `meta: end_host`/`end_play` does not.
            if force && !ctx.ended {
                ctx.forced = entered;
                let flushed = self.flush_handlers(ctx);
                ctx.forced.clear();
                flushed?;
            } else if go_on {
                self.flush_handlers(ctx)?;
            }
            if !go_on {
                break;
            }
        }
        Ok(batch
            .iter()
            .any(|h| self.states.get(h).is_some_and(HostState::is_active)))
    }
}

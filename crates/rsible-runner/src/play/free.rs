//! The `free` strategy (and `host_pinned`): each host runs the play's tasks without waiting
//! for the others (ansible-core `plugins/strategy/free.py`). Here each host of the batch walks
//! the play on its own runner, up to `forks` hosts at once, sharing the callback; what each
//! learned is folded back into the run when all are done. The renderer shows a task's banner
//! before a result that follows another task's ([`crate::PlayInfo::free`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex};

use indexmap::IndexMap;
use rsible_parser::Play;
use rsible_template::{Origin, Vars};

use super::{PlayCtx, Runner};
use crate::host_state::HostState;
use crate::shared::Shared;
use crate::template_node::{python_str, render_node};
use crate::{vars, HostStats, RunError};

/// How a play walks its hosts through its tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Strategy {
    Linear,
    /// `free`, and `host_pinned` (the same here: a host keeps its fork until it is done).
    Free,
    /// A name no strategy plugin has: the run stops once the play is announced.
    Unknown(String),
}

/// The play's `strategy`, templated with the play's variables, else the configuration's.
pub(super) fn play_strategy(shared: &Shared<'_>, play: &Play) -> Result<Strategy, RunError> {
    let name = match &play.strategy {
        Some(node) => {
            let mut play_vars = Vars::new();
            vars::extend_nodes(&mut play_vars, &play.vars);
            vars::extend(&mut play_vars, &shared.extra_vars);
            python_str(&render_node(
                &shared.templar,
                node,
                &play_vars,
                &Origin::default(),
            )?)
        }
        None => shared
            .opts
            .strategy
            .clone()
            .unwrap_or_else(|| "linear".to_owned()),
    };
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(&name);
    Ok(match short {
        "linear" => Strategy::Linear,
        "free" | "host_pinned" => Strategy::Free,
        _ => Strategy::Unknown(name),
    })
}

/// How many hosts run each task now, for `throttle` across the hosts' runners.
#[derive(Default)]
pub(super) struct Slots {
    running: Mutex<HashMap<usize, usize>>,
    freed: Condvar,
}

/// A host's place among those running a throttled task; given back when dropped.
pub(super) struct Slot<'s> {
    slots: &'s Slots,
    task: usize,
}

impl Slots {
    /// Waits until fewer than `limit` hosts run `task`, then counts this one.
    pub(super) fn acquire(&self, task: &rsible_parser::Task, limit: usize) -> Slot<'_> {
        let id = std::ptr::from_ref(task) as usize;
        let Ok(mut running) = self.running.lock() else {
            return Slot {
                slots: self,
                task: id,
            };
        };
        while running.get(&id).copied().unwrap_or(0) >= limit {
            running = match self.freed.wait(running) {
                Ok(r) => r,
                Err(e) => e.into_inner(),
            };
        }
        *running.entry(id).or_default() += 1;
        Slot {
            slots: self,
            task: id,
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut running) = self.slots.running.lock() {
            if let Some(n) = running.get_mut(&self.task) {
                *n = n.saturating_sub(1);
            }
        }
        self.slots.freed.notify_all();
    }
}

/// What one host's walk through the play left behind.
struct HostRun {
    states: IndexMap<String, HostState>,
    stats: IndexMap<String, HostStats>,
    cleared: HashSet<String>,
    started: bool,
}

impl Runner<'_> {
    /// One batch under the `free` strategy; false when every host failed (and when every host
    /// is unreachable, `NO MORE HOSTS LEFT`, as Ansible's strategy finds none left).
    pub(super) fn run_batch_free(&mut self, ctx: &mut PlayCtx<'_>) -> Result<bool, RunError> {
        let hosts = ctx.hosts.clone();
        let forks = self.shared.opts.forks.max(1).min(hosts.len().max(1));
        let done: Mutex<Vec<(String, Result<HostRun, RunError>)>> = Mutex::new(Vec::new());
        let slots = Slots::default();
        {
            let this = &*self;
            let queue: Mutex<VecDeque<_>> = Mutex::new(
                hosts
                    .iter()
                    .map(|h| (h.clone(), this.runner_for_host(&slots), ctx.for_host(h)))
                    .collect(),
            );
            std::thread::scope(|s| {
                for _ in 0..forks {
                    s.spawn(|| loop {
                        let next = queue.lock().map(|mut q| q.pop_front()).ok().flatten();
                        let Some((host, mut runner, mut host_ctx)) = next else {
                            break;
                        };
                        let run = runner.run_batch(&mut host_ctx).map(|_| HostRun {
                            states: runner.states,
                            stats: runner.stats,
                            cleared: runner.cleared,
                            started: runner.started,
                        });
                        if let Ok(mut d) = done.lock() {
                            d.push((host, run));
                        }
                    });
                }
            });
        }
        let done = done.into_inner().unwrap_or_default();
        let mut first_error = None;
        for (host, run) in done {
            match run {
                Ok(run) => self.absorb(&host, run),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        // The free strategy's `get_hosts_left` leaves out only unreachable hosts.
        if hosts
            .iter()
            .all(|h| self.states.get(h).is_some_and(|s| s.unreachable))
        {
            self.cb.playbook_on_no_hosts_remaining();
        }
        Ok(hosts
            .iter()
            .any(|h| self.states.get(h).is_some_and(HostState::is_active)))
    }

    /// A runner for one host's walk: the run's options, connections and callback, a copy of
    /// what the run knows of every host, its own counters.
    fn runner_for_host<'s>(&'s self, slots: &'s Slots) -> Runner<'s> {
        let shared = Shared {
            playbook: self.shared.playbook,
            inventory: std::borrow::Cow::Borrowed(&*self.shared.inventory),
            opts: self.shared.opts,
            templar: rsible_template::Templar::new(),
            omit: self.shared.omit.clone(),
            extra_vars: self.shared.extra_vars.clone(),
            parse_opts: crate::shared::parse_options(),
            connector: self.shared.connector,
        };
        Runner {
            shared,
            rescuable: Vec::new(),
            include_vars: Vec::new(),
            cb: self.cb,
            states: self.states.clone(),
            stats: IndexMap::new(),
            started: self.started,
            cleared: HashSet::new(),
            in_handlers: false,
            left_out_failed: false,
            free_throttle: Some(slots),
        }
    }

    /// Folds one host's walk into the run: its state and counters (and those of hosts it
    /// delegated facts to).
    fn absorb(&mut self, host: &str, run: HostRun) {
        for (name, state) in run.states {
            if name == host {
                self.states.insert(name, state);
            } else if let Some(mine) = self.states.get_mut(&name) {
                // Facts delegated to another host of the run.
                mine.facts.extend(state.facts);
                mine.registered.extend(state.registered);
            } else {
                self.states.insert(name, state);
            }
        }
        for (name, s) in run.stats {
            *self.stats_for(&name) += &s;
        }
        self.cleared.extend(run.cleared);
        self.started |= run.started;
    }
}

impl<'a> PlayCtx<'a> {
    /// The play as one host walks it alone.
    fn for_host(&self, host: &str) -> Self {
        PlayCtx {
            play: self.play,
            hosts: vec![host.to_owned()],
            play_hosts: self.play_hosts.clone(),
            all_hosts: self.all_hosts.clone(),
            vars_mention_hostvars: self.vars_mention_hostvars,
            vars_files: self.vars_files.clone(),
            notified: IndexMap::new(),
            handlers: self.handlers.clone(),
            // Roles a host includes under `free` stay its own until the play ends.
            public_roles: self.public_roles.clone(),
            role_runs: self.role_runs.clone(),
            play_role_names: self.play_role_names.clone(),
            name: self.name.clone(),
            ended: false,
            forced: Vec::new(),
            // ansible-core's free strategy warns that it does not apply it.
            max_fail: None,
            batch_size: 1,
            batch_failed: HashSet::new(),
            broken: false,
            free: true,
            ended_roles: Vec::new(),
        }
    }
}

//! The playbook loop: plays, their hosts, sections, handlers and the recap.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;

use indexmap::IndexMap;
use rsible_parser::{BlockScope, Inventory, Node, Play, Playbook, Task};
use rsible_template::{Origin, Templar, Value, Vars};

use crate::connect::Connections;
use crate::host_state::HostState;
use crate::outcome::{HostOutcome, Status};
use crate::task_exec::{run_host, AsyncKind, Event, HostJob};
use crate::template_node::{python_str, render_node, truthy};
use crate::vars;
use crate::{
    Callback, Gathering, HostStats, PlayInfo, ResultEvent, RunError, RunOptions, RunOutcome, Stats,
    TaskInfo,
};

/// Read-only state every worker thread shares.
pub(crate) struct Shared<'a> {
    pub playbook: &'a Playbook,
    pub inventory: &'a Inventory,
    pub opts: &'a RunOptions,
    pub templar: Templar,
    /// The value of `omit`: arguments equal to it are dropped.
    pub omit: String,
    pub extra_vars: Vars,
    /// For task files read at run time (`include_tasks`).
    pub parse_opts: rsible_parser::ParseOptions,
    pub connections: Connections,
}

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
    /// Per host: vars_files content.
    vars_files: HashMap<String, Vars>,
    /// `handler index` → hosts notified, in notification order.
    notified: IndexMap<usize, Vec<String>>,
    handlers: Vec<&'a Task>,
    name: String,
}

/// Runs every play of a playbook against an inventory, reporting through `callback`.
pub fn run_playbook(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
    callback: &dyn Callback,
) -> Result<RunOutcome, RunError> {
    let mut runner = Runner {
        shared: shared(playbook, inventory, opts),
        rescuable: Vec::new(),
        include_vars: Vec::new(),
        cb: callback,
        states: IndexMap::new(),
        stats: IndexMap::new(),
        started: opts.start_at_task.is_none(),
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
    let mut hosts: Vec<(String, HostStats)> = runner.stats.clone().into_iter().collect();
    hosts.sort_by(|a, b| a.0.cmp(&b.0));
    callback.playbook_on_stats(&Stats {
        hosts: hosts.into_iter().collect(),
    });
    let outcome = if runner.stats.values().any(|s| s.unreachable > 0) {
        RunOutcome::HostsUnreachable
    } else if runner.stats.values().any(|s| s.failed > 0) {
        RunOutcome::HostsFailed
    } else {
        RunOutcome::Ok
    };
    Ok(outcome)
}

fn shared<'a>(
    playbook: &'a Playbook,
    inventory: &'a Inventory,
    opts: &'a RunOptions,
) -> Shared<'a> {
    let mut extra_vars = Vars::new();
    for ev in &opts.extra_vars {
        vars::extend(&mut extra_vars, ev);
    }
    Shared {
        playbook,
        inventory,
        opts,
        templar: Templar::new(),
        omit: format!("__omit_place_holder__{}", random_hex()),
        extra_vars,
        parse_opts: parse_options(),
        connections: Connections::default(),
    }
}

/// `meta:` tasks, run by the runner itself.
const META: &str = "meta";

/// What the parser accepts as a task action: every module, plus what the runner runs itself.
pub fn parse_options() -> rsible_parser::ParseOptions {
    let mut modules = rsible_modules::module_names();
    modules.push(crate::task_exec::INCLUDE_TASKS.to_owned());
    modules.push(META.to_owned());
    rsible_parser::ParseOptions {
        modules,
        roles_path: Vec::new(),
    }
}

fn random_hex() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// The play's hosts cut into `serial` batches: a number, a percentage of the hosts, or a list
/// of those (the last one repeats), as Ansible's `_get_serialized_batches`.
fn serial_batches(
    shared: &Shared<'_>,
    play: &Play,
    hosts: &[String],
) -> Result<Vec<Vec<String>>, RunError> {
    let Some(node) = &play.serial else {
        return Ok(vec![hosts.to_vec()]);
    };
    let value = render_node(
        &shared.templar,
        node,
        &shared.extra_vars,
        &Origin::default(),
    )?;
    let sizes: Vec<Value> = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let total = hosts.len();
    let size_of = |v: &Value| -> usize {
        let text = python_str(v);
        let n = match text.trim().strip_suffix('%') {
            Some(pct) => {
                let pct: f64 = pct.trim().parse().unwrap_or(100.0);
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss,
                    reason = "host counts"
                )]
                let n = ((pct / 100.0) * total as f64) as usize;
                n
            }
            None => text.trim().parse().unwrap_or(0),
        };
        if n == 0 {
            total.max(1)
        } else {
            n
        }
    };
    if sizes.is_empty() {
        return Ok(vec![hosts.to_vec()]);
    }
    let mut batches = Vec::new();
    let mut rest = hosts;
    let mut i = 0;
    while !rest.is_empty() {
        let n = size_of(&sizes[i.min(sizes.len() - 1)]).min(rest.len());
        batches.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    Ok(batches)
}

/// The `hosts:` pattern as one string (a list is joined with `,`).
fn hosts_pattern(play: &Play) -> String {
    match play.hosts.as_seq() {
        Some(items) => items
            .iter()
            .map(|n| python_str(&n.to_value()))
            .collect::<Vec<_>>()
            .join(","),
        None => python_str(&play.hosts.to_value()),
    }
}

/// The hosts a play targets, after `--limit`.
fn play_hosts(
    shared: &Shared<'_>,
    play: &Play,
    cb: Option<&dyn Callback>,
) -> Result<(String, Vec<String>), RunError> {
    let raw = hosts_pattern(play);
    let pattern = match render_node(
        &shared.templar,
        &play.hosts,
        &shared.extra_vars,
        &Origin::default(),
    ) {
        Ok(Value::Array(items)) => items.iter().map(python_str).collect::<Vec<_>>().join(","),
        Ok(v) => python_str(&v),
        Err(_) => raw.clone(),
    };
    let (mut hosts, warnings) =
        rsible_parser::match_hosts_with_warnings(shared.inventory, &pattern)?;
    if let Some(cb) = cb {
        for w in &warnings {
            cb.warning(w);
        }
    }
    if let Some(limit) = &shared.opts.limit {
        let allowed = rsible_parser::match_hosts(shared.inventory, limit)?;
        hosts.retain(|h| allowed.contains(h));
    }
    Ok((pattern, hosts))
}

fn play_name(shared: &Shared<'_>, play: &Play, pattern: &str) -> String {
    match &play.name {
        Some(n) => render_node(&shared.templar, n, &shared.extra_vars, &Origin::default())
            .map_or_else(|_| python_str(&n.to_value()), |v| python_str(&v)),
        None => pattern.to_owned(),
    }
}

/// `--list-hosts`: (play name, pattern, hosts) per play.
pub fn list_hosts(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
) -> Result<Vec<(String, String, Vec<String>)>, RunError> {
    let shared = shared(playbook, inventory, opts);
    playbook
        .plays
        .iter()
        .map(|play| {
            let (pattern, hosts) = play_hosts(&shared, play, None)?;
            Ok((play_name(&shared, play, &pattern), pattern, hosts))
        })
        .collect()
}

/// `--list-tasks`: (play name, pattern, [(task name, tags)]) per play.
#[expect(clippy::type_complexity, reason = "plain data for the CLI to print")]
pub fn list_tasks(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
) -> Result<Vec<(String, String, Vec<(String, Vec<String>)>)>, RunError> {
    let shared = shared(playbook, inventory, opts);
    playbook
        .plays
        .iter()
        .map(|play| {
            let (pattern, _) = play_hosts(&shared, play, None)?;
            let mut tasks = Vec::new();
            for task in play_tasks(play) {
                let tags = task_tags(play, task);
                if crate::tags::should_run(&tags, &opts.tags, &opts.skip_tags) {
                    tasks.push((task_display_name(&shared, task, &shared.extra_vars), tags));
                }
            }
            Ok((play_name(&shared, play, &pattern), pattern, tasks))
        })
        .collect()
}

/// Tasks of a play in run order: pre_tasks, roles, tasks, post_tasks.
fn play_tasks(play: &Play) -> impl Iterator<Item = &Task> {
    play.pre_tasks
        .iter()
        .chain(play.roles.iter().flat_map(|r| r.tasks.iter()))
        .chain(play.tasks.iter())
        .chain(play.post_tasks.iter())
}

/// Inherited tags: the play's, the role's, the task's.
fn task_tags(play: &Play, task: &Task) -> Vec<String> {
    let mut tags: Vec<String> = play.tags.clone();
    if let Some(role) = &task.role {
        tags.extend(role.tags.iter().cloned());
    }
    tags.extend(task.keywords.tags.iter().cloned());
    let mut seen = Vec::new();
    for t in tags {
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    seen
}

/// `role : name`, the name being the module as written when the task has none.
fn task_display_name(shared: &Shared<'_>, task: &Task, vars: &Vars) -> String {
    let base = match &task.name {
        Some(n) => {
            let raw = python_str(&n.to_value());
            if Templar::is_template(&raw) {
                shared
                    .templar
                    .render_str(&raw, vars, &Origin::default())
                    .map_or(raw, |v| python_str(&v))
            } else {
                raw
            }
        }
        None => task.module_key.key_string(),
    };
    match &task.role {
        Some(role) => format!("{} : {base}", role.name),
        _ => base,
    }
}

impl Runner<'_> {
    fn stats_for(&mut self, host: &str) -> &mut HostStats {
        self.stats.entry(host.to_owned()).or_default()
    }

    /// Runs one play; false when the run must stop (every host of the play failed).
    fn run_play(&mut self, play: &Play) -> Result<bool, RunError> {
        let (pattern, mut hosts) = play_hosts(&self.shared, play, Some(self.cb))?;
        let name = play_name(&self.shared, play, &pattern);
        self.cb.playbook_on_play_start(&PlayInfo {
            name: name.clone(),
            check_mode: self.shared.opts.check,
            span: Some(play.span),
        });
        let all_hosts = hosts.clone();
        hosts.retain(|h| self.states.get(h).is_none_or(HostState::is_active));
        if hosts.is_empty() {
            self.cb.playbook_on_no_hosts_matched();
            return Ok(true);
        }
        for h in &hosts {
            self.states.entry(h.clone()).or_default();
        }
        let mut handlers: Vec<&Task> = play.roles.iter().flat_map(|r| r.handlers.iter()).collect();
        handlers.extend(play.handlers.iter());
        let mut ctx = PlayCtx {
            play,
            hosts: hosts.clone(),
            play_hosts: hosts.clone(),
            all_hosts,
            vars_mention_hostvars: false,
            vars_files: HashMap::new(),
            notified: IndexMap::new(),
            handlers,
            name,
        };
        for host in &hosts {
            let files = self.load_vars_files(&ctx, host)?;
            ctx.vars_files.insert(host.clone(), files);
        }

        ctx.vars_mention_hostvars = vars::play_mentions(
            play,
            self.shared.inventory,
            &self.shared.extra_vars,
            "hostvars",
        ) || ctx
            .vars_files
            .values()
            .any(|v| vars::value_mentions(&Value::Object(v.clone()), "hostvars"));
        let batches = serial_batches(&self.shared, play, &hosts)?;
        for (i, batch) in batches.into_iter().enumerate() {
            if i > 0 {
                // Each `serial` batch is announced as the play again, as Ansible does.
                self.cb.playbook_on_play_start(&PlayInfo {
                    name: ctx.name.clone(),
                    check_mode: self.shared.opts.check,
                    span: Some(play.span),
                });
            }
            ctx.hosts = batch;
            if !self.run_batch(&mut ctx)? {
                // Ansible stops the whole run when every host of a batch failed in it.
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// One batch of a play (the whole play without `serial`); false when every host failed.
    fn run_batch(&mut self, ctx: &mut PlayCtx<'_>) -> Result<bool, RunError> {
        let play = ctx.play;
        // Under --start-at-task, a play before the one holding the task is passed over
        // entirely, facts included (Ansible's play iterator).
        let holds_start = self.started || play_tasks(play).any(|t| self.is_start_task(ctx, t));
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
        for section in sections {
            if !self.run_list(ctx, &section, 0, None)? {
                break;
            }
            self.flush_handlers(ctx)?;
        }
        Ok(ctx
            .hosts
            .iter()
            .any(|h| self.states.get(h).is_some_and(HostState::is_active)))
    }

    /// Whether the play gathers facts, under the `gathering` setting (Ansible's play
    /// iterator): `explicit` needs `gather_facts: true`, the others only no `false`.
    fn gather_facts(&self, ctx: &PlayCtx<'_>) -> Result<bool, RunError> {
        let keyword = match &ctx.play.gather_facts {
            None => None,
            Some(n) => Some(truthy(&render_node(
                &self.shared.templar,
                n,
                &self.shared.extra_vars,
                &Origin::default(),
            )?)),
        };
        Ok(match self.shared.opts.gathering {
            Gathering::Explicit => keyword == Some(true),
            Gathering::Implicit | Gathering::Smart => keyword != Some(false),
        })
    }

    fn run_gather_facts(&mut self, ctx: &mut PlayCtx<'_>) -> Result<(), RunError> {
        let task = gather_task(ctx.play);
        // `smart`: hosts whose facts an earlier play gathered are not asked again.
        let only = (self.shared.opts.gathering == Gathering::Smart).then(|| Only {
            hosts: ctx
                .hosts
                .iter()
                .filter(|h| {
                    !self
                        .states
                        .get(*h)
                        .is_some_and(|st| st.facts.contains_key("_ansible_facts_gathered"))
                })
                .cloned()
                .collect(),
            include_failed: false,
        });
        self.run_task_with(ctx, &task, Some("Gathering Facts"), only.as_ref())?;
        // What the gather_facts action adds to the facts setup returned.
        for h in &ctx.hosts {
            if let Some(st) = self.states.get_mut(h) {
                if !st.facts.is_empty() {
                    st.facts
                        .insert("_ansible_facts_gathered".into(), Value::Bool(true));
                }
            }
        }
        Ok(())
    }

    /// `vars_files` of the play for one host: each entry templated, read, merged.
    fn load_vars_files(&self, ctx: &PlayCtx<'_>, host: &str) -> Result<Vars, RunError> {
        let mut out = Vars::new();
        if ctx.play.vars_files.is_empty() {
            return Ok(out);
        }
        let mut v = self.base_vars(ctx, host, None, &Vars::new());
        for entry in &ctx.play.vars_files {
            let candidates: Vec<&Node> = match entry.as_seq() {
                Some(list) => list.iter().collect(),
                None => vec![entry],
            };
            for cand in &candidates {
                let path = render_node(&self.shared.templar, cand, &v, &Origin::default())?;
                let path = std::path::PathBuf::from(python_str(&path));
                let path = if path.is_absolute() {
                    path
                } else {
                    self.shared.playbook.dir.join(path)
                };
                // Ansible 2.19 passes over a vars file that does not exist, without a word.
                if !path.exists() {
                    continue;
                }
                let docs = rsible_parser::load_yaml_file(&path)?;
                if let Some(doc) = docs.first() {
                    match doc.as_map() {
                        Some(pairs) => {
                            for (k, val) in pairs {
                                out.insert(k.key_string(), val.to_value());
                                v.insert(k.key_string(), val.to_value());
                            }
                        }
                        None if matches!(doc.kind, rsible_parser::NodeKind::Null) => {}
                        None => {
                            return Err(RunError::Parse(rsible_parser::ParseError::WrongType {
                                keyword: "vars_files".into(),
                                expected: "a mapping of variables",
                                found: doc.type_name(),
                                span: doc.span,
                            }))
                        }
                    }
                }
                break;
            }
        }
        Ok(out)
    }

    /// Every variable a task sees on `host`, lowest precedence first.
    /// `hostvars` (only when something may read it: it is the one variable whose size grows
    /// with the number of hosts) and `groups`, built once per task for all its hosts.
    fn shared_magic(&self, ctx: &PlayCtx<'_>, task: Option<&Task>) -> (Option<Value>, Value) {
        let sh = &self.shared;
        let needed = ctx.vars_mention_hostvars
            || task.is_none_or(|t| t.module == "template" || vars::task_mentions(t, "hostvars"))
            || self
                .include_vars
                .iter()
                .any(|v| vars::value_mentions(&Value::Object(v.clone()), "hostvars"));
        let hostvars = needed.then(|| vars::hostvars(sh.inventory, &self.states, &sh.extra_vars));
        (hostvars, vars::groups(sh.inventory))
    }

    fn base_vars(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        task: Option<&Task>,
        extra_task_vars: &Vars,
    ) -> Vars {
        let magic = self.shared_magic(ctx, task);
        self.base_vars_with(ctx, host, task, extra_task_vars, &magic)
    }

    fn base_vars_with(
        &self,
        ctx: &PlayCtx<'_>,
        host: &str,
        task: Option<&Task>,
        extra_task_vars: &Vars,
        (hostvars, groups): &(Option<Value>, Value),
    ) -> Vars {
        let sh = &self.shared;
        let mut v = Vars::new();
        for role in &ctx.play.roles {
            vars::extend_nodes(&mut v, &role.defaults);
        }
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            vars::extend_nodes(&mut v, &role.defaults);
        }
        vars::extend(&mut v, &vars::inventory_vars(sh.inventory, host));
        if let Some(st) = self.states.get(host) {
            vars::inject_facts(&mut v, &st.facts);
        }
        vars::extend_nodes(&mut v, &ctx.play.vars);
        if let Some(files) = ctx.vars_files.get(host) {
            vars::extend(&mut v, files);
        }
        for role in &ctx.play.roles {
            vars::extend_nodes(&mut v, &role.vars);
        }
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            vars::extend_nodes(&mut v, &role.vars);
            vars::extend_nodes(&mut v, &role.params);
        }
        if let Some(task) = task {
            vars::extend_nodes(&mut v, &task.keywords.vars);
        }
        for scope in &self.include_vars {
            vars::extend(&mut v, scope);
        }
        vars::extend(&mut v, extra_task_vars);
        let mut untrusted: Vec<Value> = Vec::new();
        if let Some(st) = self.states.get(host) {
            vars::extend(&mut v, &st.registered);
            // Results and facts are data from the host: never templated again (Ansible 2.19).
            untrusted.extend(st.registered.keys().map(|k| Value::from(k.as_str())));
            untrusted.extend(
                st.facts
                    .keys()
                    .map(|k| Value::from(format!("ansible_{}", k.trim_start_matches("ansible_")))),
            );
            if !st.facts.is_empty() {
                untrusted.push(Value::from("ansible_facts"));
            }
        }
        vars::extend(&mut v, &sh.extra_vars);
        v.insert(
            rsible_template::UNTRUSTED_VARS.into(),
            Value::Array(untrusted),
        );

        // PlayContext.update_vars: connection keywords become the variables a module sees,
        // unless the inventory already set them.
        let remote_user = task
            .and_then(|t| t.keywords.remote_user.as_ref())
            .or(ctx.play.remote_user.as_ref())
            .map(Node::to_value)
            .or_else(|| sh.opts.remote_user.clone().map(Value::from));
        if let Some(user) = remote_user {
            if !v.contains_key("ansible_user") && !v.contains_key("ansible_ssh_user") {
                v.insert("ansible_user".into(), user);
            }
        }
        let dir = sh.playbook.dir.display().to_string();
        v.insert("playbook_dir".into(), Value::from(dir));
        v.insert("inventory_hostname".into(), Value::from(host));
        v.insert(
            "inventory_hostname_short".into(),
            Value::from(vars::short_name(host)),
        );
        v.insert("group_names".into(), vars::group_names(sh.inventory, host));
        v.insert("groups".into(), groups.clone());
        if let Some(hostvars) = hostvars {
            v.insert("hostvars".into(), hostvars.clone());
        }
        v.insert("ansible_check_mode".into(), Value::Bool(sh.opts.check));
        v.insert("ansible_diff_mode".into(), Value::Bool(sh.opts.diff));
        v.insert("ansible_verbosity".into(), Value::from(sh.opts.verbosity));
        v.insert("omit".into(), Value::from(sh.omit.as_str()));
        let active = |hosts: &[String]| -> Vec<Value> {
            hosts
                .iter()
                .filter(|h| self.states.get(*h).is_none_or(HostState::is_active))
                .map(|h| Value::from(h.as_str()))
                .collect()
        };
        let batch = active(&ctx.hosts);
        v.insert(
            "ansible_play_hosts".into(),
            Value::Array(active(&ctx.play_hosts)),
        );
        v.insert("ansible_play_batch".into(), Value::Array(batch.clone()));
        v.insert("play_hosts".into(), Value::Array(batch));
        v.insert(
            "ansible_play_hosts_all".into(),
            Value::Array(
                ctx.all_hosts
                    .iter()
                    .map(|h| Value::from(h.as_str()))
                    .collect(),
            ),
        );
        v.insert("ansible_play_name".into(), Value::from(ctx.name.as_str()));
        v.insert(
            "ansible_run_tags".into(),
            Value::Array(if sh.opts.tags.is_empty() {
                vec![Value::from("all")]
            } else {
                sh.opts
                    .tags
                    .iter()
                    .map(|t| Value::from(t.as_str()))
                    .collect()
            }),
        );
        v.insert(
            "ansible_skip_tags".into(),
            Value::Array(
                sh.opts
                    .skip_tags
                    .iter()
                    .map(|t| Value::from(t.as_str()))
                    .collect(),
            ),
        );
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            v.insert(
                "role_path".into(),
                Value::from(role.path.display().to_string()),
            );
            v.insert("role_name".into(), Value::from(role.name.as_str()));
        }
        if let Some(src) = sh.inventory.sources.first() {
            v.insert(
                "inventory_file".into(),
                Value::from(src.display().to_string()),
            );
            if let Some(dir) = src.parent() {
                v.insert(
                    "inventory_dir".into(),
                    Value::from(dir.display().to_string()),
                );
            }
        }
        v
    }

    /// Runs a task on the play's active hosts; false when no host is left.
    /// Runs a task list, descending into blocks at `depth`; false when no host is left.
    fn run_list(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        tasks: &[&Task],
        depth: usize,
        only: Option<&Only>,
    ) -> Result<bool, RunError> {
        let mut i = 0;
        while i < tasks.len() {
            if let Some(scope) = tasks[i].blocks.get(depth) {
                let mut j = i;
                while tasks
                    .get(j)
                    .is_some_and(|t| t.blocks.get(depth).is_some_and(|s| Arc::ptr_eq(s, scope)))
                {
                    j += 1;
                }
                let scope = Arc::clone(scope);
                if !self.run_block(ctx, &scope, &tasks[i..j], depth + 1, only)? {
                    return Ok(false);
                }
                i = j;
            } else {
                if !self.run_task_with(ctx, tasks[i], None, only)? {
                    return Ok(false);
                }
                i += 1;
            }
        }
        Ok(true)
    }

    /// A block with `rescue`/`always`: the body on the hosts that enter it, `rescue` on those
    /// that failed there (they are no longer failed), then `always` on all of them.
    fn run_block(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        scope: &Arc<BlockScope>,
        body: &[&Task],
        depth: usize,
        only: Option<&Only>,
    ) -> Result<bool, RunError> {
        let entered = self.task_hosts(ctx, only);
        if entered.is_empty() {
            return Ok(only.is_some());
        }
        let inner = Only {
            hosts: entered.clone(),
            include_failed: false,
        };
        self.rescuable.push(!scope.rescue.is_empty());
        let body_result = self.run_list(ctx, body, depth, Some(&inner));
        self.rescuable.pop();
        body_result?;
        let failed: Vec<String> = entered
            .iter()
            .filter(|h| {
                self.states
                    .get(*h)
                    .is_some_and(|s| s.failed && !s.unreachable)
            })
            .cloned()
            .collect();
        if !scope.rescue.is_empty() && !failed.is_empty() {
            for h in &failed {
                if let Some(st) = self.states.get_mut(h) {
                    st.failed = false;
                }
            }
            let rescue: Vec<&Task> = scope.rescue.iter().collect();
            self.run_list(
                ctx,
                &rescue,
                0,
                Some(&Only {
                    hosts: failed,
                    include_failed: false,
                }),
            )?;
        }
        if !scope.always.is_empty() {
            let always: Vec<&Task> = scope.always.iter().collect();
            self.run_list(
                ctx,
                &always,
                0,
                Some(&Only {
                    hosts: entered,
                    include_failed: true,
                }),
            )?;
        }
        let left = self.task_hosts(ctx, only);
        Ok(!left.is_empty() || only.is_some())
    }

    /// The hosts a task runs on: the play's active hosts, or the block's.
    fn task_hosts(&self, ctx: &PlayCtx<'_>, only: Option<&Only>) -> Vec<String> {
        match only {
            Some(o) => o
                .hosts
                .iter()
                .filter(|h| {
                    self.states
                        .get(*h)
                        .is_some_and(|s| !s.unreachable && (o.include_failed || !s.failed))
                })
                .cloned()
                .collect(),
            None => ctx
                .hosts
                .iter()
                .filter(|h| self.states.get(*h).is_some_and(HostState::is_active))
                .cloned()
                .collect(),
        }
    }

    fn run_task_with(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        forced_name: Option<&str>,
        only: Option<&Only>,
    ) -> Result<bool, RunError> {
        let tags = if forced_name.is_some() {
            vec!["always".to_owned()]
        } else {
            task_tags(ctx.play, task)
        };
        if !crate::tags::should_run(&tags, &self.shared.opts.tags, &self.shared.opts.skip_tags) {
            return Ok(true);
        }
        let display = forced_name.map_or_else(
            || task_display_name(&self.shared, task, &self.play_level_vars(ctx)),
            str::to_owned,
        );
        if !self.started && forced_name.is_none() {
            if self.is_start_task(ctx, task) {
                self.started = true;
            } else {
                return Ok(true);
            }
        }
        let hosts = self.task_hosts(ctx, only);
        if hosts.is_empty() {
            // Ansible ends the play quietly here (`NO MORE HOSTS LEFT` is for
            // max_fail_percentage); inside a block only the block's remaining tasks are skipped.
            return Ok(only.is_some());
        }
        if task.module == META {
            return self.run_meta(ctx, task, display, &hosts);
        }
        self.run_on_hosts(ctx, task, display, hosts, false)?;
        Ok(true)
    }

    /// `meta:` actions, which steer the run instead of touching hosts. False ends the play.
    fn run_meta(
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
        // Hosts for which the task's `when` holds (meta runs once, but its condition is per host).
        let mut chosen = Vec::new();
        for h in hosts {
            let vars = self.base_vars(ctx, h, Some(task), &Vars::new());
            let mut ok = true;
            for cond in &task.keywords.when {
                let origin = Origin {
                    span: Some(task.span),
                    exact_lines: false,
                    search_paths: Vec::new(),
                };
                ok &= crate::template_node::eval_condition_node(
                    &self.shared.templar,
                    cond,
                    &vars,
                    &origin,
                )?;
            }
            if ok {
                chosen.push(h.clone());
            }
        }
        match action.trim() {
            "flush_handlers" => {
                let info = self.task_info(task, display, false);
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
            "noop" | "end_play" | "clear_facts" => {
                if action.trim() == "clear_facts" {
                    for h in &chosen {
                        if let Some(st) = self.states.get_mut(h) {
                            st.facts.clear();
                        }
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

    fn task_info(&self, task: &Task, display: String, is_handler: bool) -> TaskInfo {
        TaskInfo {
            plain_name: task
                .name
                .as_ref()
                .map_or_else(|| display.clone(), |n| python_str(&n.to_value())),
            name: display,
            is_handler,
            check_mode: self.shared.opts.check,
            no_log: task
                .keywords
                .no_log
                .as_ref()
                .is_some_and(|n| truthy(&n.to_value())),
            module: task.module.clone(),
            loop_var: task
                .keywords
                .loop_control
                .as_ref()
                .and_then(|lc| lc.get("loop_var"))
                .and_then(Node::as_str)
                .unwrap_or("item")
                .to_owned(),
            has_label: task
                .keywords
                .loop_control
                .as_ref()
                .and_then(|lc| lc.get("label"))
                .is_some(),
            diff: task
                .keywords
                .diff
                .as_ref()
                .map_or(self.shared.opts.diff, |n| truthy(&n.to_value())),
            span: Some(task.span),
        }
    }

    /// Whether `task` is the one `--start-at-task` names (by `role : name` or by name).
    fn is_start_task(&self, ctx: &PlayCtx<'_>, task: &Task) -> bool {
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
            || task_display_name(&self.shared, task, &self.play_level_vars(ctx)) == wanted
    }

    /// Vars for templating play-level things (task names): extra vars and play vars.
    fn play_level_vars(&self, ctx: &PlayCtx<'_>) -> Vars {
        let mut v = Vars::new();
        vars::extend_nodes(&mut v, &ctx.play.vars);
        vars::extend(&mut v, &self.shared.extra_vars);
        v.insert(
            "playbook_dir".into(),
            Value::from(self.shared.playbook.dir.display().to_string()),
        );
        v
    }

    fn run_on_hosts(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        display: String,
        hosts: Vec<String>,
        is_handler: bool,
    ) -> Result<(), RunError> {
        let info = self.task_info(task, display, is_handler);
        if is_handler {
            self.cb.playbook_on_handler_task_start(&info);
        } else {
            self.cb.playbook_on_task_start(&info);
        }
        let run_once = task
            .keywords
            .run_once
            .as_ref()
            .is_some_and(|n| truthy(&n.to_value()));
        let targets: Vec<String> = if run_once {
            hosts.iter().take(1).cloned().collect()
        } else {
            hosts.clone()
        };
        let search = vars::search_paths(task.role.as_deref(), &self.shared.playbook.dir);
        let magic = self.shared_magic(ctx, Some(task));
        let jobs: Vec<HostJob<'_>> = targets
            .iter()
            .map(|h| HostJob {
                host: h.clone(),
                task,
                info: &info,
                vars: self.base_vars_with(ctx, h, Some(task), &Vars::new(), &magic),
                play_environment: ctx.play.environment.as_ref(),
                play_become: (
                    ctx.play.become_.as_ref(),
                    ctx.play.become_user.as_ref(),
                    ctx.play.become_method.as_ref(),
                ),
                play_connection: ctx.play.connection.as_ref(),
                origin: Origin {
                    span: Some(task.span),
                    exact_lines: false,
                    search_paths: search.clone(),
                },
            })
            .collect();
        let is_include = task.module == crate::task_exec::INCLUDE_TASKS;
        let outcomes = self.dispatch(&info, &jobs, is_include);
        if is_include {
            return self.run_includes(ctx, task, &info, outcomes);
        }
        let fatal = task
            .keywords
            .any_errors_fatal
            .as_ref()
            .or(ctx.play.any_errors_fatal.as_ref())
            .map_or(self.shared.opts.any_errors_fatal, |n| truthy(&n.to_value()));
        let mut any_failed = false;
        for outcome in outcomes {
            any_failed |= outcome.status == Status::Failed && !outcome.ignore_errors;
            if run_once {
                for other in hosts.iter().skip(1) {
                    if let Some(name) = &outcome.register {
                        if let Some(st) = self.states.get_mut(other) {
                            st.registered
                                .insert(name.clone(), Value::Object(outcome.result.clone()));
                        }
                    }
                }
            }
            self.apply(ctx, task, outcome);
        }
        if fatal && any_failed && !self.rescuable.iter().any(|r| *r) {
            // any_errors_fatal: every host of the play stops here (not counted as failed).
            for h in &ctx.hosts {
                if let Some(st) = self.states.get_mut(h) {
                    st.failed = true;
                }
            }
        }
        Ok(())
    }

    /// `include_tasks`: announce each file (grouped by file and item, as Ansible does), then run
    /// its tasks on the hosts that included it.
    fn run_includes(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        task: &Task,
        info: &TaskInfo,
        outcomes: Vec<HostOutcome>,
    ) -> Result<(), RunError> {
        let mut groups: Vec<(String, Option<Value>, Vec<String>)> = Vec::new();
        for outcome in outcomes {
            if matches!(outcome.status, Status::Ok | Status::Changed) {
                let entries: Vec<(Option<Value>, &Value)> = match outcome.result.get("results") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(|r| Some((r.get(&info.loop_var).cloned(), r.get("include")?)))
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
            } else {
                self.apply(ctx, task, outcome);
            }
        }
        // Each included file counts as an ok for its hosts, not the include itself.
        let mut loaded = Vec::new();
        for (file, item, hosts) in &groups {
            let path = self.include_path(task, file);
            self.cb.playbook_on_include(&path, hosts, item.as_ref());
            for h in hosts {
                self.stats_for(h).ok += 1;
            }
            loaded.push(path);
        }
        for ((_, item, hosts), path) in groups.into_iter().zip(loaded) {
            let tasks = rsible_parser::load_tasks_file(
                &path,
                &self.shared.parse_opts,
                task.role.clone(),
                false,
            )?;
            let mut scope_vars = Vars::new();
            vars::extend_nodes(&mut scope_vars, &task.keywords.vars);
            if let Some(item) = item {
                scope_vars.insert(info.loop_var.clone(), item);
                scope_vars.insert(
                    "ansible_loop_var".into(),
                    Value::from(info.loop_var.as_str()),
                );
            }
            self.include_vars.push(scope_vars);
            let refs: Vec<&Task> = tasks.iter().collect();
            let result = self.run_list(
                ctx,
                &refs,
                0,
                Some(&Only {
                    hosts,
                    include_failed: false,
                }),
            );
            self.include_vars.pop();
            result?;
        }
        Ok(())
    }

    /// Where an included file is: beside the including file, in the role's `tasks/`, or in the
    /// playbook's directory.
    fn include_path(&self, task: &Task, file: &str) -> std::path::PathBuf {
        let p = std::path::Path::new(file);
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

    /// Runs jobs on up to `forks` threads, reporting events as they come.
    fn dispatch(
        &mut self,
        info: &TaskInfo,
        jobs: &[HostJob<'_>],
        is_include: bool,
    ) -> Vec<HostOutcome> {
        let (tx, rx) = mpsc::channel::<Event>();
        let forks = self.shared.opts.forks.max(1).min(jobs.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let shared = &self.shared;
        let cb = self.cb;
        let mut outcomes = Vec::with_capacity(jobs.len());
        // The same pointer is shown once per task, not once per host.
        let mut shown: Vec<String> = Vec::new();
        std::thread::scope(|s| {
            for _ in 0..forks {
                let tx = tx.clone();
                let next = &next;
                s.spawn(move || loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    run_host(shared, job, &tx);
                });
            }
            drop(tx);
            for ev in rx {
                match ev {
                    Event::Item {
                        host,
                        delegated_to,
                        result,
                        ignore_errors,
                        error,
                    } => {
                        let event = ResultEvent {
                            host: &host,
                            delegated_to: delegated_to.as_deref(),
                            result: &result,
                            ignore_errors,
                            item: result.get(&info.loop_var),
                            error: error.as_deref(),
                        };
                        match HostOutcome::status_of(&result) {
                            Status::Failed => cb.runner_item_on_failed(info, &event),
                            Status::Skipped => cb.runner_item_on_skipped(info, &event),
                            _ if is_include => {}
                            _ => {
                                if info.diff && result.contains_key("diff") {
                                    cb.on_file_diff(info, &event);
                                }
                                cb.runner_item_on_ok(info, &event);
                            }
                        }
                    }
                    Event::Retry {
                        host,
                        delegated_to,
                        result,
                    } => {
                        let event = ResultEvent {
                            host: &host,
                            delegated_to: delegated_to.as_deref(),
                            result: &result,
                            ignore_errors: false,
                            item: None,
                            error: None,
                        };
                        cb.runner_retry(info, &event);
                    }
                    Event::Async { kind, host, result } => {
                        let event = ResultEvent {
                            host: &host,
                            delegated_to: None,
                            result: &result,
                            ignore_errors: false,
                            item: None,
                            error: None,
                        };
                        match kind {
                            AsyncKind::Poll => cb.runner_on_async_poll(info, &event),
                            AsyncKind::Ok => cb.runner_on_async_ok(info, &event),
                            AsyncKind::Failed => cb.runner_on_async_failed(info, &event),
                        }
                    }
                    Event::Done(outcome) => {
                        for d in &outcome.diagnostics {
                            let text = d.to_string();
                            if !shown.contains(&text) {
                                cb.diagnostic(d);
                                shown.push(text);
                            }
                        }
                        let event = ResultEvent {
                            host: &outcome.host,
                            delegated_to: outcome.delegated_to.as_deref(),
                            result: &outcome.result,
                            ignore_errors: outcome.ignore_errors,
                            item: None,
                            error: outcome.error.as_deref(),
                        };
                        match outcome.status {
                            Status::Failed => cb.runner_on_failed(info, &event),
                            Status::Skipped => cb.runner_on_skipped(info, &event),
                            Status::Unreachable => cb.runner_on_unreachable(info, &event),
                            Status::Ok | Status::Changed if is_include => {}
                            Status::Ok | Status::Changed => {
                                if info.diff && outcome.result.contains_key("diff") {
                                    cb.on_file_diff(info, &event);
                                }
                                cb.runner_on_ok(info, &event);
                            }
                        }
                        outcomes.push(outcome);
                    }
                }
            }
        });
        outcomes
    }

    /// Folds one host's outcome into the run: stats, host state, register, handlers.
    fn apply(&mut self, ctx: &mut PlayCtx<'_>, task: &Task, outcome: HostOutcome) {
        let host = outcome.host.clone();
        let rescuable = self.rescuable.iter().any(|r| *r);
        {
            let st = self.stats_for(&host);
            match outcome.status {
                Status::Ok => st.ok += 1,
                Status::Changed => {
                    st.ok += 1;
                    st.changed += 1;
                }
                Status::Skipped => st.skipped += 1,
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
        if rescuable && outcome.status == Status::Failed && !outcome.ignore_errors {
            // What a `rescue:` section sees of the failure.
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
            let st = self.states.entry(host.clone()).or_default();
            st.registered
                .insert("ansible_failed_task".into(), Value::Object(failed_task));
            st.registered.insert(
                "ansible_failed_result".into(),
                Value::Object(outcome.result.clone()),
            );
        }
        let state = self.states.entry(host.clone()).or_default();
        match outcome.status {
            Status::Unreachable => state.unreachable = true,
            Status::Failed if !outcome.ignore_errors => state.failed = true,
            _ => {}
        }
        if let Some(facts) = outcome.facts {
            // `namespace_facts`: `ansible_x` is stored as `x`, except `ansible_local`.
            for (k, v) in facts {
                let k = match k.strip_prefix("ansible_") {
                    Some(short) if k != "ansible_local" => short.to_owned(),
                    _ => k,
                };
                state.facts.insert(k, v);
            }
        }
        if let Some(sf) = outcome.set_facts {
            vars::extend(&mut state.registered, &sf);
        }
        if let Some(name) = &outcome.register {
            let mut r = outcome.result.clone();
            r.retain(|k, _| !k.starts_with("_ansible") && k != "invocation");
            state.registered.insert(name.clone(), Value::Object(r));
        }
        if outcome.status == Status::Changed {
            for n in &task.keywords.notify {
                let name = python_str(&n.to_value());
                for (i, h) in ctx.handlers.iter().enumerate() {
                    if handler_matches(h, &name) {
                        let list = ctx.notified.entry(i).or_default();
                        if !list.contains(&host) {
                            list.push(host.clone());
                        }
                    }
                }
            }
        }
    }

    fn flush_handlers(&mut self, ctx: &mut PlayCtx<'_>) -> Result<(), RunError> {
        loop {
            let Some(idx) = (0..ctx.handlers.len()).find(|i| ctx.notified.contains_key(i)) else {
                return Ok(());
            };
            let hosts = ctx.notified.shift_remove(&idx).unwrap_or_default();
            let hosts: Vec<String> = hosts
                .into_iter()
                .filter(|h| self.states.get(h).is_some_and(HostState::is_active))
                .collect();
            if hosts.is_empty() {
                continue;
            }
            let handler = ctx.handlers[idx];
            let display = task_display_name(&self.shared, handler, &self.play_level_vars(ctx));
            self.run_on_hosts(ctx, handler, display, hosts, true)?;
        }
    }
}

fn handler_matches(handler: &Task, name: &str) -> bool {
    let own = handler.name.as_ref().map(|n| python_str(&n.to_value()));
    if own.as_deref() == Some(name) {
        return true;
    }
    if let (Some(role), Some(own)) = (&handler.role, &own) {
        if format!("{} : {own}", role.name) == name {
            return true;
        }
    }
    handler
        .keywords
        .listen
        .iter()
        .any(|l| python_str(&l.to_value()) == name)
}

/// The implicit `Gathering Facts` task (the `setup` module).
fn gather_task(play: &Play) -> Task {
    let span = play.span;
    let empty = Node {
        kind: rsible_parser::NodeKind::Map(Vec::new()),
        span,
        style: None,
    };
    Task {
        span,
        name: None,
        module: "setup".into(),
        module_key: Node {
            kind: rsible_parser::NodeKind::Str("setup".into()),
            span,
            style: None,
        },
        args: empty,
        keywords: rsible_parser::TaskKeywords::default(),
        role: None,
        blocks: Vec::new(),
    }
}

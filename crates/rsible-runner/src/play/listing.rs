//! What a play is called, which hosts it targets and which tasks it has, in the form
//! `--list-hosts`, `--list-tasks` and the play banners show.

use rsible_parser::{Inventory, Play, Playbook, Task};
use rsible_template::{Origin, Templar, Value, Vars};

use crate::shared::Shared;
use crate::template_node::{python_str, render_node};
use crate::{Callback, RunError, RunOptions, SystemConnector};

/// `--list-hosts`: (play name, pattern, hosts) per play.
pub fn list_hosts(
    playbook: &Playbook,
    inventory: &Inventory,
    opts: &RunOptions,
) -> Result<Vec<(String, String, Vec<String>)>, RunError> {
    let connector = SystemConnector::default();
    let shared = Shared::new(playbook, inventory, opts, &connector);
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
    let connector = SystemConnector::default();
    let shared = Shared::new(playbook, inventory, opts, &connector);
    playbook
        .plays
        .iter()
        .map(|play| {
            let (pattern, _) = play_hosts(&shared, play, None)?;
            let vars = play_vars(&shared, play);
            let mut tasks = Vec::new();
            for task in play_tasks(play) {
                let tags = task_tags(&shared, play, task, &vars)?;
                if crate::tags::should_run(&tags, &opts.tags, &opts.skip_tags) {
                    // ansible-playbook lists an unnamed `include_role` by its action alone.
                    let name = if task.module == crate::task::INCLUDE_ROLE && task.name.is_none() {
                        task.module_key.key_string()
                    } else {
                        task_display_name(&shared, task, &shared.extra_vars)
                    };
                    tasks.push((name, tags));
                }
            }
            Ok((play_name(&shared, play, &pattern), pattern, tasks))
        })
        .collect()
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

/// The hosts a play targets, after `--limit`, with the pattern they came from.
pub(super) fn play_hosts(
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
        rsible_parser::match_hosts_with_warnings(&shared.inventory, &pattern)?;
    if let Some(cb) = cb {
        for w in &warnings {
            cb.warning(w);
        }
    }
    if let Some(limit) = &shared.opts.limit {
        let allowed = rsible_parser::match_hosts(&shared.inventory, limit)?;
        hosts.retain(|h| allowed.contains(h));
    }
    Ok((pattern, hosts))
}

/// The play's `order:` of its hosts.
pub(super) enum HostOrder {
    Inventory,
    Sorted,
    ReverseSorted,
    ReverseInventory,
    Shuffle,
}

impl HostOrder {
    pub(super) fn apply(&self, mut hosts: Vec<String>) -> Vec<String> {
        match self {
            Self::Inventory => {}
            Self::Sorted => hosts.sort(),
            Self::ReverseSorted => {
                hosts.sort();
                hosts.reverse();
            }
            Self::ReverseInventory => hosts.reverse(),
            Self::Shuffle => {
                use rand::seq::SliceRandom as _;
                hosts.shuffle(&mut rand::rng());
            }
        }
        hosts
    }
}

/// The play's `order`, templated with the extra vars (`inventory` when unset).
pub(super) fn host_order(shared: &Shared<'_>, play: &Play) -> Result<HostOrder, RunError> {
    let Some(node) = &play.order else {
        return Ok(HostOrder::Inventory);
    };
    let value = render_node(
        &shared.templar,
        node,
        &shared.extra_vars,
        &Origin::default(),
    )?;
    Ok(match python_str(&value).as_str() {
        "inventory" | "None" => HostOrder::Inventory,
        "sorted" => HostOrder::Sorted,
        "reverse_sorted" => HostOrder::ReverseSorted,
        "reverse_inventory" => HostOrder::ReverseInventory,
        "shuffle" => HostOrder::Shuffle,
        other => {
            return Err(RunError::Options(format!(
                "Invalid 'order' specified for inventory hosts: {other}"
            )))
        }
    })
}

/// The play's `name:`, templated with the extra vars; the pattern when unnamed.
pub(super) fn play_name(shared: &Shared<'_>, play: &Play, pattern: &str) -> String {
    match &play.name {
        Some(n) => render_node(&shared.templar, n, &shared.extra_vars, &Origin::default())
            .map_or_else(|_| python_str(&n.to_value()), |v| python_str(&v)),
        None => pattern.to_owned(),
    }
}

/// Tasks of a play in run order: pre_tasks, roles, tasks, post_tasks.
pub(super) fn play_tasks(play: &Play) -> impl Iterator<Item = &Task> {
    play.pre_tasks
        .iter()
        .chain(play.roles.iter().flat_map(|r| r.tasks.iter()))
        .chain(play.tasks.iter())
        .chain(play.post_tasks.iter())
}

/// The variables play-level keywords are templated with (ansible-core's
/// `VariableManager.get_vars(play=play)`, without a host): the play's `vars`, the extra vars.
pub(super) fn play_vars(shared: &Shared<'_>, play: &Play) -> Vars {
    let mut v = Vars::new();
    crate::vars::extend_nodes(&mut v, &play.vars);
    crate::vars::extend(&mut v, &shared.extra_vars);
    v.insert(
        "playbook_dir".into(),
        Value::from(shared.playbook.dir.display().to_string()),
    );
    v
}

/// Inherited tags: the play's, the role's, the task's, each templated with the play's
/// variables (`Taggable.evaluate_tags`: a template that gives a list adds each item).
pub(super) fn task_tags(
    shared: &Shared<'_>,
    play: &Play,
    task: &Task,
    vars: &Vars,
) -> Result<Vec<String>, RunError> {
    let role_tags = task.role.iter().flat_map(|r| r.tags.iter());
    let mut seen = Vec::new();
    for raw in play.tags.iter().chain(role_tags).chain(&task.keywords.tags) {
        let values = if Templar::is_template(raw) {
            let origin = Origin {
                span: Some(task.span),
                exact_lines: false,
                search_paths: Vec::new(),
            };
            match shared.templar.render_str(raw, vars, &origin)? {
                Value::Array(items) => items.iter().map(python_str).collect(),
                v => vec![python_str(&v)],
            }
        } else {
            vec![raw.clone()]
        };
        for t in values {
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
    }
    Ok(seen)
}

/// `role : name`, the name being the module as written when the task has none.
pub(super) fn task_display_name(shared: &Shared<'_>, task: &Task, vars: &Vars) -> String {
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
        // `IncludeRole.get_name`: the action as written and the role's name.
        None if task.module == crate::task::INCLUDE_ROLE => format!(
            "{} : {}",
            task.module_key.key_string(),
            task.args
                .get("name")
                .or_else(|| task.args.get("role"))
                .map(|n| python_str(&n.to_value()))
                .unwrap_or_default()
        ),
        None => task.module_key.key_string(),
    };
    match &task.role {
        // `IncludeRole.get_name` shows no role before its name, given or made up.
        Some(_) if task.module == crate::task::INCLUDE_ROLE => base,
        Some(role) => format!("{} : {base}", role.display_name()),
        _ => base,
    }
}

//! Variable precedence: which value of a name a task on a host sees.
//!
//! Lowest first, as Ansible documents it for the levels rsible has: role defaults, inventory
//! (group then host vars), facts, play vars, play vars_files, role vars and params, task vars,
//! registered values and set_fact, extra vars. Magic variables are set last.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use indexmap::IndexMap;
use rsible_parser::{Inventory, Node, NodeKind, Role, Task};
use rsible_template::{Value, Vars};

use crate::host_state::HostState;

/// Adds `pairs` (untemplated: values stay as written and are templated lazily on use).
pub(crate) fn extend_nodes(vars: &mut Vars, pairs: &[(String, Node)]) {
    for (k, v) in pairs {
        vars.insert(k.clone(), v.to_value());
    }
}

pub(crate) fn extend(vars: &mut Vars, more: &Vars) {
    for (k, v) in more {
        vars.insert(k.clone(), v.clone());
    }
}

/// One precedence level over the ones below: its values replace theirs, or with
/// `hash_behaviour = merge` dictionaries merge recursively (Ansible's `merge_hash`).
pub(crate) fn combine(vars: &mut Vars, more: &Vars, merge: bool) {
    for (k, v) in more {
        match (vars.get_mut(k), v) {
            (Some(Value::Object(low)), Value::Object(high)) if merge => combine(low, high, true),
            _ => {
                vars.insert(k.clone(), v.clone());
            }
        }
    }
}

/// [`combine`] for a level written in the playbook.
pub(crate) fn combine_nodes(vars: &mut Vars, pairs: &[(String, Node)], merge: bool) {
    for (k, v) in pairs {
        let value = v.to_value();
        match (vars.get_mut(k), value) {
            (Some(Value::Object(low)), Value::Object(high)) if merge => combine(low, &high, true),
            (_, value) => {
                vars.insert(k.clone(), value);
            }
        }
    }
}

/// Variables built source by source, lowest precedence first, keeping where the `!unsafe`
/// strings of each variable are as `UNTRUSTED_VARS` entries (a name, or a path of keys and
/// indexes): the last source to set a variable decides its marks.
pub(crate) struct Layers {
    pub vars: Vars,
    merge: bool,
    marks: BTreeMap<String, Vec<Value>>,
}

impl Layers {
    pub(crate) fn new(merge: bool) -> Self {
        Self {
            vars: Vars::new(),
            merge,
            marks: BTreeMap::new(),
        }
    }

    /// A source of variables written in YAML: its `!unsafe` strings are marked.
    pub(crate) fn nodes(&mut self, pairs: &[(String, Node)]) {
        combine_nodes(&mut self.vars, pairs, self.merge);
        for (k, v) in pairs {
            let mut paths = Vec::new();
            collect_unsafe(v, &mut vec![Value::from(k.as_str())], &mut paths);
            if paths.is_empty() {
                self.marks.remove(k);
            } else {
                self.marks.insert(k.clone(), paths);
            }
        }
    }

    /// A source without marks (inventory, results, extra vars) replaces what it sets.
    pub(crate) fn values(&mut self, vars: &Vars) {
        combine(&mut self.vars, vars, self.merge);
        for k in vars.keys() {
            self.marks.remove(k);
        }
    }

    /// The variables, and the marks of the `!unsafe` strings among them.
    pub(crate) fn finish(self) -> (Vars, impl Iterator<Item = Value>) {
        (self.vars, self.marks.into_values().flatten())
    }
}

fn collect_unsafe(node: &Node, path: &mut Vec<Value>, out: &mut Vec<Value>) {
    match &node.kind {
        NodeKind::Str(_) if node.untrusted => out.push(if path.len() == 1 {
            path[0].clone()
        } else {
            Value::Array(path.clone())
        }),
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Value::from(i));
                collect_unsafe(item, path, out);
                path.pop();
            }
        }
        NodeKind::Map(pairs) => {
            for (k, v) in pairs {
                path.push(Value::from(k.key_string()));
                collect_unsafe(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The variable a stored fact is injected as: `ansible_<name>`, or its own name when a module
/// returned it without the prefix (`plain`).
pub(crate) fn fact_var_name(k: &str, plain: &BTreeSet<String>) -> String {
    if k.starts_with("ansible_")
        || matches!(k, "gather_subset" | "module_setup")
        || plain.contains(k)
    {
        k.to_owned()
    } else {
        format!("ansible_{k}")
    }
}

/// Facts as Ansible exposes them: `ansible_facts` plus each fact injected as `ansible_<name>`
/// (or its own name, see [`fact_var_name`]).
/// `ansible_facts` exists, empty, before any are gathered (`namespace_facts({})`).
pub(crate) fn inject_facts(vars: &mut Vars, facts: &Vars, plain: &BTreeSet<String>) {
    if facts.is_empty() {
        vars.insert("ansible_facts".to_owned(), Value::Object(Vars::new()));
        return;
    }
    for (k, v) in facts {
        if k.starts_with('_') {
            continue;
        }
        vars.insert(fact_var_name(k, plain), v.clone());
    }
    vars.insert("ansible_facts".to_owned(), Value::Object(facts.clone()));
}

/// Inventory variables of one host with the magic names Ansible adds to `hostvars[host]`.
pub(crate) fn inventory_vars(inventory: &Inventory, host: &str) -> Vars {
    let mut vars = rsible_parser::host_vars(inventory, host);
    if host == "localhost" && !inventory.hosts.contains_key("localhost") {
        vars.entry("ansible_connection")
            .or_insert_with(|| Value::from("local"));
    }
    vars
}

/// `hostvars`: every inventory host's own variables (inventory, facts, registered).
pub(crate) fn hostvars(
    inventory: &Inventory,
    states: &IndexMap<String, HostState>,
    extra: &Vars,
) -> Value {
    let mut all = serde_json::Map::new();
    let mut names: Vec<&String> = inventory.hosts.keys().collect();
    let localhost = "localhost".to_owned();
    if !inventory.hosts.contains_key("localhost") {
        names.push(&localhost);
    }
    for host in names {
        let mut v = inventory_vars(inventory, host);
        if let Some(st) = states.get(host) {
            inject_facts(&mut v, &st.facts, &st.plain_facts);
            extend(&mut v, &st.included);
            extend(&mut v, &st.registered);
        }
        extend(&mut v, extra);
        v.insert("inventory_hostname".to_owned(), Value::from(host.as_str()));
        v.insert(
            "inventory_hostname_short".to_owned(),
            Value::from(short_name(host)),
        );
        v.insert("group_names".to_owned(), group_names(inventory, host));
        all.insert(host.clone(), Value::Object(v));
    }
    Value::Object(all)
}

pub(crate) fn short_name(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

pub(crate) fn group_names(inventory: &Inventory, host: &str) -> Value {
    Value::Array(
        rsible_parser::group_names(inventory, host)
            .into_iter()
            .map(Value::from)
            .collect(),
    )
}

/// `groups`: group name → host names.
pub(crate) fn groups(inventory: &Inventory) -> Value {
    let mut out = serde_json::Map::new();
    for (name, _) in &inventory.groups {
        let hosts = rsible_parser::match_hosts(inventory, name).unwrap_or_default();
        out.insert(
            name.clone(),
            Value::Array(hosts.into_iter().map(Value::from).collect()),
        );
    }
    Value::Object(out)
}

/// The search path list for lookups and `src:` of a task in `role` (or the playbook).
pub(crate) fn search_paths(role: Option<&Role>, playbook_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    if let Some(role) = role {
        for sub in ["files", "templates", "", "tasks", "vars"] {
            paths.push(if sub.is_empty() {
                role.path.clone()
            } else {
                role.path.join(sub)
            });
        }
    }
    for sub in ["files", "templates", ""] {
        paths.push(if sub.is_empty() {
            playbook_dir.to_owned()
        } else {
            playbook_dir.join(sub)
        });
    }
    paths
}

/// `ansible_search_path` of a task, as ansible-core's task executor sets it: its role's
/// directory and those of the roles above it, the directory of the file the task is written
/// in, then the playbook's directory.
pub(crate) fn ansible_search_path(task: &Task, playbook_dir: &Path) -> Value {
    let mut stack: Vec<std::path::PathBuf> =
        task.role.as_deref().map(Role::lineage).unwrap_or_default();
    let file = rsible_source::SourceMap::path(task.span.source);
    for dir in [file.parent().unwrap_or(playbook_dir), playbook_dir] {
        if !dir.as_os_str().is_empty() && !stack.iter().any(|p| p == dir) {
            stack.push(dir.to_owned());
        }
    }
    Value::Array(
        stack
            .into_iter()
            .map(|p| Value::from(p.display().to_string()))
            .collect(),
    )
}

/// Whether any string inside `v` contains `word`.
pub(crate) fn value_mentions(v: &Value, word: &str) -> bool {
    match v {
        Value::String(s) => s.contains(word),
        Value::Array(a) => a.iter().any(|x| value_mentions(x, word)),
        Value::Object(o) => o
            .iter()
            .any(|(k, x)| k.contains(word) || value_mentions(x, word)),
        _ => false,
    }
}

fn node_mentions(n: &Node, word: &str) -> bool {
    match &n.kind {
        rsible_parser::NodeKind::Str(s) => s.contains(word),
        rsible_parser::NodeKind::Seq(items) => items.iter().any(|x| node_mentions(x, word)),
        rsible_parser::NodeKind::Map(pairs) => pairs
            .iter()
            .any(|(k, x)| node_mentions(k, word) || node_mentions(x, word)),
        _ => false,
    }
}

fn pairs_mention(pairs: &[(String, Node)], word: &str) -> bool {
    pairs.iter().any(|(_, n)| node_mentions(n, word))
}

/// Whether a task's own text (arguments, keywords, vars) mentions `word`.
pub(crate) fn task_mentions(task: &rsible_parser::Task, word: &str) -> bool {
    let kw = &task.keywords;
    let nodes = [
        Some(&task.args),
        task.name.as_ref(),
        kw.loop_.as_ref().map(|(_, n)| n),
        kw.until.as_ref(),
        kw.delegate_to.as_ref(),
        kw.environment.as_ref(),
        kw.loop_control.as_ref(),
    ];
    nodes.into_iter().flatten().any(|n| node_mentions(n, word))
        || [&kw.when, &kw.changed_when, &kw.failed_when]
            .iter()
            .any(|l| l.iter().any(|n| node_mentions(n, word)))
        || pairs_mention(&kw.vars, word)
        || task
            .role
            .as_ref()
            .is_some_and(|r| r.when.iter().any(|n| node_mentions(n, word)))
}

/// Whether a play-level variable source (play vars, roles, inventory, extra vars) mentions `word`.
pub(crate) fn play_mentions(
    play: &rsible_parser::Play,
    inventory: &Inventory,
    extra: &Vars,
    word: &str,
) -> bool {
    pairs_mention(&play.vars, word)
        || play
            .environment
            .as_ref()
            .is_some_and(|n| node_mentions(n, word))
        || play.roles.iter().any(|r| {
            pairs_mention(&r.defaults, word)
                || pairs_mention(&r.vars, word)
                || pairs_mention(&r.params, word)
        })
        || inventory
            .hosts
            .values()
            .any(|h| h.vars.values().any(|v| value_mentions(v, word)))
        || inventory
            .groups
            .values()
            .any(|g| g.vars.values().any(|v| value_mentions(v, word)))
        || value_mentions(&Value::Object(extra.clone()), word)
}

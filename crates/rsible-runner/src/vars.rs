//! Variable precedence: which value of a name a task on a host sees.
//!
//! Lowest first, as Ansible documents it for the levels rsible has: role defaults, inventory
//! (group then host vars), facts, play vars, play vars_files, role vars and params, task vars,
//! registered values and set_fact, extra vars. Magic variables are set last.

use std::path::Path;

use indexmap::IndexMap;
use rsible_parser::{Inventory, Node, Role};
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

/// Facts as Ansible exposes them: `ansible_facts` plus each fact injected as `ansible_<name>`.
pub(crate) fn inject_facts(vars: &mut Vars, facts: &Vars) {
    if facts.is_empty() {
        return;
    }
    for (k, v) in facts {
        let key = if k.starts_with("ansible_") {
            k.clone()
        } else {
            format!("ansible_{k}")
        };
        vars.insert(key, v.clone());
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
            inject_facts(&mut v, &st.facts);
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

//! `add_host`: add a host (and groups) to the in-memory inventory for the rest of the playbook
//! (controller only, once per play). The runner applies the [`InventoryChange`], which decides
//! `changed`.
//!
//! ```yaml
//! - add_host: { name: "web9:2222", groups: [web, new], color: blue }
//! ```

use serde_json::{json, Value};

use rsible_template::py_str;

use crate::args::{ArgSpec, Unknown};
use crate::{
    InventoryChange, Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap,
};

/// Every key but the name and groups is a host variable. `free_form`: the text of
/// `add_host: text` reaches the action, which wants a mapping there.
const INFO: ModuleInfo = ModuleInfo::builtin(
    "add_host",
    ArgSpec::new(
        "add_host",
        &["name", "groups", "host", "hostname", "group", "groupname"],
    )
    .aliases(&["host", "hostname", "group", "groupname"])
    .unknown(Unknown::Accepted),
)
.kind(Kind::Controller)
.free_form()
.bypass_host_loop()
.changes_inventory();

pub(crate) struct AddHost;
pub(crate) static ADD_HOST: AddHost = AddHost;

/// Keys the action does not turn into host variables (`host` and `group` are, quirk of
/// ansible-core's action plugin).
const NOT_VARS: &[&str] = &["name", "hostname", "groupname", "groups"];

impl Module for AddHost {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut args = args.clone();
        match args.remove("_raw_params") {
            // The mapping a lone template gave, under the arguments written beside it.
            Some(Value::Object(raw)) => {
                let written = std::mem::replace(&mut args, raw);
                args.extend(written);
            }
            None => {}
            Some(other) => {
                return Ok(ModuleOutput::raised(format!(
                    "Invalid raw parameters passed, requires a dictionary/mapping got a  {}",
                    python_class(&other)
                )))
            }
        }
        let Some(written) = ["name", "hostname", "host"]
            .iter()
            .find_map(|k| args.get(*k))
        else {
            return Ok(ModuleOutput::raised(
                "name, host or hostname needs to be provided",
            ));
        };
        let (name, port) = split_port(&py_str(written));
        if let Some(port) = port {
            args.insert("ansible_ssh_port".into(), json!(port));
        }
        let groups = match ["groupname", "groups", "group"]
            .iter()
            .find_map(|k| args.get(*k))
        {
            Some(Value::Array(list)) => list.iter().map(py_str).collect(),
            Some(Value::String(s)) if !s.is_empty() => s.split(',').map(str::to_owned).collect(),
            None | Some(Value::Null | Value::String(_)) => Vec::new(),
            Some(_) => return Ok(ModuleOutput::raised("Groups must be specified as a list.")),
        };
        // ansible-core checks for a name before stripping it, so "a, a" joins "a" twice.
        let mut new_groups: Vec<String> = Vec::new();
        for g in groups {
            if !new_groups.contains(&g) {
                new_groups.push(g.trim().to_owned());
            }
        }
        // ansible-core hands the result back sorted.
        let mut vars: Vec<(String, Value)> = args
            .into_iter()
            .filter(|(k, _)| !NOT_VARS.contains(&k.as_str()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let vars: serde_json::Map<String, Value> = vars.into_iter().collect();
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        r.insert(
            "add_host".into(),
            json!({"host_name": name, "groups": new_groups, "host_vars": vars}),
        );
        Ok(ModuleOutput {
            result: r,
            inventory: Some(InventoryChange::AddHost {
                name,
                groups: new_groups,
                vars,
            }),
            ..ModuleOutput::default()
        })
    }
}

/// Python's class of a value the action refuses, as its message prints it (what YAML gives is
/// tagged in ansible-core 2.19).
fn python_class(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "<class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'>",
        Value::Array(_) => "<class 'ansible.module_utils._internal._datatag._AnsibleTaggedList'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::Null | Value::Object(_) => "<class 'NoneType'>",
    }
}

/// Ansible's `parse_address` without ranges: `host:port`, `[v6]:port`; a bare IPv6 address or
/// anything else is a name without port.
fn split_port(address: &str) -> (String, Option<u16>) {
    if let Some(rest) = address.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            if tail.is_empty() {
                return (host.to_owned(), None);
            }
            if let Some(port) = tail.strip_prefix(':').and_then(|p| p.parse().ok()) {
                return (host.to_owned(), Some(port));
            }
        }
        return (address.to_owned(), None);
    }
    match address.split_once(':') {
        Some((host, port))
            if !host.is_empty()
                && !port.contains(':')
                && !port.is_empty()
                && port.chars().all(|c| c.is_ascii_digit()) =>
        {
            (host.to_owned(), port.parse().ok())
        }
        _ => (address.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection};

    fn run(a: Value) -> ModuleOutput {
        let fake = FakeConnection::default();
        let env = Env::default();
        ADD_HOST
            .run(&env.ctx(&fake), &args(a))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn result_and_change() {
        let out = run(json!({"hostname": "db:2222", "groups": "a, b, a", "host": "x", "v": 1}));
        // ansible-core's results, key for key (`host` is a variable; the port an int).
        assert_eq!(
            out.result["add_host"],
            json!({"host_name": "db", "groups": ["a", "b", "a"],
                   "host_vars": {"host": "x", "v": 1, "ansible_ssh_port": 2222}})
        );
        assert_eq!(out.result["changed"], false);
        assert!(matches!(
            out.inventory,
            Some(InventoryChange::AddHost { ref name, ref groups, .. })
                if name == "db" && groups == &["a", "b", "a"]
        ));
    }

    #[test]
    fn raw_mapping_and_refusals() {
        let out = run(json!({"_raw_params": {"name": "n", "groups": ["g"]}, "groups": "h"}));
        assert_eq!(out.result["add_host"]["groups"], json!(["h"]));
        let out = run(json!({"_raw_params": "namex groupsy"}));
        assert_eq!(
            out.result["msg"],
            "Invalid raw parameters passed, requires a dictionary/mapping got a  \
             <class 'ansible.module_utils._internal._datatag._AnsibleTaggedStr'>"
        );
        let out = run(json!({"groups": "x"}));
        assert_eq!(
            out.result["msg"],
            "name, host or hostname needs to be provided"
        );
        let out = run(json!({"name": "z", "groups": {"a": 1}}));
        assert_eq!(out.result["msg"], "Groups must be specified as a list.");
        assert!(out.inventory.is_none() && out.raised);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            split_port("127.0.1.1:2222"),
            ("127.0.1.1".into(), Some(2222))
        );
        assert_eq!(split_port("[::1]:22"), ("::1".into(), Some(22)));
        assert_eq!(split_port("::1"), ("::1".into(), None));
        assert_eq!(split_port("web"), ("web".into(), None));
    }
}

//! Inventories against `tests/fixtures/inventory/*.expected.json`, which
//! `tests/oracle/dump_inventory.py` produced with ansible-core 2.19 (`ansible-inventory --list`
//! for variables, `InventoryManager.get_hosts` for patterns).

use rsible_parser::{
    group_names, host_vars, load_inventory, match_hosts, match_hosts_with_warnings, Inventory,
};
use serde_json::{json, Map, Value};

use crate::fixture;

fn expected(name: &str) -> Value {
    let text =
        std::fs::read_to_string(fixture(&format!("fixtures/inventory/{name}.expected.json")))
            .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn load(rel: &str) -> Inventory {
    let path = fixture(&format!("fixtures/inventory/{rel}"));
    load_inventory(&path.to_string_lossy()).unwrap_or_else(|e| panic!("{}", e.diagnostic()))
}

fn check(inv: &Inventory, want: &Value) {
    let groups: Map<String, Value> = inv
        .groups
        .values()
        .map(|g| {
            (
                g.name.clone(),
                json!({"hosts": g.hosts, "children": g.children}),
            )
        })
        .collect();
    assert_eq!(Value::Object(groups), want["groups"], "groups");
    for (host, vars) in want["hostvars"].as_object().into_iter().flatten() {
        assert_eq!(
            &Value::Object(host_vars(inv, host)),
            vars,
            "hostvars of {host}"
        );
    }
    for (host, names) in want["group_names"].as_object().into_iter().flatten() {
        assert_eq!(
            &json!(group_names(inv, host)),
            names,
            "group_names of {host}"
        );
    }
    for (pattern, hosts) in want["patterns"].as_object().into_iter().flatten() {
        let got = match_hosts(inv, pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        assert_eq!(&json!(got), hosts, "pattern {pattern}");
    }
}

#[test]
fn ini_inventory_matches_ansible() {
    check(&load("ini/hosts"), &expected("ini"));
}

#[test]
fn yaml_inventory_matches_ansible() {
    check(&load("yaml/hosts.yml"), &expected("yaml"));
}

#[test]
fn directory_inventory_matches_ansible() {
    check(&load("dir"), &expected("dir"));
}

#[test]
fn host_list_and_implicit_localhost() {
    let inv = load_inventory("h1,h2:2222,").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(match_hosts(&inv, "all").unwrap_or_default(), ["h1", "h2"]);
    assert_eq!(
        host_vars(&inv, "h2").get("ansible_port"),
        Some(&json!(2222))
    );
    assert_eq!(
        match_hosts(&inv, "ungrouped").unwrap_or_default(),
        ["h1", "h2"]
    );
    // Ansible: the implicit localhost is matched by name but never by `all`.
    assert_eq!(
        match_hosts(&inv, "localhost").unwrap_or_default(),
        ["localhost"]
    );
    assert_eq!(
        host_vars(&inv, "localhost").get("ansible_connection"),
        Some(&json!("local"))
    );
    let (hosts, warnings) = match_hosts_with_warnings(&inv, "nope").unwrap_or_default();
    assert!(hosts.is_empty());
    assert_eq!(
        warnings,
        ["Could not match supplied host pattern, ignoring: nope"]
    );
    assert!(match_hosts(&inv, "all[5]").is_err());
}

#[test]
fn ini_errors_point_at_the_line() {
    let dir = std::env::temp_dir().join(format!("rsible-inv-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let cases = [
        (
            "h1 ; comment\n",
            1,
            "Expected key=value host variable assignment, got: ;",
        ),
        (
            "[web]\nh1\n[web:bogus]\n",
            3,
            "Section [web:bogus] has unknown type: bogus",
        ),
        (
            "[a:children]\nmissing\n",
            2,
            "Section [a:children] includes undefined group 'missing'",
        ),
        (
            "[a:vars]\nx=1\n",
            1,
            "Section [a:vars] not valid for undefined group 'a'",
        ),
        (
            "h[01:3]\n",
            1,
            "host range must specify equal-length begin and end formats",
        ),
        (
            "h 'open\n",
            1,
            "Error parsing host definition 'h 'open': No closing quotation",
        ),
    ];
    for (i, (text, line, message)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.ini"));
        let _ = std::fs::write(&path, text);
        match load_inventory(&path.to_string_lossy()) {
            Ok(_) => panic!("{text:?} loaded"),
            Err(e) => {
                assert_eq!(e.to_string(), *message, "{text:?}");
                assert_eq!(e.span().map(|s| s.start.line), Some(*line), "{text:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_source_warns_like_ansible() {
    let inv = rsible_parser::load_inventories(&["/nonexistent"]).unwrap_or_default();
    assert_eq!(
        inv.warnings,
        [
            "Unable to parse /nonexistent as an inventory source",
            "No inventory was parsed, only implicit localhost is available"
        ]
    );
    assert!(match_hosts(&inv, "all").unwrap_or_default().is_empty());
    assert_eq!(
        match_hosts(&inv, "localhost").unwrap_or_default(),
        ["localhost"]
    );
}

//! Replays the tasks of `tests/fixtures/ansible_2.19_results.json` (recorded by
//! `tests/fixtures/gen_ansible_results.py` with ansible-playbook 2.19 `-D` and the json
//! callback) through the real local connection, in order, and compares every result with
//! Ansible's: the same keys, and the same values except timestamps, temp paths and ids.

use serde_json::{json, Value};

use crate::testing::{args, Env, RunResult};
use crate::{find_module, ResultMap};
use rsible_connection::local::LocalConnection;

const FIXTURE: &str = include_str!("../tests/fixtures/ansible_2.19_results.json");
const CHECK_FIXTURE: &str = include_str!("../tests/fixtures/ansible_2.19_check_results.json");

/// Keys whose values differ between any two runs.
const VOLATILE: &[&str] = &[
    "start",
    "end",
    "delta",
    "backup_file",
    "uid",
    "gid",
    "owner",
    "group",
];

fn sub(v: &Value, from: &str, to: &str) -> Value {
    match v {
        Value::String(s) => json!(s.replace(from, to)),
        Value::Array(a) => Value::Array(a.iter().map(|x| sub(x, from, to)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), sub(x, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn normalise(r: &ResultMap) -> ResultMap {
    let mut r = r.clone();
    // The json callback drops `failed: false`; the runner adds it back for every result.
    if r.get("failed") == Some(&json!(false)) {
        r.remove("failed");
    }
    // Internal keys the executor consumes; the traceback placeholder is not ours to copy.
    r.remove("_ansible_facts_cacheable");
    r.remove("exception");
    // A link's size is the length of its target path, which holds the temp dir name.
    if r.get("state") == Some(&json!("link")) {
        r.insert("size".into(), json!("<volatile>"));
    }
    if let Some(Value::Object(diff)) = r.get_mut("diff") {
        for side in ["before", "after"] {
            if let Some(Value::Object(m)) = diff.get_mut(side) {
                for k in ["atime", "mtime"] {
                    if m.contains_key(k) {
                        m.insert(k.into(), json!("<time>"));
                    }
                }
            }
        }
    }
    if let Some(Value::Array(diffs)) = r.get_mut("diff") {
        for d in diffs {
            if let Some(Value::String(h)) = d.get("after_header") {
                if h.contains("/.ansible/tmp/ansible-local-") {
                    d["after_header"] = json!("<local tmp>");
                }
            }
        }
    }
    for k in VOLATILE {
        if r.contains_key(*k) {
            r.insert((*k).to_owned(), json!("<volatile>"));
        }
    }
    if let Some(Value::String(s)) = r.get("src") {
        if s.contains("/.ansible/tmp/") {
            r.insert("src".into(), json!("<remote tmp>"));
        }
    }
    if let Some(Value::Object(st)) = r.get("stat") {
        // Same keys; inode numbers, times and the inode version differ per run.
        let volatile = [
            "atime",
            "mtime",
            "ctime",
            "inode",
            "dev",
            "version",
            "blocks",
            "block_size",
            "uid",
            "gid",
            "pw_name",
            "gr_name",
        ];
        let st: serde_json::Map<String, Value> = st
            .iter()
            .map(|(k, v)| {
                let v = if volatile.contains(&k.as_str()) {
                    json!("<volatile>")
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        r.insert("stat".into(), Value::Object(st));
    }
    r
}

#[test]
fn results_match_ansible_2_19() {
    replay(FIXTURE, false);
}

/// The same tasks with `-C`: nothing is changed, so later tasks see the initial state.
#[test]
fn check_mode_results_match_ansible_2_19() {
    replay(CHECK_FIXTURE, true);
}

fn replay(fixture: &str, check_mode: bool) {
    let cases: Vec<Value> = serde_json::from_str(fixture).unwrap();
    let pb = tempfile::tempdir().unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(pb.path().join("files/sd")).unwrap();
    std::fs::create_dir_all(pb.path().join("templates")).unwrap();
    std::fs::write(pb.path().join("files/f1.txt"), "hello\n").unwrap();
    std::fs::write(pb.path().join("files/sd/a"), "a\n").unwrap();
    std::fs::write(pb.path().join("files/sd/b"), "b\n").unwrap();
    std::fs::write(
        pb.path().join("templates/t.j2"),
        "host {{ inventory_hostname }}\n",
    )
    .unwrap();
    std::fs::write(
        pb.path().join("templates/t2.j2"),
        "{# c #}\n{% for i in [1, 2] %}\n  line {{ i }}\n{% endfor %}\n{{ template_path }} {{ ansible_managed }}\n\n",
    )
    .unwrap();
    let (ps, ds) = (
        pb.path().display().to_string(),
        d.path().display().to_string(),
    );
    let home = std::env::var("HOME").unwrap_or_default();
    let mut env = Env {
        playbook_dir: pb.path().to_path_buf(),
        diff: true,
        check_mode,
        ..Env::default()
    };
    env.vars
        .insert("inventory_hostname".into(), json!("localhost"));
    let conn = LocalConnection::new();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let module = find_module(case["module"].as_str().unwrap()).unwrap();
        let a = sub(&case["args"], "@D@", &ds);
        let got = module.run(&env.ctx(&conn), &args(a)).result();
        let got = normalise(&match sub(&Value::Object(got), &ds, "@D@") {
            Value::Object(m) => m,
            _ => unreachable!(),
        });
        let got = match sub(&sub(&Value::Object(got), &ps, "@P@"), &home, "@HOME@") {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let want = match sub(&case["result"], "/root", "@HOME@") {
            Value::Object(m) => normalise(&m),
            _ => unreachable!(),
        };
        if got != want {
            failures.push(format!(
                "case {i} {} {}\n  want {}\n  got  {}",
                case["module"],
                case["args"],
                Value::Object(want),
                Value::Object(got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

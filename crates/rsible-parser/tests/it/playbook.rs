//! `tests/fixtures/ok/*.yml` against `*.expected.json`, which `tests/oracle/dump_playbook.py`
//! produced by loading the same files with ansible-core 2.19.

use rsible_parser::{load_playbook, LoopKind, Node, Task};
use serde_json::{json, Value};

use crate::{fixture, options};

fn sorted(tags: &[String]) -> Vec<String> {
    let mut tags = tags.to_vec();
    tags.sort();
    tags
}

fn values(nodes: &[Node]) -> Value {
    Value::Array(nodes.iter().map(Node::to_value).collect())
}

/// Ansible keeps a lone `notify:` string as a string.
fn listish(v: &Value) -> Value {
    match v {
        Value::String(_) => json!([v]),
        _ => v.clone(),
    }
}

/// What the task inherits from the role and play that hold it (the runner's job, done here
/// to compare with Ansible's resolved attributes).
struct Inherited<'a> {
    when: &'a [Node],
    tags: &'a [String],
    become_: Option<&'a Node>,
}

fn task_json(t: &Task, inherited: &Inherited<'_>) -> Value {
    let kw = &t.keywords;
    let loop_ = kw
        .loop_
        .as_ref()
        .map_or(Value::Null, |(kind, node)| match kind {
            LoopKind::Loop => json!(["loop", null, node.to_value()]),
            LoopKind::With(name) => json!(["with", name, node.to_value()]),
        });
    let when: Vec<Node> = inherited.when.iter().chain(&kw.when).cloned().collect();
    let mut tags: Vec<String> = kw.tags.clone();
    tags.extend(
        inherited
            .tags
            .iter()
            .filter(|t| !kw.tags.contains(t))
            .cloned(),
    );
    let tags = sorted(&tags);
    let become_ = kw.become_.as_ref().or(inherited.become_);
    json!({
        "name": t.name.as_ref().map_or(Value::Null, Node::to_value),
        "module": t.module,
        "args": t.args.to_value(),
        "when": values(&when),
        "tags": tags,
        "notify": values(&kw.notify),
        "loop": loop_,
        "register": kw.register.as_ref().map_or(Value::Null, Node::to_value),
        "delegate_to": kw.delegate_to.as_ref().map_or(Value::Null, Node::to_value),
        "listen": values(&kw.listen),
        "role": t.role.as_ref().map(|r| r.name.clone()),
        "vars": kw.vars.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<serde_json::Map<_, _>>(),
        "become": become_.map_or(Value::Null, Node::to_value),
        "ignore_errors": kw.ignore_errors.as_ref().map_or(Value::Null, Node::to_value),
    })
}

fn normalize(mut expected: Value) -> Value {
    fn fix_tasks(tasks: &mut Value) {
        for t in tasks.as_array_mut().into_iter().flatten() {
            t["notify"] = listish(&t["notify"]);
            // Play tags reach tasks through a Python `set`: their order is arbitrary.
            let tags: Vec<String> = serde_json::from_value(t["tags"].clone()).unwrap_or_default();
            t["tags"] = json!(sorted(&tags));
        }
    }
    for play in expected.as_array_mut().into_iter().flatten() {
        play["vars_files"] = listish(&play["vars_files"]);
        // Ansible's `Play.name` defaults to `''` where the playbook gives none.
        if play["name"] == json!("") {
            play["name"] = Value::Null;
        }
        fix_tasks(&mut play["tasks"]);
        fix_tasks(&mut play["handlers"]);
        for role in play["roles"].as_array_mut().into_iter().flatten() {
            fix_tasks(&mut role["tasks"]);
            fix_tasks(&mut role["handlers"]);
        }
    }
    expected
}

#[test]
fn site_matches_ansible() {
    check("site");
}

#[test]
fn imports_match_ansible() {
    check("imports");
}

#[test]
fn blocks_match_ansible() {
    check("blocks");
}

#[test]
fn imported_playbooks_match_ansible() {
    check("import_playbook");
}

fn check(name: &str) {
    let path = fixture(&format!("fixtures/ok/{name}.yml"));
    let pb = load_playbook(&path, &options()).unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let plays: Vec<Value> = pb
        .plays
        .iter()
        .map(|p| {
            let roles: Vec<Value> = p
                .roles
                .iter()
                .map(|r| {
                    let role_tags: Vec<String> = r.tags.iter().chain(&p.tags).cloned().collect();
                    let inherited = Inherited {
                        when: &r.when,
                        tags: &role_tags,
                        become_: r.become_.as_ref().or(p.become_.as_ref()),
                    };
                    let tasks = |ts: &[Task]| -> Vec<Value> {
                        ts.iter().map(|t| task_json(t, &inherited)).collect()
                    };
                    json!({
                        "name": r.name,
                        "tags": r.tags,
                        "when": values(&r.when),
                        "params": r.params.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<serde_json::Map<_, _>>(),
                        "defaults": r.defaults.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<serde_json::Map<_, _>>(),
                        "vars": r.vars.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<serde_json::Map<_, _>>(),
                        "tasks": tasks(&r.tasks),
                        "handlers": tasks(&r.handlers),
                    })
                })
                .collect();
            let inherited = Inherited {
                when: &[],
                tags: &p.tags,
                become_: p.become_.as_ref(),
            };
            let tasks =
                |ts: &[Task]| -> Vec<Value> { ts.iter().map(|t| task_json(t, &inherited)).collect() };
            json!({
                "name": p.name.as_ref().map_or(Value::Null, Node::to_value),
                "hosts": p.hosts.to_value(),
                "tags": sorted(&p.tags),
                "vars": p.vars.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<serde_json::Map<_, _>>(),
                "vars_files": values(&p.vars_files),
                "roles": roles,
                "tasks": tasks(&p.tasks),
                "handlers": tasks(&p.handlers),
            })
        })
        .collect();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(&format!("fixtures/ok/{name}.expected.json")))
            .unwrap_or_default(),
    )
    .unwrap_or(Value::Null);
    let expected = normalize(expected);
    assert_eq!(Value::Array(plays), expected);
}

#[test]
fn positions_point_at_the_source() {
    let path = fixture("fixtures/ok/site.yml");
    let pb = load_playbook(&path, &options()).unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let play = &pb.plays[0];
    // `- name: Web servers` is line 3 (after `---` and a comment); the play mapping starts at its first key.
    assert_eq!((play.span.start.line, play.span.start.column), (3, 3));
    let first = &play.tasks[0];
    assert_eq!((first.span.start.line, first.span.start.column), (25, 7));
    assert_eq!(
        (
            first.module_key.span.start.line,
            first.module_key.span.start.column
        ),
        (26, 7)
    );
    // k=v values point at the start of the string they were cut from.
    let chdir = first.args.get("chdir").map(|n| n.span.start);
    assert_eq!(chdir.map(|p| (p.line, p.column)), Some((26, 16)));
    let role_task = &play.roles[0].tasks[0];
    let role = role_task.role.as_ref().map(|r| r.name.as_str());
    assert_eq!(role, Some("web"));
    assert!(role_task.span.source != play.span.source);
    assert_eq!(pb.dir, fixture("fixtures/ok"));
}

/// `role_deps.ansible.txt` is `ansible-playbook -i localhost, role_deps.yml` filtered to its
/// `TASK`, `msg` and `skipping` lines: the roles that run, in order, and with which `p`.
#[test]
fn role_dependencies_and_dedup_match_ansible() {
    let pb = load_playbook(&fixture("fixtures/ok/role_deps.yml"), &options())
        .unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let got: Vec<String> = pb.plays[0]
        .roles
        .iter()
        .map(|r| {
            let p = r
                .params
                .iter()
                .find(|(k, _)| k == "p")
                .map_or(json!(0), |(_, v)| v.to_value());
            let skipped = r.when.iter().any(|w| w.to_value() == json!(false));
            if skipped {
                format!("{} skipped", r.name)
            } else {
                format!("{} {p}", r.name)
            }
        })
        .collect();
    let transcript =
        std::fs::read_to_string(fixture("fixtures/ok/role_deps.ansible.txt")).unwrap_or_default();
    let mut want = Vec::new();
    let mut role = String::new();
    for line in transcript.lines() {
        if let Some(rest) = line.strip_prefix("TASK [") {
            role = rest.split(" : ").next().unwrap_or_default().to_owned();
        } else if line.starts_with("skipping") {
            want.push(format!("{role} skipped"));
        } else if let Some(msg) = line.trim().strip_prefix("\"msg\": \"") {
            want.push(msg.trim_end_matches('"').to_owned());
        }
    }
    assert_eq!(got, want);
}

/// With `include_tasks` among the runner's modules it passes through as a module task, and
/// the runner loads the file with `load_tasks_file` when it runs it. Expected `args`/`loop`
/// from `dump_playbook.py include_tasks.yml`.
#[test]
fn include_tasks_passes_through_when_the_runner_has_it() {
    let mut opts = options();
    assert!(load_playbook(&fixture("fixtures/ok/include_tasks.yml"), &opts).is_err());
    opts.modules.push("include_tasks".to_owned());
    let pb = load_playbook(&fixture("fixtures/ok/include_tasks.yml"), &opts)
        .unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let task = &pb.plays[0].tasks[0];
    assert_eq!(task.module, "include_tasks");
    assert_eq!(
        task.args.to_value(),
        json!({"_raw_params": "tasks/setup.yml"})
    );
    assert_eq!(
        task.keywords
            .loop_
            .as_ref()
            .map(|(k, v)| (k.clone(), v.to_value())),
        Some((LoopKind::Loop, json!(["a", "b"])))
    );
    let tasks = rsible_parser::load_tasks_file(
        &fixture("fixtures/ok/tasks/setup.yml"),
        &opts,
        None,
        false,
        None,
    )
    .unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let names: Vec<Value> = tasks
        .iter()
        .map(|t| t.name.as_ref().map_or(Value::Null, Node::to_value))
        .collect();
    assert_eq!(names, [json!("first imported"), json!("deep task")]);
}

/// `roles_path` is searched after the playbook's own `roles/` (Ansible's `_load_role_path`).
#[test]
fn roles_path_comes_after_the_playbook_roles_dir() {
    let site = fixture("fixtures/roles_path/site.yml");
    match load_playbook(&site, &options()) {
        Err(rsible_parser::ParseError::RoleNotFound { name, .. }) => assert_eq!(name, "elsewhere"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let extra = fixture("fixtures/roles_path/extra");
    let opts = rsible_parser::ParseOptions {
        roles_path: vec![fixture("fixtures/nowhere"), extra.clone()],
        ..options()
    };
    let pb = load_playbook(&site, &opts).unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let paths: Vec<_> = pb.plays[0].roles.iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            fixture("fixtures/roles_path/roles/shadow"),
            extra.join("elsewhere")
        ]
    );
}

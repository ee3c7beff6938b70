//! fixtures/render/verbose.yml with `-v` and `-vv` (`-i inv`, `ANSIBLE_NOCOLOR=1`),
//! ansible-playbook 2.19.14; stdout in verbose.v1.ansible.out and verbose.v2.ansible.out.
//! Module results with run-time values (timestamps) are read from the captured line and given
//! extra internal keys the renderer must drop.

use std::path::Path;

use rsible_cli::output::DisplayOptions;
use rsible_runner::Callback;
use serde_json::{json, Map, Value};

use crate::support::{assert_same, captured_json, ev, fixture, map, task_failed, Harness};

/// A captured result plus the keys a runner also sends but Ansible hides (`failed`,
/// `invocation`, `_ansible_*`).
fn captured_result(capture: &str, task: &str) -> Map<String, Value> {
    let mut m = captured_json(capture, task);
    m.insert("invocation".into(), json!({"module_args": {}}));
    m.insert("_ansible_no_log".into(), json!(false));
    m
}

#[test]
fn verbose_playbook_matches_ansible() {
    let capture = "verbose.v1.ansible.out";
    let h = Harness::new("verbose.yml", verbosity(1));
    h.cb.display_plain("No config file found; using defaults");
    play_verbose_yml(&h, capture);
    assert_same(&h.out.text(), &fixture(capture));
}

/// At `-vv` the header before `PLAYBOOK:` (version block, config file, skipped callbacks) is
/// the command line's; the renderer's part starts with the `PLAYBOOK:` banner.
#[test]
fn vv_playbook_matches_ansible() {
    let capture = "verbose.v2.ansible.out";
    let h = Harness::new("verbose.yml", verbosity(2));
    h.cb.playbook_on_start(Path::new("verbose.yml"));
    h.cb.verbose(2, None, "1 plays in verbose.yml");
    play_verbose_yml(&h, capture);
    let full = fixture(capture);
    let renderer_part = full
        .find("\nPLAYBOOK: ")
        .map_or(full.as_str(), |i| &full[i..]);
    assert_same(&h.out.text(), renderer_part);
}

fn verbosity(v: u8) -> DisplayOptions {
    DisplayOptions {
        verbosity: v,
        ..DisplayOptions::default()
    }
}

/// The events of verbose.yml; tasks carry the line they start on (`task path:` at `-vv`).
fn play_verbose_yml(h: &Harness, capture: &str) {
    let cb = &h.cb;
    h.play("Verbose play");

    let t = h.task_at("echo", "command", 5);
    cb.runner_on_ok(&t, &ev("localhost", &captured_result(capture, "echo")));

    let t = h.task_at("skip me", "command", 7);
    let r = map(
        json!({"changed": false, "skipped": true, "false_condition": false, "skip_reason": "Conditional result was False"}),
    );
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let t = h.task_at("loop", "debug", 10);
    let r = map(
        json!({"msg": "a", "item": "a", "ansible_loop_var": "item", "_ansible_verbose_always": true, "_ansible_item_label": "a", "changed": false, "failed": false}),
    );
    cb.runner_item_on_ok(&t, &ev("localhost", &r));

    let t = h.task_at("loop skip", "command", 13);
    let r = map(
        json!({"ansible_loop_var": "item", "changed": false, "skipped": true, "false_condition": false, "item": 1, "skip_reason": "Conditional result was False"}),
    );
    cb.runner_item_on_skipped(&t, &ev("localhost", &r));
    let r = map(
        json!({"changed": false, "skipped": true, "msg": "All items skipped", "results": [{}]}),
    );
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let mut t = h.task_at("secret fail", "command", 17);
    t.no_log = true;
    let r = map(
        json!({"changed": true, "rc": 1, "stdout": "", "msg": "non-zero return code", "failed": true, "_ansible_no_log": true}),
    );
    let chain = task_failed(h.at(17, 7), "Module", "non-zero return code");
    let mut e = ev("localhost", &r);
    e.ignore_errors = true;
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    let mut t = h.task_at("secret items", "command", 21);
    t.no_log = true;
    for item in ["p", "q"] {
        let r = map(
            json!({"changed": true, "rc": 0, "stdout": item, "item": item, "_ansible_no_log": true}),
        );
        cb.runner_item_on_ok(&t, &ev("localhost", &r));
    }

    let mut t = h.task_at("labels", "command", 25);
    t.has_label = true;
    let mut r = captured_result(capture, "labels");
    r.insert("_ansible_item_label".into(), json!(1));
    cb.runner_item_on_ok(&t, &ev("localhost", &r));

    let t = h.task_at("dict item", "command", 30);
    cb.runner_item_on_ok(&t, &ev("localhost", &captured_result(capture, "dict item")));

    let t = h.task_at("delegated", "command", 33);
    let r = captured_result(capture, "delegated");
    let mut e = ev("localhost", &r);
    e.delegated_to = Some("localhost");
    cb.runner_on_ok(&t, &e);

    let t = h.task_at("set_fact", "set_fact", 36);
    let r = map(json!({"ansible_facts": {"a": "1"}, "changed": false, "failed": false}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    h.recap(&[("localhost", [8, 6, 0, 0, 2, 0, 1])]);
}

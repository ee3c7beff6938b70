//! fixtures/render/verbose.yml with `-v` (`-i inv`, `ANSIBLE_NOCOLOR=1`), ansible-playbook
//! 2.19.14; stdout in verbose.v1.ansible.out. Module results with run-time values (timestamps)
//! are read from the captured line and given extra internal keys the renderer must drop.

use rsible_cli::output::DisplayOptions;
use rsible_runner::Callback;
use serde_json::{json, Map, Value};

use crate::support::{assert_same, ev, fixture, map, task_failed, Harness};

/// The JSON after the last ` => ` of line `n` (1-based) of the captured output, plus the keys
/// a runner also sends but Ansible hides (`failed`, `invocation`, `_ansible_*`).
fn captured_result(n: usize) -> Map<String, Value> {
    let text = fixture("verbose.v1.ansible.out");
    let line = text.lines().nth(n - 1).unwrap_or_default();
    let json_text = line.rsplit_once(" => ").map(|(_, j)| j).unwrap_or_default();
    let mut m = map(serde_json::from_str(json_text).unwrap_or(Value::Null));
    m.insert("invocation".into(), json!({"module_args": {}}));
    m.insert("_ansible_no_log".into(), json!(false));
    m
}

#[test]
fn verbose_playbook_matches_ansible() {
    let opts = DisplayOptions {
        verbosity: 1,
        ..DisplayOptions::default()
    };
    let h = Harness::new("verbose.yml", opts);
    let cb = &h.cb;
    cb.display_plain("No config file found; using defaults");
    h.play("Verbose play");

    let t = h.task("echo", "command");
    cb.runner_on_ok(&t, &ev("localhost", &captured_result(6)));

    let t = h.task("skip me", "command");
    let r = map(
        json!({"changed": false, "skipped": true, "false_condition": false, "skip_reason": "Conditional result was False"}),
    );
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let t = h.task("loop", "debug");
    let r = map(
        json!({"msg": "a", "item": "a", "ansible_loop_var": "item", "_ansible_verbose_always": true, "_ansible_item_label": "a", "changed": false, "failed": false}),
    );
    cb.runner_item_on_ok(&t, &ev("localhost", &r));

    let t = h.task("loop skip", "command");
    let r = map(
        json!({"ansible_loop_var": "item", "changed": false, "skipped": true, "false_condition": false, "item": 1, "skip_reason": "Conditional result was False"}),
    );
    cb.runner_item_on_skipped(&t, &ev("localhost", &r));
    let r = map(
        json!({"changed": false, "skipped": true, "msg": "All items skipped", "results": [{}]}),
    );
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let mut t = h.task("secret fail", "command");
    t.no_log = true;
    let r = map(
        json!({"changed": true, "rc": 1, "stdout": "", "msg": "non-zero return code", "failed": true, "_ansible_no_log": true}),
    );
    let chain = task_failed(h.at(17, 7), "Module", "non-zero return code");
    let mut e = ev("localhost", &r);
    e.ignore_errors = true;
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    let mut t = h.task("secret items", "command");
    t.no_log = true;
    for item in ["p", "q"] {
        let r = map(
            json!({"changed": true, "rc": 0, "stdout": item, "item": item, "_ansible_no_log": true}),
        );
        cb.runner_item_on_ok(&t, &ev("localhost", &r));
    }

    let mut t = h.task("labels", "command");
    t.has_label = true;
    let mut r = captured_result(37);
    r.insert("_ansible_item_label".into(), json!(1));
    cb.runner_item_on_ok(&t, &ev("localhost", &r));

    let t = h.task("dict item", "command");
    cb.runner_item_on_ok(&t, &ev("localhost", &captured_result(40)));

    let t = h.task("delegated", "command");
    let r = captured_result(43);
    let mut e = ev("localhost", &r);
    e.delegated_to = Some("localhost");
    cb.runner_on_ok(&t, &e);

    let t = h.task("set_fact", "set_fact");
    let r = map(json!({"ansible_facts": {"a": "1"}, "changed": false, "failed": false}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    h.recap(&[("localhost", [8, 6, 0, 0, 2, 0, 1])]);
    assert_same(&h.out.text(), &fixture("verbose.v1.ansible.out"));
}

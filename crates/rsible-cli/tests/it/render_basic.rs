//! fixtures/render/basic.yml, run by ansible-playbook 2.19.14 with `-i inv` and
//! `ANSIBLE_NOCOLOR=1`; its stdout is basic.ansible.out.

use rsible_cli::output::DisplayOptions;
use rsible_runner::Callback;
use serde_json::json;

use crate::support::{assert_same, ev, fixture, map, task_failed, Harness};

#[test]
fn basic_playbook_matches_ansible() {
    let h = Harness::new("basic.yml", DisplayOptions::default());
    let failed = map(json!({
        "changed": true, "cmd": ["/bin/false"], "delta": "0:00:00.003128",
        "end": "2026-11-27 06:41:24.205302", "msg": "non-zero return code", "rc": 1,
        "start": "2026-11-27 06:41:24.202174", "stderr": "", "stderr_lines": [], "stdout": "",
        "stdout_lines": [], "failed": true, "invocation": {"module_args": {"_raw_params": "/bin/false"}},
        "_ansible_no_log": false
    }));
    feed_basic(&h, &failed);
    assert_same(&h.out.text(), &fixture("basic.ansible.out"));
    assert_same(&h.err.text(), &fixture("basic.ansible.err"));
}

/// `ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false`: banners only for tasks
/// with something to show (basic.quiet.ansible.out, stdout and stderr together).
#[test]
fn basic_playbook_without_ok_and_skipped_matches_ansible() {
    let opts = DisplayOptions {
        display_ok_hosts: false,
        display_skipped_hosts: false,
        ..DisplayOptions::default()
    };
    let h = Harness::new("basic.yml", opts);
    let expected = fixture("basic.quiet.ansible.out");
    let line = expected
        .lines()
        .find(|l| l.starts_with("fatal: [localhost]: FAILED! => {\"changed\": true"))
        .unwrap_or_default();
    let json_text = line.split_once(" => ").map(|(_, j)| j).unwrap_or_default();
    let mut failed = map(serde_json::from_str(json_text).unwrap_or(serde_json::Value::Null));
    failed.insert("failed".into(), json!(true));
    feed_basic(&h, &failed);
    assert_same(&h.out.text(), &expected);
}

fn feed_basic(h: &Harness, failed: &serde_json::Map<String, serde_json::Value>) {
    let cb = &h.cb;
    h.play("Basic play");

    let t = h.task("say hello", "debug");
    let r = map(
        json!({"msg": "hello world", "_ansible_verbose_always": true, "changed": false, "failed": false}),
    );
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("run true", "command");
    let r = map(
        json!({"changed": true, "rc": 0, "stdout": "", "stdout_lines": [], "invocation": {"module_args": {}}}),
    );
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("skip me", "command");
    let r = map(
        json!({"changed": false, "skipped": true, "skip_reason": "Conditional result was False", "false_condition": false}),
    );
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let t = h.task("fail but ignore", "command");
    let r = failed.clone();
    let chain = task_failed(h.at(14, 7), "Module", "non-zero return code");
    let mut e = ev("localhost", &r);
    e.ignore_errors = true;
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    let t = h.task("loop things", "debug");
    for item in ["a", "b"] {
        let r = map(
            json!({"msg": item, "item": item, "ansible_loop_var": "item", "_ansible_verbose_always": true, "_ansible_item_label": item, "changed": false, "failed": false}),
        );
        let mut e = ev("localhost", &r);
        e.item = r.get("item");
        cb.runner_item_on_ok(&t, &e);
    }
    let r = map(json!({"results": [], "changed": false, "msg": "All items completed"}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("loop skip", "command");
    let r = map(
        json!({"changed": false, "skipped": true, "item": 1, "ansible_loop_var": "item", "false_condition": "item == 2", "skip_reason": "Conditional result was False"}),
    );
    cb.runner_item_on_skipped(&t, &ev("localhost", &r));
    let r = map(
        json!({"changed": true, "item": 2, "ansible_loop_var": "item", "rc": 0, "stdout": "2"}),
    );
    cb.runner_item_on_ok(&t, &ev("localhost", &r));
    let r = map(json!({"changed": true, "results": [{}, {}], "msg": "All items completed"}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("debug var", "debug");
    let r = map(
        json!({"greeting": ["x", "y"], "_ansible_verbose_always": true, "changed": false, "failed": false}),
    );
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let mut t = h.task("secret", "command");
    t.no_log = true;
    let r = map(json!({"changed": true, "stdout": "secret", "rc": 0, "_ansible_no_log": true}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("command", "command");
    let r = map(json!({"changed": true, "stdout": "unnamed", "rc": 0}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("set it", "set_fact");
    let r = map(json!({"ansible_facts": {"z": 1}, "changed": false}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.handler("my handler", "debug");
    let r = map(json!({"msg": "handled", "_ansible_verbose_always": true, "changed": false}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    h.play("all");
    let t = h.task("fail now", "fail");
    let r = map(json!({"changed": false, "msg": "boom", "failed": true}));
    let chain = task_failed(h.at(43, 7), "Action", "boom");
    let mut e = ev("localhost", &r);
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    h.recap(&[("localhost", [10, 5, 0, 1, 1, 0, 1])]);
}

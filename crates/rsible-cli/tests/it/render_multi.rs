//! fixtures/render/multi.yml on two hosts (`-i inv2`, `ANSIBLE_NOCOLOR=1`), ansible-playbook
//! 2.19.14; its stdout is multi.ansible.out. Shows that an `[ERROR]` block with the same text
//! is printed once per run, item failures, retries, assert's expanded dump, a three-link chain,
//! delegation labels and `skipping: no hosts matched`.

use rsible_cli::output::DisplayOptions;
use rsible_runner::{Callback, ErrorLink};
use serde_json::{json, Map, Value};

use crate::support::{assert_same, ev, fixture, map, task_failed, Harness};

fn cmd(cmd: &str, rc: i64, times: (&str, &str, &str)) -> Map<String, Value> {
    let msg = if rc == 0 { "" } else { "non-zero return code" };
    map(json!({
        "changed": true, "cmd": [cmd], "delta": times.0, "end": times.1, "msg": msg, "rc": rc,
        "start": times.2, "stderr": "", "stderr_lines": [], "stdout": "", "stdout_lines": [],
        "invocation": {"module_args": {"_raw_params": cmd}}
    }))
}

#[test]
fn multi_host_playbook_matches_ansible() {
    let h = Harness::new("multi.yml", DisplayOptions::default());
    let cb = &h.cb;
    h.play("all");

    let t = h.task("fw", "command");
    let chain = task_failed(h.at(4, 7), "Action", "");
    for (host, times) in [
        (
            "h1",
            (
                "0:00:00.003463",
                "2026-11-27 06:41:25.607599",
                "2026-11-27 06:41:25.604136",
            ),
        ),
        (
            "h2",
            (
                "0:00:00.003512",
                "2026-11-27 06:41:25.619209",
                "2026-11-27 06:41:25.615697",
            ),
        ),
    ] {
        let mut r = cmd("/bin/true", 0, times);
        r.insert("failed".into(), json!(true));
        r.insert("failed_when_result".into(), json!(true));
        let mut e = ev(host, &r);
        e.ignore_errors = true;
        e.error = Some(&chain);
        cb.runner_on_failed(&t, &e);
    }

    let t = h.task("items", "command");
    for host in ["h2", "h1"] {
        let mut r = cmd("/bin/true", 0, ("", "", ""));
        r.insert("item".into(), json!("/bin/true"));
        cb.runner_item_on_ok(&t, &ev(host, &r));
    }
    let chain = task_failed(h.at(8, 7), "Module", "non-zero return code");
    for (host, times) in [
        (
            "h2",
            (
                "0:00:00.003447",
                "2026-11-27 06:41:26.035040",
                "2026-11-27 06:41:26.031593",
            ),
        ),
        (
            "h1",
            (
                "0:00:00.006062",
                "2026-11-27 06:41:26.065930",
                "2026-11-27 06:41:26.059868",
            ),
        ),
    ] {
        let mut r = cmd("/bin/false", 1, times);
        r.insert("item".into(), json!("/bin/false"));
        r.insert("ansible_loop_var".into(), json!("item"));
        r.insert("failed".into(), json!(true));
        let mut e = ev(host, &r);
        e.error = Some(&chain);
        cb.runner_item_on_failed(&t, &e);
        let summary = map(
            json!({"changed": true, "failed": true, "msg": "One or more items failed", "results": [{}, {}]}),
        );
        let mut e = ev(host, &summary);
        e.ignore_errors = true;
        cb.runner_on_failed(&t, &e);
    }

    let mut t = h.task("retry", "command");
    t.plain_name = "retry".into();
    for (host, attempts) in [("h2", 1), ("h1", 1), ("h2", 2), ("h1", 2)] {
        let r = map(
            json!({"attempts": attempts, "retries": 3, "changed": true, "rc": 1, "failed": true, "_ansible_retry": true}),
        );
        cb.runner_retry(&t, &ev(host, &r));
    }
    let chain = task_failed(h.at(12, 7), "Module", "non-zero return code");
    for (host, times) in [
        (
            "h2",
            (
                "0:00:00.003402",
                "2026-11-27 06:41:26.672884",
                "2026-11-27 06:41:26.669482",
            ),
        ),
        (
            "h1",
            (
                "0:00:00.003455",
                "2026-11-27 06:41:26.705061",
                "2026-11-27 06:41:26.701606",
            ),
        ),
    ] {
        let mut r = cmd("/bin/false", 1, times);
        r.insert("attempts".into(), json!(2));
        r.insert("failed".into(), json!(true));
        let mut e = ev(host, &r);
        e.ignore_errors = true;
        e.error = Some(&chain);
        cb.runner_on_failed(&t, &e);
    }

    let t = h.task("assert", "assert");
    let chain = task_failed(h.at(19, 7), "Action", "Assertion failed");
    for host in ["h1", "h2"] {
        let r = map(
            json!({"assertion": "1 == 2", "changed": false, "evaluated_to": false, "msg": "Assertion failed", "failed": true, "_ansible_verbose_always": true}),
        );
        let mut e = ev(host, &r);
        e.ignore_errors = true;
        e.error = Some(&chain);
        cb.runner_on_failed(&t, &e);
    }

    let t = h.task("undefined", "debug");
    let chain = vec![
        ErrorLink {
            message: "Task failed.".into(),
            origin: Some(h.at(23, 7)),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: "Finalization of task args for 'ansible.builtin.debug' failed.".into(),
            origin: Some(h.at(24, 7)),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: "Error while resolving value for 'msg': 'foo' is undefined".into(),
            origin: Some(h.at(24, 14)),
            keep_apart: false,
            help: None,
        },
    ];
    for host in ["h1", "h2"] {
        let r = map(
            json!({"msg": "Task failed: Finalization of task args for 'ansible.builtin.debug' failed: Error while resolving value for 'msg': 'foo' is undefined", "failed": true, "changed": false}),
        );
        let mut e = ev(host, &r);
        e.ignore_errors = true;
        e.error = Some(&chain);
        cb.runner_on_failed(&t, &e);
    }

    let t = h.task("delegated", "command");
    let skipped = map(
        json!({"changed": false, "skipped": true, "skip_reason": "Conditional result was False"}),
    );
    cb.runner_on_skipped(&t, &ev("h2", &skipped));
    let r = map(json!({"changed": true, "rc": 0, "stdout": "d"}));
    let mut e = ev("h1", &r);
    e.delegated_to = Some("h2");
    cb.runner_on_ok(&t, &e);

    let t = h.task("fail one", "fail");
    cb.runner_on_skipped(&t, &ev("h2", &skipped));
    let r = map(json!({"changed": false, "msg": "only h1", "failed": true}));
    let chain = task_failed(h.at(30, 7), "Action", "only h1");
    let mut e = ev("h1", &r);
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    let t = h.task("after", "debug");
    let r = map(json!({"msg": "x", "_ansible_verbose_always": true}));
    cb.runner_on_ok(&t, &ev("h2", &r));

    h.play("nosuch");
    cb.playbook_on_no_hosts_matched();

    h.play("all");
    let t = h.task("fail all", "fail");
    let r = map(json!({"changed": false, "msg": "all", "failed": true}));
    let chain = task_failed(h.at(43, 7), "Action", "all");
    let mut e = ev("h2", &r);
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    h.play("all");
    h.recap(&[("h2", [6, 3, 0, 1, 2, 0, 5]), ("h1", [6, 4, 0, 1, 0, 0, 5])]);

    assert_same(&h.out.text(), &fixture("multi.ansible.out"));
    cb.warning("Could not match supplied host pattern, ignoring: nosuch");
    assert_same(&h.err.text(), &fixture("multi.ansible.err"));
}

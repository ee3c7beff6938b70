//! fixtures/render/short.yml with `ANSIBLE_FORCE_COLOR=1` (`-i inv`), ansible-playbook 2.19.14;
//! stdout in short.color.ansible.out. Covers per-line colouring of the `[ERROR]` block, status
//! colours and the coloured recap, and a chain whose first two links share an origin.

use rsible_cli::output::DisplayOptions;
use rsible_runner::{Callback, ErrorLink};
use serde_json::{json, Value};

use crate::support::{assert_same, ev, fixture, map, task_failed, Harness};

#[test]
fn coloured_output_matches_ansible() {
    let opts = DisplayOptions {
        color: true,
        ..DisplayOptions::default()
    };
    let h = Harness::new("short.yml", opts);
    let cb = &h.cb;
    h.play("all");

    let t = h.task("debug", "debug");
    let chain = vec![
        ErrorLink {
            message: "Task failed.".into(),
            origin: Some(h.at(4, 7)),
        },
        ErrorLink {
            message: "Finalization of task args for 'ansible.builtin.debug' failed.".into(),
            origin: Some(h.at(4, 7)),
        },
        ErrorLink {
            message: "Error while resolving value for 'msg': 'foo' is undefined".into(),
            origin: Some(h.at(4, 14)),
        },
    ];
    let r = map(
        json!({"msg": "Task failed: Finalization of task args for 'ansible.builtin.debug' failed: Error while resolving value for 'msg': 'foo' is undefined", "failed": true}),
    );
    let mut e = ev("localhost", &r);
    e.ignore_errors = true;
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    let t = h.task("echo", "command");
    let r = map(json!({"changed": true, "rc": 0, "stdout": "hi"}));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task("skip me", "command");
    let r = map(json!({"changed": false, "skipped": true}));
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let t = h.task("fail", "command");
    let expected = fixture("short.color.ansible.out");
    let line = expected.lines().nth(42).unwrap_or_default();
    let json_text = line
        .rsplit_once(" => ")
        .map(|(_, j)| j.trim_end_matches("\x1b[0m"))
        .unwrap_or_default();
    let mut r = map(serde_json::from_str(json_text).unwrap_or(Value::Null));
    r.insert("failed".into(), json!(true));
    let chain = task_failed(h.at(11, 7), "Module", "non-zero return code");
    let mut e = ev("localhost", &r);
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    h.recap(&[("localhost", [2, 1, 0, 1, 1, 0, 1])]);
    assert_same(&h.out.text(), &expected);
}

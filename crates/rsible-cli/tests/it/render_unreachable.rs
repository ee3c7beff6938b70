//! fixtures/render/unreach.yml against a closed port (`-i invu`, `ANSIBLE_NOCOLOR=1`),
//! ansible-playbook 2.19.14; stdout in unreach.ansible.out.

use rsible_cli::output::DisplayOptions;
use rsible_runner::{Callback, ErrorLink};
use serde_json::json;

use crate::support::{assert_same, ev, fixture, map, Harness};

#[test]
fn unreachable_host_matches_ansible() {
    let h = Harness::new("unreach.yml", DisplayOptions::default());
    h.play("all");
    let t = h.task("ping it", "command");
    let msg = "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused";
    let chain = vec![
        ErrorLink {
            message: "Task failed.".into(),
            origin: Some(h.at(4, 7)),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: msg.into(),
            origin: None,
            keep_apart: false,
            help: None,
        },
    ];
    let r =
        map(json!({"changed": false, "msg": format!("Task failed: {msg}"), "unreachable": true}));
    let mut e = ev("bad", &r);
    e.error = Some(&chain);
    h.cb.runner_on_unreachable(&t, &e);
    h.recap(&[("bad", [0, 0, 1, 0, 0, 0, 0])]);
    assert_same(&h.out.text(), &fixture("unreach.ansible.out"));
}

/// `ignore_errors` does not apply to an unreachable host: no `...ignoring` (fixture
/// unreach_ignored.yml, the same run with `ignore_errors: true` on the task).
#[test]
fn unreachable_host_is_not_ignored_by_ignore_errors() {
    let h = Harness::new("unreach_ignored.yml", DisplayOptions::default());
    h.play("all");
    let t = h.task("ping it", "command");
    let msg = "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused";
    let chain = vec![
        ErrorLink {
            message: "Task failed.".into(),
            origin: Some(h.at(4, 7)),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: msg.into(),
            origin: None,
            keep_apart: false,
            help: None,
        },
    ];
    let r =
        map(json!({"changed": false, "msg": format!("Task failed: {msg}"), "unreachable": true}));
    let mut e = ev("bad", &r);
    e.error = Some(&chain);
    // For an unreachable result the runner passes `ignore_unreachable` here, not the task's
    // `ignore_errors` (difftest 175 runs both keywords).
    e.ignore_errors = false;
    h.cb.runner_on_unreachable(&t, &e);
    h.recap(&[("bad", [0, 0, 1, 0, 0, 0, 0])]);
    assert_same(&h.out.text(), &fixture("unreach_ignored.ansible.out"));
}

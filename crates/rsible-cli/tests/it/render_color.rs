//! fixtures/render/short.yml (`-i inv`), ansible-playbook 2.19.14: with `ANSIBLE_FORCE_COLOR=1`
//! (short.color.ansible.out), with `ANSIBLE_FORCE_COLOR=1` and `-vv` (short.vv.color.ansible.out)
//! and with `ANSIBLE_NOCOLOR=1 ANSIBLE_SHOW_TASK_PATH_ON_FAILURE=1`
//! (short.task-path.ansible.out). Covers per-line colouring of the `[ERROR]` block, status
//! colours, the coloured recap, a chain whose first two links share an origin, and the
//! `task path:` and `N plays in` lines.

use std::path::Path;

use rsible_cli::output::DisplayOptions;
use rsible_runner::{Callback, ErrorLink};
use serde_json::json;

use crate::support::{assert_same, captured_json, ev, fixture, map, task_failed, Harness};

#[test]
fn coloured_output_matches_ansible() {
    let opts = DisplayOptions {
        color: true,
        ..DisplayOptions::default()
    };
    let capture = "short.color.ansible.out";
    let h = Harness::new("short.yml", opts);
    play_short_yml(&h, capture);
    assert_same(&h.out.text(), &fixture(capture));
}

/// The `-vv` header lines before `PLAYBOOK:` are the command line's, not the renderer's.
#[test]
fn coloured_vv_output_matches_ansible() {
    let opts = DisplayOptions {
        color: true,
        verbosity: 2,
        ..DisplayOptions::default()
    };
    let capture = "short.vv.color.ansible.out";
    let h = Harness::new("short.yml", opts);
    h.cb.playbook_on_start(Path::new("short.yml"));
    h.cb.verbose(2, None, "1 plays in short.yml");
    // Below its level a verbose message is not shown.
    h.cb.verbose(3, None, "not at -vv");
    play_short_yml(&h, capture);
    let full = fixture(capture);
    let renderer_part = full
        .find("\nPLAYBOOK: ")
        .map_or(full.as_str(), |i| &full[i..]);
    assert_same(&h.out.text(), renderer_part);
}

#[test]
fn task_path_on_failure_matches_ansible() {
    let opts = DisplayOptions {
        show_task_path_on_failure: true,
        ..DisplayOptions::default()
    };
    let capture = "short.task-path.ansible.out";
    let h = Harness::new("short.yml", opts);
    play_short_yml(&h, capture);
    assert_same(&h.out.text(), &fixture(capture));
}

/// The events of short.yml; results shown at `-vv` come from `capture`.
fn play_short_yml(h: &Harness, capture: &str) {
    let cb = &h.cb;
    h.play("all");

    let t = h.task_at("debug", "debug", 4);
    let chain = vec![
        ErrorLink {
            message: "Task failed.".into(),
            origin: Some(h.at(4, 7)),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: "Finalization of task args for 'ansible.builtin.debug' failed.".into(),
            origin: Some(h.at(4, 7)),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: "Error while resolving value for 'msg': 'foo' is undefined".into(),
            origin: Some(h.at(4, 14)),
            keep_apart: false,
            help: None,
        },
    ];
    let r = map(
        json!({"msg": "Task failed: Finalization of task args for 'ansible.builtin.debug' failed: Error while resolving value for 'msg': 'foo' is undefined", "failed": true}),
    );
    let mut e = ev("localhost", &r);
    e.ignore_errors = true;
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    let t = h.task_at("echo", "command", 6);
    let mut r = captured_json(capture, "echo");
    if r.is_empty() {
        // Below `-v` the capture shows no result; these are the keys that decide the line.
        r = map(json!({"changed": true, "rc": 0, "stdout": "hi"}));
    }
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let t = h.task_at("skip me", "command", 8);
    let r = map(
        json!({"changed": false, "skipped": true, "false_condition": false, "skip_reason": "Conditional result was False"}),
    );
    cb.runner_on_skipped(&t, &ev("localhost", &r));

    let t = h.task_at("fail", "command", 11);
    let mut r = captured_json(capture, "fail");
    r.insert("failed".into(), json!(true));
    let chain = task_failed(h.at(11, 7), "Module", "non-zero return code");
    let mut e = ev("localhost", &r);
    e.error = Some(&chain);
    cb.runner_on_failed(&t, &e);

    h.recap(&[("localhost", [2, 1, 0, 1, 1, 0, 1])]);
}

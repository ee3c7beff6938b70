//! `ANSIBLE_STDOUT_CALLBACK=json` for fixtures/render/short.yml (`-i inv`), ansible-playbook
//! 2.19.14; stdout in short.json.ansible.out. Run-dependent fields (ids, durations, paths) are
//! left out of the comparison.

use rsible_cli::output::{JsonCallback, Sinks};
use rsible_runner::{Callback, HostStats, PlayInfo, Stats};
use serde_json::{json, Map, Value};

use crate::support::{ev, fixture, task_info, Buf};

fn strip_run_fields(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in ["duration", "id", "path"] {
                m.shift_remove(k);
            }
            m.values_mut().for_each(strip_run_fields);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_run_fields),
        _ => {}
    }
}

#[test]
fn json_callback_matches_ansible_shape() {
    let mut expected: Value =
        serde_json::from_str(&fixture("short.json.ansible.out")).unwrap_or(Value::Null);
    let out = Buf::default();
    let cb = JsonCallback::new(
        Some(4),
        Sinks {
            stdout: Box::new(out.clone()),
            stderr: Box::new(std::io::sink()),
        },
    );
    cb.playbook_on_play_start(&PlayInfo {
        name: "all".into(),
        check_mode: false,
        span: None,
        free: false,
    });
    let tasks = expected["plays"][0]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (t, module) in tasks.iter().zip(["debug", "command", "command", "command"]) {
        let name = t["task"]["name"].as_str().unwrap_or_default();
        let info = task_info(name, module);
        cb.playbook_on_task_start(&info);
        // What a runner sends: the module's result, `failed`/`skipped` included, no `action`.
        let mut raw: Map<String, Value> = t["hosts"]["localhost"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for k in ["action", "_ansible_no_log", "exception"] {
            raw.shift_remove(k);
        }
        let e = ev("localhost", &raw);
        if raw.get("failed") == Some(&json!(true)) {
            cb.runner_on_failed(&info, &e);
        } else if raw.get("skipped") == Some(&json!(true)) {
            cb.runner_on_skipped(&info, &e);
        } else {
            cb.runner_on_ok(&info, &e);
        }
    }
    let mut stats = Stats::default();
    stats.hosts.insert(
        "localhost".into(),
        HostStats {
            ok: 2,
            changed: 1,
            failed: 1,
            skipped: 1,
            ignored: 1,
            ..HostStats::default()
        },
    );
    cb.playbook_on_stats(&stats);

    let mut actual: Value = serde_json::from_str(&out.text()).unwrap_or(Value::Null);
    strip_run_fields(&mut actual);
    strip_run_fields(&mut expected);
    assert_eq!(actual, expected);
}

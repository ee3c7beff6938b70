//! `--diff` output. fixtures/diff: each `diff` value of cases.json against what ansible-core
//! 2.19.14's `_get_diff` returns for it (expected.json, see its README). fixtures/render/diff.yml
//! run with `-D -i inv` (`ANSIBLE_NOCOLOR=1`, and `ANSIBLE_FORCE_COLOR=1` for the colour
//! capture) from `/tmp/rsible-fx/` with `work/target.txt` = "line one\nline two\n" and
//! `work/noeol.txt` = "x\nz\n"; the `diff` values below are the ones the modules returned in
//! that run (read with the json callback).

use std::path::Path;

use rsible_cli::output::file_diff::render_diff;
use rsible_cli::output::DisplayOptions;
use rsible_runner::Callback;
use serde_json::{json, Map, Value};

use crate::support::{assert_same, ev, fixture, map, Harness};

fn diff_fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn get_diff_matches_ansible_for_every_case() {
    let cases = diff_fixture("cases.json");
    let expected = diff_fixture("expected.json");
    let cases = cases.as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 10, "cases.json did not load");
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        let context = case
            .get("context")
            .and_then(Value::as_u64)
            .map_or(3, |c| usize::try_from(c).unwrap_or(3));
        for (mode, color) in [("plain", false), ("color", true)] {
            let want = expected[name][mode]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no {mode}"));
            let got = render_diff(&case["diff"], color, context);
            assert_eq!(got, want, "case {name} ({mode})");
        }
    }
}

fn changed_with(diff: Value) -> Map<String, Value> {
    map(json!({"changed": true, "diff": diff, "failed": false, "_ansible_no_log": false}))
}

/// The events the runner sends for diff.yml, in order.
fn play_diff_yml(h: &Harness) {
    let cb = &h.cb;
    h.play("Diff play");

    let mut t = h.task("change a line", "copy");
    t.diff = true;
    let r = changed_with(json!([{
        "after": "line one\nline two changed\n",
        "after_header": "/tmp/rsible-fx/work/target.txt",
        "before": "line one\nline two\n",
        "before_header": "/tmp/rsible-fx/work/target.txt"
    }]));
    cb.on_file_diff(&t, &ev("localhost", &r));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let mut t = h.task("loop copy", "copy");
    t.diff = true;
    let mut items = Vec::new();
    for item in ["a", "b"] {
        let mut r = changed_with(json!([{
            "after": format!("{item}\n"),
            "after_header": format!("/tmp/rsible-fx/work/f{item}.txt"),
            "before": ""
        }]));
        r.insert("item".into(), json!(item));
        r.insert("ansible_loop_var".into(), json!("item"));
        let mut e = ev("localhost", &r);
        e.item = r.get("item");
        cb.on_file_diff(&t, &e);
        cb.runner_item_on_ok(&t, &e);
        items.push(Value::Object(r));
    }
    let summary = map(json!({"changed": true, "results": items, "msg": "All items completed"}));
    cb.runner_on_ok(&t, &ev("localhost", &summary));

    let mut t = h.task("state", "file");
    t.diff = true;
    let r = changed_with(json!({
        "after": {"path": "/tmp/rsible-fx/work/a-dir", "state": "directory"},
        "before": {"path": "/tmp/rsible-fx/work/a-dir", "state": "absent"}
    }));
    cb.on_file_diff(&t, &ev("localhost", &r));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    let mut t = h.task("no newline", "copy");
    t.diff = true;
    let r = changed_with(json!([{
        "after": "x\ny",
        "after_header": "/tmp/rsible-fx/work/noeol.txt",
        "before": "x\nz\n",
        "before_header": "/tmp/rsible-fx/work/noeol.txt"
    }]));
    cb.on_file_diff(&t, &ev("localhost", &r));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    // `diff: false`: the runner does not ask for the diff.
    let t = h.task("quiet", "copy");
    let r = changed_with(json!([]));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    // A diff on an unchanged result is not shown.
    let mut t = h.task("unchanged", "copy");
    t.diff = true;
    let r = map(json!({
        "changed": false,
        "diff": {"after": {"path": "/tmp/rsible-fx/work/noeol.txt"}, "before": {"path": "/tmp/rsible-fx/work/noeol.txt"}}
    }));
    cb.on_file_diff(&t, &ev("localhost", &r));
    cb.runner_on_ok(&t, &ev("localhost", &r));

    h.recap(&[("localhost", [6, 5, 0, 0, 0, 0, 0])]);
}

#[test]
fn diff_playbook_matches_ansible() {
    let h = Harness::new("diff.yml", DisplayOptions::default());
    play_diff_yml(&h);
    assert_same(&h.out.text(), &fixture("diff.ansible.out"));
    assert_eq!(h.err.text(), "");
}

#[test]
fn coloured_diff_playbook_matches_ansible() {
    let opts = DisplayOptions {
        color: true,
        ..DisplayOptions::default()
    };
    let h = Harness::new("diff.yml", opts);
    play_diff_yml(&h);
    assert_same(&h.out.text(), &fixture("diff.color.ansible.out"));
}

/// Ansible's `v2_on_file_diff` walks a loop summary's items itself, skipping unchanged ones.
/// Expected text: the default callback's `v2_on_file_diff` called on the same summary.
#[test]
fn loop_summary_shows_each_changed_item_diff() {
    let h = Harness::new("diff.yml", DisplayOptions::default());
    let mut t = h.task("loop copy", "copy");
    t.diff = true;
    let item = |name: &str, changed: bool| {
        json!({
            "changed": changed, "item": name, "ansible_loop_var": "item",
            "diff": [{"before": "", "after": format!("{name}\n"), "after_header": name}]
        })
    };
    let summary = map(json!({
        "changed": true,
        "results": [item("a", true), item("skip", false), item("b", true)]
    }));
    h.cb.on_file_diff(&t, &ev("localhost", &summary));
    let want =
        "\nTASK [loop copy] ***************************************************************\n\
--- before\n+++ after: a\n@@ -0,0 +1 @@\n+a\n\n\
--- before\n+++ after: b\n@@ -0,0 +1 @@\n+b\n\n";
    assert_same(&h.out.text(), want);
}

/// `no_log` censors the result before any callback sees it, `diff` included (ansible-playbook
/// -D on a changing `copy` with `no_log: true` prints only `changed: [localhost]`).
#[test]
fn no_log_hides_the_diff() {
    let h = Harness::new("diff.yml", DisplayOptions::default());
    let mut t = h.task("secret", "copy");
    t.diff = true;
    t.no_log = true;
    let r = changed_with(json!({"before": "a\n", "after": "b\n"}));
    h.cb.on_file_diff(&t, &ev("localhost", &r));
    assert_same(
        &h.out.text(),
        "\nTASK [secret] ******************************************************************\n",
    );
}

//! Replays `tests/inputs/*.txt` and compares with the results ansible-core's templar gave
//! (`tests/gen_expected.py` wrote the `.expected.json` files).

use std::path::{Path, PathBuf};

use rsible_template::{Origin, Templar, Value, Vars};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn run_case(templar: &Templar, src: &str) -> Value {
    let (head, body) = src.split_once("\n---\n").expect("fixture has a `---` line");
    let header: Value = serde_json::from_str(head).expect("header is JSON");
    let mode = header.get("mode").and_then(Value::as_str).unwrap_or("str");
    let body = if mode == "text" {
        body
    } else {
        body.strip_suffix('\n').unwrap_or(body)
    };
    let mut vars: Vars = header
        .get("vars")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    vars.insert(
        "ansible_search_path".into(),
        Value::from(vec![root().join("lookup_root").display().to_string()]),
    );
    let origin = Origin {
        search_paths: vec![root().join("lookup_root")],
        ..Origin::default()
    };
    let result = match mode {
        "cond" => templar
            .eval_condition(body, &vars, &origin)
            .map(Value::Bool),
        "expr" => templar.eval_expr(body, &vars, &origin),
        "text" => templar.render_text(body, &vars, &origin).map(Value::String),
        _ => templar.render_str(body, &vars, &origin),
    };
    match result {
        Ok(v) => serde_json::json!({ "ok": v }),
        Err(e) => serde_json::json!({ "error": e.ansible_message() }),
    }
}

#[test]
fn fixtures_match_ansible() {
    // The `lookup_env` fixture reads this variable; gen_expected.py sets the same value.
    std::env::set_var("RSIBLE_TEST_VAR", "from-env");
    let templar = Templar::new();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(root().join("inputs"))
        .expect("inputs dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 60, "only {} fixtures", inputs.len());
    let mut failures = Vec::new();
    for input in &inputs {
        let src = std::fs::read_to_string(input).expect("read fixture");
        let expected_path = input.with_extension("expected.json");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path).expect("expected file exists"),
        )
        .expect("expected is JSON");
        let got = run_case(&templar, &src);
        if got != expected {
            failures.push(format!(
                "{}\n  expected: {}\n  got:      {}",
                input.file_name().unwrap_or_default().to_string_lossy(),
                expected,
                got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ from Ansible:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

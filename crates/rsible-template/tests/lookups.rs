//! `with_<lookup>` loops through `Templar::run_lookup`; expectations from ansible-core 2.19.

use std::path::{Path, PathBuf};

use rsible_template::{Origin, Templar, Value, Vars};
use serde_json::json;

fn origin() -> Origin {
    Origin {
        search_paths: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lookup_root")],
        ..Origin::default()
    }
}

fn run(name: &str, terms: Value) -> Vec<Value> {
    let terms = match terms {
        Value::Array(a) => a,
        other => vec![other],
    };
    Templar::new()
        .run_lookup(name, &terms, &Vars::new(), &origin())
        .unwrap()
}

#[test]
fn with_items_flattens_one_level() {
    assert_eq!(
        run("items", json!([[1, [2]], 3])),
        vec![json!(1), json!([2]), json!(3)]
    );
}

#[test]
fn with_list_keeps_items() {
    assert_eq!(run("list", json!([1, [2]])), vec![json!(1), json!([2])]);
    assert_eq!(run("list", json!([[1, 2]])), vec![json!([1, 2])]);
}

#[test]
fn with_dict_gives_key_value_items() {
    assert_eq!(
        run("dict", json!({"a": 1, "b": 2})),
        vec![
            json!({"key": "a", "value": 1}),
            json!({"key": "b", "value": 2})
        ]
    );
}

#[test]
fn with_sequence_forms() {
    assert_eq!(
        run("sequence", json!("start=1 end=3")),
        vec![json!("1"), json!("2"), json!("3")]
    );
    assert_eq!(
        run("sequence", json!("2-6/2")),
        vec![json!("2"), json!("4"), json!("6")]
    );
    assert_eq!(
        run("sequence", json!("start=1 count=2 format=host%02d")),
        vec![json!("host01"), json!("host02")]
    );
}

#[test]
fn with_file_reads_and_rstrips() {
    assert_eq!(
        run("file", json!(["a.txt", "b.txt"])),
        vec![json!("hello from a.txt"), json!("second file")]
    );
}

#[test]
fn with_file_missing_has_ansibles_message() {
    let err = Templar::new()
        .run_lookup("file", &[json!("nope.txt")], &Vars::new(), &origin())
        .unwrap_err();
    assert_eq!(
        err.ansible_message(),
        "The lookup plugin 'file' failed: Unable to access the file 'nope.txt': File not found. Use -vvvvv to see paths searched."
    );
}

#[test]
fn with_fileglob_finds_files_in_files_dir() {
    let got = run("fileglob", json!("*.txt"));
    let mut names: Vec<String> = got
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|p| {
            Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .collect();
    // Ansible returns them in directory order; compare as a set.
    names.sort();
    assert_eq!(names, vec!["a.txt", "b.txt"]);
}

#[test]
fn unknown_lookup_is_an_error() {
    assert!(Templar::new()
        .run_lookup("no_such_lookup", &[], &Vars::new(), &origin())
        .is_err());
}

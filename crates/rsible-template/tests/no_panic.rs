//! No input makes the templar panic: arbitrary strings through every public method, plus the
//! inputs in `tests/fuzz_corpus/` that once misbehaved.

use std::path::Path;

use proptest::prelude::*;
use rsible_template::{Origin, Templar, Value, Vars};

fn vars() -> Vars {
    serde_json::json!({
        "a": "{{ b }}/x", "b": "{{ c }}", "c": "C", "r": "{{ r }}",
        "d": {"k": 1, "z": "{{ c }}", "l": [1, "{{ a }}"]}, "n": null, "l": [1, 2, 3],
        "s": "text", "f": 1.5, "bad": "{{ 1 }"
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn exercise(t: &Templar, input: &str) {
    let v = vars();
    let o = Origin::default();
    let _ = t.render_str(input, &v, &o);
    let _ = t.render_text(input, &v, &o);
    let _ = t.eval_condition(input, &v, &o);
    let _ = t.eval_expr(input, &v, &o);
    let _ = t.render_value(&Value::from(vec![input.to_owned()]), &v, &o);
    let _ = t.run_lookup(input, &[Value::from(input)], &v, &o);
    let _ = Templar::is_template(input);
}

fn jinja_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_owned()),
        Just("}}".to_owned()),
        Just("{%".to_owned()),
        Just("%}".to_owned()),
        Just("{#".to_owned()),
        Just("|".to_owned()),
        Just("'".to_owned()),
        Just("\\".to_owned()),
        Just(" a ".to_owned()),
        Just(" d.l[1] ".to_owned()),
        Just(" r ".to_owned()),
        Just(" bad ".to_owned()),
        Just("to_yaml".to_owned()),
        Just("from_yaml".to_owned()),
        Just("regex_replace('(', '\\1')".to_owned()),
        Just("lookup('file', '/etc/hostname')".to_owned()),
        Just(" for x in l ".to_owned()),
        Just(" endfor ".to_owned()),
        Just(" if ".to_owned()),
        Just("[".to_owned()),
        Just("(".to_owned()),
        "[ -~]{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
        exercise(&Templar::new(), &s);
    }

    #[test]
    fn jinja_like_text_never_panics(parts in proptest::collection::vec(jinja_piece(), 0..12)) {
        exercise(&Templar::new(), &parts.concat());
    }

    /// Arbitrary templates inside variables, reached through lazy lookups.
    #[test]
    fn jinja_in_variables_never_panics(
        a in proptest::collection::vec(jinja_piece(), 0..8),
        b in proptest::collection::vec(jinja_piece(), 0..8),
    ) {
        let mut v = vars();
        v.insert("a".into(), Value::from(a.concat()));
        v.insert("b".into(), serde_json::json!({"x": [b.concat(), "{{ a }}"]}));
        let t = Templar::new();
        let o = Origin::default();
        for tpl in ["{{ a }}", "{{ b }}", "{{ b.x[0] }} {{ a }}", "{{ b | to_json }}", "{{ b | to_nice_yaml }}"] {
            let _ = t.render_str(tpl, &v, &o);
        }
        let _ = t.eval_condition("a is defined and b.x | length > 1", &v, &o);
    }
}

#[test]
fn templar_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Templar>();
}

#[test]
fn fuzz_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let t = Templar::new();
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz_corpus dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        exercise(&t, &text);
        count += 1;
    }
    assert!(count > 0);
}

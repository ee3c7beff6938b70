//! Garbled input must give an error or a value, never a panic (or a stack overflow).
//! Inputs that once broke the loader live in `tests/fuzz_corpus/` and are replayed here.

use std::path::Path;

use proptest::prelude::*;
use rsible_parser::{load_playbook_str, load_yaml_str};

use crate::{fixture, options};

fn try_all(text: &str) {
    let _ = load_yaml_str(Path::new("fuzz.yml"), text);
    let _ = load_playbook_str(&fixture("fuzz_corpus/fuzz.yml"), text, &options());
}

#[test]
fn corpus_replays() {
    let dir = fixture("fuzz_corpus");
    let entries = std::fs::read_dir(&dir).map(|d| d.filter_map(Result::ok).collect::<Vec<_>>());
    for entry in entries.unwrap_or_default() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        try_all(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    assert!(load_yaml_str(Path::new("deep.yml"), &deep).is_err());
    let deep_block: String = (0..2000)
        .map(|i| format!("{}- \n", " ".repeat(i * 2)))
        .collect();
    let _ = load_yaml_str(Path::new("deep.yml"), &deep_block);
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    assert!(load_yaml_str(Path::new("laughs.yml"), laughs).is_err());
}

fn seeds() -> Vec<String> {
    [
        "fixtures/ok/site.yml",
        "fixtures/yaml/scalars.yml",
        "fixtures/yaml/anchors.yml",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(fixture(f)).unwrap_or_default())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn yaml_alphabet_never_panics(text in "[-:\\[\\]{}&*!|>'\"#%@`?,.~<= \\t\\na-z0-9]{0,200}") {
        try_all(&text);
    }

    #[test]
    fn any_text_never_panics(text in any::<String>()) {
        try_all(&text);
    }

    #[test]
    fn garbled_fixtures_never_panic(
        seed in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..8),
    ) {
        let mut chars: Vec<char> = seeds()[seed].chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() {
                break;
            }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        try_all(&chars.into_iter().collect::<String>());
    }
}

//! The YAML loader against Ansible's own loader (`tests/oracle/dump_yaml.py` wrote the
//! `*.expected.json` files), plus positions and the cases Ansible only warns about.

use std::path::Path;

use rsible_parser::{load_yaml_file, load_yaml_str, NodeKind, ParseError, ScalarStyle};
use serde_json::Value;

use crate::fixture;

fn check(name: &str) {
    let docs = load_yaml_file(&fixture(&format!("fixtures/yaml/{name}.yml")))
        .unwrap_or_else(|e| panic!("{}", e.diagnostic()));
    let got = Value::Array(docs.iter().map(rsible_parser::Node::to_value).collect());
    let text = std::fs::read_to_string(fixture(&format!("fixtures/yaml/{name}.expected.json")))
        .unwrap_or_default();
    let want: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(got, want, "{name}");
}

#[test]
fn scalars_resolve_like_ansible() {
    check("scalars");
}

#[test]
fn anchors_and_merge_keys_like_ansible() {
    check("anchors");
}

#[test]
fn multiple_documents() {
    check("multi");
}

fn load(text: &str) -> Result<Vec<rsible_parser::Node>, ParseError> {
    load_yaml_str(Path::new("inline.yml"), text)
}

#[test]
fn empty_inputs() {
    assert!(load("").unwrap_or_default().is_empty());
    assert!(load("# only a comment\n").unwrap_or_default().is_empty());
    let docs = load("---\n").unwrap_or_default();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].kind, NodeKind::Null);
}

#[test]
fn spans_and_styles() {
    let docs = load("a: 'x'\nb: &anc\n  - plain\nc: *anc\nd: |\n  text\n").unwrap_or_default();
    let doc = &docs[0];
    let a = doc
        .get("a")
        .map(|n| (n.span.start.line, n.span.start.column, n.style));
    assert_eq!(a, Some((1, 4, Some(ScalarStyle::SingleQuoted))));
    // An alias keeps its own position, not the anchor's.
    let c = doc
        .get("c")
        .map(|n| (n.span.start.line, n.span.start.column));
    assert_eq!(c, Some((4, 4)));
    assert_eq!(
        doc.get("c").map(|n| n.to_value()),
        doc.get("b").map(|n| n.to_value())
    );
    let d = doc.get("d").map(|n| n.style);
    assert_eq!(d, Some(Some(ScalarStyle::Literal)));
    // Columns count characters, not bytes.
    let docs = load("é: ü\n").unwrap_or_default();
    let v = docs[0].get("é").map(|n| n.span.start.column);
    assert_eq!(v, Some(4));
}

#[test]
fn duplicate_keys_keep_the_last_value_and_warn_with_both_places() {
    let docs = load("a: 1\nb: 2\na: 3\n").unwrap_or_default();
    assert_eq!(
        docs[0].get("a").map(|n| n.kind.clone()),
        Some(NodeKind::Int(3))
    );
    let warnings = rsible_source::take_warnings();
    let w = warnings
        .iter()
        .find(|w| w.message.contains("`a`"))
        .unwrap_or_else(|| panic!("no warning in {warnings:?}"));
    let span = w.span.unwrap_or_else(|| panic!("no span"));
    assert_eq!((span.start.line, span.start.column), (3, 1));
    assert!(w.notes.iter().any(|n| n.ends_with(":1:1")), "{:?}", w.notes);
    // A key overriding a merged one is the point of `<<`, not a mistake.
    let docs = load("x: &x {k: 1}\ny: {<<: *x, k: 2}\n").unwrap_or_default();
    assert_eq!(
        docs[0]
            .get("y")
            .and_then(|y| y.get("k"))
            .map(|k| k.kind.clone()),
        Some(NodeKind::Int(2))
    );
}

/// Messages and positions as libyaml (Ansible's parser) reports them; checked with
/// `yaml.load(text, Loader=AnsibleLoader)` in the venv.
#[test]
fn syntax_errors_like_libyaml() {
    let cases = [
        (
            "a: b: c\n",
            "mapping values are not allowed in this context",
            1,
            5,
        ),
        (
            "a:\n\tb: 1\n",
            "found character '\\t' that cannot start any token",
            2,
            1,
        ),
        ("a: *x\n", "found undefined alias", 1, 4),
        (
            "a: 'abc\n",
            "while scanning a quoted scalar, found unexpected end of stream",
            1,
            4,
        ),
        (
            "- a\nb: 1\n",
            "while parsing a block collection, did not find expected '-' indicator",
            2,
            1,
        ),
        (
            "a:\n  - b\n c: 1\n",
            "while parsing a block mapping, did not find expected key",
            3,
            2,
        ),
        (
            "a: !foo x\n",
            "could not determine a constructor for the tag '!foo'",
            1,
            4,
        ),
        (
            "a: {{ x }}\n",
            "while constructing a mapping, found unhashable key",
            1,
            5,
        ),
    ];
    for (text, message, line, column) in cases {
        match load(text) {
            Err(ParseError::Yaml {
                message: m, span, ..
            }) => {
                assert_eq!(m, message, "{text:?}");
                assert_eq!(
                    (span.start.line, span.start.column),
                    (line, column),
                    "{text:?}"
                );
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn bom_and_crlf() {
    let docs = load("\u{feff}a: 1\r\nb:\r\n  - x\r\n").unwrap_or_default();
    let b = docs[0]
        .get("b")
        .and_then(|b| b.as_seq())
        .map(|s| s[0].span.start);
    assert_eq!(b.map(|p| (p.line, p.column)), Some((3, 5)));
    assert_eq!(docs[0].to_value(), serde_json::json!({"a": 1, "b": ["x"]}));
}

#[test]
fn tab_breaking_a_plain_scalar_points_at_the_tab() {
    // libyaml: "found a tab character that violates indentation", line 3, column 1.
    match load("- name: x\n  y\n\tdebug: z\n") {
        Err(ParseError::Yaml { span, .. }) => {
            assert_eq!((span.start.line, span.start.column), (3, 1));
        }
        other => panic!("{other:?}"),
    }
}

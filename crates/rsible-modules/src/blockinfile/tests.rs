use super::*;
use crate::testing::args;

fn place(original: Option<&str>, v: Value) -> (String, bool) {
    let a: Args = parse(&INFO.args, &args(v)).unwrap();
    let (out, removed) = place_block(&a, original.map(str::as_bytes)).unwrap();
    (String::from_utf8(out).unwrap(), removed)
}

// Expected files from ansible-playbook 2.19 running the same tasks
// (tests/difftest/cases/101-blockinfile does the same live).
#[test]
fn blocks_go_where_ansible_puts_them() {
    assert_eq!(
        place(Some("Port 22\n# end"), json!({"block": "Match\n  X no\n"})).0,
        "Port 22\n# end\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch\n  X no\n# END ANSIBLE MANAGED BLOCK\n"
    );
    assert_eq!(
        place(
            Some("line one\nanchor\nline three\n"),
            json!({"block": "inserted", "insertafter": "^anchor$", "marker": "<!-- {mark} managed -->", "prepend_newline": true, "append_newline": true})
        )
        .0,
        "line one\nanchor\n\n<!-- BEGIN managed -->\ninserted\n<!-- END managed -->\n\nline three\n"
    );
    assert_eq!(
        place(
            Some("top\n# BEGIN old\nstale\n# END old\nbottom\n"),
            json!({"block": "fresh", "marker": "# {mark} old"})
        )
        .0,
        "top\n# BEGIN old\nfresh\n# END old\nbottom\n"
    );
    assert_eq!(
        place(
            Some("top\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n"),
            json!({"state": "absent"})
        ),
        ("top\n".to_owned(), true)
    );
    assert_eq!(
        place(Some("a\n[section]\nb\n"), json!({"block": "after-b", "marker": "## {mark}", "insertafter": "(?m)^\\[section\\]\\nb"})).0,
        "a\n[section]\nb\n## BEGIN\nafter-b\n## END\n"
    );
    assert_eq!(
        place(Some("a\nb\n"), json!({"block": "x", "insertbefore": "BOF", "marker_begin": "START", "marker_end": "STOP"})).0,
        "# START ANSIBLE MANAGED BLOCK\nx\n# STOP ANSIBLE MANAGED BLOCK\na\nb\n"
    );
    assert_eq!(
        splitlines(b"a\r\nb\rc\nd"),
        vec![
            b"a\r\n".to_vec(),
            b"b\r".to_vec(),
            b"c\n".to_vec(),
            b"d".to_vec()
        ]
    );
    assert!(is_multiline("(?m)^x") && !is_multiline("^x(?m)"));
}

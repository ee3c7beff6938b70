use super::*;
use crate::testing::{args, keys, Env, RunResult};
use rsible_connection::local::LocalConnection;

fn a(v: Value) -> Args {
    parse(&INFO.args, &args(v)).unwrap()
}

fn place(text: &str, v: Value) -> (String, &'static str) {
    let lines: Vec<Vec<u8>> = text
        .as_bytes()
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let (out, msg) = place_line(&a(v), lines).unwrap();
    (String::from_utf8(out.concat()).unwrap(), msg)
}

// Each step's expected file and message from ansible-playbook 2.19 running the same task on
// the file the previous step left (tests/difftest/cases/99-lineinfile does the same live).
#[test]
fn lines_go_where_ansible_puts_them() {
    let mut t = "a=1\nb=2\na=3\nend\n".to_owned();
    let steps = [
        (
            json!({"line": "after-a", "insertafter": "^a="}),
            "a=1\nb=2\na=3\nafter-a\nend\n",
            "line added",
        ),
        (
            json!({"line": "after-first-a", "insertafter": "^a=", "firstmatch": true}),
            "a=1\nafter-first-a\nb=2\na=3\nafter-a\nend\n",
            "line added",
        ),
        (
            json!({"line": "before-end", "insertbefore": "^end$"}),
            "a=1\nafter-first-a\nb=2\na=3\nafter-a\nbefore-end\nend\n",
            "line added",
        ),
        (
            json!({"line": "first", "insertbefore": "BOF"}),
            "first\na=1\nafter-first-a\nb=2\na=3\nafter-a\nbefore-end\nend\n",
            "line added",
        ),
        (
            json!({"line": "last", "insertafter": "^nothing"}),
            "first\na=1\nafter-first-a\nb=2\na=3\nafter-a\nbefore-end\nend\nlast\n",
            "line added",
        ),
        (
            json!({"line": "b=20", "regexp": "^b=", "insertafter": "BOF"}),
            "first\na=1\nafter-first-a\nb=20\na=3\nafter-a\nbefore-end\nend\nlast\n",
            "line replaced",
        ),
        (
            json!({"line": "a=first", "regexp": "^a=", "firstmatch": true}),
            "first\na=first\nafter-first-a\nb=20\na=3\nafter-a\nbefore-end\nend\nlast\n",
            "line replaced",
        ),
        (
            json!({"line": "a=first", "regexp": "^a=", "firstmatch": true}),
            "first\na=first\nafter-first-a\nb=20\na=3\nafter-a\nbefore-end\nend\nlast\n",
            "",
        ),
    ];
    for (args, want, msg) in steps {
        let (got, m) = place(&t, args.clone());
        assert_eq!((got.as_str(), m), (want, msg), "{args}");
        t = got;
    }
    assert_eq!(
        place("one\ntwo\nthree", json!({"line": "four"})),
        ("one\ntwo\nthree\nfour\n".to_owned(), "line added")
    );
    assert_eq!(
        place(
            "Port 22\n",
            json!({"line": "Port \\g<1>2 # was \\1", "regexp": "^Port (\\d+)$", "backrefs": true})
        ),
        ("Port 222 # was 22\n".to_owned(), "line replaced")
    );
    assert_eq!(
        place(
            "Port 22\n",
            json!({"line": "Nope \\1", "regexp": "^Nope (\\d+)$", "backrefs": true})
        ),
        ("Port 22\n".to_owned(), "")
    );
    assert_eq!(
        place("dos line\r\nother\r\n", json!({"line": "dos line"})),
        ("dos line\nother\r\n".to_owned(), "line replaced")
    );
    assert_eq!(
        place(
            "x 0.0.0.0\n",
            json!({"line": "y", "search_string": "0.0.0.0"})
        ),
        ("y\n".to_owned(), "line replaced")
    );
}

#[test]
fn edits_a_local_file_with_attributes_backup_and_validate() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let p = format!("{}/sub/f.conf", dir.path().display());
    let conn = LocalConnection::new();
    let env = Env {
        diff: true,
        ..Env::default()
    };
    let run = |v: Value| LINEINFILE.run(&env.ctx(&conn), &args(v)).result();
    let r = run(json!({"path": p, "line": "k=1", "create": true, "mode": "0600"}));
    assert_eq!(keys(&r), ["backup", "changed", "diff", "msg"]);
    assert_eq!(
        r["msg"],
        "line added and ownership, perms or SE linux context changed"
    );
    assert_eq!(r["diff"][1]["after"], json!({"mode": "0600"}));
    let meta = std::fs::metadata(&p).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let r = run(
        json!({"path": p, "regexp": "^k=", "line": "k=2", "backup": true, "validate": "grep -q k=2 %s"}),
    );
    assert_eq!(r["msg"], "line replaced");
    let b = r["backup"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(b).unwrap(), "k=1\n");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "k=2\n");
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let r = run(json!({"path": p, "line": "bad", "validate": "grep -q nothing %s"}));
    assert_eq!(r["msg"], "failed to validate: rc:1 error:");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "k=2\n");
    assert_eq!(
        std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
        2
    );
    let r = run(json!({"path": p, "regexp": "^k", "state": "absent"}));
    assert_eq!(
        (&r["msg"], &r["found"]),
        (&json!("1 line(s) removed"), &json!(1))
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "");
}

#[test]
fn argument_errors_in_ansible_order() {
    let conn = LocalConnection::new();
    let env = Env::default();
    let run = |v: Value| LINEINFILE.run(&env.ctx(&conn), &args(v)).result();
    assert_eq!(
        run(json!({"line": "x", "insertafter": "a", "insertbefore": "b"}))["msg"],
        "parameters are mutually exclusive: insertbefore|insertafter"
    );
    assert_eq!(
        run(json!({"line": "x"}))["msg"],
        "missing required arguments: path"
    );
    assert_eq!(
        run(json!({"path": "/nonexistent/x", "state": "bad"}))["msg"],
        "value of state must be one of: absent, present, got: bad"
    );
    let r = run(json!({"path": "/nonexistent/x", "line": "x"}));
    assert_eq!(
        (&r["msg"], &r["rc"]),
        (
            &json!("Destination /nonexistent/x does not exist !"),
            &json!(257)
        )
    );
    assert_eq!(
        run(json!({"path": "/nonexistent/x", "state": "absent"}))["msg"],
        "one of line, search_string, or regexp is required with state=absent"
    );
}

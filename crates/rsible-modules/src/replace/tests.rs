use super::*;
use crate::testing::{args, keys, Env, RunResult};
use rsible_connection::local::LocalConnection;

// Results and files from ansible-playbook 2.19 running the same tasks.
#[test]
fn replaces_in_sections_with_attributes_and_backup() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let p = format!("{}/f.txt", dir.path().display());
    std::fs::write(&p, "a=1\nb=2\n").unwrap();
    let conn = LocalConnection::new();
    let env = Env {
        diff: true,
        ..Env::default()
    };
    let run = |v: Value| REPLACE.run(&env.ctx(&conn), &args(v)).result();
    let r = run(json!({"path": p, "regexp": "^(\\w)=", "replace": "\\1 = "}));
    assert_eq!(keys(&r), ["changed", "diff", "msg", "rc"]);
    assert_eq!(
        (&r["msg"], &r["rc"]),
        (&json!("2 replacements made"), &json!(0))
    );
    assert_eq!(r["diff"]["after"], "a = 1\nb = 2\n");
    let r = run(json!({"path": p, "regexp": "zzz", "replace": "y"}));
    assert_eq!(keys(&r), ["changed", "msg", "rc"]);
    assert_eq!((&r["msg"], &r["changed"]), (&json!(""), &json!(false)));
    let r = run(json!({"path": p, "regexp": "b", "after": "nomatch"}));
    assert_eq!(
        r["msg"],
        "Pattern for before/after params did not match the given file: nomatch(?P<subsection>.*)"
    );
    let r = run(json!({"path": p, "regexp": "1", "replace": "x", "mode": "0600", "backup": true}));
    assert_eq!(
        r["msg"],
        "1 replacements made and ownership, perms or SE linux context changed"
    );
    assert_eq!(
        std::fs::read_to_string(r["backup_file"].as_str().unwrap()).unwrap(),
        "a = 1\nb = 2\n"
    );
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let r = run(json!({"path": p, "regexp": "= ", "replace": "", "after": "a", "before": "b"}));
    assert_eq!(r["msg"], "1 replacements made");
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "a = x\nb = 2\n".replacen("= ", "", 1)
    );
    assert_eq!(
        run(json!({"path": p, "regexp": "a", "replace": "\\3"}))["msg"],
        "Unable to process replace due to error: invalid group reference 3 at position 1"
    );
    assert_eq!(
        run(json!({"path": p}))["msg"],
        "missing required arguments: regexp"
    );
    assert_eq!(
        run(json!({}))["msg"],
        "missing required arguments: path, regexp"
    );
    let r = run(json!({"path": "nope.txt", "regexp": "x"}));
    assert_eq!(
        (&r["msg"], &r["rc"]),
        (&json!("Path nope.txt does not exist !"), &json!(257))
    );
}

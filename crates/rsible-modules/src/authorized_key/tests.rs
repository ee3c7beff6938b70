//! `authorized_key` through the real local connection. Expected results come from
//! ansible-playbook 2.19 (ansible.posix 2.1.0) with `connection: local`, `--diff` and the json
//! callback, running the same tasks on the same keys.

use serde_json::{json, Value};

use super::*;
use crate::testing::{args, keys, Env, RunResult};
use rsible_connection::local::LocalConnection;

const K1: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFezbs5QwJ+hyqxxBWYbkRFDxVSOsn4ePpdZNTS2A61g k1@test";
const K2: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMclx2T8UYSHn7kW02+mCds7RWApiE5msBcRIPvRJlKL k2@test";
const K3: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERZnkwihRzdb5A4tuyR6HwMp9WWDGCRsjzo+9rlw0Hf k3@test";
const OPTS: &str = r#"no-pty,from="10.0.0.1,10.0.0.2""#;

fn run(env: &Env, a: Value) -> ResultMap {
    let conn = LocalConnection::new();
    AUTHORIZED_KEY.run(&env.ctx(&conn), &args(a)).result()
}

fn whoami() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

const WITH_PATH: &[&str] = &[
    "changed",
    "comment",
    "diff",
    "exclusive",
    "follow",
    "gid",
    "group",
    "key",
    "key_options",
    "keyfile",
    "manage_dir",
    "mode",
    "owner",
    "path",
    "size",
    "state",
    "uid",
    "user",
    "validate_certs",
];

#[test]
fn present_twice_then_options_absent_exclusive() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let p = format!("{}/.ssh/authorized_keys", home.path().display());
    let user = whoami();
    let env = Env {
        diff: true,
        ..Env::default()
    };

    let r = run(&env, json!({"user": user, "key": K1, "path": p}));
    assert_eq!(keys(&r), WITH_PATH);
    let k1 = format!("{K1}\n");
    assert_eq!(
        r["diff"],
        json!({"after": k1, "after_header": p, "before": "", "before_header": p})
    );
    assert_eq!(
        (
            &r["changed"],
            &r["mode"],
            &r["size"],
            &r["state"],
            &r["keyfile"]
        ),
        (
            &json!(true),
            &json!("0600"),
            &json!(89),
            &json!("file"),
            &json!(p)
        )
    );
    assert_eq!(
        (
            &r["comment"],
            &r["key_options"],
            &r["manage_dir"],
            &r["validate_certs"]
        ),
        (&Value::Null, &Value::Null, &json!(true), &json!(true))
    );
    let ssh = std::fs::metadata(home.path().join(".ssh")).unwrap();
    assert_eq!(ssh.permissions().mode() & 0o7777, 0o700);
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
        0o600
    );

    let r = run(&env, json!({"user": user, "key": K1, "path": p}));
    let mut no_diff: Vec<&str> = WITH_PATH.to_vec();
    no_diff.retain(|k| *k != "diff");
    assert_eq!(keys(&r), no_diff);
    assert_eq!(r["changed"], false);

    let both = format!("{K2}\n{K3}");
    let r = run(
        &env,
        json!({"user": user, "key": both, "path": p, "key_options": OPTS, "comment": "c2"}),
    );
    let after = format!(
        "{K1}\n{OPTS} {} c2\n{OPTS} {} c2\n",
        &K2[..K2.len() - 8],
        &K3[..K3.len() - 8]
    );
    assert_eq!(r["diff"]["after"], json!(after));
    assert_eq!((&r["changed"], &r["size"]), (&json!(true), &json!(321)));

    let r = run(
        &env,
        json!({"user": user, "key": K1, "path": p, "state": "absent"}),
    );
    assert_eq!(
        (&r["changed"], &r["state"], &r["size"]),
        (&json!(true), &json!("file"), &json!(232))
    );
    assert_eq!(r["diff"]["before"], json!(after));

    let r = run(
        &env,
        json!({"user": user, "key": K3, "path": p, "exclusive": true}),
    );
    assert_eq!(
        (&r["changed"], &r["exclusive"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), format!("{K3}\n"));
}

#[test]
fn check_mode_and_failures() {
    let env = Env {
        check_mode: true,
        diff: true,
        ..Env::default()
    };
    let home = tempfile::tempdir().unwrap();
    let p = format!("{}/.ssh/authorized_keys", home.path().display());
    // Check mode with a path needs no user and writes nothing.
    let r = run(&env, json!({"user": "nosuchuser", "key": K1, "path": p}));
    assert_eq!(r["changed"], true);
    assert!(!home.path().join(".ssh").exists());
    let r = run(&env, json!({"user": "nosuchuser", "key": K1}));
    assert_eq!(
        r["msg"],
        "Either user must exist or you must provide full path to key file in check mode"
    );
    // Without a path the file is the user's, from the passwd database.
    let user = whoami();
    let r = run(&env, json!({"user": user, "key": K1}));
    let mut k = WITH_PATH.to_vec();
    k.retain(|k| !["gid", "group", "mode", "owner", "size", "uid"].contains(k));
    assert_eq!(keys(&r), k);
    assert_eq!(r["path"], Value::Null);
    assert_eq!(r["state"], "present");
    assert!(r["keyfile"]
        .as_str()
        .unwrap()
        .ends_with("/.ssh/authorized_keys"));

    let env = Env::default();
    let r = run(&env, json!({"user": "nosuchuser", "key": K1, "path": p}));
    assert_eq!(
        r["msg"],
        "Failed to lookup user nosuchuser: \"getpwnam(): name not found: 'nosuchuser'\""
    );
    let r = run(&env, json!({"user": user, "key": "garbage", "path": p}));
    assert_eq!(r["msg"], "invalid key specified: garbage");
    assert_eq!(
        run(&env, json!({}))["msg"],
        "missing required arguments: key, user"
    );
    assert_eq!(
        run(&env, json!({"user": user, "key": "x", "state": "foo"}))["msg"],
        "value of state must be one of: absent, present, got: foo"
    );
    let missing = format!("{}/nodir/.ssh/authorized_keys", home.path().display());
    let r = run(&env, json!({"user": user, "key": K1, "path": missing}));
    let d = format!("{}/nodir/.ssh", home.path().display());
    assert_eq!(
        r["msg"],
        json!(format!(
            "Failed to create directory {d} : [Errno 2] No such file or directory: '{d}'"
        ))
    );
}

// ansible-playbook with a symlinked key file: `follow: yes` writes through the link and
// reports the link itself; without it the link is replaced by a regular 0600 file.
#[test]
fn follow_writes_through_links() {
    let user = whoami();
    let env = Env {
        diff: true,
        ..Env::default()
    };
    for follow in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".ssh")).unwrap();
        std::fs::create_dir_all(dir.path().join("real")).unwrap();
        let real = dir.path().join("real/ak");
        std::fs::write(&real, format!("{K2}\n")).unwrap();
        let link = dir.path().join(".ssh/authorized_keys");
        std::os::unix::fs::symlink("../real/ak", &link).unwrap();
        let p = link.display().to_string();
        let r = run(
            &env,
            json!({"user": user, "key": K1, "path": p, "follow": follow}),
        );
        let both = format!("{K2}\n{K1}\n");
        assert_eq!(r["diff"]["after"], json!(both));
        assert_eq!(r["diff"]["before_header"], json!(p));
        assert_eq!(r["keyfile"], json!(p));
        let is_link = std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink();
        if follow {
            assert_eq!(r["diff"]["after_header"], json!(real.display().to_string()));
            assert_eq!(
                (&r["state"], &r["mode"], &r["size"]),
                (&json!("link"), &json!("0777"), &json!(10))
            );
            assert!(is_link);
            assert_eq!(std::fs::read_to_string(&real).unwrap(), both);
        } else {
            assert_eq!(r["diff"]["after_header"], json!(p));
            assert_eq!(
                (&r["state"], &r["mode"], &r["size"]),
                (&json!("file"), &json!("0600"), &json!(178))
            );
            assert!(!is_link);
            assert_eq!(std::fs::read_to_string(&real).unwrap(), format!("{K2}\n"));
        }
    }
}

use serde_json::json;

use super::*;
use crate::target::accounts::{parse_group, parse_passwd, parse_shadow};
use crate::testing::{args, Env, FakeConnection, RunResult};

fn opts(v: Value) -> Opts {
    read_opts(&args(v)).unwrap().unwrap()
}

fn probe(passwd: Option<&str>, shadow: Option<&str>, groups: &[&str]) -> Probe {
    Probe {
        passwd: passwd.and_then(parse_passwd),
        shadow: shadow.and_then(parse_shadow),
        groups: groups.iter().filter_map(|g| parse_group(g)).collect(),
        has_append: true,
        ..Probe::default()
    }
}

const GROUPS: &[&str] = &[
    "sudo:x:27:alice",
    "adm:x:4:",
    "alice:x:1001:",
    "staff:x:50:alice",
];
const ALICE: &str = "alice:x:1001:1001:Alice:/home/alice:/bin/bash";
const SHADOW: &str = "alice:$6$s$h:19000:0:99999:7:::";

#[test]
fn useradd_arguments_follow_the_module() {
    let o = opts(json!({
        "name": "bob", "uid": "1500", "groups": "sudo, adm", "comment": "Bob",
        "shell": "/bin/bash", "password": "$6$x", "password_lock": true, "system": true,
        "expires": 1700000000, "create_home": false,
    }));
    let plan = plan_useradd(&o, &probe(None, None, GROUPS)).unwrap();
    assert_eq!(
        plan.args,
        [
            "-u",
            "1500",
            "-G",
            "sudo,adm",
            "-c",
            "Bob",
            "-s",
            "/bin/bash",
            "-e",
            "2023-11-14",
            "-p",
            "!$6$x",
            "-M",
            "-r",
            "bob"
        ]
    );
    // A group named as the user exists: -N so useradd does not try to create it.
    let o = opts(json!({"name": "alice", "home": "/srv/x/alice", "expires": -1}));
    let mut p = probe(None, None, GROUPS);
    p.paths = vec!['-'];
    let plan = plan_useradd(&o, &p).unwrap();
    assert!(plan.make_home_first);
    assert_eq!(
        plan.args,
        ["-N", "-d", "/srv/x/alice", "-e", "", "-m", "alice"]
    );
    let o = opts(json!({"name": "bob", "group": "nope"}));
    assert_eq!(
        plan_useradd(&o, &probe(None, None, GROUPS)),
        Err("Group nope does not exist".into())
    );
}

#[test]
fn usermod_changes_only_what_differs() {
    let p = probe(Some(ALICE), Some(SHADOW), GROUPS);
    let same = opts(json!({
        "name": "alice", "comment": "Alice", "shell": "/bin/bash", "groups": ["sudo", "staff"],
        "password": "$6$s$h", "group": "1001",
    }));
    assert!(plan_usermod(&same, &p).unwrap().is_empty());
    let o = opts(json!({"name": "alice", "groups": "adm", "append": true, "group": "sudo"}));
    assert_eq!(
        plan_usermod(&o, &p).unwrap(),
        ["-g", "27", "-a", "-G", "adm"]
    );
    let o = opts(json!({"name": "alice", "groups": "adm"}));
    assert_eq!(plan_usermod(&o, &p).unwrap(), ["-G", "adm"]);
    let o = opts(json!({"name": "alice", "groups": []}));
    assert_eq!(plan_usermod(&o, &p).unwrap(), ["-G", ""]);
    // Locking keeps the hash; a new hash with a lock is one `-p !hash`.
    let o = opts(json!({"name": "alice", "password_lock": true}));
    assert_eq!(plan_usermod(&o, &p).unwrap(), ["-L"]);
    let o = opts(json!({"name": "alice", "password_lock": true, "password": "$6$n$n"}));
    assert_eq!(plan_usermod(&o, &p).unwrap(), ["-p", "!$6$n$n"]);
    let o = opts(json!({"name": "alice", "password": "$6$n$n", "update_password": "on_create"}));
    assert!(plan_usermod(&o, &p).unwrap().is_empty());
    // Expiry compares the day; -1 clears only a set expiry.
    let o = opts(json!({"name": "alice", "expires": 1700000000}));
    assert_eq!(plan_usermod(&o, &p).unwrap(), ["-e", "2023-11-14"]);
    let locked = probe(
        Some(ALICE),
        Some("alice:!$6$s$h:19000:0:99999:7::19675:"),
        GROUPS,
    );
    assert!(plan_usermod(&o, &locked).unwrap().is_empty());
    let o = opts(json!({"name": "alice", "expires": -1, "password_lock": false}));
    assert_eq!(plan_usermod(&o, &locked).unwrap(), ["-e", "", "-U"]);
    let o = opts(
        json!({"name": "alice", "home": "/srv/alice", "move_home": true, "uid": 7, "non_unique": true}),
    );
    assert_eq!(
        plan_usermod(&o, &p).unwrap(),
        ["-u", "7", "-o", "-d", "/srv/alice", "-m"]
    );
}

// Decisions from ansible-core 2.19's `check_password_encrypted`.
#[test]
fn unhashed_passwords_are_recognised() {
    assert!(looks_unhashed("plain"));
    assert!(looks_unhashed("$6$salt$short"));
    assert!(!looks_unhashed("!"));
    assert!(!looks_unhashed(
        "$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g."
    ));
    assert!(!looks_unhashed("$2b$abc$def"));
}

// Messages from ansible-core 2.19 runs (see crates/rsible-cli/tests/modules/system.rs).
#[test]
fn arguments_are_refused_as_ansible_does() {
    let run = |a: Value| {
        let conn = FakeConnection::default();
        let r = USER.run(&Env::default().ctx(&conn), &args(a)).result();
        assert!(conn.execs.lock().unwrap().is_empty(), "{:?}", conn.lines());
        r
    };
    assert_eq!(
        run(json!({"name": "a", "uid": "abc"}))["msg"],
        "argument 'uid' is of type str and we were unable to convert to int: \"'abc'\" cannot be converted to an int"
    );
    assert_eq!(
        run(json!({"name": "a", "state": "bogus"}))["msg"],
        "value of state must be one of: absent, present, got: bogus"
    );
    assert_eq!(
        run(json!({"uid": 5}))["msg"],
        "missing required arguments: name"
    );
    assert_eq!(
        run(json!({"name": "a", "local": true, "umask": "022"}))["msg"],
        "'umask' can not be used with 'local'"
    );
    let r = run(json!({"name": "a", "bogus": 1}));
    assert!(
        r["msg"].as_str().unwrap().starts_with(
            "Unsupported parameters for (user) module: bogus. Supported parameters include: append, authorization, comment, create_home, expires, force, generate_ssh_key, group, groups, hidden, home, local, login_class, move_home, name, non_unique, password, password_expire_account_disable, password_expire_max, password_expire_min, password_expire_warn, password_lock, profile, remove, role, seuser, shell, skeleton, ssh_key_bits, ssh_key_comment, ssh_key_file, ssh_key_passphrase, ssh_key_type, state, system, uid, uid_max, uid_min, umask, update_password (createhome, user)."
        ),
        "{r:?}"
    );
}

#[test]
fn values_reach_the_target_quoted() {
    let conn = FakeConnection::default();
    let _ = USER
        .run(
            &Env::default().ctx(&conn),
            &args(json!({"name": "x'; rm -rf /", "home": "/srv/$(id)/h"})),
        )
        .result();
    let execs = conn.execs.lock().unwrap();
    let rsible_connection::Command::Shell { script, .. } = &execs[0].command else {
        panic!("not a script: {:?}", execs[0]);
    };
    assert!(
        script.contains("\nn='x'\"'\"'; rm -rf /'\n") && script.contains("\np='/srv/$(id)';"),
        "the name is one quoted word: {script}"
    );
}

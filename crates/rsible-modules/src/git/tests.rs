use serde_json::json;

use super::*;
use crate::testing::{args, Env, FakeConnection, RunResult as _};

#[test]
fn head_files_name_their_branch() {
    // head_splitter on .git/HEAD and on refs/remotes/origin/HEAD of a detached checkout.
    assert_eq!(head_splitter("ref: refs/heads/main\n", "origin"), "main");
    assert_eq!(
        head_splitter("ref: refs/heads/feature/x\n", "origin"),
        "feature/x"
    );
    assert_eq!(
        head_splitter("ref: refs/remotes/origin/dev\n", "origin"),
        "dev"
    );
}

#[test]
fn helpers_read_as_python() {
    assert_eq!(version_tuple("2.39.5"), vec![2, 39, 5]);
    assert!(older(&Some(version_tuple("1.8.3.1")), &[1, 9]));
    assert!(!older(&Some(version_tuple("2.39.5")), &[1, 9, 1]));
    // os.path.splitext
    assert_eq!(archive_extension("/tmp/a.tar.gz"), ".gz");
    assert_eq!(archive_extension("/tmp/.zip"), "");
    assert_eq!(archive_extension("/tmp/x.d/a"), "");
    assert_eq!(
        cmd_text(&["/usr/bin/git".into(), "checkout".into(), "a b".into()]),
        "/usr/bin/git checkout 'a b'"
    );
    let raw = "[GNUPG:] NEWSIG\n[GNUPG:] VALIDSIG AAAA 2024-01-01 1700000000 0 4 0 1 10 00 BBBB\n";
    assert_eq!(gpg_fingerprint(raw).as_deref(), Some("AAAA"));
}

fn out(rc: i32, stdout: &str) -> crate::ExecOutput {
    FakeConnection::out(rc, stdout, "")
}

/// The scripts a run sent.
fn scripts(conn: &FakeConnection) -> Vec<String> {
    conn.execs
        .lock()
        .map(|e| {
            e.iter()
                .filter_map(|r| match &r.command {
                    rsible_connection::Command::Shell { script, .. } => Some(script.clone()),
                    rsible_connection::Command::Argv(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The git command lines of a run.
fn git_lines(conn: &FakeConnection) -> Vec<String> {
    scripts(conn)
        .iter()
        .filter_map(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("set -- /usr/bin/git "))
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn a_missing_checkout_is_cloned_then_switched() {
    let conn = FakeConnection::with_outputs(vec![
        out(0, "G:/usr/bin/git\nL:C.UTF-8\nD:/root\nS:/usr/bin/ssh\n"),
        out(0, "git version 2.39.5\n"),
        out(1, ""), // test -f /x/c/.git
        out(1, ""), // test -e /x/c/.git/config
        out(0, ""), // mkdir -p /x
        out(0, ""), // ls-remote -h refs/heads/HEAD
        out(0, ""), // ls-remote -t refs/tags/HEAD
        out(0, ""), // clone
        out(1, ""), // test -f /x/c/.git
        out(
            0,
            "* main\n  remotes/origin/HEAD -> origin/main\n  remotes/origin/main\n",
        ),
        out(0, "ref: refs/heads/main\n"),
        out(0, ""), // checkout --force main
        out(0, ""), // reset --hard
        out(1, ""), // cat .gitmodules
        out(0, "0123456789012345678901234567890123456789\n"),
    ]);
    let env = Env::default();
    let r = GIT
        .run(
            &env.ctx(&conn),
            &args(json!({"repo": "/srv/r.git", "dest": "/x/c"})),
        )
        .result();
    assert_eq!(r["changed"], json!(true), "{r:?}");
    assert_eq!(r["before"], Value::Null);
    assert_eq!(
        r["after"],
        json!("0123456789012345678901234567890123456789")
    );
    let lines = git_lines(&conn);
    assert_eq!(
        lines,
        vec![
            "--version",
            "ls-remote file:///srv/r.git -h refs/heads/HEAD",
            "ls-remote file:///srv/r.git -t refs/tags/HEAD",
            "clone --origin origin file:///srv/r.git /x/c",
            "branch --no-color -a",
            "checkout --force main",
            "reset --hard origin/main --",
            "rev-parse HEAD",
        ]
    );
    // Every command runs under the parsable locale and with ssh in batch mode.
    let all = scripts(&conn);
    let all = all.join("\n");
    assert!(all.contains("LC_ALL=C.UTF-8"), "{all}");
    assert!(
        all.contains("GIT_SSH_COMMAND='ssh  -o BatchMode=yes'"),
        "{all}"
    );
}

#[test]
fn arguments_are_checked_as_ansible() {
    let conn = FakeConnection::default();
    let env = Env::default();
    let run = |a: serde_json::Value| GIT.run(&env.ctx(&conn), &args(a)).result();
    assert_eq!(
        run(json!({"dest": "/x"}))["msg"],
        "missing required arguments: repo"
    );
    assert_eq!(
        run(json!({"repo": "r", "dest": "/x", "bare": true, "separate_git_dir": "/y"}))["msg"],
        "parameters are mutually exclusive: separate_git_dir|bare"
    );
    assert_eq!(
        run(json!({"repo": "r", "dest": "/x", "archive_prefix": "p/"}))["msg"],
        "missing parameter(s) required by 'archive_prefix': archive"
    );
    assert!(conn.lines().is_empty());
}

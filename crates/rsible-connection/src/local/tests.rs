use std::os::unix::fs::PermissionsExt as _;

use super::{home, LocalConnection};
use crate::{Become, BecomeMethod, Connection, ExecRequest, PutOptions};

fn is_root() -> bool {
    LocalConnection::new()
        .exec(&ExecRequest::argv(["id", "-u"]))
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

#[test]
fn runs_argv_with_env_cwd_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let conn = LocalConnection::new();
    let mut req = ExecRequest::argv(["sh", "-c", "pwd; echo \"$K\"; cat"]);
    req.env = vec![("K".into(), "v w".into())];
    req.cwd = Some(dir.path().to_string_lossy().into_owned());
    req.stdin = Some(b"in\n".to_vec());
    let out = conn.exec(&req).unwrap();
    assert_eq!(out.rc, 0);
    let real = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\nv w\nin\n", real.display())
    );
}

#[test]
fn shell_exit_code_and_stderr() {
    let out = LocalConnection::new()
        .exec(&ExecRequest::shell("echo oops >&2; exit 3"))
        .unwrap();
    assert_eq!((out.rc, out.stderr), (3, b"oops\n".to_vec()));
}

#[test]
fn missing_program_is_rc_127() {
    let out = LocalConnection::new()
        .exec(&ExecRequest::argv(["/nonexistent/prog"]))
        .unwrap();
    assert_eq!(out.rc, 127);
}

#[test]
fn put_file_is_atomic_and_sets_mode() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f");
    let d = dest.to_string_lossy().into_owned();
    let conn = LocalConnection::new();
    conn.put_file(
        b"one",
        &d,
        &PutOptions {
            mode: Some(0o600),
            become_: None,
        },
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"one");
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Rewriting without a mode keeps the existing permissions.
    conn.put_file(b"two", &d, &PutOptions::default()).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"two");
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn stat_and_expand_user() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x");
    std::fs::write(&f, b"abc\n").unwrap();
    let conn = LocalConnection::new();
    let st = conn.stat(&f.to_string_lossy(), true, true, None).unwrap();
    assert!(st.exists && st.is_file && !st.is_dir);
    assert_eq!(st.size, 4);
    assert_eq!(
        st.checksum.as_deref(),
        Some("03cfd743661f07975fa2f1220c5194cbaff48451")
    );
    assert!(
        !conn
            .stat("/nonexistent/x", true, false, None)
            .unwrap()
            .exists
    );
    assert_eq!(
        conn.expand_user("~/a b", None).unwrap(),
        format!("{}/a b", home())
    );
    assert_eq!(conn.expand_user("/abs", None).unwrap(), "/abs");
}

#[test]
fn become_with_su_runs_as_the_user() {
    // Switching user without a password needs root, which the CI machine has.
    let out = LocalConnection::new()
        .exec(&ExecRequest::argv(["id", "-u"]))
        .unwrap();
    if String::from_utf8_lossy(&out.stdout).trim() != "0" {
        return;
    }
    let b = Become {
        method: BecomeMethod::Su,
        user: "nobody".into(),
        flags: None,
        password: None,
    };
    let mut req = ExecRequest::argv(["sh", "-c", "id -un; echo \"$K\"; cat"]).with_become(Some(&b));
    req.env = vec![("K".into(), "v".into())];
    req.stdin = Some(b"in".to_vec());
    let out = LocalConnection::new().exec(&req).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "nobody\nv\nin");
}

#[test]
fn put_file_with_become_writes_as_the_user() {
    use std::os::unix::fs::MetadataExt as _;
    let conn = LocalConnection::new();
    let out = conn.exec(&ExecRequest::argv(["id", "-u"])).unwrap();
    if String::from_utf8_lossy(&out.stdout).trim() != "0" {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let dest = dir.path().join("f");
    let b = Become {
        method: BecomeMethod::Su,
        user: "nobody".into(),
        flags: None,
        password: None,
    };
    let opts = PutOptions {
        mode: Some(0o640),
        become_: Some(b),
    };
    conn.put_file(b"data\n", &dest.to_string_lossy(), &opts)
        .unwrap();
    let meta = std::fs::metadata(&dest).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"data\n");
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(meta.uid(), 65534);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn become_with_sudo_sends_the_password_only_when_asked() {
    // root is not asked: the password must not end up in the command's stdin.
    if !is_root() || !std::path::Path::new("/usr/bin/sudo").exists() {
        return;
    }
    let b = Become {
        method: BecomeMethod::Sudo,
        user: "nobody".into(),
        flags: None,
        password: Some("not-used".into()),
    };
    let mut req = ExecRequest::shell("id -un; cat").with_become(Some(&b));
    req.stdin = Some(b"payload\n".to_vec());
    let out = LocalConnection::new().exec(&req).unwrap();
    assert_eq!(
        (out.rc, String::from_utf8_lossy(&out.stdout).into_owned()),
        (0, "nobody\npayload\n".to_owned())
    );
}

#[test]
fn failed_write_reports_and_leaves_nothing() {
    let err = LocalConnection::new()
        .put_file(b"x", "/nonexistent/dir/f", &PutOptions::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot write /nonexistent/dir/f: "),
        "{err}"
    );
}

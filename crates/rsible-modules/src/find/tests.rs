use super::*;
use crate::testing::{args, Env, RunResult};
use rsible_connection::local::LocalConnection;

fn a(v: Value) -> Args {
    read_args(&args(v)).unwrap().unwrap()
}

fn entry(rel: &str, kind: char, is_dir: bool) -> Entry {
    Entry {
        rel: rel.to_owned(),
        kind,
        is_dir,
        readable: true,
        mode: 0o644,
        mtime: (1000, 500_000_000),
        ..Entry::default()
    }
}

/// A tree as find(1) lists it, depth first in directory order:
/// top/{b.txt, d1/{x.txt, .h.txt, d2/y.txt}, a.txt, .hid/z.txt, ln -> d1, locked/}.
fn listing() -> Listing {
    let mut locked = entry("locked", 'd', true);
    locked.readable = false;
    Listing {
        entries: vec![
            entry("b.txt", 'f', false),
            entry("d1", 'd', true),
            entry("d1/x.txt", 'f', false),
            entry("d1/.h.txt", 'f', false),
            entry("d1/d2", 'd', true),
            entry("d1/d2/y.txt", 'f', false),
            entry("a.txt", 'f', false),
            entry(".hid", 'd', true),
            entry(".hid/z.txt", 'f', false),
            entry("ln", 'l', true),
            locked,
        ],
        ..Listing::default()
    }
}

fn paths(w: &Walk<'_>) -> Vec<String> {
    w.files
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

// Orders and counts from ansible-core 2.19's find (its os.walk) on the same tree.
#[test]
fn the_walk_is_os_walks() {
    let args = a(json!({"paths": "/top", "recurse": true}));
    let fetched = Fetched::default();
    let w = walk(&args, 2000.0, &[listing()], &fetched);
    // Hidden directories are walked: only hidden names are left out.
    assert_eq!(
        paths(&w),
        [
            "/top/b.txt",
            "/top/a.txt",
            "/top/d1/x.txt",
            "/top/d1/d2/y.txt",
            "/top/.hid/z.txt"
        ]
    );
    assert_eq!(w.looked, 11);
    assert_eq!(
        Value::Object(w.skipped.clone()),
        json!({"/top/locked": "[Errno 13] Permission denied: '/top/locked'"})
    );
    assert_eq!(w.msg, "All paths examined");

    let args = a(
        json!({"paths": "/top/", "recurse": true, "hidden": true, "file_type": "any", "depth": 1}),
    );
    let w = walk(&args, 2000.0, &[listing()], &fetched);
    assert_eq!(
        paths(&w),
        [
            "/top/b.txt",
            "/top/a.txt",
            "/top/d1",
            "/top/.hid",
            "/top/ln",
            "/top/locked"
        ]
    );
    // The children of the first level are examined, not matched.
    assert_eq!(w.looked, 6 + 3 + 1);

    let args = a(json!({"paths": "/top", "recurse": false, "file_type": "directory"}));
    let w = walk(&args, 2000.0, &[listing()], &fetched);
    assert_eq!(paths(&w), ["/top/d1", "/top/locked"]);
    assert_eq!(w.looked, 6);

    let args = a(json!({"paths": "/top", "recurse": true, "limit": 3}));
    let w = walk(&args, 2000.0, &[listing()], &fetched);
    assert_eq!(paths(&w), ["/top/b.txt", "/top/a.txt", "/top/d1/x.txt"]);
    assert_eq!(w.msg, "Limit of matches reached");

    let args = a(json!({"paths": ["/top", "/nope"], "patterns": ["*.txt"], "excludes": "a*"}));
    let w = walk(
        &args,
        2000.0,
        &[
            listing(),
            Listing {
                not_dir: true,
                ..Listing::default()
            },
        ],
        &fetched,
    );
    assert_eq!(paths(&w), ["/top/b.txt"]);
    assert_eq!(w.msg, "Not all paths examined, check warnings for details");
    assert_eq!(
        w.warnings,
        ["Skipped '/nope' path due to this access issue: '/nope' is not a directory\n"]
    );
}

#[test]
fn filters_are_the_modules() {
    let e = entry("f", 'f', false);
    let mut big = e.clone();
    big.size = 2048;
    let s = |v: &str| a(json!({"paths": "/", "size": v}));
    assert!(sizefilter(&big, &s("2k")) && !sizefilter(&big, &s("3k")));
    assert!(sizefilter(&big, &s("-2k")) && !sizefilter(&big, &s("-1k")));
    let age = |v: &str| a(json!({"paths": "/", "age": v}));
    assert!(agefilter(&e, 1060.5, &age("1m")) && !agefilter(&e, 1060.4, &age("1m")));
    assert!(agefilter(&e, 1060.5, &age("-1m")) && !agefilter(&e, 1061.0, &age("-1m")));
    let mode = |m: &str, exact: bool| a(json!({"paths": "/", "mode": m, "exact_mode": exact}));
    assert!(mode_filter(&e, &mode("0644", true)).unwrap());
    assert!(mode_filter(&e, &mode("u=rw,g=r,o=r", true)).unwrap());
    assert!(!mode_filter(&e, &mode("0600", true)).unwrap());
    assert!(mode_filter(&e, &mode("0600", false)).unwrap());
    assert!(!mode_filter(&e, &mode("0111", false)).unwrap());
    let re = a(json!({"paths": "/", "use_regex": true}));
    // `re.match`: anchored at the start only.
    assert!(pfilter("abc.log", &re, &["a".into()]).unwrap());
    assert!(!pfilter("xabc", &re, &["a".into()]).unwrap());
    assert_eq!(
        py_time((1_717_171_717, 123_456_789)),
        1_717_171_717.123_456_8
    );
}

#[test]
fn contains_reads_lines_or_the_whole_file() {
    let mut fetched = Fetched::default();
    fetched
        .content
        .insert("/f".into(), Some(b"first\n  second line\n".to_vec()));
    fetched
        .content
        .insert("/bad".into(), Some(b"ok\n\xff\n".to_vec()));
    let c = |pat: &str, whole: bool| {
        a(json!({"paths": "/", "contains": pat, "read_whole_file": whole}))
    };
    assert!(contentfilter("/f", &c("sec", true), &fetched).unwrap());
    assert!(!contentfilter("/f", &c("sec", false), &fetched).unwrap());
    assert!(contentfilter("/f", &c(r"\s+second", false), &fetched).unwrap());
    assert!(contentfilter("/f", &c(".*line$", false), &fetched).unwrap());
    assert!(!contentfilter("/f", &c("line$", false), &fetched).unwrap());
    assert!(contentfilter("/bad", &c("ok", false), &fetched).unwrap());
    assert_eq!(
        contentfilter("/bad", &c("nope", false), &fetched).unwrap_err(),
        "Failed to read the file /bad due to an encoding error. current encoding: None (default determined by the Python built-in function \"open\")"
    );
    assert!(!contentfilter("/missing", &c("x", false), &fetched).unwrap());
}

// Messages from ansible-playbook 2.19 runs with these arguments.
#[test]
fn arguments_are_refused_as_ansible_refuses_them() {
    let refused = |v: Value| Value::Object(read_args(&args(v)).unwrap().unwrap_err());
    assert_eq!(
        refused(json!({"paths": "t", "mode": 420})),
        json!({"changed": false, "failed": true, "msg": "argument 'mode' is not a string and conversion is not allowed, value is of type int"})
    );
    assert_eq!(
        refused(json!({"paths": "t", "size": "1x"})),
        json!({"changed": false, "failed": true, "msg": "failed to process size", "size": "1x"})
    );
    assert_eq!(
        refused(json!({"paths": "t", "age": "1y"})),
        json!({"changed": false, "failed": true, "msg": "failed to process age", "age": "1y"})
    );
    assert_eq!(
        refused(json!({"paths": "t", "limit": 0}))["msg"],
        "limit cannot be 0 (use None for unlimited)"
    );
    assert_eq!(
        refused(json!({"patterns": "x"}))["msg"],
        "missing required arguments: paths"
    );
    assert_eq!(
        refused(json!({"paths": "t", "file_type": "socket"}))["msg"],
        "value of file_type must be one of: any, directory, file, link, got: socket"
    );
}

#[test]
fn finds_on_the_local_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/a.conf"), "key = 1\n").unwrap();
    std::fs::write(dir.path().join("b.conf"), "other\n").unwrap();
    std::os::unix::fs::symlink("sub", dir.path().join("ln")).unwrap();
    let env = Env::default();
    let run = |v: Value| {
        FIND.run(&env.ctx(&LocalConnection::new()), &args(v))
            .result()
    };
    let r = run(json!({"paths": d, "recurse": true, "contains": "key", "get_checksum": true}));
    assert_eq!(r["matched"], 1, "{r:?}");
    assert_eq!(r["examined"], 4);
    let f = &r["files"][0];
    assert_eq!(f["path"], format!("{d}/sub/a.conf"));
    // `printf 'key = 1\n' | sha1sum`
    assert_eq!(f["checksum"], "3e7f2141dbf090756a7dbdd8a07d73a4980556cb");
    assert_eq!(
        (f["isreg"].clone(), f["size"].clone()),
        (json!(true), json!(8))
    );
    let r = run(json!({"paths": d, "recurse": true, "follow": true, "patterns": "a.*"}));
    assert_eq!(r["matched"], 2, "{r:?}");
    let r = run(json!({"paths": d, "file_type": "link"}));
    assert_eq!(r["files"][0]["islnk"], true, "{r:?}");
    assert_eq!(r["files"][0]["mode"], "0777");
}

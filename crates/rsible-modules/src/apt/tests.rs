use serde_json::json;

use super::*;
use crate::testing::{args, Env, FakeConnection, RunResult};
use rsible_connection::local::LocalConnection;
use rsible_connection::{Command, Connection};

fn run(env: &Env, conn: &FakeConnection, a: Value) -> ResultMap {
    APT.run(&env.ctx(conn), &args(a)).result()
}

fn argv(conn: &FakeConnection, i: usize) -> Vec<String> {
    match &conn.execs.lock().unwrap()[i].command {
        Command::Argv(v) => v.clone(),
        Command::Shell { .. } => vec!["<script>".to_owned()],
    }
}

fn ok(stdout: &str) -> crate::ExecOutput {
    FakeConnection::out(0, stdout, "")
}

const HEAD: &str =
    "G:/usr/bin/apt-get\nM:/usr/bin/apt-mark\nL:C.utf8\nC:1795761702\nN:1795770000\n";

/// Probe lines for a package as `apt-cache policy` prints it.
fn pkg(name: &str, dpkg: Option<&str>, candidate: &str, versions: &[&str]) -> String {
    let mut s = format!("P:{name}\n");
    if let Some(d) = dpkg {
        s.push_str(&format!("D:{d}\n"));
    }
    let installed = dpkg
        .and_then(|d| d.strip_prefix("installed|"))
        .unwrap_or("(none)");
    s.push_str(&format!(
        "A:{name}:\nA:  Installed: {installed}\nA:  Candidate: {candidate}\nA:  Version table:\n"
    ));
    for v in versions {
        let mark = if *v == installed { " *** " } else { "     " };
        s.push_str(&format!("A:{mark}{v} 500\nA:        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n"));
    }
    s
}

// Command lines below are the module's own format strings evaluated in Python
// (ansible/modules/apt.py install()/remove() with these arguments), then shlex.split.
const APT_GET: [&str; 8] = [
    "/usr/bin/apt-get",
    "-y",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
    "-o",
    "DPkg::Lock::Timeout=60",
];

#[test]
fn installs_only_missing_packages_with_candidate_versions() {
    let probe = format!(
        "{HEAD}{}{}",
        pkg(
            "pandoc",
            None,
            "2.17.1.1-2~deb12u1",
            &["2.17.1.1-2~deb12u1"]
        ),
        pkg("coreutils", Some("installed|9.1-1"), "9.1-1", &["9.1-1"])
    );
    let conn =
        FakeConnection::with_outputs(vec![ok(&probe), ok("Reading package lists...\n"), ok("")]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"pkg": ["pandoc", "coreutils"]}),
    );
    let mut want: Vec<String> = APT_GET.iter().map(|s| (*s).to_owned()).collect();
    want.extend(["install".to_owned(), "pandoc=2.17.1.1-2~deb12u1".to_owned()]);
    assert_eq!(argv(&conn, 1), want);
    assert_eq!(
        argv(&conn, 2),
        ["/usr/bin/apt-mark", "manual", "pandoc", "coreutils"]
    );
    let env = &conn.execs.lock().unwrap()[1].env;
    for kv in [
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("DEBIAN_PRIORITY", "critical"),
        ("LC_ALL", "C.utf8"),
        ("LANG", "C.utf8"),
    ] {
        assert!(env.contains(&(kv.0.to_owned(), kv.1.to_owned())), "{kv:?}");
    }
    assert_eq!(
        Value::Object(r),
        json!({"changed": true, "diff": {}, "stdout": "Reading package lists...\n", "stderr": "",
               "stdout_lines": ["Reading package lists..."], "stderr_lines": [],
               "cache_updated": false, "cache_update_time": 1795761702})
    );
}

#[test]
fn installed_packages_only_get_marked_manual() {
    let probe = format!(
        "{HEAD}{}",
        pkg(
            "coreutils",
            Some("installed|9.1-1"),
            "9.2-1",
            &["9.2-1", "9.1-1"]
        )
    );
    let conn = FakeConnection::with_outputs(vec![ok(&probe), ok("")]);
    let r = run(&Env::default(), &conn, json!({"name": "coreutils"}));
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "cache_updated": false, "cache_update_time": 1795761702})
    );
    assert_eq!(argv(&conn, 1), ["/usr/bin/apt-mark", "manual", "coreutils"]);

    // latest: the newer candidate is installed, pinned to its version.
    let conn = FakeConnection::with_outputs(vec![ok(&probe), ok(""), ok("")]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "coreutils", "state": "latest"}),
    );
    assert_eq!(r["changed"], true);
    assert_eq!(argv(&conn, 1).last().unwrap(), "coreutils=9.2-1");
}

#[test]
fn failures_carry_the_module_messages() {
    let probe = format!("{HEAD}P:nope\n");
    let conn = FakeConnection::with_outputs(vec![ok(&probe)]);
    let r = run(&Env::default(), &conn, json!({"name": "nope"}));
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "failed": true, "msg": "No package matching 'nope' is available"})
    );
    assert_eq!(conn.execs.lock().unwrap().len(), 1);

    let probe = format!("{HEAD}{}", pkg("pandoc", None, "2.17", &["2.17"]));
    let err = "E: Could not get lock /var/lib/dpkg/lock-frontend\n";
    let conn =
        FakeConnection::with_outputs(vec![ok(&probe), FakeConnection::out(100, "", err), ok("")]);
    let r = run(&Env::default(), &conn, json!({"name": "pandoc"}));
    assert_eq!(
        r["msg"],
        format!("'/usr/bin/apt-get -y -o \"Dpkg::Options::=--force-confdef\" -o \"Dpkg::Options::=--force-confold\" -o DPkg::Lock::Timeout=60       install 'pandoc=2.17'' failed: {err}")
    );
    assert_eq!(
        (&r["rc"], &r["failed"], &r["cache_updated"]),
        (&json!(100), &json!(true), &json!(false))
    );

    let probe = format!(
        "{HEAD}{}",
        pkg("ghost", Some("config-files|1.0"), "(none)", &["1.0"])
    );
    let conn = FakeConnection::with_outputs(vec![ok(&probe)]);
    let r = run(&Env::default(), &conn, json!({"name": "ghost"}));
    assert_eq!(r["msg"], "no available installation candidate for ghost");
}

#[test]
fn check_mode_simulates_and_marks_nothing() {
    let probe = format!("{HEAD}{}", pkg("pandoc", None, "2.17", &["2.17"]));
    let conn = FakeConnection::with_outputs(vec![ok(&probe), ok("")]);
    let env = Env {
        check_mode: true,
        ..Env::default()
    };
    let r = run(
        &env,
        &conn,
        json!({"name": "pandoc", "install_recommends": false}),
    );
    assert_eq!(r["changed"], true);
    let a = argv(&conn, 1);
    assert_eq!(
        a[8..],
        [
            "--simulate",
            "install",
            "pandoc=2.17",
            "-o",
            "APT::Install-Recommends=no"
        ]
    );
    assert_eq!(conn.execs.lock().unwrap().len(), 2);
}

#[test]
fn absent_removes_installed_packages_only() {
    let probe = format!(
        "{HEAD}{}P:nope\n",
        pkg("coreutils", Some("installed|9.1-1"), "9.1-1", &["9.1-1"])
    );
    let conn = FakeConnection::with_outputs(vec![ok(&probe), ok("Removing coreutils\n")]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "coreutils,nope", "state": "absent", "purge": true}),
    );
    assert_eq!(
        argv(&conn, 1),
        [
            "/usr/bin/apt-get",
            "-q",
            "-y",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
            "-o",
            "DPkg::Lock::Timeout=60",
            "--purge",
            "remove",
            "coreutils"
        ]
    );
    assert_eq!(r["changed"], true);
    assert!(!r.contains_key("cache_updated"));

    let probe = format!("{HEAD}P:nope\n");
    let conn = FakeConnection::with_outputs(vec![ok(&probe)]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "nope", "state": "absent"}),
    );
    assert_eq!(Value::Object(r), json!({"changed": false}));
}

#[test]
fn update_cache_only_when_stale() {
    // Fresh enough: no apt-get update.
    let conn = FakeConnection::with_outputs(vec![ok(HEAD)]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"update_cache": true, "cache_valid_time": 86400}),
    );
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "cache_updated": false, "cache_update_time": 1795761702})
    );
    assert_eq!(conn.execs.lock().unwrap().len(), 1);

    let conn =
        FakeConnection::with_outputs(vec![ok(HEAD), ok(""), ok("C:1795770001\nN:1795770002\n")]);
    let r = run(&Env::default(), &conn, json!({"update_cache": "yes"}));
    assert_eq!(argv(&conn, 1), ["/usr/bin/apt-get", "update", "-q"]);
    assert_eq!(
        Value::Object(r),
        json!({"changed": true, "cache_updated": true, "cache_update_time": 1795770001})
    );
}

#[test]
fn extreme_numbers_are_taken_without_overflow() {
    // The largest lock timeout and cache age a playbook can write: no clock or sum overflows.
    let conn = FakeConnection::with_outputs(vec![
        ok(HEAD),
        FakeConnection::out(100, "", "E: Could not get lock /var/lib/apt/lists/lock"),
        ok(""),
        ok("C:1795770001\nN:1795770002\n"),
    ]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"update_cache": true, "lock_timeout": i64::MAX, "cache_valid_time": i64::MAX}),
    );
    assert_eq!(r["cache_updated"], json!(false), "{r:?}");
    let conn = FakeConnection::with_outputs(vec![
        ok(HEAD),
        FakeConnection::out(100, "", "E: Could not get lock /var/lib/apt/lists/lock"),
        ok(""),
        ok("C:1795770001\nN:1795770002\n"),
    ]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"update_cache": true, "lock_timeout": i64::MAX}),
    );
    assert_eq!(r["cache_updated"], json!(true), "{r:?}");
    assert_eq!(argv(&conn, 2), ["/usr/bin/apt-get", "update", "-q"]);
}

#[test]
fn failed_update_retries_then_fails() {
    let err = "E: Failed to fetch http://x/dists/y/InRelease  404  Not Found";
    let conn = FakeConnection::with_outputs(vec![
        ok(HEAD),
        FakeConnection::out(100, "", err),
        FakeConnection::out(100, "", err),
    ]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"update_cache": true, "update_cache_retries": 2, "update_cache_retry_max_delay": 0}),
    );
    assert_eq!(
        r["msg"],
        format!("Failed to update apt cache after 2 retries: {err}")
    );
    let w = r["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 4);
    assert_eq!(
        w[0],
        format!("Failed to update cache after 1 retries due to {err}, retrying")
    );
    assert!(w[1].as_str().unwrap().starts_with("Sleeping for "));
}

#[test]
fn argument_errors_match_ansible() {
    let conn = FakeConnection::default();
    // Messages from ansible-playbook 2.19 runs of the same tasks.
    assert_eq!(
        run(&Env::default(), &conn, json!({"name": "x", "bogus": 1}))["msg"],
        "Unsupported parameters for (apt) module: bogus. Supported parameters include: allow_change_held_packages, allow_downgrade, allow_unauthenticated, auto_install_module_deps, autoclean, autoremove, cache_valid_time, clean, deb, default_release, dpkg_options, fail_on_autoremove, force, force_apt_get, install_recommends, lock_timeout, only_upgrade, package, policy_rc_d, purge, state, update_cache, update_cache_retries, update_cache_retry_max_delay, upgrade (allow-downgrade, allow-downgrades, allow-unauthenticated, allow_downgrades, default-release, install-recommends, name, pkg, update-cache)."
    );
    assert_eq!(
        run(&Env::default(), &conn, json!({"name": "x", "state": "bad"}))["msg"],
        "value of state must be one of: absent, build-dep, fixed, latest, present, got: bad"
    );
    assert_eq!(
        run(
            &Env::default(),
            &conn,
            json!({"name": "x", "upgrade": "dist"})
        )["msg"],
        "parameters are mutually exclusive: deb|package|upgrade"
    );
    assert!(conn.execs.lock().unwrap().is_empty());
}

#[test]
fn splits_specs_like_the_module() {
    assert_eq!(
        package_split("a>=1.0"),
        ("a".to_owned(), Some(">="), Some("1.0".to_owned()))
    );
    assert_eq!(
        package_split("a=1=2"),
        ("a".to_owned(), Some("="), Some("1=2".to_owned()))
    );
    assert_eq!(package_split("a"), ("a".to_owned(), None, None));
}

/// Read-only on this machine: the probe's view of real packages, and `apt: state=present`
/// without packages, which Ansible 2.19 answered here with
/// `{"cache_update_time": <lists mtime>, "cache_updated": false, "changed": false}`.
#[test]
fn probe_reads_this_machines_dpkg_and_apt_cache() {
    if !std::path::Path::new("/usr/bin/apt-cache").exists()
        || !std::path::Path::new("/usr/bin/dpkg-query").exists()
    {
        return;
    }
    let conn = LocalConnection::new();
    let names: Vec<String> = ["coreutils", "rsible-no-such-package"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let o = conn
        .exec(&ExecRequest::shell(probe::script(&names, None)))
        .unwrap();
    let p = probe::parse(&String::from_utf8_lossy(&o.stdout));
    assert!(p.apt_get.is_some());
    let core = &p.packages[0];
    assert!(
        core.known && core.installed() && !core.versions.is_empty(),
        "{core:?}"
    );
    let dpkg_version = std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "coreutils"])
        .output()
        .unwrap();
    assert_eq!(
        core.dpkg_version.as_deref(),
        Some(String::from_utf8_lossy(&dpkg_version.stdout).as_ref())
    );
    assert!(!p.packages[1].known && p.packages[1].providers.is_empty());

    let env = Env::default();
    let r = APT
        .run(&env.ctx(&conn), &args(json!({"state": "present"})))
        .result();
    let mtime = std::process::Command::new("sh")
        .args(["-c", "stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists"])
        .output()
        .unwrap();
    let mtime: i64 = String::from_utf8_lossy(&mtime.stdout)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "cache_updated": false, "cache_update_time": mtime})
    );
}

use serde_json::json;

use super::*;
use crate::testing::{args, Env, FakeConnection, RunResult};
use rsible_connection::local::LocalConnection;
use rsible_connection::{Command, Connection};

fn run(env: &Env, conn: &FakeConnection, a: Value) -> ResultMap {
    MODPROBE.run(&env.ctx(conn), &args(a)).result()
}

fn argvs(conn: &FakeConnection) -> Vec<Vec<String>> {
    conn.execs
        .lock()
        .unwrap()
        .iter()
        .map(|r| match &r.command {
            Command::Argv(v) => v.clone(),
            Command::Shell { .. } => vec!["<script>".to_owned()],
        })
        .collect()
}

fn out(stdout: &str) -> crate::ExecOutput {
    FakeConnection::out(0, stdout, "")
}

#[test]
fn loaded_module_is_left_alone() {
    let conn = FakeConnection::with_outputs(vec![out("b:/usr/sbin/modprobe\nL:\n")]);
    let r = run(&Env::default(), &conn, json!({"name": "rdma_rxe"}));
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "name": "rdma_rxe", "params": "", "state": "present"})
    );
    assert_eq!(argvs(&conn), [["<script>"]]);
}

#[test]
fn missing_module_is_loaded_with_its_params() {
    let conn = FakeConnection::with_outputs(vec![
        out("b:/usr/sbin/modprobe\nN:\n"),
        out(""),
        out("b:/usr/sbin/modprobe\nL:\n"),
    ]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "dummy", "params": "numdummies=2 'x=a b'"}),
    );
    assert_eq!(r["changed"], true);
    assert_eq!(r["params"], "numdummies=2 'x=a b'");
    assert_eq!(
        argvs(&conn)[1],
        ["/usr/sbin/modprobe", "dummy", "numdummies=2", "x=a b"]
    );
}

#[test]
fn still_unloaded_after_modprobe_warns_from_first_time() {
    let conn = FakeConnection::with_outputs(vec![
        out("b:/sbin/modprobe\nN:\n"),
        out(""),
        out("b:/sbin/modprobe\nN:\n"),
        FakeConnection::out(
            1,
            "",
            "modprobe: ERROR: could not insert 'x': Module already in kernel\n",
        ),
    ]);
    let r = run(&Env::default(), &conn, json!({"name": "x"}));
    assert_eq!(r["changed"], false);
    assert_eq!(
        argvs(&conn)[3],
        ["/sbin/modprobe", "-n", "--first-time", "x"]
    );
    assert_eq!(
        r["warnings"],
        json!(["modprobe: ERROR: could not insert 'x': Module already in kernel\n"])
    );
}

#[test]
fn modprobe_failure_reports_stderr_and_rc() {
    let err = "modprobe: ERROR: could not insert 'dummy': Operation not permitted\n";
    let conn = FakeConnection::with_outputs(vec![
        out("b:/sbin/modprobe\nN:\n"),
        FakeConnection::out(1, "", err),
    ]);
    let r = run(&Env::default(), &conn, json!({"name": "dummy"}));
    assert_eq!(
        Value::Object(r),
        json!({"changed": false, "failed": true, "msg": err, "name": "dummy", "params": "",
               "rc": 1, "state": "present", "stderr": err, "stdout": ""})
    );
}

#[test]
fn unreadable_proc_modules_fails_like_python_open() {
    let conn = FakeConnection::with_outputs(vec![out("b:/sbin/modprobe\nE:2 /proc/modules\n")]);
    let r = run(&Env::default(), &conn, json!({"name": "dummy"}));
    assert_eq!(r["failed"], true);
    assert_eq!(
        r["msg"],
        "[Errno 2] No such file or directory: '/proc/modules'"
    );
    assert_eq!(r["name"], "dummy");
    assert_eq!(argvs(&conn).len(), 1);
}

#[test]
fn absent_unloads_and_check_mode_only_simulates() {
    let conn = FakeConnection::with_outputs(vec![out("b:/sbin/modprobe\nL:\n"), out("")]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "dummy", "state": "absent"}),
    );
    assert_eq!(r["changed"], true);
    assert_eq!(argvs(&conn)[1], ["/sbin/modprobe", "-r", "dummy"]);

    let env = Env {
        check_mode: true,
        ..Env::default()
    };
    let conn = FakeConnection::with_outputs(vec![out("b:/sbin/modprobe\nL:\n"), out("")]);
    let r = run(&env, &conn, json!({"name": "dummy", "state": "absent"}));
    assert_eq!(r["changed"], true);
    assert_eq!(argvs(&conn)[1], ["/sbin/modprobe", "-r", "dummy", "-n"]);

    let conn = FakeConnection::with_outputs(vec![out("b:/sbin/modprobe\nN:\n"), out("")]);
    let r = run(&env, &conn, json!({"name": "dummy"}));
    assert_eq!(r["changed"], true);
    assert_eq!(
        argvs(&conn),
        vec![vec!["<script>"], vec!["/sbin/modprobe", "-n", "dummy"]]
    );
}

#[test]
fn argument_errors() {
    let conn = FakeConnection::default();
    assert_eq!(
        run(&Env::default(), &conn, json!({}))["msg"],
        "missing required arguments: name"
    );
    assert_eq!(
        run(&Env::default(), &conn, json!({"name": "x", "state": "on"}))["msg"],
        "value of state must be one of: absent, present, got: on"
    );
    assert_eq!(
        run(&Env::default(), &conn, json!({"name": "x", "bogus": 1}))["msg"],
        "Unsupported parameters for (community.general.modprobe) module: bogus. Supported parameters include: name, params, persistent, state."
    );
    assert!(conn.execs.lock().unwrap().is_empty());
}

#[test]
fn persistent_present_writes_both_files_and_comments_old_options() {
    let probe = "b:/sbin/modprobe\nL:\nF:/etc/modprobe.d|/etc/modprobe.d/old.conf\n|options dummy numdummies=1\n|blacklist foo\n\nF.\n";
    let conn = FakeConnection::with_outputs(vec![out(probe), out("")]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "dummy", "params": "numdummies=2", "persistent": "present"}),
    );
    assert_eq!(r["changed"], true);
    let lines = conn.lines();
    let script = &lines[1];
    // The module's readlines()/'\n'.join rewrite doubles the newlines of the old file.
    assert!(script.contains("printf '\"'\"'%s'\"'\"' '\"'\"'#options dummy numdummies=1\n\nblacklist foo\n'\"'\"' > /etc/modprobe.d/old.conf"), "{script}");
    assert!(
        script.contains("> /etc/modules-load.d/dummy.conf"),
        "{script}"
    );
    assert!(
        script.contains("'\"'\"'options dummy numdummies=2\n'\"'\"' > /etc/modprobe.d/dummy.conf"),
        "{script}"
    );

    // Already persistent with the same options: nothing to write.
    let probe = "b:/sbin/modprobe\nL:\nF:/etc/modules-load.d|/etc/modules-load.d/dummy.conf\n|dummy\n\nF.\nF:/etc/modprobe.d|/etc/modprobe.d/dummy.conf\n|options dummy numdummies=2\n\nF.\n";
    let conn = FakeConnection::with_outputs(vec![out(probe)]);
    let r = run(
        &Env::default(),
        &conn,
        json!({"name": "dummy", "params": "numdummies=2", "persistent": "present"}),
    );
    assert_eq!(r["changed"], false);
    assert_eq!(conn.execs.lock().unwrap().len(), 1);
}

#[test]
fn probe_reads_files_as_python_readlines() {
    let p = parse_probe("b:/x\nN:\nF:/etc/modules-load.d|/r/a.conf\n|a\n|\n|b\nF.\nF:/etc/modules-load.d|/r/e.conf\n\nF.\n");
    assert_eq!(
        p.load_files,
        vec![
            (
                "/r/a.conf".to_owned(),
                vec!["a\n".to_owned(), "\n".to_owned(), "b".to_owned()]
            ),
            ("/r/e.conf".to_owned(), vec![]),
        ]
    );
}

/// Runs the real probe script over a fake root; returns its parsed findings.
fn probe_under(root: &std::path::Path, name: &str) -> Probe {
    let conn = LocalConnection::new();
    let mut req = ExecRequest::shell(probe_script_under(&root.display().to_string(), name, true));
    // A fake modprobe on PATH so the script gets past get_bin_path.
    req.env.push((
        "PATH".into(),
        format!("{}:/usr/bin:/bin", root.join("bin").display()),
    ));
    let o = conn.exec(&req).unwrap();
    parse_probe(&String::from_utf8_lossy(&o.stdout))
}

#[test]
fn probe_script_checks_proc_modules_builtin_and_sysfs() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("bin")).unwrap();
    std::fs::write(r.join("bin/modprobe"), "#!/bin/sh\n").unwrap();
    std::process::Command::new("chmod")
        .args(["755", &r.join("bin/modprobe").display().to_string()])
        .status()
        .unwrap();
    // No /proc/modules: Python's open() error.
    let p = probe_under(r, "rdma-rxe");
    assert_eq!(p.bin, Ok(format!("{}/bin/modprobe", r.display())));
    assert_eq!(
        p.loaded,
        Loaded::Error(format!(
            "[Errno 2] No such file or directory: '{}/proc/modules'",
            r.display()
        ))
    );
    std::fs::create_dir_all(r.join("proc")).unwrap();
    std::fs::write(
        r.join("proc/modules"),
        "rdma_rxe 1 0 - Live 0x0\nib_core_x 2 0 - Live 0x0\n",
    )
    .unwrap();
    // `-` in the name matches `_` in /proc/modules; a prefix does not.
    assert_eq!(probe_under(r, "rdma-rxe").loaded, Loaded::Yes);
    let release = String::from_utf8(
        std::process::Command::new("uname")
            .arg("-r")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let builtin = r.join("lib/modules").join(release.trim());
    assert_eq!(
        probe_under(r, "ib_core").loaded,
        Loaded::Error(format!(
            "[Errno 2] No such file or directory: '{}/modules.builtin'",
            builtin.display()
        ))
    );
    std::fs::create_dir_all(r.join("sys/module/ib_core")).unwrap();
    assert_eq!(probe_under(r, "ib_core").loaded, Loaded::Yes);
    std::fs::create_dir_all(&builtin).unwrap();
    std::fs::write(
        builtin.join("modules.builtin"),
        "kernel/fs/ext4/ext4.ko  \n",
    )
    .unwrap();
    assert_eq!(probe_under(r, "ext4").loaded, Loaded::Yes);
    assert_eq!(probe_under(r, "ib_core").loaded, Loaded::No);
    std::fs::create_dir_all(r.join("etc/modules-load.d")).unwrap();
    std::fs::write(r.join("etc/modules-load.d/x.conf"), "ext4\n# c\n").unwrap();
    let p = probe_under(r, "ext4");
    assert_eq!(
        p.load_files,
        vec![(
            format!("{}/etc/modules-load.d/x.conf", r.display()),
            vec!["ext4\n".to_owned(), "# c\n".to_owned()]
        )]
    );
}

#[test]
fn missing_modprobe_fails_with_get_bin_path_message() {
    let conn = LocalConnection::new();
    let mut req = ExecRequest::shell(probe_script("dummy", false));
    req.env
        .push(("PATH".into(), "/nonexistent-a:/nonexistent-b".into()));
    let o = conn.exec(&req).unwrap();
    let p = parse_probe(&String::from_utf8_lossy(&o.stdout));
    let sbin: Vec<&str> = ["/sbin", "/usr/sbin", "/usr/local/sbin"]
        .into_iter()
        .filter(|d| std::path::Path::new(d).exists())
        .collect();
    if sbin
        .iter()
        .any(|d| std::path::Path::new(d).join("modprobe").exists())
    {
        return;
    }
    // ansible.module_utils.common.process.get_bin_path('modprobe') with the same PATH.
    assert_eq!(
        p.bin,
        Err(format!(
            "Failed to find required executable \"modprobe\" in paths: /nonexistent-a:/nonexistent-b:{}",
            sbin.join(":")
        ))
    );
}

/// Read-only on this machine: a module listed in /proc/modules is reported ok without
/// running modprobe.
#[test]
fn loaded_module_on_this_machine_is_ok() {
    let Ok(text) = std::fs::read_to_string("/proc/modules") else {
        return;
    };
    let Some(name) = text.lines().next().and_then(|l| l.split(' ').next()) else {
        return;
    };
    struct Recording(LocalConnection, std::sync::Mutex<Vec<ExecRequest>>);
    impl Connection for Recording {
        fn host(&self) -> &str {
            "localhost"
        }
        fn exec(&self, req: &ExecRequest) -> Result<crate::ExecOutput, crate::ConnectionError> {
            self.1.lock().unwrap().push(req.clone());
            self.0.exec(req)
        }
        fn put_file(
            &self,
            _: &[u8],
            _: &str,
            _: &crate::PutOptions,
        ) -> Result<(), crate::ConnectionError> {
            Err(crate::ConnectionError::Failed("no writes".into()))
        }
    }
    let conn = Recording(LocalConnection::new(), Default::default());
    let env = Env::default();
    let r = MODPROBE
        .run(&env.ctx(&conn), &args(json!({"name": name})))
        .result();
    if r.get("failed") == Some(&json!(true)) {
        // No modprobe binary: the module fails before looking, as Ansible's does.
        assert!(r["msg"]
            .as_str()
            .unwrap()
            .starts_with("Failed to find required executable"));
        return;
    }
    assert_eq!(r["changed"], false);
    assert_eq!(conn.1.lock().unwrap().len(), 1);
}

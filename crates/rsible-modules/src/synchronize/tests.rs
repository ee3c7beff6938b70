//! `synchronize`: the action's decisions checked against the `cmd` ansible-playbook 2.19
//! (ansible.posix 2.1.0) returned for the same inventory and tasks, and real rsync runs
//! between local directories.

use serde_json::{json, Value};

use super::*;
use crate::testing::{args, Env, FakeConnection, RunResult};
use crate::Become;
use rsible_connection::local::LocalConnection;

const PORT: u16 = 44545;

/// `h1 ansible_host=127.0.0.1 ansible_port=44545 ansible_user=root
/// ansible_ssh_private_key_file=/tmp/sx/client_key`, playbook in /tmp/sx/pb with files/sd/.
fn h1_env(pb: &Path) -> Env {
    let mut env = Env {
        playbook_dir: pb.to_path_buf(),
        ..Env::default()
    };
    let h1 = json!({"inventory_hostname": "h1", "ansible_host": "127.0.0.1", "ansible_port": PORT,
        "ansible_user": "root"});
    env.vars.insert("inventory_hostname".into(), json!("h1"));
    env.vars.insert("ansible_host".into(), json!("127.0.0.1"));
    env.vars.insert("ansible_port".into(), json!(PORT));
    env.vars.insert("ansible_user".into(), json!("root"));
    env.vars.insert("hostvars".into(), json!({ "h1": h1 }));
    env
}

fn ssh_info(key: Option<&str>, delegate: Option<&str>, transport: &str) -> ConnectionInfo {
    ConnectionInfo {
        transport: transport.into(),
        delegate_to: delegate.map(str::to_owned),
        remote_user: None,
        private_key_file: key.map(str::to_owned),
        ssh_args: Some(DEFAULT_SSH_ARGS.into()),
        ssh_common_args: None,
        ssh_extra_args: None,
    }
}

fn parse_args(a: Value) -> Args {
    match crate::args::parse(&INFO.args, &args(a)) {
        Ok(a) => a,
        Err(f) => panic!("{f:?}"),
    }
}

fn cmd_of(ctx: &ModuleContext<'_>, a: Value) -> String {
    let mut p = plan(ctx, &parse_args(a)).unwrap();
    p.spec.rsync = "/usr/bin/rsync".into();
    command_line(&p.spec, || Ok("/usr/bin/ssh".into()), "/").unwrap()
}

fn pb_dir() -> tempfile::TempDir {
    let pb = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(pb.path().join("files/sd/sub")).unwrap();
    std::fs::write(pb.path().join("files/sd/a"), "a\n").unwrap();
    std::fs::write(pb.path().join("files/sd/sub/b"), "b\n").unwrap();
    pb
}

#[test]
fn ssh_host_push_become_and_pull() {
    let pb = pb_dir();
    let p = pb.path().display().to_string();
    let env = h1_env(pb.path());
    let conn = FakeConnection::default();
    let mut ctx = env.ctx(&conn);
    ctx.connection_info = Some(ssh_info(Some("/tmp/sx/client_key"), None, "ssh"));
    let rsh = format!("--rsh='/usr/bin/ssh -S none -i /tmp/sx/client_key -o Port={PORT} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'");
    let out = "--out-format='<<CHANGED>>%i %n%L'";
    assert_eq!(
        cmd_of(&ctx, json!({"src": "sd/", "dest": "/tmp/sx/out1/"})),
        format!("/usr/bin/rsync --delay-updates -F --compress --archive {rsh} {out} {p}/files/sd/ root@127.0.0.1:/tmp/sx/out1/")
    );
    // Without `hostvars` (the runner adds it only when mentioned) the task vars stand in.
    let mut bare = h1_env(pb.path());
    bare.vars.remove("hostvars");
    let mut bare_ctx = bare.ctx(&conn);
    bare_ctx.connection_info = ctx.connection_info.clone();
    assert_eq!(
        cmd_of(&bare_ctx, json!({"src": "sd/", "dest": "/tmp/sx/out1/"})),
        cmd_of(&ctx, json!({"src": "sd/", "dest": "/tmp/sx/out1/"}))
    );
    ctx.become_ = Some(Become {
        method: rsible_connection::BecomeMethod::Sudo,
        user: "root".into(),
        flags: None,
        password: None,
    });
    assert_eq!(
        cmd_of(&ctx, json!({"src": "sd/", "dest": "/tmp/sx/out1/"})),
        format!("/usr/bin/rsync --delay-updates -F --compress --archive {rsh} --rsync-path='sudo -u root rsync' {out} {p}/files/sd/ root@127.0.0.1:/tmp/sx/out1/")
    );
    ctx.become_ = None;
    assert_eq!(
        cmd_of(
            &ctx,
            json!({"src": "sd", "dest": "/tmp/sx/out2", "use_ssh_args": true, "verify_host": true,
                   "ssh_connection_multiplexing": true, "private_key": "/root/k", "dest_port": 2222})
        ),
        format!("/usr/bin/rsync --delay-updates -F --compress --archive --rsh='/usr/bin/ssh -i /root/k -o Port=2222 -C -o ControlMaster=auto -o ControlPersist=60s' {out} {p}/files/sd root@127.0.0.1:/tmp/sx/out2")
    );
    assert_eq!(
        cmd_of(
            &ctx,
            json!({"src": "sd/", "dest": "/tmp/sx/out1/", "mode": "pull", "set_remote_user": "no",
                   "rsync_opts": "--exclude=x,--exclude=y"})
        ),
        format!("/usr/bin/rsync --delay-updates -F --compress --archive {rsh} --exclude=x --exclude=y {out} 127.0.0.1:sd/ /tmp/sx/out1/")
    );
}

#[test]
fn local_and_delegated() {
    let pb = pb_dir();
    let p = pb.path().display().to_string();
    let env = h1_env(pb.path());
    let conn = FakeConnection::default();
    let mut ctx = env.ctx(&conn);
    let out = "--out-format='<<CHANGED>>%i %n%L'";
    // delegate_to: localhost with --private-key: rsync on the controller to the host.
    ctx.connection_info = Some(ssh_info(
        Some("/tmp/sx/client_key"),
        Some("localhost"),
        "local",
    ));
    assert_eq!(
        cmd_of(&ctx, json!({"src": "sd/", "dest": "/tmp/sx/out4/"})),
        format!("/usr/bin/rsync --delay-updates -F --compress --archive --rsh='/usr/bin/ssh -S none -i /tmp/sx/client_key -o Port={PORT} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' {out} {p}/files/sd/ root@127.0.0.1:/tmp/sx/out4/")
    );
    // Without a key for the delegate, no -i.
    ctx.connection_info = Some(ssh_info(None, Some("localhost"), "local"));
    assert!(cmd_of(&ctx, json!({"src": "sd/", "dest": "/x/"}))
        .contains("--rsh='/usr/bin/ssh -S none -o Port=44545 -o"));
    // delegate_to the host's own address, or connection: local: two local paths.
    let local = format!(
        "/usr/bin/rsync --delay-updates -F --compress --archive {out} {p}/files/sd/ /tmp/sx/out4/"
    );
    ctx.connection_info = Some(ssh_info(None, Some("127.0.0.1"), "local"));
    assert_eq!(
        cmd_of(&ctx, json!({"src": "sd/", "dest": "/tmp/sx/out4/"})),
        local
    );
    ctx.connection_info = Some(ssh_info(None, None, "local"));
    ctx.check_mode = true;
    assert_eq!(
        cmd_of(&ctx, json!({"src": "sd/", "dest": "/tmp/sx/out4/"})),
        local.replace("--compress --archive", "--compress --dry-run --archive")
    );
    let p = plan(&ctx, &parse_args(json!({"src": "sd/"}))).unwrap_err();
    assert_eq!(
        p,
        "synchronize requires both src and dest parameters are set"
    );
    let p = plan(
        &ctx,
        &parse_args(json!({"src": "a", "dest": "b", "mode": "sideways"})),
    );
    assert_eq!(
        p.unwrap_err(),
        "value of mode must be one of: pull, push, got: sideways"
    );
}

fn run_local(env: &Env, a: Value) -> ResultMap {
    let conn = LocalConnection::new();
    SYNCHRONIZE.run(&env.ctx(&conn), &args(a)).result()
}

fn lines(r: &ResultMap) -> Vec<&str> {
    r["stdout_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect()
}

#[test]
fn real_local_sync_is_idempotent_and_deletes() {
    if local_bin("rsync").is_err() {
        eprintln!("skipped: rsync is not installed");
        return;
    }
    let pb = pb_dir();
    let out = tempfile::tempdir().unwrap();
    let d = format!("{}/o/", out.path().display());
    let env = Env {
        playbook_dir: pb.path().to_path_buf(),
        diff: true,
        ..Env::default()
    };
    let r = run_local(&env, json!({"src": "sd/", "dest": d}));
    let mut keys: Vec<&str> = r.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["changed", "cmd", "diff", "msg", "rc", "stdout_lines"]
    );
    assert_eq!((&r["changed"], &r["rc"]), (&json!(true), &json!(0)));
    // The lines Ansible reported for the same first sync (connection: local).
    let o = d.trim_end_matches('/');
    assert_eq!(
        lines(&r),
        [
            format!("created directory {o}").as_str(),
            "cd+++++++++ ./",
            ">f+++++++++ a",
            "cd+++++++++ sub/",
            ">f+++++++++ sub/b"
        ]
    );
    assert_eq!(r["diff"]["prepared"], r["msg"]);
    assert_eq!(
        r["cmd"],
        json!(format!(
            "{} --delay-updates -F --compress --archive --out-format='<<CHANGED>>%i %n%L' {}/files/sd/ {d}",
            local_bin("rsync").unwrap(),
            pb.path().display()
        ))
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("o/sub/b")).unwrap(),
        "b\n"
    );

    let r = run_local(&env, json!({"src": "sd/", "dest": d}));
    assert_eq!(r["changed"], false);
    assert!(lines(&r).is_empty());

    std::fs::write(out.path().join("o/extra"), "x").unwrap();
    std::fs::write(out.path().join("o/keep"), "k").unwrap();
    // Ansible's run made these files a second later, so rsync also saw a new directory time.
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    std::fs::File::open(out.path().join("o"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let r = run_local(
        &env,
        json!({"src": "sd/", "dest": d, "delete": true, "rsync_opts": ["--exclude=keep"]}),
    );
    assert_eq!(r["changed"], true);
    assert_eq!(lines(&r), [".d..t...... ./", "*deleting   extra"]);
    assert!(r["cmd"].as_str().unwrap().contains(
        " --delay-updates -F --compress --delete-after --archive --exclude=keep --out-format="
    ));
    assert!(out.path().join("o/keep").exists());
    assert!(!out.path().join("o/extra").exists());

    let r = run_local(&env, json!({"src": "missing/", "dest": d}));
    assert_eq!((&r["failed"], &r["rc"]), (&json!(true), &json!(23)));
    assert!(r["msg"].as_str().unwrap().contains("change_dir"));
    assert!(!r.contains_key("stdout_lines"));
}

/// A private sshd on 127.0.0.1 (root only) with a fresh host key and one authorized client key.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
}

impl Sshd {
    fn start() -> Option<Self> {
        use std::process::{Command, Stdio};
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if !root || !Path::new("/usr/sbin/sshd").exists() || local_bin("rsync").is_err() {
            eprintln!("skipped: needs root, /usr/sbin/sshd and rsync");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        for k in ["host_key", "client_key"] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.path().join(k))
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let client = std::fs::read_to_string(dir.path().join("client_key.pub")).unwrap();
        // SHLVL=1 keeps root's interactive bash setup out of every session.
        std::fs::write(
            dir.path().join("authorized_keys"),
            format!("environment=\"SHLVL=1\" {client}"),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.path().join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n\
                 AuthorizedKeysFile {d}/authorized_keys\nUsePAM no\n\
                 PermitRootLogin prohibit-password\nStrictModes no\nPidFile {d}/sshd.pid\n\
                 PasswordAuthentication no\nLogLevel ERROR\nPermitUserEnvironment SHLVL\n"
            ),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "sshd did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(Self { dir, port, child })
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn push_over_loopback_ssh_with_become() {
    let Some(sshd) = Sshd::start() else {
        return;
    };
    let pb = pb_dir();
    let out = tempfile::tempdir().unwrap();
    let d = format!("{}/o/", out.path().display());
    let mut env = h1_env(pb.path());
    env.vars.insert("ansible_port".into(), json!(sshd.port));
    env.vars["hostvars"]["h1"]["ansible_port"] = json!(sshd.port);
    let conn = FakeConnection::default();
    let mut ctx = env.ctx(&conn);
    let key = format!("{}/client_key", sshd.dir.path().display());
    ctx.connection_info = Some(ssh_info(Some(&key), None, "ssh"));
    let a = args(json!({"src": "sd/", "dest": d}));
    let r = SYNCHRONIZE.run(&ctx, &a).result();
    assert_eq!(
        (&r["changed"], &r["rc"]),
        (&json!(true), &json!(0)),
        "{r:?}"
    );
    // The lines ansible-playbook reported for this push over ssh ('<' = sent).
    let o = d.trim_end_matches('/');
    assert_eq!(
        lines(&r),
        [
            format!("created directory {o}").as_str(),
            "cd+++++++++ ./",
            "<f+++++++++ a",
            "cd+++++++++ sub/",
            "<f+++++++++ sub/b"
        ]
    );
    assert!(r["cmd"].as_str().unwrap().ends_with(&format!(
        " -o Port={} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' --out-format='<<CHANGED>>%i %n%L' {}/files/sd/ root@127.0.0.1:{d}",
        sshd.port,
        pb.path().display()
    )));
    assert!(
        conn.execs.lock().unwrap().is_empty(),
        "rsync must run on the controller"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("o/sub/b")).unwrap(),
        "b\n"
    );

    ctx.become_ = Some(Become {
        method: rsible_connection::BecomeMethod::Sudo,
        user: "root".into(),
        flags: None,
        password: None,
    });
    let r = SYNCHRONIZE.run(&ctx, &a).result();
    assert_eq!(r["changed"], false, "{r:?}");
    assert!(r["cmd"]
        .as_str()
        .unwrap()
        .contains(" --rsync-path='sudo -u root rsync' "));
}

// The cmds ansible-playbook gave for a role task (connection: local) with the same tree.
#[test]
fn role_files_then_playbook_dir_then_home() {
    let pb = pb_dir();
    let role = pb.path().join("roles/r1");
    std::fs::create_dir_all(role.join("files/rf")).unwrap();
    std::fs::create_dir_all(role.join("tasks")).unwrap();
    std::fs::write(role.join("tasks/main.yml"), "[]\n").unwrap();
    let mut env = Env {
        playbook_dir: pb.path().to_path_buf(),
        ..Env::default()
    };
    env.role_path = Some(role.clone());
    let conn = LocalConnection::new();
    let ctx = env.ctx(&conn);
    let p = pb.path().display().to_string();
    let tail = "--delay-updates -F --compress --archive --out-format='<<CHANGED>>%i %n%L'";
    assert_eq!(
        cmd_of(&ctx, json!({"src": "rf/", "dest": "/tmp/sx/o2/"})),
        format!("/usr/bin/rsync {tail} {p}/roles/r1/files/rf/ /tmp/sx/o2/")
    );
    assert_eq!(
        cmd_of(&ctx, json!({"src": "nothere/", "dest": "/tmp/sx/o2/"})),
        format!("/usr/bin/rsync {tail} {p}/nothere/ /tmp/sx/o2/")
    );
    let home = std::env::var("HOME").unwrap();
    assert_eq!(
        cmd_of(&ctx, json!({"src": "~/nothere", "dest": "rel/d"})),
        format!("/usr/bin/rsync {tail} {home}/nothere {p}/rel/d")
    );
}

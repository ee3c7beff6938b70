//! Tests against a real, private sshd on 127.0.0.1 (root only; skipped with a reason otherwise).

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

use super::{SshConnection, SshRuntime, SshSettings};
use crate::{Become, BecomeMethod, Connection, ConnectionError, ExecRequest, PutOptions};

const SSHD: &str = "/usr/sbin/sshd";

/// A private sshd with its own host key, authorized client key and known_hosts.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

fn run(cmd: &mut Proc) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn keygen(path: &Path) {
    run(Proc::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rsible-test", "-f"])
        .arg(path));
}

/// The host-key part of a `.pub` file (`type base64`).
fn pub_key(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn runtime() -> SshRuntime {
    SshRuntime::new().unwrap()
}

fn is_root() -> bool {
    Proc::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Sshd {
    /// `None` (after printing why) when the test cannot run here.
    fn start() -> Option<Self> {
        if !is_root() {
            eprintln!("skipped: the ssh tests need root to run a private sshd");
            return None;
        }
        if !Path::new(SSHD).exists() {
            eprintln!("skipped: {SSHD} is not installed (package openssh-server)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("rsible-sshd-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"));
        keygen(&d.join("client_key"));
        // root's login shell is bash, whose ~/.bashrc (pyenv init, ~100 ms) runs for every ssh
        // command unless bash thinks it is nested: SHLVL=1 keeps the tests and timings fast.
        std::fs::write(
            d.join("authorized_keys"),
            format!(
                "environment=\"SHLVL=1\" {}\n",
                pub_key(&d.join("client_key.pub"))
            ),
        )
        .unwrap();
        let port = free_port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n\
                 AuthorizedKeysFile {d}/authorized_keys\nUsePAM no\n\
                 PermitRootLogin prohibit-password\nStrictModes no\nPidFile {d}/sshd.pid\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nLogLevel ERROR\n\
                 PermitUserEnvironment SHLVL\n",
                d = d.display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", pub_key(&d.join("host_key.pub"))),
        )
        .unwrap();
        // sshd refuses to start without its privilege separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut sshd = Self {
            dir,
            port,
            child: None,
        };
        sshd.spawn();
        Some(sshd)
    }

    fn spawn(&mut self) {
        let child = Proc::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(self.dir.path().join("sshd_config"))
            .arg("-e")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the listener and every session process it forked, as a reboot would.
    fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let mut pids = descendants(child.id());
        pids.push(child.id());
        let _ = Proc::new("kill")
            .arg("-KILL")
            .args(pids.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
    }

    fn settings(&self) -> SshSettings {
        let d = self.dir.path();
        let mut s = SshSettings::new("127.0.0.1");
        s.port = Some(self.port);
        s.user = Some("root".into());
        s.private_key = Some(d.join("client_key"));
        s.common_args = Some(format!(
            "-o UserKnownHostsFile={} -o GlobalKnownHostsFile=/dev/null",
            d.join("known_hosts").display()
        ));
        s
    }

    fn connect(&self) -> SshConnection {
        SshConnection::new(self.settings(), runtime()).unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Every process below `root`, from `/proc/*/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        if let Some(ppid) = rest.split(' ').nth(1).and_then(|p| p.parse().ok()) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &c in children.get(&p).into_iter().flatten() {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

/// Live (non-zombie) processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            out.push(pid);
        }
    }
    out
}

fn control_path(conn: &SshConnection) -> PathBuf {
    let slot = conn.master.lock().unwrap();
    slot.as_ref().unwrap().control_path.clone()
}

fn master_pid(conn: &SshConnection) -> u32 {
    let slot = conn.master.lock().unwrap();
    slot.as_ref().unwrap().pid.unwrap()
}

fn sh(conn: &SshConnection, script: &str) -> (i32, String, String) {
    let out = conn.exec(&ExecRequest::shell(script)).unwrap();
    (
        out.rc,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sudo_to(user: &str) -> Become {
    Become {
        method: BecomeMethod::Sudo,
        user: user.into(),
        flags: None,
        password: None,
    }
}

#[test]
fn argv_reaches_the_command_unchanged() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 48,
        failure_persistence: None,
        ..Default::default()
    });
    runner
        .run(&"[a-zA-Z0-9 '\"$(){}`;|&<>*?~#!\\\\\n\t%=-]{0,24}", |arg| {
            let out = conn
                .exec(&ExecRequest::argv(["printf", "%s", arg.as_str()]))
                .unwrap();
            proptest::prop_assert_eq!(out.rc, 0);
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out.stdout), arg);
            Ok(())
        })
        .unwrap();
    // The cases above also went through one master.
    assert_eq!(
        processes_mentioning(&control_path(&conn).to_string_lossy()).len(),
        1
    );
}

#[test]
fn env_cwd_stdin_and_exit_codes() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    let home = conn.expand_user("~", None).unwrap();
    assert_eq!(home, "/root");

    let mut req = ExecRequest::argv(["sh", "-c", "pwd; echo \"$K\"; cat"]);
    req.env = vec![("K".into(), "v w $(no) `no`".into())];
    req.cwd = Some("~".into());
    req.stdin = Some(b"line 1\nline 2".to_vec());
    let out = conn.exec(&req).unwrap();
    assert_eq!(
        (out.rc, String::from_utf8_lossy(&out.stdout).into_owned()),
        (0, "/root\nv w $(no) `no`\nline 1\nline 2".to_owned())
    );

    let dir = tempfile::Builder::new()
        .prefix("rsible ssh cwd ")
        .tempdir()
        .unwrap();
    let mut req = ExecRequest::argv(["pwd"]);
    req.cwd = Some(dir.path().to_string_lossy().into_owned());
    let out = conn.exec(&req).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", dir.path().display())
    );

    assert_eq!(
        sh(&conn, "echo oops >&2; exit 3"),
        (3, String::new(), "oops\n".into())
    );
    // A remote 255 is the command's own exit code while the master is fine.
    assert_eq!(sh(&conn, "exit 255").0, 255);
    let out = conn
        .exec(&ExecRequest::argv(["/nonexistent/prog"]))
        .unwrap();
    assert_eq!(out.rc, 127);
    // A larger stdin than any pipe buffer, echoed back while it is still being written.
    let big: Vec<u8> = (0..300_000u32)
        .map(|i| b"abcdefgh\n"[(i % 9) as usize])
        .collect();
    let mut req = ExecRequest::argv(["cat"]);
    req.stdin = Some(big.clone());
    assert_eq!(conn.exec(&req).unwrap().stdout, big);
}

#[test]
fn put_file_is_atomic_keeps_modes_and_stat_sees_it() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("a file's name");
    let d = dest.to_string_lossy().into_owned();

    // New file: 0666 & ~umask (sshd's default umask is 022).
    conn.put_file(b"one", &d, &PutOptions::default()).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"one");
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777,
        0o644
    );

    let old = std::fs::File::open(&dest).unwrap();
    conn.put_file(
        b"two\n",
        &d,
        &PutOptions {
            mode: Some(0o600),
            become_: None,
        },
    )
    .unwrap();
    // Replaced by a rename: a reader of the old file still sees all of the old content.
    assert_eq!(std::io::read_to_string(old).unwrap(), "one");
    assert_eq!(std::fs::read(&dest).unwrap(), b"two\n");
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777,
        0o600
    );

    // Without a mode an existing file keeps its own.
    conn.put_file(b"abc\n", &d, &PutOptions::default()).unwrap();
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777,
        0o600
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );

    let st = conn.stat(&d, true, true, None).unwrap();
    assert!(st.exists && st.is_file && !st.is_dir);
    assert_eq!((st.size, st.mode, st.owner.as_str()), (4, 0o600, "root"));
    // sha1 of "abc\n" (python3 -c 'import hashlib; print(hashlib.sha1(b"abc\n").hexdigest())').
    assert_eq!(
        st.checksum.as_deref(),
        Some("03cfd743661f07975fa2f1220c5194cbaff48451")
    );
    assert!(
        !conn
            .stat(&format!("{d}.missing"), true, false, None)
            .unwrap()
            .exists
    );
    assert_eq!(conn.read_file(&d, None).unwrap(), b"abc\n");

    // A failed write reports and leaves nothing behind.
    let err = conn
        .put_file(b"x", "/nonexistent/dir/f", &PutOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, ConnectionError::Failed(ref m) if m.starts_with("cannot write /nonexistent/dir/f: ")),
        "{err:?}"
    );
}

#[test]
fn become_sudo_and_su() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    if sh(&conn, "command -v sudo").0 != 0 {
        eprintln!("skipped: sudo is not installed (package sudo)");
        return;
    }
    let b = sudo_to("nobody");
    let out = conn
        .exec(&ExecRequest::argv(["id", "-un"]).with_become(Some(&b)))
        .unwrap();
    assert_eq!(
        (out.rc, String::from_utf8_lossy(&out.stdout).into_owned()),
        (0, "nobody\n".to_owned())
    );

    // root is not asked for a password: the marker comes first and the password is never sent,
    // so the command's stdin is exactly the request's.
    let with_pw = Become {
        password: Some("not-used".into()),
        ..sudo_to("nobody")
    };
    let mut req = ExecRequest::shell("id -un; cat").with_become(Some(&with_pw));
    req.stdin = Some(b"payload\n".to_vec());
    let out = conn.exec(&req).unwrap();
    assert_eq!(
        (out.rc, String::from_utf8_lossy(&out.stdout).into_owned()),
        (0, "nobody\npayload\n".to_owned())
    );

    let su = Become {
        method: BecomeMethod::Su,
        ..sudo_to("nobody")
    };
    let out = conn
        .exec(&ExecRequest::argv(["id", "-un"]).with_become(Some(&su)))
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "nobody\n");

    // put_file as the become user: the file belongs to it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let dest = dir.path().join("owned");
    conn.put_file(
        b"x",
        &dest.to_string_lossy(),
        &PutOptions {
            mode: Some(0o640),
            become_: Some(b),
        },
    )
    .unwrap();
    let st = conn
        .stat(&dest.to_string_lossy(), true, false, None)
        .unwrap();
    assert_eq!((st.owner.as_str(), st.mode), ("nobody", 0o640));
}

#[test]
fn closed_port_is_unreachable_with_ssh_message() {
    let Some(sshd) = Sshd::start() else { return };
    let mut s = sshd.settings();
    let port = free_port();
    s.port = Some(port);
    let err = SshConnection::new(s, runtime())
        .unwrap()
        .exec(&ExecRequest::argv(["true"]))
        .unwrap_err();
    // What Ansible prints for the same host: ssh's stderr behind its prefix.
    assert!(
        matches!(&err, ConnectionError::Unreachable(m) if *m == format!(
            "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port {port}: Connection refused"
        )),
        "{err:?}"
    );
}

#[test]
fn host_key_mismatch_is_unreachable() {
    let Some(sshd) = Sshd::start() else { return };
    let other = sshd.dir.path().join("other_key");
    keygen(&other);
    std::fs::write(
        sshd.dir.path().join("known_hosts"),
        format!(
            "[127.0.0.1]:{} {}\n",
            sshd.port,
            pub_key(&other.with_extension("pub"))
        ),
    )
    .unwrap();
    let err = sshd
        .connect()
        .exec(&ExecRequest::argv(["true"]))
        .unwrap_err();
    let ConnectionError::Unreachable(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(
        msg.starts_with("Failed to connect to the host via ssh: "),
        "{msg}"
    );
    assert!(
        msg.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{msg}"
    );
    assert!(msg.ends_with("Host key verification failed."), "{msg}");
}

#[test]
fn master_is_reused_reset_and_closed() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    for _ in 0..5 {
        assert_eq!(sh(&conn, "true").0, 0);
    }
    let ctl = control_path(&conn);
    let first = master_pid(&conn);
    assert_eq!(processes_mentioning(&ctl.to_string_lossy()), [first]);
    // One TCP session on the server: the listener has exactly one connection child.
    let sessions = descendants(sshd.child.as_ref().unwrap().id());
    assert!(!sessions.is_empty() && sessions.len() <= 3, "{sessions:?}");

    conn.reset().unwrap();
    let second = master_pid(&conn);
    assert_ne!(first, second);
    assert_eq!(sh(&conn, "echo hi").1, "hi\n");

    let ctl = control_path(&conn);
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_mentioning(&ctl.to_string_lossy()).is_empty() {
        assert!(Instant::now() < deadline, "master outlived its connection");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!ctl.parent().unwrap().exists(), "control dir removed");
}

#[test]
fn reconnects_after_sshd_restart() {
    let Some(mut sshd) = Sshd::start() else {
        return;
    };
    let conn = sshd.connect();
    assert_eq!(sh(&conn, "echo before").1, "before\n");
    let first = master_pid(&conn);
    sshd.kill();
    // While the host is down the command is unreachable.
    let err = conn.exec(&ExecRequest::argv(["true"])).unwrap_err();
    assert!(
        matches!(&err, ConnectionError::Unreachable(m) if m.contains("Connection refused")),
        "{err:?}"
    );
    sshd.spawn();
    assert_eq!(sh(&conn, "echo after").1, "after\n");
    assert_ne!(master_pid(&conn), first);
}

#[test]
fn connection_lost_mid_command_is_unreachable_not_retried() {
    let Some(mut sshd) = Sshd::start() else {
        return;
    };
    let conn = sshd.connect();
    let marker = tempfile::NamedTempFile::new().unwrap();
    let m = marker.path().to_string_lossy().into_owned();
    std::thread::scope(|s| {
        let running =
            s.spawn(|| conn.exec(&ExecRequest::shell(format!("echo run >> '{m}'; sleep 30"))));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&m).unwrap_or_default().is_empty() {
            assert!(Instant::now() < deadline, "command did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd.kill();
        let err = running.join().unwrap().unwrap_err();
        assert!(
            matches!(&err, ConnectionError::Unreachable(m) if m == "Failed to connect to the host via ssh: Shared connection to 127.0.0.1 closed."),
            "{err:?}"
        );
    });
    assert_eq!(
        std::fs::read_to_string(&m).unwrap(),
        "run\n",
        "ran exactly once"
    );
    sshd.spawn();
    assert_eq!(sh(&conn, "echo back").1, "back\n");
}

#[test]
fn unsupported_ssh_args_are_rejected_up_front() {
    let mut s = SshSettings::new("h");
    s.extra_args = Some("-S /tmp/other".into());
    let err = SshConnection::new(s, runtime()).unwrap_err();
    assert!(
        err.to_string().contains("unsupported ssh flag `-S`"),
        "{err}"
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Prints the latencies the issue asks about (`cargo test -- --nocapture ssh_latency`).
#[test]
fn ssh_latency() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    let t = Instant::now();
    assert_eq!(sh(&conn, "true").0, 0);
    let first = t.elapsed();
    let exec: Vec<Duration> = (0..30)
        .map(|_| {
            let t = Instant::now();
            conn.exec(&ExecRequest::argv(["true"])).unwrap();
            t.elapsed()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f").to_string_lossy().into_owned();
    let put: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            conn.put_file(&[b'x'; 200], &dest, &PutOptions::default())
                .unwrap();
            t.elapsed()
        })
        .collect();
    eprintln!(
        "ssh latency: first exec (starts the master) {first:?}, exec `true` median {:?}, \
         put_file 200 B median {:?}",
        median(exec),
        median(put)
    );
}

#[test]
fn threads_share_one_lazily_started_master() {
    let Some(sshd) = Sshd::start() else { return };
    let conn = sshd.connect();
    std::thread::scope(|s| {
        for i in 0..4 {
            let conn = &conn;
            s.spawn(move || {
                for j in 0..5 {
                    let (rc, out, _) = sh(conn, &format!("echo {i}-{j}"));
                    assert_eq!((rc, out), (0, format!("{i}-{j}\n")));
                }
            });
        }
    });
    let ctl = control_path(&conn);
    assert_eq!(
        processes_mentioning(&ctl.to_string_lossy()),
        [master_pid(&conn)]
    );
}

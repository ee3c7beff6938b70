//! Brings up real test hosts and talks to them with the real `ssh`, `sftp` and ansible-core.
//!
//! They need root and `ip netns`; elsewhere they print why and pass, unless
//! `RSIBLE_REQUIRE_TESTHOSTS=1` is set (CI sets it: there they must run).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rsible_testhosts::{check_support, cleanup_stale, Host, HostSet, Tier};

const ANSIBLE_PLAYBOOK: &str = "/opt/ansible-venv/bin/ansible-playbook";

/// Whether host tests can run here; prints the reason when they cannot.
fn supported() -> bool {
    match check_support() {
        Ok(()) => true,
        Err(e) if std::env::var_os("RSIBLE_REQUIRE_TESTHOSTS").is_some_and(|v| v == "1") => {
            panic!("RSIBLE_REQUIRE_TESTHOSTS=1 but test hosts are unavailable: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: real SSH test hosts are unavailable here: {e}");
            false
        }
    }
}

fn start(count: usize, tier: Tier, prefix: &str) -> HostSet {
    let started = Instant::now();
    let set = HostSet::builder()
        .count(count)
        .tier(tier)
        .name_prefix(prefix)
        .start()
        .unwrap_or_else(|e| panic!("starting {count} {tier:?} host(s): {e}"));
    eprintln!(
        "timing: {count} {tier:?} host(s) up in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    set
}

/// `ssh -F ssh_config [options] host -- cmd` with host key checking on and no prompts.
fn ssh(config: &Path, host: &str, options: &[&str], cmd: &str) -> Output {
    Command::new("ssh")
        .arg("-F")
        .arg(config)
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"])
        .args(["-o", "ConnectTimeout=5"])
        .args(options)
        .args(["--", host, cmd])
        .stdin(Stdio::null())
        .output()
        .expect("running ssh")
}

#[track_caller]
fn ssh_ok(config: &Path, host: &str, cmd: &str) -> String {
    let out = ssh(config, host, &[], cmd);
    assert!(
        out.status.success(),
        "ssh {host} {cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn exec_ok(set: &HostSet, host: &Host, cmd: &str) -> String {
    let out = set.exec_on(host, cmd).expect("exec_on");
    assert!(
        out.status.success(),
        "exec_on {} {cmd:?}: {}",
        host.name,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a set leaves behind, to check after teardown.
struct Traces {
    namespaces: Vec<String>,
    run_dir: PathBuf,
    bridge: String,
}

impl Traces {
    fn of(set: &HostSet) -> Self {
        let third = set.hosts()[0].address.octets()[2];
        Self {
            namespaces: set.hosts().iter().map(|h| h.netns().to_owned()).collect(),
            run_dir: set.run_dir().to_owned(),
            bridge: format!("rsbr{third}"),
        }
    }

    #[track_caller]
    fn assert_gone(&self) {
        let netns = command_stdout("ip", &["netns", "list"]);
        for ns in &self.namespaces {
            assert!(!netns.contains(ns.as_str()), "namespace {ns} left: {netns}");
        }
        let links = command_stdout("ip", &["-o", "link", "show"]);
        assert!(
            !links.contains(&format!("{}:", self.bridge)),
            "bridge {} left",
            self.bridge
        );
        assert!(!self.run_dir.exists(), "{} left", self.run_dir.display());
        let marker = self.run_dir.to_string_lossy().into_owned();
        let own = std::process::id().to_string();
        for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) || name == own {
                continue;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            assert!(
                !cmdline.contains(&marker),
                "process {name} still runs: {cmdline}"
            );
        }
    }
}

fn command_stdout(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect(program);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

#[test]
fn shared_hosts_answer_ssh_log_commands_restart_sshd_and_leave_nothing() {
    if !supported() {
        return;
    }
    cleanup_stale().expect("cleanup_stale");
    let set = start(3, Tier::Shared, "s");
    let files = tempfile::tempdir().expect("tempdir");
    set.write_files(files.path()).expect("write_files");
    let config = files.path().join("ssh_config");

    for host in set.hosts() {
        assert_eq!(host.user, "root");
        assert_eq!(host.port, 22);
        let out = ssh_ok(&config, &host.name, "hostname; id -u");
        assert_eq!(out, format!("{}\n0\n", host.name));
        assert_eq!(
            set.command_log(host).expect("command_log"),
            ["hostname; id -u"]
        );
        let work = host.work_dir.as_deref().expect("tier 1 has a work dir");
        assert!(work.is_dir() && work.read_dir().expect("work dir").next().is_none());
    }

    // Host key checking is really on: another host's key for s1 is refused.
    let s1 = set.host("s1").expect("s1");
    let known = std::fs::read_to_string(set.known_hosts()).expect("known_hosts");
    let s2_key = known
        .lines()
        .nth(1)
        .expect("second line")
        .split_once(' ')
        .expect("key")
        .1;
    let wrong = files.path().join("wrong_known_hosts");
    std::fs::write(&wrong, format!("s1,{} {s2_key}\n", s1.address)).expect("write");
    let wrong_option = format!("UserKnownHostsFile={}", wrong.display());
    let out = ssh(&config, "s1", &["-o", &wrong_option], "true");
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Host key verification failed"));

    // A multi-line command is logged as one record; sftp goes through the log too.
    set.clear_command_log(s1).expect("clear");
    assert_eq!(ssh_ok(&config, "s1", "echo one\necho two"), "one\ntwo\n");
    let work = s1.work_dir.clone().expect("work dir");
    let batch = format!("put {} {}/copied\n", config.display(), work.display());
    let mut sftp = Command::new("sftp")
        .arg("-F")
        .arg(&config)
        .args(["-b", "-", "s1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sftp");
    std::io::Write::write_all(&mut sftp.stdin.take().expect("stdin"), batch.as_bytes())
        .expect("batch");
    assert!(sftp.wait().expect("sftp").success());
    assert_eq!(
        std::fs::read(work.join("copied")).expect("copied"),
        std::fs::read(&config).expect("config")
    );
    assert_eq!(
        set.command_log(s1).expect("log"),
        ["echo one\necho two", "/usr/lib/openssh/sftp-server"]
    );

    // Parallel sessions with long commands still give one whole record each.
    set.clear_command_log(s1).expect("clear");
    let commands: Vec<String> = (0..8)
        .map(|i| {
            format!(
                ": {}\necho {i}",
                char::from(b'a' + i).to_string().repeat(20_000)
            )
        })
        .collect();
    let handles: Vec<_> = commands
        .iter()
        .cloned()
        .map(|cmd| {
            let config = config.clone();
            std::thread::spawn(move || ssh_ok(&config, "s1", &cmd))
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.join().expect("ssh thread"), format!("{i}\n"));
    }
    let mut logged = set.command_log(s1).expect("log");
    logged.sort();
    assert_eq!(logged, commands);

    // The machine's ~/.bashrc (which may run pyenv) is hidden from ssh sessions.
    if Path::new("/root/.bashrc").is_file() {
        assert!(ssh_ok(&config, "s1", "cat ~/.bashrc").starts_with("# rsible-testhosts"));
    }

    // Round trips through a ControlMaster.
    let control = format!("ControlPath={}/cm-%C", files.path().display());
    let mux = [
        "-o",
        "ControlMaster=auto",
        "-o",
        &control,
        "-o",
        "ControlPersist=30",
    ];
    assert!(ssh(&config, "s3", &mux, "true").status.success());
    let samples: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            assert!(ssh(&config, "s3", &mux, "true").status.success());
            t.elapsed()
        })
        .collect();
    eprintln!(
        "timing: ssh round trip through a ControlMaster, median {:.1} ms",
        median_ms(samples)
    );
    let fresh: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            assert!(ssh(&config, "s2", &[], "true").status.success());
            t.elapsed()
        })
        .collect();
    eprintln!(
        "timing: ssh with a new connection, median {:.1} ms",
        median_ms(fresh)
    );

    // Kill sshd: the open master drops and new connections are refused; the host lives on.
    let s3 = set.host("s3").expect("s3");
    set.stop_sshd(s3).expect("stop_sshd");
    let out = ssh(&config, "s3", &["-o", "ControlMaster=no"], "true");
    assert_eq!(out.status.code(), Some(255));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Connection refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(exec_ok(&set, s3, "hostname"), "s3\n");
    let t = Instant::now();
    set.start_sshd(s3).expect("start_sshd");
    eprintln!("timing: sshd restart {:.3} s", t.elapsed().as_secs_f64());
    assert_eq!(ssh_ok(&config, "s3", "hostname"), "s3\n");

    let traces = Traces::of(&set);
    let t = Instant::now();
    set.teardown().expect("teardown");
    eprintln!(
        "timing: teardown of 3 hosts {:.3} s",
        t.elapsed().as_secs_f64()
    );
    traces.assert_gone();
}

#[test]
fn own_root_hosts_give_vagrant_sudo_and_reboot_with_a_new_boot_id() {
    if !supported() {
        return;
    }
    let set = start(2, Tier::OwnRoot, "r");
    let files = tempfile::tempdir().expect("tempdir");
    set.write_files(files.path()).expect("write_files");
    let config = files.path().join("ssh_config");

    for host in set.hosts() {
        assert_eq!(host.user, "vagrant");
        assert_eq!(host.password.as_deref(), Some("vagrant"));
        let out = ssh_ok(
            &config,
            &host.name,
            "hostname; id -un; sudo -n id -u; python3 -c 'print(1)'",
        );
        assert_eq!(out, format!("{}\nvagrant\n0\n1\n", host.name));
    }
    // Each host has its own root: a file made on one is not on the other or the machine.
    ssh_ok(
        &config,
        "r1",
        "echo kept | sudo tee /root/rsible-testhosts-marker >/dev/null",
    );
    assert_eq!(
        ssh_ok(
            &config,
            "r2",
            "sudo cat /root/rsible-testhosts-marker 2>/dev/null || echo none"
        ),
        "none\n"
    );
    assert!(!Path::new("/root/rsible-testhosts-marker").exists());

    let r1 = set.host("r1").expect("r1");
    let boot_id = "cat /proc/sys/kernel/random/boot_id";
    let before = ssh_ok(&config, "r1", boot_id);
    assert_eq!(exec_ok(&set, r1, boot_id), before);
    let t = Instant::now();
    assert_eq!(ssh_ok(&config, "r1", "sudo shutdown -r now"), "");
    let after = loop {
        let out = ssh(&config, "r1", &[], boot_id);
        let now = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && now != before {
            break now;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "r1 did not come back"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "timing: `sudo shutdown -r now` to ssh with a new boot_id {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(after.trim().len(), 36);
    assert_eq!(set.boots(r1).expect("boots"), 2);
    assert_eq!(
        ssh_ok(
            &config,
            "r1",
            "sudo cat /root/rsible-testhosts-marker; ls /run"
        ),
        "kept\nsshd\nsshd.pid\n"
    );
    assert!(set
        .command_log(r1)
        .expect("log")
        .contains(&"sudo shutdown -r now".to_owned()));

    // sshd stops and starts inside a running host (its boot_id stays).
    set.stop_sshd(r1).expect("stop_sshd");
    assert_eq!(ssh(&config, "r1", &[], "true").status.code(), Some(255));
    assert_eq!(exec_ok(&set, r1, "hostname; id -u"), "r1\n0\n");
    set.start_sshd(r1).expect("start_sshd");
    assert_eq!(ssh_ok(&config, "r1", boot_id), after);

    let traces = Traces::of(&set);
    set.teardown().expect("teardown");
    traces.assert_gone();
}

/// The generated inventory works for ansible-core, the oracle of the differential tests.
fn ansible_runs_against(set: &HostSet, python: Option<&str>) {
    if !Path::new(ANSIBLE_PLAYBOOK).exists() {
        eprintln!("SKIPPED: {ANSIBLE_PLAYBOOK} is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    set.write_files(dir.path()).expect("write_files");
    let playbook = dir.path().join("site.yml");
    std::fs::write(
        &playbook,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n    - command: id -u\n      become: true\n      register: r\n    - assert:\n        that: r.stdout == '0'\n",
    )
    .expect("playbook");
    let mut cmd = Command::new(ANSIBLE_PLAYBOOK);
    cmd.arg("-i")
        .arg(dir.path().join("inventory"))
        .arg(&playbook)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", dir.path().join("ansible-local"))
        .env("ANSIBLE_SSH_CONTROL_PATH_DIR", dir.path().join("cp"));
    if let Some(python) = python {
        cmd.env("ANSIBLE_PYTHON_INTERPRETER", python);
    }
    let t = Instant::now();
    let out = cmd.output().expect("ansible-playbook");
    eprintln!(
        "timing: ansible-playbook (3 tasks) {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ansible-playbook failed:\n{stdout}");
    for host in set.hosts() {
        let recap = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{} ", host.name)))
            .unwrap_or_else(|| panic!("no recap for {}:\n{stdout}", host.name));
        assert!(
            recap.contains("ok=3 ")
                && recap.contains("changed=1 ")
                && recap.contains("unreachable=0 "),
            "{recap}"
        );
    }
}

#[test]
fn ansible_core_runs_on_shared_hosts_from_the_generated_inventory() {
    if !supported() {
        return;
    }
    let set = start(2, Tier::Shared, "a");
    ansible_runs_against(&set, None);
}

#[test]
fn ansible_core_runs_on_own_root_hosts_from_the_generated_inventory() {
    if !supported() {
        return;
    }
    let set = start(2, Tier::OwnRoot, "b");
    ansible_runs_against(&set, Some("/usr/bin/python3"));
}

#[test]
fn a_panicking_test_still_tears_its_hosts_down() {
    if !supported() {
        return;
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let set = start(1, Tier::Shared, "p");
        let _ = sender.send(Traces::of(&set));
        panic!("test failure while hosts run");
    })
    .join();
    assert!(result.is_err());
    receiver.recv().expect("traces").assert_gone();
}

/// Ends `up` also when the test fails half-way (SIGKILL, so `cleanup_stale` has work to do).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn cleanup_stale_removes_what_a_killed_process_left() {
    if !supported() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut up = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_rsible-testhosts"))
            .args([
                "up", "--count", "2", "--tier", "1b", "--prefix", "k", "--dir",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsible-testhosts up"),
    );
    let t = Instant::now();
    while !dir.path().join("state").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "`up` did not get ready"
        );
        assert!(
            up.0.try_wait().expect("try_wait").is_none(),
            "`up` ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let state = std::fs::read_to_string(dir.path().join("state")).expect("state");
    let state: serde_json::Value = serde_json::from_str(&state).expect("json");
    let run_dir = PathBuf::from(state["run_dir"].as_str().expect("run_dir"));
    let config = dir.path().join("ssh_config");
    assert_eq!(ssh_ok(&config, "k2", "hostname"), "k2\n");
    let pid = up.0.id();
    let hosts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("hosts.json")).expect("hosts"),
    )
    .expect("hosts.json");
    let namespaces: Vec<String> = hosts
        .as_array()
        .expect("array")
        .iter()
        .map(|h| h["netns"].as_str().expect("netns").to_owned())
        .collect();
    let third = hosts[0]["address"]
        .as_str()
        .and_then(|a| a.split('.').nth(2))
        .expect("address")
        .to_owned();

    up.0.kill().expect("kill -9");
    up.0.wait().expect("reap");
    let report = cleanup_stale().expect("cleanup_stale");
    assert_eq!(report.namespaces.len(), 2, "{report:?}");
    assert!(report.dirs.contains(&run_dir), "{report:?}");
    // Per host at least its supervisor, PID 1 and sshd.
    assert!(report.processes >= 6, "{report:?}");
    let traces = Traces {
        namespaces,
        run_dir,
        bridge: format!("rsbr{third}"),
    };
    traces.assert_gone();
    let lock = std::fs::read_to_string(format!("/run/rsible-testhosts/net-{third}"));
    assert!(
        !lock.is_ok_and(|owner| owner.starts_with(&format!("{pid} "))),
        "lock of pid {pid} left"
    );
}

#[test]
fn bind_mounts_need_own_root_hosts_and_plain_absolute_paths() {
    let own = || HostSet::builder().tier(Tier::OwnRoot);
    for (builder, why) in [
        (HostSet::builder().bind_ro("/tmp", "/srv/x"), "tier 1"),
        (own().bind_ro("tmp", "/srv/x"), "relative source"),
        (own().bind_ro("/tmp", "srv/x"), "relative target"),
        (own().bind_ro("/tmp", "/srv/a b"), "whitespace"),
        (
            own().bind_ro("/nonexistent-rsible-bind", "/srv/x"),
            "missing source",
        ),
    ] {
        match builder.start() {
            Err(rsible_testhosts::Error::InvalidConfig(_)) => {}
            other => panic!("{why}: expected InvalidConfig, got {other:?}"),
        }
    }
}

/// Tier 1c: systemd is PID 1 of each host (own machine-id, units, `systemctl`), `reboot` from
/// inside boots the host again, bind mounts survive it, and teardown leaves no cgroup behind.
#[test]
fn systemd_hosts_run_systemd_as_pid_1_and_reboot_from_inside() {
    if !supported() {
        return;
    }
    let bound = tempfile::tempdir().expect("tempdir");
    std::fs::write(bound.path().join("hello"), "from the machine\n").expect("write");
    let t = Instant::now();
    let set = HostSet::builder()
        .count(2)
        .tier(Tier::Systemd)
        .name_prefix("d")
        .bind_ro(bound.path(), "/srv/bound")
        .start()
        .unwrap_or_else(|e| panic!("starting 2 tier-1c hosts: {e}"));
    eprintln!(
        "timing: 2 tier-1c hosts up in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let files = tempfile::tempdir().expect("tempdir");
    set.write_files(files.path()).expect("write_files");
    let config = files.path().join("ssh_config");

    let mut machine_ids = Vec::new();
    for host in set.hosts() {
        assert_eq!(host.user, "vagrant");
        let out = ssh_ok(
            &config,
            &host.name,
            "hostname; id -un; sudo -n id -u; ps -o comm= -p 1; systemctl is-system-running --wait; \
             systemctl is-active ssh.service dbus.socket; cat /srv/bound/hello",
        );
        assert_eq!(
            out,
            format!(
                "{}\nvagrant\n0\nsystemd\nrunning\nactive\nactive\nfrom the machine\n",
                host.name
            )
        );
        machine_ids.push(exec_ok(&set, host, "cat /etc/machine-id"));
    }
    assert_eq!(machine_ids[0].trim().len(), 32);
    assert_ne!(machine_ids[0], machine_ids[1]);
    let d1 = set.host("d1").expect("d1");
    assert_ne!(
        ssh(&config, "d1", &[], "sudo touch /srv/bound/x")
            .status
            .code(),
        Some(0),
        "the bind mount must be read-only"
    );
    // A unit written, started and enabled in one host does not exist in the other.
    ssh_ok(
        &config,
        "d1",
        "printf '[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' \
         | sudo tee /etc/systemd/system/rsible-demo.service >/dev/null && \
         sudo systemctl daemon-reload && sudo systemctl enable --now rsible-demo.service",
    );
    assert_eq!(
        ssh(
            &config,
            "d2",
            &[],
            "systemctl is-active rsible-demo.service"
        )
        .stdout,
        b"inactive\n"
    );

    let boot_id = "cat /proc/sys/kernel/random/boot_id";
    let before = ssh_ok(&config, "d1", boot_id);
    let t = Instant::now();
    // `systemctl reboot` returns before the host goes down, or the connection drops first.
    let _ = ssh(&config, "d1", &[], "sudo systemctl reboot");
    let after = loop {
        let out = ssh(&config, "d1", &[], boot_id);
        let now = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && now != before {
            break now;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "d1 did not come back"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "timing: tier 1c `systemctl reboot` to ssh with a new boot_id {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(after.trim().len(), 36);
    assert_eq!(set.boots(d1).expect("boots"), 2);
    assert_eq!(set.boots(set.host("d2").expect("d2")).expect("boots"), 1);
    assert_eq!(
        ssh_ok(
            &config,
            "d1",
            "systemctl is-active rsible-demo.service; cat /srv/bound/hello"
        ),
        "active\nfrom the machine\n"
    );

    // sshd stops (systemd does not restart it) and starts again inside the running host.
    set.stop_sshd(d1).expect("stop_sshd");
    assert_eq!(ssh(&config, "d1", &[], "true").status.code(), Some(255));
    assert_eq!(
        exec_ok(&set, d1, "systemctl is-active ssh.service || true"),
        "inactive\n"
    );
    set.start_sshd(d1).expect("start_sshd");
    assert_eq!(ssh_ok(&config, "d1", boot_id), after);
    assert!(set
        .command_log(d1)
        .expect("log")
        .contains(&"sudo systemctl reboot".to_owned()));

    ansible_runs_against(&set, Some("/usr/bin/python3"));

    let traces = Traces::of(&set);
    let cgroups: Vec<PathBuf> = ["systemd", "unified", ""]
        .iter()
        .flat_map(|h| {
            set.hosts().iter().map(move |host| {
                Path::new("/sys/fs/cgroup")
                    .join(h)
                    .join("rsible-testhosts")
                    .join(host.netns())
            })
        })
        .collect();
    assert!(
        cgroups.iter().any(|c| c.is_dir()),
        "no host cgroup in {cgroups:?}"
    );
    set.teardown().expect("teardown");
    traces.assert_gone();
    for cgroup in cgroups {
        assert!(!cgroup.exists(), "{} left", cgroup.display());
    }
}

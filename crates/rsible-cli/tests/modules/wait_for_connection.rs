//! `wait_for_connection` across a real outage: the host's sshd is stopped right after the task
//! before it (killing the connection both programs keep open) and, in the first scenario,
//! started again five seconds later. Each scenario runs under ansible-playbook and
//! rsible-playbook on their own one-host tier-1b sets; the masked stdout and exit codes must
//! match, and the sshd log must show the later task came over a new connection.

use crate::common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{exec_ok, Outcome, Sandbox, DIFF_CONTEXT};

const SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Before
      command: "true"
    - name: Wait for the connection
      wait_for_connection:
        delay: 1
        timeout: @TIMEOUT@
    - name: After
      command: cat /etc/hostname
"#;

const SSHD_LOG: &str = "/var/log/rsible-testhosts/sshd.log";

struct Scenario {
    outcome: Outcome,
    masked: String,
    /// sshd's `Accepted …` lines before the stop and after the run.
    accepted_before: usize,
    accepted_after: usize,
    elapsed: Duration,
}

fn accepted(set: &rsible_testhosts::HostSet) -> usize {
    exec_ok(set, "h1", &format!("cat {SSHD_LOG}"))
        .lines()
        .filter(|l| l.contains("Accepted publickey"))
        .count()
}

/// Waits until the run has printed task `Before`'s result: from then on the program is in
/// `wait_for_connection`'s one-second `delay`, holding its connection open but idle.
fn wait_for_before_result(stdout: &Path, started: Instant) {
    loop {
        let text = fs::read_to_string(stdout).unwrap_or_default();
        if let Some(rest) = text.split("TASK [Before]").nth(1) {
            if rest.lines().any(|l| l.starts_with("changed: [h1]")) {
                return;
            }
            assert!(
                !rest.lines().any(|l| l.starts_with("fatal:")),
                "task Before failed:\n{text}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "task Before did not finish in time:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn scenario(program: &Path, timeout: u32, restart_after: Option<Duration>) -> Scenario {
    let set = common::start(1, |b| b);
    let sandbox = Sandbox::new();
    sandbox.write(
        "site.yml",
        SITE.replace("@TIMEOUT@", &timeout.to_string()).as_bytes(),
    );
    sandbox.inventory(&set, "");
    let started = Instant::now();
    let mut cmd = sandbox.command(program);
    let running = sandbox.spawn(&mut cmd);
    wait_for_before_result(&sandbox.stdout_path(), started);
    let host = &set.hosts()[0];
    set.stop_sshd(host)
        .unwrap_or_else(|e| panic!("stopping sshd: {e}"));
    let accepted_before = accepted(&set);
    let set_ref = &set;
    let outcome = std::thread::scope(|s| {
        if let Some(after) = restart_after {
            s.spawn(move || {
                std::thread::sleep(after);
                set_ref
                    .start_sshd(host)
                    .unwrap_or_else(|e| panic!("starting sshd again: {e}"));
            });
        }
        sandbox.wait(&cmd, running)
    });
    let elapsed = started.elapsed();
    let accepted_after = if restart_after.is_some() {
        accepted(&set)
    } else {
        accepted_before
    };
    let masked = sandbox.mask(&outcome.stdout, &[]);
    Scenario {
        outcome,
        masked,
        accepted_before,
        accepted_after,
        elapsed,
    }
}

/// Both programs in parallel, each on its own hosts.
fn both(timeout: u32, restart_after: Option<Duration>) -> (Scenario, Scenario) {
    let ansible_program = common::ansible_playbook();
    let rsible_program = common::rsible_playbook();
    std::thread::scope(|s| {
        let a = s.spawn(|| scenario(&ansible_program, timeout, restart_after));
        let r = scenario(&rsible_program, timeout, restart_after);
        let a = a
            .join()
            .unwrap_or_else(|_| panic!("the ansible-playbook scenario panicked"));
        (a, r)
    })
}

#[test]
fn wait_for_connection_reconnects_after_sshd_comes_back() {
    if !common::supported() {
        return;
    }
    let (ansible, rsible) = both(30, Some(Duration::from_secs(5)));
    for (who, s) in [("ansible-playbook", &ansible), ("rsible-playbook", &rsible)] {
        assert_eq!(
            s.outcome.rc, 0,
            "{who} failed:\n{}\n{}",
            s.outcome.stdout, s.outcome.stderr
        );
        let after = s
            .outcome
            .stdout
            .split("TASK [After]")
            .nth(1)
            .unwrap_or_default();
        assert!(
            after.lines().any(|l| l.starts_with("changed: [h1]")),
            "{who}: task After did not run:\n{}",
            s.outcome.stdout
        );
        // The old sshd and every session it served were killed, so task After can only have
        // run over a connection the restarted sshd accepted.
        assert!(
            s.accepted_after > s.accepted_before,
            "{who}: the restarted sshd accepted no connection ({} before, {} after)",
            s.accepted_before,
            s.accepted_after
        );
        assert!(
            s.elapsed >= Duration::from_secs(5),
            "{who} finished in {:?}, before sshd was back",
            s.elapsed
        );
    }
    if let Some(d) =
        rsible_test_support::diff(&ansible.masked, &rsible.masked, "stdout", DIFF_CONTEXT)
    {
        panic!("rsible-playbook differs from ansible-playbook:\n{d}");
    }
}

/// The fatal result after `timeout` while sshd stays down: exit code and the masked `fatal:`
/// line (Ansible's `timed out waiting for ping module test: <last connection error>`).
#[test]
fn wait_for_connection_times_out_while_sshd_stays_down() {
    if !common::supported() {
        return;
    }
    let (ansible, rsible) = both(5, None);
    assert_eq!(ansible.outcome.rc, 2, "{}", ansible.outcome.stdout);
    let fatal = |s: &Scenario| {
        s.masked
            .lines()
            .find(|l| l.starts_with("fatal: [h1]"))
            .map(str::to_owned)
    };
    let expected = fatal(&ansible).unwrap_or_default();
    assert!(
        expected.contains("\"msg\": \"timed out waiting for ping module test: Failed to connect to the host via ssh: "),
        "{}",
        ansible.outcome.stdout
    );
    assert_eq!(
        rsible.outcome.rc, ansible.outcome.rc,
        "exit code; rsible stdout:\n{}\nstderr:\n{}",
        rsible.outcome.stdout, rsible.outcome.stderr
    );
    assert_eq!(fatal(&rsible).unwrap_or_default(), expected);
    assert!(
        rsible.elapsed >= Duration::from_secs(6),
        "rsible gave up after {:?}, before delay + timeout",
        rsible.elapsed
    );
}

/// The whole output of the same scenario, `[ERROR]` block included.
#[test]
fn wait_for_connection_timeout_output_matches() {
    if !common::supported() {
        return;
    }
    let (ansible, rsible) = both(5, None);
    assert_eq!(ansible.outcome.rc, 2, "{}", ansible.outcome.stdout);
    assert_eq!(rsible.outcome.rc, ansible.outcome.rc);
    if let Some(d) =
        rsible_test_support::diff(&ansible.masked, &rsible.masked, "stdout", DIFF_CONTEXT)
    {
        panic!("rsible-playbook differs from ansible-playbook:\n{d}");
    }
}

//! An async job that takes its host away while it is polled — what `shutdown -r now` with
//! `async: 1, poll: 1, ignore_errors: true` does (the reference article's reboot task). The
//! test kills the host's sshd right after the job starts and brings it back 6 s later.
//!
//! This is a deliberate difference from ansible-core 2.19 (docs/status.md): rsible fails the
//! task once every poll in the job's time has lost the connection, as ansible-core up to 2.18
//! did, so `ignore_errors` lets the host go on to `wait_for_connection`. ansible-core 2.19 runs
//! the same scenario too, and the test checks that it still marks the host UNREACHABLE — the
//! day it stops doing so, this difference can go.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Outcome, Sandbox};
use rsible_testhosts::{HostSet, Tier};

const PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: a job that takes the host away
      shell: touch {{ work }}/started && sleep 1
      async: 3
      poll: 1
      ignore_errors: true
    - name: back again
      wait_for_connection:
        delay: 1
        timeout: 60
    - name: after
      file: path={{ work }}/after state=touch
"#;

fn work(set: &HostSet) -> PathBuf {
    set.host("h1")
        .and_then(|h| h.work_dir.clone())
        .unwrap_or_else(|| panic!("h1 has no work dir"))
}

fn scenario(program: &Path) -> (Outcome, HostSet) {
    let set = common::start(1, Tier::Shared, "h");
    let sandbox = Sandbox::new(None);
    let line = sandbox.host_files(&set);
    let inventory = format!("{} work={}\n", line.trim_end(), work(&set).display());
    fs::write(sandbox.case().join("inventory"), inventory).unwrap_or_else(|e| panic!("{e}"));
    fs::write(sandbox.case().join("site.yml"), PLAYBOOK).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = sandbox.command(program);
    cmd.args(["-i", "inventory", "site.yml"]);
    let child = sandbox.spawn(&mut cmd);
    // The host shares the machine's filesystem: the job's marker appears right here.
    let marker = work(&set).join("started");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marker.exists() {
        assert!(
            Instant::now() < deadline,
            "the job never started under {}",
            program.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let h1 = set.host("h1").unwrap_or_else(|| panic!("no h1"));
    set.stop_sshd(h1)
        .unwrap_or_else(|e| panic!("stopping h1's sshd: {e}"));
    std::thread::sleep(Duration::from_secs(6));
    set.start_sshd(h1)
        .unwrap_or_else(|e| panic!("starting h1's sshd: {e}"));
    let outcome = sandbox.wait(&cmd, child);
    (outcome, set)
}

#[test]
fn losing_the_host_while_polling_fails_the_task_so_ignore_errors_applies() {
    if !common::supported() {
        return;
    }
    let (ours, set) = scenario(&common::rsible_playbook());
    let context = format!("rsible:\n{}\n{}", ours.stdout, ours.stderr);
    assert_eq!(ours.rc, 0, "exit code, {context}");
    assert!(
        ours.stdout.contains("fatal: [h1]: FAILED! => {\"changed\": false, \"msg\": \"Task failed: Failed to connect to the host via ssh: ")
            && ours.stdout.contains("...ignoring"),
        "the lost poll is an ignored failure, {context}"
    );
    assert_eq!(
        common::recap(&ours.stdout),
        ["h1 : ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=1"],
        "{context}"
    );
    assert!(
        work(&set).join("after").exists(),
        "h1 did not go on, {context}"
    );

    let (theirs, set) = scenario(&common::ansible_playbook());
    let context = format!("ansible-playbook:\n{}\n{}", theirs.stdout, theirs.stderr);
    assert_eq!(
        theirs.rc, 4,
        "ansible-core 2.19 changed its mind? {context}"
    );
    assert!(
        theirs.stdout.contains("fatal: [h1]: UNREACHABLE!"),
        "{context}"
    );
    assert!(!work(&set).join("after").exists(), "{context}");
}

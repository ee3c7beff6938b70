//! A host whose sshd dies in the middle of a play: three tier-1 hosts, and while the third task
//! sleeps on them the test kills h2's sshd (sessions included). h2 must be reported UNREACHABLE
//! in Ansible's shape, h1 and h3 must finish every task, the recap must count
//! `unreachable=1` for h2, and the exit code must be 4. ansible-playbook runs the same scenario
//! on its own host set; timing makes the messages differ (the ssh error text), so the recap
//! lines and exit codes are compared exactly and the UNREACHABLE line by its shape.

use crate::common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Outcome, Sandbox};
use regex::Regex;
use rsible_testhosts::{HostSet, Tier};

const PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: one
      command: echo one
    - name: two
      file: path={{ work }}/two state=touch
    - name: three, during which h2 loses its sshd
      shell: touch {{ work }}/sleeping && sleep 5
    - name: four
      copy: content="four\n" dest={{ work }}/four
    - name: five
      command: cat {{ work }}/four
      register: five
    - name: six
      debug: var=five.stdout
"#;

fn work(set: &HostSet, name: &str) -> std::path::PathBuf {
    set.host(name)
        .and_then(|h| h.work_dir.clone())
        .unwrap_or_else(|| panic!("{name} has no work dir"))
}

/// Runs the scenario under `program` on a fresh set of three hosts.
fn scenario(program: &Path) -> (Outcome, HostSet) {
    let set = common::start(3, Tier::Shared, "h");
    let sandbox = Sandbox::new(None);
    let mut inventory = String::new();
    for line in sandbox.host_files(&set).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        inventory.push_str(&format!("{line} work={}\n", work(&set, name).display()));
    }
    fs::write(sandbox.case().join("inventory"), inventory).unwrap_or_else(|e| panic!("{e}"));
    fs::write(sandbox.case().join("site.yml"), PLAYBOOK).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = sandbox.command(program);
    cmd.args(["-i", "inventory", "site.yml"]);
    let child = sandbox.spawn(&mut cmd);
    // The hosts share the machine's filesystem: task three's marker file appears right here.
    let marker = work(&set, "h2").join("sleeping");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marker.exists() {
        assert!(
            Instant::now() < deadline,
            "task three never started on h2 under {}",
            program.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let h2 = set.host("h2").unwrap_or_else(|| panic!("no h2"));
    set.stop_sshd(h2)
        .unwrap_or_else(|e| panic!("stopping h2's sshd: {e}"));
    let outcome = sandbox.wait(&cmd, child);
    (outcome, set)
}

#[track_caller]
fn check(who: &str, outcome: &Outcome, set: &HostSet) {
    let context = format!("{who}:\n{}\n{}", outcome.stdout, outcome.stderr);
    assert_eq!(outcome.rc, 4, "exit code, {context}");
    let shape = Regex::new(
        r#"(?m)^fatal: \[h2\]: UNREACHABLE! => \{"changed": false, "msg": "(Task failed: )?Failed to connect to the host via ssh: [^\n]*", "unreachable": true\}$"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        shape.is_match(&outcome.stdout),
        "UNREACHABLE line, {context}"
    );
    let recap = common::recap(&outcome.stdout);
    assert_eq!(recap.len(), 3, "recap, {context}");
    assert!(
        recap[1] == "h2 : ok=2 changed=2 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
        "h2's recap, {context}"
    );
    for name in ["h1", "h3"] {
        assert!(
            work(set, name).join("four").exists(),
            "{name} did not finish, {context}"
        );
    }
    assert!(
        !work(set, "h2").join("four").exists(),
        "h2 went on, {context}"
    );
    // h2 is dropped from the play: after its UNREACHABLE line, no task reports h2 again.
    let after = outcome
        .stdout
        .split("UNREACHABLE!")
        .nth(1)
        .unwrap_or_default()
        .split("PLAY RECAP")
        .next()
        .unwrap_or_default();
    assert!(
        !after.contains("[h2]"),
        "h2 reported after UNREACHABLE, {context}"
    );
}

#[test]
fn killing_sshd_mid_play_makes_only_that_host_unreachable() {
    if !common::supported() {
        return;
    }
    let (expected, a_set) = scenario(&common::ansible_playbook());
    check("ansible-playbook", &expected, &a_set);
    let (actual, r_set) = scenario(&common::rsible_playbook());
    check("rsible-playbook", &actual, &r_set);
    assert_eq!(
        common::recap(&expected.stdout),
        common::recap(&actual.stdout),
        "recap lines differ\nansible:\n{}\nrsible:\n{}",
        expected.stdout,
        actual.stdout
    );
}

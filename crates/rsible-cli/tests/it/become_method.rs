//! A `become_method` rsible does not implement: tasks that run on the target fail with the
//! message the SSH connection has always given; controller-only actions (`debug`) never
//! escalate, so they still run.

use std::process::{Command, Stdio};

const PLAYBOOK: &str = "\
- hosts: localhost
  gather_facts: false
  connection: local
  become: true
  become_method: doas
  tasks:
    - debug:
        msg: still runs
    - command: id -u
";

#[test]
fn unknown_become_method_fails_tasks_on_the_target() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("p.yml"), PLAYBOOK).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_rsible-playbook"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("ANSIBLE_NOCOLOR", "1")
        .args(["-i", "localhost,", "p.yml"])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("\"msg\": \"still runs\""), "{stdout}");
    assert!(
        stdout.contains("become method `doas` is not supported over local (use sudo or su)"),
        "{stdout}"
    );
}

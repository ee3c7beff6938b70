//! `--check` and the `check_mode` keyword.

use crate::harness::play;

#[test]
fn check_mode_runs_nothing_that_changes_the_host() {
    let ran = play(
        "check_mode",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: would run
      command: echo change
    - name: runs anyway
      command: echo real
      check_mode: false
    - name: says so
      debug:
        msg: "check={{ ansible_check_mode }}"
"#,
    )
    .check()
    .run();
    ran.snapshot();
    let lines = ran.lines("web1");
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("echo real"));
}

#[test]
fn check_mode_true_on_a_task_without_check() {
    let ran = play(
        "check_mode_keyword",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: only checks
      command: echo change
      check_mode: true
    - name: runs
      command: echo real
"#,
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.lines("web1").len(), 1);
}

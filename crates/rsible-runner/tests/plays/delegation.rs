//! `delegate_to` and `run_once`.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

#[test]
fn a_delegated_task_runs_on_the_delegate_for_each_host() {
    let ran = play(
        "delegate_to",
        r#"
- hosts: web
  gather_facts: false
  tasks:
    - name: register with the balancer
      command: "echo add {{ inventory_hostname }}"
      delegate_to: db1
    - name: locally
      debug:
        msg: "{{ inventory_hostname }}"
"#,
    )
    .inventory("[web]\nweb1\nweb2\n[db]\ndb1\n")
    .host(
        "db1",
        ScriptedConnection::new("db1")
            .on("add web1", 0, "add web1\n", "")
            .on("add web2", 0, "add web2\n", ""),
    )
    .run();
    ran.snapshot();
    assert!(ran.lines("web1").is_empty() && ran.lines("web2").is_empty());
    let on_db = ran.lines("db1");
    assert_eq!(on_db.len(), 2);
    assert!(on_db[0].contains("add web1") && on_db[1].contains("add web2"));
}

#[test]
fn run_once_runs_on_the_first_host_and_registers_for_all() {
    let ran = play(
        "run_once",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      command: echo token
      run_once: true
      register: token
    - name: everyone sees it
      debug:
        msg: "{{ token.stdout }}"
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("echo token", 0, "token\n", ""),
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.lines("web1").len(), 1);
    assert!(ran.lines("web2").is_empty());
}

#[test]
fn delegate_to_localhost_with_run_once() {
    let ran = play(
        "delegate_run_once",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: one local step
      command: echo local
      delegate_to: localhost
      run_once: true
"#,
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.lines("localhost").len(), 1);
}

#[test]
fn delegate_to_is_templated_for_each_item() {
    let ran = play(
        "delegate_to_each_item",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: on each
      command: "echo {{ item }}"
      delegate_to: "{{ item }}"
      loop: [web2, db1]
    - name: a delegate that does not template
      command: "true"
      delegate_to: "{{ nowhere }}"
      ignore_errors: true
"#,
    )
    .inventory("web1\nweb2\ndb1\n")
    .run();
    ran.snapshot();
    assert!(ran.lines("web1").is_empty());
    assert_eq!(ran.lines("web2").len(), 1);
    assert_eq!(ran.lines("db1").len(), 1);
}

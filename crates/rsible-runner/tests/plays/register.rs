//! `register:` and later use of the result.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

#[test]
fn a_registered_result_is_read_by_later_tasks() {
    play(
        "register_then_use",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: hello
      command: echo hello
      register: greeting
    - name: show
      debug:
        msg: "{{ greeting.stdout }} rc={{ greeting.rc }} changed={{ greeting.changed }}"
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("echo hello", 0, "hello\n", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn a_skipped_task_registers_that_it_was_skipped() {
    play(
        "register_skipped",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: never
      command: echo no
      register: r
      when: false
    - debug:
        msg: "skipped={{ r is skipped }} changed={{ r.changed }}"
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn a_loop_registers_every_item_result() {
    play(
        "register_a_loop",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: each
      command: "echo {{ item }}"
      loop: [x, y]
      register: echoes
    - debug:
        msg: "{{ echoes.results | map(attribute='stdout') | list }} {{ echoes.results | length }}"
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1")
            .on("echo x", 0, "x\n", "")
            .on("echo y", 0, "y\n", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn a_failed_result_is_registered_too() {
    play(
        "register_a_failure",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: fails
      command: "sh -c 'echo oops >&2; exit 2'"
      register: r
      ignore_errors: true
    - debug:
        msg: "failed={{ r.failed }} rc={{ r.rc }} err={{ r.stderr }}"
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("exit 2", 2, "", "oops\n"),
    )
    .run()
    .snapshot();
}

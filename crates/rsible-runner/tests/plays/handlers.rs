//! Handlers: notified by changed tasks, run once at the end of a section or at
//! `meta: flush_handlers`, in the order they are written.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

#[test]
fn a_handler_runs_once_after_the_tasks_that_notified_it() {
    play(
        "handler_runs_once",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: first change
      command: "true"
      notify: restart app
    - name: second change
      command: "true"
      notify: restart app
    - name: last task
      debug:
        msg: before handlers
  handlers:
    - name: restart app
      debug:
        msg: "restarting on {{ inventory_hostname }}"
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn an_unchanged_task_notifies_nothing() {
    play(
        "handler_not_notified",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: changes on web2 only
      command: "true"
      changed_when: inventory_hostname == "web2"
      notify: reload
  handlers:
    - name: reload
      debug:
        msg: reloading
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn handlers_listen_to_a_topic_and_run_in_written_order() {
    play(
        "handler_listen",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: notify both
      command: "true"
      notify:
        - web services
        - first written
  handlers:
    - name: first written
      debug:
        msg: first
    - name: restart web
      debug:
        msg: web
      listen: web services
    - name: restart cache
      debug:
        msg: cache
      listen: web services
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn flush_handlers_runs_them_where_it_is_written() {
    play(
        "handler_flush",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      notify: handle
    - meta: flush_handlers
    - name: after the flush
      debug:
        msg: after
    - name: change again
      command: "true"
      notify: handle
  handlers:
    - name: handle
      debug:
        msg: handled
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn a_host_that_failed_does_not_run_its_handlers() {
    play(
        "handler_skipped_for_failed_host",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      notify: handle
    - name: web1 fails
      command: "test {{ inventory_hostname }} = web2"
  handlers:
    - name: handle
      debug:
        msg: handled
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("test web1", 1, "", ""),
    )
    .run()
    .snapshot();
}

//! Blocks: `rescue:` for the hosts that failed in the body, `always:` for all that entered it.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

#[test]
fn rescue_runs_for_the_failed_host_and_always_for_both() {
    play(
        "block_rescue_always",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: guarded
      block:
        - name: fails on web1
          command: "test {{ inventory_hostname }} = web2"
        - name: rest of the body
          debug:
            msg: body
      rescue:
        - name: rescued
          debug:
            msg: "{{ ansible_failed_task.name }} failed: {{ ansible_failed_result.rc }}"
      always:
        - name: cleanup
          debug:
            msg: always
    - name: after the block
      debug:
        msg: after
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("test web1", 1, "", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn an_outer_rescue_catches_an_inner_failure() {
    play(
        "nested_blocks",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: outer
      block:
        - name: inner
          block:
            - name: boom
              command: "false"
          always:
            - name: inner always
              debug:
                msg: inner always
        - name: not reached
          debug:
            msg: skipped by the failure
      rescue:
        - name: outer rescue
          debug:
            msg: rescued
      always:
        - name: outer always
          debug:
            msg: outer always
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("false", 1, "", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn always_runs_after_an_unrescued_failure_and_the_host_stays_failed() {
    play(
        "block_always_only",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - block:
        - name: boom
          command: "false"
      always:
        - name: always
          debug:
            msg: always
    - name: not reached
      debug:
        msg: never
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("false", 1, "", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn block_keywords_reach_the_tasks_inside() {
    play(
        "block_keywords",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: only web2, errors ignored
      when: inventory_hostname == "web2"
      ignore_errors: true
      vars:
        word: from the block
      block:
        - name: fails
          command: "false"
        - name: says
          debug:
            msg: "{{ word }}"
"#,
    )
    .host(
        "web2",
        ScriptedConnection::new("web2").on("false", 1, "", ""),
    )
    .run()
    .snapshot();
}

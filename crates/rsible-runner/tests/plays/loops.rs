//! `loop:`, `with_items:` and `loop_control`.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

#[test]
fn loop_runs_the_task_once_per_item() {
    play(
        "loop_over_a_list",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: say each
      debug:
        msg: "{{ item }}"
      loop: [a, b]
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn with_items_flattens_one_level() {
    play(
        "with_items_flattens",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ item }}"
      with_items:
        - [1, 2]
        - 3
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn loop_control_names_the_label_index_and_variable() {
    play(
        "loop_control",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: users
      debug:
        msg: "{{ idx }}: {{ user.name }} ({{ user.uid }})"
      loop:
        - { name: ann, uid: 1001 }
        - { name: bob, uid: 1002 }
      loop_control:
        loop_var: user
        index_var: idx
        label: "{{ user.name }}"
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn an_empty_loop_skips_the_task() {
    play(
        "empty_loop",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: nothing to do
      debug:
        msg: "{{ item }}"
      loop: []
    - name: after
      debug:
        msg: still here
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn a_looped_command_is_changed_and_fails_when_an_item_fails() {
    let ran = play(
        "loop_with_a_failing_item",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: each exit code
      command: "sh -c 'exit {{ item }}'"
      loop: [0, 3, 0]
    - name: not reached
      debug:
        msg: unreachable
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("exit 3", 3, "", ""),
    )
    .run();
    ran.snapshot();
    assert_eq!(
        ran.lines("web1").len(),
        3,
        "every item runs, the failed one too"
    );
}

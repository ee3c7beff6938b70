//! Hosts that cannot be reached.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;
use rsible_runner::RunOutcome;

#[test]
fn an_unreachable_host_leaves_the_run() {
    let ran = play(
        "unreachable_host",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: controller side
      debug:
        msg: no connection needed
    - name: touches the host
      command: "true"
    - name: only web1 left
      command: "true"
- hosts: all
  gather_facts: false
  tasks:
    - name: second play
      debug:
        msg: "{{ inventory_hostname }}"
"#,
    )
    .unreachable("web2")
    .run();
    ran.snapshot();
    assert_eq!(ran.outcome, RunOutcome::HostsUnreachable);
}

#[test]
fn ignore_errors_does_not_cover_an_unreachable_host() {
    play(
        "unreachable_not_ignored",
        r#"
- hosts: web2
  gather_facts: false
  tasks:
    - name: touches the host
      command: "true"
      ignore_errors: true
    - name: after
      debug:
        msg: never
"#,
    )
    .unreachable("web2")
    .run()
    .snapshot();
}

#[test]
fn an_unreachable_item_does_not_end_the_loop() {
    // ansible-core cannot lose a host midway on localhost: checked by reading, against the
    // delegated case below, which it runs.
    play(
        "unreachable_in_a_loop",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: steps
      command: "echo step {{ item }}"
      loop: [1, 2, 3]
    - name: not reached
      debug:
        msg: never
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on_unreachable("step 2", "Connection reset by peer"),
    )
    .no_oracle()
    .run()
    .snapshot();
}

#[test]
fn a_loop_delegated_to_an_unreachable_item_goes_on_to_the_next() {
    let ran = play(
        "unreachable_delegate_in_a_loop",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: each
      command: "echo {{ item }}"
      delegate_to: "{{ item }}"
      loop: [web1, web2, db1]
    - name: not reached
      debug:
        msg: never
"#,
    )
    .inventory("web1\nweb2\ndb1\n")
    .unreachable("web2")
    .run();
    ran.snapshot();
    assert_eq!(
        ran.lines("db1").len(),
        1,
        "the item after the unreachable one runs"
    );
}

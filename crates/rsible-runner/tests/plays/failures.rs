//! Failures: `failed_when`, `changed_when`, `ignore_errors`, `any_errors_fatal`, and hosts
//! leaving the play.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;
use rsible_runner::RunOutcome;

#[test]
fn failed_when_judges_the_result() {
    let ran = play(
        "failed_when",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: an error in the output fails it
      command: echo ERROR found
      register: out
      failed_when: "'ERROR' in out.stdout"
      ignore_errors: true
    - name: a non-zero rc that is fine
      command: "sh -c 'exit 1'"
      failed_when: false
    - name: only rc 2 is a failure
      command: "sh -c 'exit 1'"
      register: r
      failed_when: r.rc == 2
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1")
            .on("echo ERROR", 0, "ERROR found\n", "")
            .on("exit 1", 1, "", ""),
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.outcome, RunOutcome::Ok);
}

#[test]
fn changed_when_decides_changed() {
    play(
        "changed_when",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: never changes
      command: "true"
      changed_when: false
    - name: changes when it says so
      command: echo updated
      register: r
      changed_when: "'updated' in r.stdout"
    - name: a debug that claims a change
      debug:
        msg: hi
      changed_when: true
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("echo updated", 0, "updated\n", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn ignore_errors_lets_the_host_go_on() {
    let ran = play(
        "ignore_errors",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: fails
      command: "false"
      ignore_errors: true
    - name: goes on
      debug:
        msg: next
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("false", 1, "", ""),
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.outcome, RunOutcome::Ok);
}

#[test]
fn a_failed_host_leaves_the_play_and_the_next_one() {
    let ran = play(
        "failed_host_leaves",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: web1 fails
      command: "test {{ inventory_hostname }} = web2"
    - name: web2 goes on
      debug:
        msg: next
- hosts: all
  gather_facts: false
  tasks:
    - name: second play
      debug:
        msg: second
"#,
    )
    .host(
        "web1",
        ScriptedConnection::new("web1").on("test web1", 1, "", ""),
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.outcome, RunOutcome::HostsFailed);
}

#[test]
fn any_errors_fatal_stops_every_host() {
    play(
        "any_errors_fatal",
        r#"
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: web1 fails
      command: "test {{ inventory_hostname }} = web2"
    - name: nobody gets here
      debug:
        msg: never
- hosts: all
  gather_facts: false
  tasks:
    - name: nor here
      debug:
        msg: never
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
fn when_every_host_failed_the_run_stops() {
    let ran = play(
        "all_hosts_failed",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: everyone fails
      fail:
        msg: "no {{ inventory_hostname }}"
    - name: not reached
      debug:
        msg: never
- hosts: all
  gather_facts: false
  tasks:
    - name: second play
      debug:
        msg: never
"#,
    )
    .run();
    ran.snapshot();
    assert_eq!(ran.outcome, RunOutcome::HostsFailed);
}

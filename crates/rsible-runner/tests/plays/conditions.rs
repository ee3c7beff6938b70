//! `when:` on tasks, hosts and loop items.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

#[test]
fn when_runs_or_skips_the_task() {
    play(
        "when_true_and_false",
        r#"
- hosts: web1
  gather_facts: false
  vars:
    enabled: true
  tasks:
    - name: enabled
      debug:
        msg: runs
      when: enabled
    - name: disabled
      debug:
        msg: never
      when: not enabled
    - name: all of a list
      debug:
        msg: both hold
      when:
        - enabled
        - 1 < 2
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn when_is_judged_per_host() {
    play(
        "when_per_host",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: primary only
      debug:
        msg: "{{ inventory_hostname }} leads"
      when: role == "primary"
"#,
    )
    .inventory("web1 role=primary\nweb2 role=replica\n")
    .run()
    .snapshot();
}

#[test]
fn when_is_judged_per_item() {
    play(
        "when_per_item",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: big ones
      debug:
        msg: "{{ item }}"
      loop: [1, 2, 3]
      when: item > 1
    - name: none hold
      debug:
        msg: "{{ item }}"
      loop: [1, 2]
      when: item > 5
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn when_reads_an_earlier_result() {
    play(
        "when_on_a_registered_result",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: probe
      command: "test -e /etc/{{ wanted }}"
      register: probe
      failed_when: false
      changed_when: false
    - name: only where found
      debug:
        msg: found
      when: probe.rc == 0
"#,
    )
    .inventory("web1 wanted=passwd\nweb2 wanted=no-such-file\n")
    .host(
        "web2",
        ScriptedConnection::new("web2").on("no-such-file", 1, "", ""),
    )
    .run()
    .snapshot();
}

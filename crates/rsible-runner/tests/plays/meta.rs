//! `meta:` actions that steer the play.

use crate::harness::play;

#[test]
fn end_play_ends_the_play_for_every_host() {
    play(
        "meta_end_play",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: before
    - meta: end_play
    - debug:
        msg: never
- hosts: all
  gather_facts: false
  tasks:
    - name: next play
      debug:
        msg: next
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn end_host_ends_the_play_for_the_hosts_where_it_holds() {
    play(
        "meta_end_host",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - meta: end_host
      when: inventory_hostname == "web1"
    - name: web2 only
      debug:
        msg: "{{ inventory_hostname }}"
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn end_play_is_decided_by_the_first_host() {
    // Ansible runs `end_play` once, for the first host: its `when` decides for everyone.
    play(
        "meta_end_play_first_host",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: end if web2
      meta: end_play
      when: inventory_hostname == "web2"
    - name: goes on
      debug:
        msg: "{{ inventory_hostname }}"
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn end_play_ends_every_batch() {
    play(
        "meta_end_play_serial",
        r#"
- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - debug:
        msg: "{{ inventory_hostname }}"
    - meta: end_play
- hosts: all
  gather_facts: false
  tasks:
    - name: next play
      debug:
        msg: next
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn end_host_for_every_host_goes_on_with_the_next_play() {
    play(
        "meta_end_host_all",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: notify
      command: "true"
      notify: never runs
    - meta: end_host
    - debug:
        msg: never
  handlers:
    - name: never runs
      debug:
        msg: handler
- hosts: all
  gather_facts: false
  tasks:
    - name: next play
      debug:
        msg: next
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn flush_handlers_flushes_the_hosts_where_it_holds() {
    play(
        "meta_flush_per_host",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: notify
      command: "true"
      notify: handle
    - name: flush web1 only
      meta: flush_handlers
      when: inventory_hostname == "web1"
    - name: between
      debug:
        msg: between
  handlers:
    - name: handle
      debug:
        msg: "handled {{ inventory_hostname }}"
"#,
    )
    .run()
    .snapshot();
}

//! Variable precedence and `set_fact`.

use crate::harness::play;
use serde_json::json;

#[test]
fn extra_vars_beat_play_vars_and_set_fact() {
    play(
        "extra_vars_win",
        r#"
- hosts: web1
  gather_facts: false
  vars:
    level: play
    other: play
  tasks:
    - set_fact:
        level: fact
        other: fact
    - debug:
        msg: "{{ level }} {{ other }}"
"#,
    )
    .extra_vars(json!({"level": "extra"}))
    .run()
    .snapshot();
}

#[test]
fn task_vars_beat_play_and_inventory_vars() {
    play(
        "task_vars",
        r#"
- hosts: all
  gather_facts: false
  vars:
    colour: play
  tasks:
    - name: task vars
      debug:
        msg: "{{ colour }} {{ size }}"
      vars:
        colour: task
    - name: play and inventory
      debug:
        msg: "{{ colour }} {{ size }}"
"#,
    )
    .inventory("web1 size=small colour=inventory\nweb2 size=large\n")
    .run()
    .snapshot();
}

#[test]
fn set_fact_is_per_host_and_lasts_into_the_next_play() {
    play(
        "set_fact",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: remember
      set_fact:
        seen: "{{ inventory_hostname }}-seen"
        count: "{{ 40 + 2 }}"
    - debug:
        msg: "{{ seen }} {{ count + 1 }}"
- hosts: web2
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ seen }} {{ hostvars['web1'].seen }}"
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn magic_variables_describe_the_play() {
    play(
        "magic_variables",
        r#"
- name: the play
  hosts: web
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ inventory_hostname }} {{ group_names }} {{ ansible_play_hosts }} {{ groups['db'] }} {{ ansible_play_name }}"
"#,
    )
    .inventory("[web]\nweb1\nweb2\n[db]\ndb1\n")
    .run()
    .snapshot();
}

#[test]
fn set_fact_in_a_loop_sets_each_item_in_turn() {
    play(
        "set_fact_loop",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: each
      set_fact:
        last: "{{ item }}"
        "seen_{{ item }}": true
      loop: [a, b]
    - debug:
        msg: "{{ last }} {{ seen_a }} {{ seen_b }}"
"#,
    )
    .run()
    .snapshot();
}

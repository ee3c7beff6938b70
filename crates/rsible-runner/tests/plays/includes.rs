//! `include_tasks`.

use crate::harness::play;

const STEPS: &str = r#"
- name: included step
  debug:
    msg: "{{ inventory_hostname }} {{ item | default('no item') }} {{ word }}"
"#;

#[test]
fn include_tasks_runs_the_file_on_the_hosts_that_include_it() {
    play(
        "include_tasks",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: include
      include_tasks: steps.yml
      vars:
        word: hello
      when: inventory_hostname == "web1"
    - name: after
      debug:
        msg: after
"#,
    )
    .file("steps.yml", STEPS)
    .run()
    .snapshot();
}

#[test]
fn a_looped_include_runs_the_file_once_per_item() {
    play(
        "include_tasks_loop",
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: include each
      include_tasks: steps.yml
      loop: [a, b]
      vars:
        word: looped
"#,
    )
    .file("steps.yml", STEPS)
    .run()
    .snapshot();
}

//! Keywords a task inherits from its block, role and play, as its requests show them.

use crate::harness::play;

#[test]
fn environment_merges_play_and_task_and_become_comes_from_the_play() {
    let ran = play(
        "inherited_keywords",
        r#"
- hosts: web1
  gather_facts: false
  become: true
  become_user: "{{ admin }}"
  environment:
    LANG: C
    SHARED: play
  vars:
    admin: root
  tasks:
    - name: with both
      command: "true"
      environment:
        SHARED: task
    - name: without become
      command: "true"
      become: false
"#,
    )
    .run();
    ran.snapshot();
    let requests = ran.requests("web1");
    assert_eq!(requests.len(), 2);
    let env: Vec<(&str, &str)> = requests[0]
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(k, _)| matches!(*k, "LANG" | "SHARED"))
        .collect();
    assert_eq!(env, [("LANG", "C"), ("SHARED", "task")]);
    let become_ = requests[0].become_.as_ref().expect("become from the play");
    assert_eq!(become_.user, "root");
    assert!(
        requests[1].become_.is_none(),
        "the task's `become: false` wins"
    );
}

#[test]
fn of_several_bad_values_ansible_reports_the_one_it_validates_first() {
    // The play context's keywords (check_mode, then become and its kin, each templated even
    // when the task does not become), then environment, the arguments, the numbers.
    play(
        "keyword_error_order",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: environment before the arguments
      command: "echo {{ undef_args }}"
      environment: "{{ undef_env }}"
      ignore_errors: true
    - name: become before environment
      command: "true"
      environment: "{{ undef_env }}"
      become: "{{ undef_become }}"
      ignore_errors: true
    - name: check_mode before become
      command: "true"
      check_mode: "{{ undef_check }}"
      become: "{{ undef_become }}"
      ignore_errors: true
    - name: become_user without become
      command: "true"
      become: false
      become_user: "{{ undef_user }}"
      ignore_errors: true
    - name: the arguments before the numbers
      command: "echo {{ undef_args }}"
      retries: soon
      ignore_errors: true
    - name: a number that does not template
      command: "true"
      retries: "{{ undef_retries }}"
      until: false
      ignore_errors: true
"#,
    )
    .run()
    .snapshot();
}

#[test]
fn play_keywords_reach_every_task() {
    let ran = play(
        "play_keywords",
        r#"
- hosts: all
  gather_facts: false
  ignore_errors: true
  check_mode: true
  run_once: true
  tasks:
    - name: fails, ignored
      fail:
        msg: boom
    - name: only checked
      command: echo change
    - name: the task's own check_mode wins
      command: echo real
      check_mode: false
"#,
    )
    .run();
    ran.snapshot();
    let lines = ran.lines("web1");
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("echo real"));
    assert!(ran.lines("web2").is_empty(), "run_once from the play");
}

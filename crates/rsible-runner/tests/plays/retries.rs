//! `until`, `retries` and `delay`, and the order in which bad keyword values are reported.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

/// A shell counter the real host keeps in a file; the fake answers its lines in turn.
const COUNT: &str = "n=$(cat {{ playbook_dir }}/count 2>/dev/null || echo 0); echo $((n+1)) | tee {{ playbook_dir }}/count";

fn counting(host: &str, upto: u32) -> ScriptedConnection {
    (1..=upto).fold(ScriptedConnection::new(host), |c, n| {
        c.on("tee", 0, &format!("{n}\n"), "")
    })
}

#[test]
fn until_retries_until_the_condition_holds() {
    let ran = play(
        "until_succeeds",
        &format!(
            r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: wait for three
      shell: "{COUNT}"
      register: counter
      until: counter.stdout == "3"
      retries: 5
      delay: 0
    - debug:
        msg: "took {{{{ counter.attempts }}}}"
"#
        ),
    )
    .host("web1", counting("web1", 5))
    .run();
    ran.snapshot();
    assert_eq!(ran.lines("web1").len(), 3);
}

#[test]
fn until_gives_up_after_the_retries() {
    let ran = play(
        "until_exhausted",
        &format!(
            r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: never enough
      shell: "{COUNT}"
      register: counter
      until: counter.stdout == "10"
      retries: 2
      delay: 0
"#
        ),
    )
    .host("web1", counting("web1", 5))
    .run();
    ran.snapshot();
    assert_eq!(ran.lines("web1").len(), 3, "one run and two retries");
}

#[test]
fn retries_alone_retry_until_the_task_succeeds() {
    play(
        "retries_without_until",
        &format!(
            r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: fails twice
      shell: "{COUNT}; test $((n+1)) -ge 3"
      retries: 3
      delay: 0
"#
        ),
    )
    .host(
        "web1",
        ScriptedConnection::new("web1")
            .on("tee", 1, "1\n", "")
            .on("tee", 1, "2\n", "")
            .on("tee", 0, "3\n", ""),
    )
    .run()
    .snapshot();
}

#[test]
fn the_first_bad_keyword_is_the_one_reported() {
    // ansible-core validates `async`, `delay`, `poll`, `retries` in that order.
    play(
        "bad_numeric_keywords",
        r#"
- hosts: web1
  gather_facts: false
  tasks:
    - name: bad retries and delay
      command: "true"
      until: false
      retries: soon
      delay: later
      ignore_errors: true
    - name: bad delay and async
      command: "true"
      until: false
      retries: 1
      delay: later
      async: never
      ignore_errors: true
"#,
    )
    .run()
    .snapshot();
}

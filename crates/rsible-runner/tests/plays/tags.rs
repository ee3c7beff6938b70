//! `--tags` and `--skip-tags`.

use crate::harness::play;

const PLAY: &str = r#"
- hosts: web1
  gather_facts: false
  tags: [site]
  tasks:
    - name: install
      debug:
        msg: install
      tags: [install]
    - name: configure
      debug:
        msg: configure
      tags: [configure]
    - name: always
      debug:
        msg: always
      tags: [always]
    - name: never unless asked
      debug:
        msg: debug
      tags: [never, debug]
    - name: untagged
      debug:
        msg: untagged
"#;

#[test]
fn without_tags_all_but_never_run() {
    play("tags_none", PLAY).run().snapshot();
}

#[test]
fn tags_select_tasks_and_always_runs() {
    play("tags_selected", PLAY)
        .tags(&["configure", "debug"])
        .run()
        .snapshot();
}

#[test]
fn skip_tags_leave_tasks_out() {
    play("tags_skipped", PLAY)
        .skip_tags(&["install", "always"])
        .run()
        .snapshot();
}

//! `serial`: the play runs batch by batch.

use crate::harness::play;
use rsible_connection::testing::ScriptedConnection;

const FOUR: &str = "web1\nweb2\nweb3\nweb4\n";

const PLAY: &str = r#"
- hosts: all
  gather_facts: false
  serial: SERIAL
  tasks:
    - name: step
      debug:
        msg: "{{ ansible_play_batch }}"
"#;

#[test]
fn serial_cuts_the_hosts_into_batches() {
    play("serial_two", &PLAY.replace("SERIAL", "2"))
        .inventory("web1\nweb2\nweb3\n")
        .run()
        .snapshot();
}

#[test]
fn serial_takes_a_percentage_of_the_hosts() {
    play("serial_percentage", &PLAY.replace("SERIAL", "\"50%\""))
        .inventory(FOUR)
        .run()
        .snapshot();
}

#[test]
fn a_percentage_below_one_host_is_one_host() {
    play(
        "serial_small_percentage",
        &PLAY.replace("SERIAL", "\"10%\""),
    )
    .inventory("web1\nweb2\nweb3\n")
    .run()
    .snapshot();
}

#[test]
fn a_serial_list_repeats_its_last_size() {
    play("serial_list", &PLAY.replace("SERIAL", "[1, 2]"))
        .inventory("web1\nweb2\nweb3\nweb4\nweb5\nweb6\n")
        .run()
        .snapshot();
}

#[test]
fn a_batch_that_fails_entirely_stops_the_run() {
    play(
        "serial_failed_batch",
        r#"
- hosts: all
  gather_facts: false
  serial: 1
  tasks:
    - name: web2 fails
      command: "test {{ inventory_hostname }} != web2"
    - debug:
        msg: next
"#,
    )
    .inventory("web1\nweb2\nweb3\n")
    .host(
        "web2",
        ScriptedConnection::new("web2").on("test web2", 1, "", ""),
    )
    .run()
    .snapshot();
}

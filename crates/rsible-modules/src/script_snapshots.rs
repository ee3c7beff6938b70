//! Snapshots of the exact shell lines modules send, through the recording fake connection:
//! what an SSH connection would transmit, with every user value quoted.

use serde_json::json;

use crate::testing::{args, Env, FakeConnection, RunResult};
use crate::{ExecOutput, Module};

fn lines_of(
    module: &dyn Module,
    env: &Env,
    outputs: Vec<ExecOutput>,
    a: serde_json::Value,
) -> String {
    let fake = FakeConnection::with_outputs(outputs);
    module.run(&env.ctx(&fake), &args(a)).result();
    fake.lines().join("\n---\n")
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"RSIBLE-[0-9a-f]{16}", "RSIBLE-MARKER");
    s
}

#[test]
fn command_with_chdir_creates_and_env() {
    let env = Env {
        environment: vec![("PATH_X".into(), "a b".into())],
        ..Env::default()
    };
    let text = lines_of(
        &crate::command::COMMAND,
        &env,
        vec![],
        json!({"argv": ["make", "-j5", "$(rm -rf /)", "it's"], "chdir": "~/src/linux", "creates": "/boot/*.img"}),
    );
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn shell_with_executable_and_stdin() {
    let text = lines_of(
        &crate::command::SHELL,
        &Env::default(),
        vec![],
        json!({"_raw_params": "echo $HOME | tr a-z A-Z", "executable": "/bin/bash", "stdin": "x"}),
    );
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn file_directory_creation() {
    // State probe answers: absent; then the apply script's report.
    let outputs = vec![
        FakeConnection::out(0, "l:-\nt:-\n", ""),
        FakeConnection::out(
            0,
            "l:41ed|0|0|root|root|4096|2|1\nt:41ed|0|0|root|root|4096|2|1\n",
            "",
        ),
    ];
    let text = lines_of(
        &crate::file::FILE,
        &Env::default(),
        outputs,
        json!({"path": "/opt/a b/c", "state": "directory", "mode": "0755", "owner": "root"}),
    );
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn copy_content_round_trips() {
    let outputs = vec![
        FakeConnection::out(0, "h:/root\np:/etc/motd\nl:-\nt:-\nP:\n", ""),
        FakeConnection::out(
            0,
            "l:81a4|0|0|root|root|4|1|9\nt:81a4|0|0|root|root|4|1|9\n",
            "",
        ),
    ];
    let fake = FakeConnection::with_outputs(outputs);
    let env = Env::default();
    let r = crate::copy::COPY
        .run(
            &env.ctx(&fake),
            &args(
                json!({"content": "abc\n", "dest": "/etc/motd", "backup": true, "owner": "root"}),
            ),
        )
        .result();
    assert_eq!(r["changed"], true);
    assert_eq!(r["mode"], "0644");
    let puts = fake.puts.lock().unwrap().clone();
    assert_eq!(
        puts,
        vec![("/etc/motd".to_owned(), b"abc\n".to_vec(), None)]
    );
    let text = fake.lines().join("\n---\n");
    settings().bind(|| insta::assert_snapshot!(text));
}

//! The binaries' exit codes and messages for what happens before a run. Expected codes and
//! texts come from ansible-playbook 2.19.14: argparse usage errors exit 2, a missing playbook
//! is `[ERROR]: the playbook: … could not be found` with exit 1, options errors exit 5,
//! Ctrl-C prints `[ERROR]: User interrupted execution` and exits 99.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn rsible(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsible-playbook"))
        .args(args)
        .env_remove("ANSIBLE_FORCE_COLOR")
        .env("ANSIBLE_NOCOLOR", "1")
        .env_remove("ANSIBLE_INVENTORY")
        .env_remove("ANSIBLE_BECOME_ASK_PASS")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn version_has_ansibles_first_line() {
    let out = rsible(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("rsible-playbook [core 2.19.14]\n"));

    let out = Command::new(env!("CARGO_BIN_EXE_ansible"))
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    // Vagrant: /(^ansible\s+)(.+)$/ then the first digit followed by a dot is the major version.
    let re = regex::Regex::new(r"^ansible\s+(.+)$").unwrap_or_else(|e| panic!("{e}"));
    let version = re
        .captures(first)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str());
    assert_eq!(version, Some("[core 2.19.14]"));

    let out = Command::new(env!("CARGO_BIN_EXE_ansible"))
        .args(["all", "-m", "ping"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("not supported"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["--bogus", "x.yml"][..], &["-f", "abc", "x.yml"], &[]] {
        let out = rsible(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("error:"), "{args:?}");
    }
}

#[test]
fn unsupported_flags_exit_5() {
    let out = rsible(&["--step", "x.yml"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        text(&out.stderr),
        "[ERROR]: the option --step is not supported by rsible yet\n"
    );
}

#[test]
fn missing_playbook_exits_1() {
    let out = rsible(&["nonexist.yml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "[ERROR]: the playbook: nonexist.yml could not be found\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_extra_vars_exit_5() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pb = dir.path().join("site.yml");
    std::fs::write(&pb, "- hosts: all\n  tasks: []\n").unwrap_or_else(|e| panic!("{e}"));
    let pb = pb.display().to_string();
    let out = rsible(&["-e", "./vars.yml", &pb]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        text(&out.stderr),
        "[ERROR]: Please prepend extra_vars filename './vars.yml' with '@'\n"
    );
    let out = rsible(&["-e", "[1, 2]", &pb]);
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn ctrl_c_exits_99() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pb = dir.path().join("site.yml");
    std::fs::write(&pb, "- hosts: all\n  tasks: []\n").unwrap_or_else(|e| panic!("{e}"));
    // `-K` makes the binary wait on stdin, which stays open.
    let child = Command::new(env!("CARGO_BIN_EXE_rsible-playbook"))
        .args(["-K", &pb.display().to_string()])
        .env("ANSIBLE_NOCOLOR", "1")
        .env_remove("ANSIBLE_FORCE_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(99));
    assert!(text(&out.stderr).ends_with("[ERROR]: User interrupted execution\n"));
}

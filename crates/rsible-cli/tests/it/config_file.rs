//! `ansible.cfg` as the binaries see it: which file is used, Ansible's warning for one in a
//! world-writable directory, Ansible's exit code 5 for one it cannot read, and rsible's
//! warnings for settings it does not apply. Expected texts and codes are ansible-playbook
//! 2.19.14's on the same files (the warnings naming a line are rsible's own).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

fn rsible(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsible-playbook"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn project() -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    write(
        &dir.path().join("site.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hello\n",
    );
    dir
}

#[test]
fn verbose_run_names_the_config_file() {
    let dir = project();
    let out = rsible(dir.path(), &["-v", "site.yml"]);
    assert!(text(&out.stdout).starts_with("No config file found; using defaults\n"));
    write(&dir.path().join("ansible.cfg"), "[defaults]\n");
    let out = rsible(dir.path(), &["-v", "site.yml"]);
    let first = text(&out.stdout).lines().next().map(str::to_owned);
    assert_eq!(
        first,
        Some(format!(
            "Using {} as config file",
            dir.path().join("ansible.cfg").display()
        ))
    );
}

#[test]
fn world_writable_directory_is_not_trusted() {
    let dir = project();
    write(
        &dir.path().join("ansible.cfg"),
        "[defaults]\nforks = broken\n",
    );
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = rsible(dir.path(), &["site.yml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with(&format!(
        "[WARNING]: Ansible is being run in a world writable directory ({}), ignoring it as an ansible.cfg source. For more information see https://docs.ansible.com/ansible/devel/reference_appendices/config.html#cfg-in-world-writable-dir\n",
        dir.path().display()
    )));
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = rsible(dir.path(), &["site.yml"]);
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn unreadable_config_exits_5_pointing_at_the_line() {
    let dir = project();
    for (cfg, wanted) in [
        (
            "[defaults]\nforks = 3\nfoo\n",
            "Source contains parsing errors: '<string>'\n\t[line  3]: 'foo\\n'",
        ),
        ("forks = 3\n", "File contains no section headers."),
        (
            "[defaults]\nforks = 3\nforks = 4\n",
            "option 'forks' in section 'defaults' already exists",
        ),
        (
            "[defaults]\ntimeout = soon\n",
            "Invalid value \"soon\" for [defaults] timeout",
        ),
    ] {
        write(&dir.path().join("ansible.cfg"), cfg);
        let out = rsible(dir.path(), &["site.yml"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{cfg:?}: {stderr}");
        assert!(stderr.contains(wanted), "{cfg:?}: {stderr}");
        assert!(stderr.contains("ansible.cfg:"), "{cfg:?}: {stderr}");
        assert!(text(&out.stdout).is_empty());
    }
}

#[test]
fn settings_rsible_does_not_apply_are_warned_about() {
    let dir = project();
    write(
        &dir.path().join("ansible.cfg"),
        "[defaults]\nnocows = True\nprivate_role_vars = true\nfrobnicate = 1\ncallbacks_enabled = profile_tasks\n",
    );
    let out = rsible(dir.path(), &["site.yml"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    let cfg = dir.path().join("ansible.cfg");
    for line in [
        format!(
            "[WARNING]: {}:3: [defaults] private_role_vars is not supported by rsible, ignored",
            cfg.display()
        ),
        format!(
            "[WARNING]: {}:4: unknown setting [defaults] frobnicate, ignored",
            cfg.display()
        ),
        "[WARNING]: Skipping callback plugin 'profile_tasks': rsible does not support it"
            .to_owned(),
    ] {
        assert!(stderr.contains(&line), "missing {line:?} in\n{stderr}");
    }
    assert!(!stderr.contains("nocows"), "{stderr}");
}

#[test]
fn timer_callback_prints_after_the_recap() {
    let dir = project();
    write(
        &dir.path().join("ansible.cfg"),
        "[defaults]\ncallbacks_enabled = timer\n",
    );
    let out = rsible(dir.path(), &["site.yml"]);
    let stdout = text(&out.stdout);
    let recap = stdout.find("PLAY RECAP").unwrap_or(usize::MAX);
    let timer = stdout.find("\nPLAYBOOK RECAP ***").unwrap_or(0);
    assert!(timer > recap, "{stdout}");
    assert!(stdout.ends_with(" seconds\n\r\n"), "{stdout:?}");
}

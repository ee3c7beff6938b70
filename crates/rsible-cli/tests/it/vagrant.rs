//! What Vagrant's ansible provisioner does (`shared/docs/vagrant-contract.md`): the literal
//! `ansible --version`, then `ansible-playbook` (or rsible-playbook) with its argv and
//! environment. Each flag and variable it uses is either honoured or refused by name.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rsible_cli::app::parse_args;
use rsible_cli::options::run_options;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// The binary in `dir` with only the environment given (plus PATH and HOME).
fn command(bin: &Path, dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PLAYBOOK: &str = env!("CARGO_BIN_EXE_rsible-playbook");

/// A directory holding `site.yml` (one debug task on the implicit localhost).
fn project() -> tempfile::TempDir {
    let dir = tempdir();
    write(
        &dir.path().join("site.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hello\n",
    );
    dir
}

#[test]
fn vagrant_argv_parses_in_both_compatibility_modes() {
    let argv = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec![
            "ansible-playbook",
            "--connection=ssh",
            "--timeout=30",
            "--limit=all",
            "--inventory-file=/p/.vagrant/provisioners/ansible/inventory",
            r#"--extra-vars={"a":1}"#,
        ];
        v.extend_from_slice(extra);
        v.push("provisioning/install.yaml");
        v
    };
    // Mode 2.0.
    let a = parse_args(argv(&[
        "--become",
        "--become-user=admin",
        "-vvvv",
        "--tags=a,b",
        "--skip-tags=c",
        "--start-at-task=Install kernel",
        "--ask-become-pass",
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(a.become_ && a.ask_become_pass);
    assert_eq!(a.become_user.as_deref(), Some("admin"));
    assert_eq!(a.verbose, 4);
    let o = run_options(&a, &|_| None).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((o.tags.len(), o.skip_tags.len()), (2, 1));
    assert_eq!(o.start_at_task.as_deref(), Some("Install kernel"));
    assert_eq!(o.extra_vars.len(), 1);
    // Mode 1.8: the legacy names mean the same.
    let legacy = parse_args(argv(&["--sudo", "--sudo-user=admin", "--ask-sudo-pass"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(legacy.become_ && legacy.ask_become_pass);
    assert_eq!(legacy.become_user.as_deref(), Some("admin"));
    // What rsible lacks is refused by name, not ignored.
    for flag in ["--step", "--flush-cache"] {
        let a = parse_args(argv(&[flag])).unwrap_or_else(|e| panic!("{e}"));
        assert!(a.unsupported().is_some(), "{flag}");
    }
}

#[test]
fn refused_flags_exit_5_with_their_name() {
    let dir = project();
    let out = output(command(Path::new(PLAYBOOK), dir.path(), &[]).args(["--step", "site.yml"]));
    assert_eq!(out.status.code(), Some(5));
    assert!(
        text(&out.stderr).contains("--step is not supported by rsible"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ansible_version_is_one_write_naming_the_config_file() {
    let dir = project();
    write(&dir.path().join("conf/ansible.cfg"), "[defaults]\n");
    for (config, shown) in [
        (None, "None".to_owned()),
        (
            Some("conf"),
            dir.path().join("conf/ansible.cfg").display().to_string(),
        ),
    ] {
        let env: Vec<(&str, &str)> = config.map(|c| ("ANSIBLE_CONFIG", c)).into_iter().collect();
        let out = output(
            command(Path::new(env!("CARGO_BIN_EXE_ansible")), dir.path(), &env).arg("--version"),
        );
        assert_eq!(out.status.code(), Some(0));
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("ansible [core 2.19.14]\n"), "{stdout}");
        assert!(
            stdout.contains(&format!("\n  config file = {shown}\n")),
            "{stdout}"
        );
        let out = output(command(Path::new(PLAYBOOK), dir.path(), &env).arg("--version"));
        assert!(text(&out.stdout).contains(&format!("\n  config file = {shown}\n")));
    }
}

#[test]
fn invoked_as_ansible_playbook_it_is_the_same_program() {
    let dir = project();
    let link = dir.path().join("ansible-playbook");
    std::os::unix::fs::symlink(PLAYBOOK, &link).unwrap_or_else(|e| panic!("{e}"));
    let out = output(command(&link, dir.path(), &[]).arg("--version"));
    assert!(text(&out.stdout).starts_with("ansible-playbook [core 2.19.14]\n"));
    let as_link = output(command(&link, dir.path(), &[("ANSIBLE_NOCOLOR", "1")]).arg("site.yml"));
    let direct = output(
        command(Path::new(PLAYBOOK), dir.path(), &[("ANSIBLE_NOCOLOR", "1")]).arg("site.yml"),
    );
    assert_eq!(as_link.status.code(), Some(0));
    assert_eq!(text(&as_link.stdout), text(&direct.stdout));
}

#[test]
fn colour_follows_vagrants_variables_on_a_pipe() {
    let dir = project();
    let run = |env: &[(&str, &str)]| {
        text(&output(command(Path::new(PLAYBOOK), dir.path(), env).arg("site.yml")).stdout)
    };
    assert!(
        run(&[("ANSIBLE_FORCE_COLOR", "true"), ("PYTHONUNBUFFERED", "1")])
            .contains("\x1b[0;32mok: [localhost]")
    );
    assert!(!run(&[("ANSIBLE_NOCOLOR", "true"), ("PYTHONUNBUFFERED", "1")]).contains('\x1b'));
    // ansible.cfg is read too, and the environment wins over it.
    write(
        &dir.path().join("ansible.cfg"),
        "[defaults]\nforce_color = true\n",
    );
    assert!(run(&[]).contains('\x1b'));
    assert!(!run(&[("ANSIBLE_FORCE_COLOR", "false")]).contains('\x1b'));
}

#[test]
fn roles_path_from_the_environment() {
    let dir = project();
    write(
        &dir.path().join("galaxy/roles/fetched/tasks/main.yml"),
        "- debug:\n    msg: from galaxy_roles_path\n",
    );
    write(
        &dir.path().join("play.yml"),
        "- hosts: localhost\n  gather_facts: false\n  roles:\n    - fetched\n",
    );
    let run = |env: &[(&str, &str)]| {
        output(command(Path::new(PLAYBOOK), dir.path(), env).arg("play.yml"))
    };
    let out = run(&[("ANSIBLE_NOCOLOR", "1")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    // Vagrant passes an absolute, colon-separated path; `~` is expanded as Ansible does.
    let out = run(&[
        ("ANSIBLE_NOCOLOR", "1"),
        ("ANSIBLE_ROLES_PATH", "/nonexistent:~/galaxy/roles"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("from galaxy_roles_path"));
}

#[test]
fn ssh_environment_lands_in_the_run_options() {
    let env = |k: &str| {
        let v = match k {
            "ANSIBLE_HOST_KEY_CHECKING" => "false",
            "ANSIBLE_SSH_ARGS" => "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes",
            _ => return None,
        };
        Some(v.to_owned())
    };
    let a = parse_args(["rsible-playbook", "site.yml"]).unwrap_or_else(|e| panic!("{e}"));
    let o = run_options(&a, &env).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!o.host_key_checking);
    assert_eq!(
        o.ssh_args.as_deref(),
        Some("-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes")
    );
    let o = run_options(&a, &|_| None).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(o.host_key_checking && o.ssh_args.is_none());
}

/// stdout is a pipe under Vagrant: each line must arrive when it is printed, not at exit.
#[test]
fn output_streams_through_a_pipe() {
    let dir = tempdir();
    write(
        &dir.path().join("slow.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: first\n    - command: sleep 3\n",
    );
    let mut child = command(Path::new(PLAYBOOK), dir.path(), &[("ANSIBLE_NOCOLOR", "1")])
        .arg("slow.yml")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let seen = lines.any(|l| l.is_ok_and(|l| l.contains("\"msg\": \"first\"")));
    let elapsed = started.elapsed();
    let still_running = child.try_wait().ok().flatten().is_none();
    let _ = child.wait();
    assert!(seen);
    assert!(
        still_running && elapsed < Duration::from_secs(3),
        "the first result arrived only after {elapsed:?}"
    );
}

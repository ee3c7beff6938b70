//! A module Ansible knows but rsible does not implement: the playbook parses, skipped and
//! tag-filtered tasks behave as in Ansible (difftest 86), and only a host that reaches the task
//! fails there, naming the module. Ansible itself would run the module, so this message is
//! rsible's own and is checked here rather than against ansible-playbook.

use std::process::{Command, Output, Stdio};

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsible-playbook"))
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .env_remove("ANSIBLE_INVENTORY")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

const SITE: &str = "\
- hosts: a,b
  gather_facts: false
  connection: local
  tasks:
    - name: Guarded for another family
      community.general.pacman:
        name: nginx
      when: inventory_hostname == 'a'
    - name: After it
      debug:
        msg: still here
";

#[test]
fn only_the_host_that_reaches_it_fails_naming_the_module() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("site.yml"), SITE).unwrap_or_else(|e| panic!("{e}"));
    let out = run(dir.path(), &["-i", "a,b,", "site.yml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(
            "[ERROR]: Task failed: The module 'community.general.pacman' is not implemented by rsible yet.\n"
        ),
        "{stdout}"
    );
    // The caused-by section points at the module's name in the task.
    assert!(stdout.contains("Origin: "), "{stdout}");
    assert!(stdout.contains("site.yml:6:7"), "{stdout}");
    assert!(stdout.contains("fatal: [a]: FAILED!"), "{stdout}");
    assert!(stdout.contains("skipping: [b]"), "{stdout}");
    assert!(
        stdout.contains("ok: [b] => {\n    \"msg\": \"still here\"\n}"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "a                          : ok=0    changed=0    unreachable=0    failed=1"
        ),
        "{stdout}"
    );
}

#[test]
fn syntax_check_passes_and_warns() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("site.yml"), SITE).unwrap_or_else(|e| panic!("{e}"));
    let out = run(dir.path(), &["-i", "a,b,", "--syntax-check", "site.yml"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("community.general.pacman"), "{stderr}");
}

/// A role's `library/` module (as willshersystems.sshd ships `sr_fingerprint`): the role parses,
/// a task guarded off is skipped, and a host reaching it fails saying why rsible cannot run it.
#[test]
fn a_role_library_module_parses_and_fails_only_where_reached() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write(
        "roles/r/library/sr_fingerprint.py",
        "#!/usr/bin/python\nprint('{}')\n",
    );
    write(
        "roles/r/tasks/main.yml",
        "- name: Record\n  sr_fingerprint:\n    sr_message: hi\n  when: inventory_hostname == 'a'\n",
    );
    write(
        "site.yml",
        "- hosts: a,b\n  gather_facts: false\n  connection: local\n  roles: [r]\n",
    );
    let out = run(dir.path(), &["-i", "a,b,", "site.yml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(
            "[ERROR]: Task failed: The module 'sr_fingerprint' comes from a library/ directory"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("fatal: [a]: FAILED!"), "{stdout}");
    assert!(stdout.contains("skipping: [b]"), "{stdout}");
    // Not in a library/ directory any more: a parse error, as Ansible's.
    std::fs::remove_file(dir.path().join("roles/r/library/sr_fingerprint.py"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run(dir.path(), &["-i", "a,b,", "site.yml"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

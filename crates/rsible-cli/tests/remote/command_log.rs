//! What rsible runs on a host, read from the test host's sshd command log: no command mentions
//! python, and each kind of task costs a known number of SSH commands (the table and its reasons
//! are in `docs/remote-commands.md`). ansible-core's count on the same playbook is printed
//! beside it.
//!
//! Every task under test is preceded by a marker task (`command: echo rsible-marker-N`), so the
//! commands between marker N and marker N+1 (the marker's own command excluded) are task N's.

use crate::common;

use std::fmt::Write as _;
use std::fs;

use common::Sandbox;
use rsible_testhosts::{HostSet, Tier};

/// Task name, its YAML body (one line, inside `- name: …`), the commands rsible must need.
/// `@W@` is the host's work dir.
const TASKS: &[(&str, &str, usize)] = &[
    ("command, changed", "command: echo hello", 1),
    ("shell", "shell: echo a | tr a b", 1),
    ("command argv", "command: {argv: [printf, '%s', 'a b']}", 1),
    ("shell with chdir", "shell: pwd\nargs: {chdir: '@W@'}", 1),
    (
        "command, creates exists",
        "command: touch @W@/x\nargs: {creates: /etc}",
        1,
    ),
    ("stat, existing", "stat: path=/etc/hostname", 1),
    ("stat, missing", "stat: path=@W@/nothing", 1),
    (
        "file directory, changed",
        "file: path=@W@/d state=directory",
        2,
    ),
    (
        "file directory, unchanged",
        "file: path=@W@/d state=directory",
        1,
    ),
    ("file mode, changed", "file: path=@W@/d mode=0700", 2),
    ("file mode, unchanged", "file: path=@W@/d mode=0700", 1),
    ("file absent, changed", "file: path=@W@/d state=absent", 2),
    ("file absent, unchanged", "file: path=@W@/d state=absent", 1),
    (
        "copy content, changed",
        "copy: content='one\\n' dest=@W@/c",
        3,
    ),
    (
        "copy content, unchanged",
        "copy: content='one\\n' dest=@W@/c",
        1,
    ),
    (
        "copy src, changed",
        "copy: src=src.txt dest=@W@/s mode=0600",
        3,
    ),
    (
        "copy src, unchanged",
        "copy: src=src.txt dest=@W@/s mode=0600",
        1,
    ),
    (
        "copy src, same content, mode changed",
        "copy: src=src.txt dest=@W@/s mode=0644",
        2,
    ),
    ("template, changed", "template: src=t.j2 dest=@W@/t", 3),
    ("template, unchanged", "template: src=t.j2 dest=@W@/t", 1),
    (
        "copy content, overwrite",
        "copy: content='two\\n' dest=@W@/c",
        3,
    ),
];

/// `marker` is the module of the marker tasks: `command` for rsible; `raw` for Ansible, whose
/// `command` ships its arguments inside a python payload that the log does not show.
fn playbook(work: &str, marker: &str) -> String {
    let mut yaml = String::from("- hosts: all\n  gather_facts: false\n  tasks:\n");
    for (i, (name, body, _)) in TASKS.iter().enumerate() {
        let _ = write!(
            yaml,
            "    - name: marker {i}\n      {marker}: echo rsible-marker-{i}\n    - name: {name}\n"
        );
        for line in body.replace("@W@", work).lines() {
            let _ = writeln!(yaml, "      {line}");
        }
    }
    let _ = write!(
        yaml,
        "    - name: marker end\n      {marker}: echo rsible-marker-{}\n",
        TASKS.len()
    );
    yaml
}

/// Commands per task, from the host's log.
fn per_task(log: &[String]) -> Result<Vec<usize>, String> {
    Ok(task_commands(log)?.iter().map(Vec::len).collect())
}

/// The commands of each task, from the host's log.
fn task_commands(log: &[String]) -> Result<Vec<Vec<String>>, String> {
    let mut tasks = Vec::new();
    let mut last: Option<usize> = None;
    for i in 0..=TASKS.len() {
        let marker = format!("rsible-marker-{i}");
        let at = log
            .iter()
            .position(|c| c.contains(&marker))
            .ok_or_else(|| format!("marker {i} not in the command log:\n{log:#?}"))?;
        if let Some(prev) = last {
            tasks.push(log[prev + 1..at].to_vec());
        }
        last = Some(at);
    }
    Ok(tasks)
}

/// `persistent`: rsible's one shell loop per host (its default); off, each command is a session
/// of its own and the log lists them one by one.
fn run(
    program: &std::path::Path,
    marker: &str,
    set: &HostSet,
    persistent: bool,
) -> (common::Outcome, Vec<String>) {
    let host = &set.hosts()[0];
    let work = host
        .work_dir
        .as_ref()
        .unwrap_or_else(|| panic!("tier-1 host without a work dir"))
        .display()
        .to_string();
    let sandbox = Sandbox::new(None);
    let inventory = sandbox.host_files(set);
    fs::write(sandbox.case().join("inventory"), inventory).unwrap_or_else(|e| panic!("{e}"));
    fs::write(sandbox.case().join("site.yml"), playbook(&work, marker))
        .unwrap_or_else(|e| panic!("{e}"));
    fs::write(sandbox.case().join("src.txt"), "from src\n").unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        sandbox.case().join("t.j2"),
        "host {{ inventory_hostname }}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    set.clear_command_log(host)
        .unwrap_or_else(|e| panic!("clearing the command log: {e}"));
    let mut cmd = sandbox.command(program);
    cmd.args(["-i", "inventory", "site.yml"]);
    if !persistent {
        cmd.env("RSIBLE_PERSISTENT_SHELL", "0");
    }
    let outcome = sandbox.run(&mut cmd);
    let log = set
        .command_log(host)
        .unwrap_or_else(|e| panic!("reading the command log: {e}"));
    (outcome, log)
}

#[test]
fn rsible_runs_no_python_and_a_known_number_of_commands_per_task() {
    if !common::supported() {
        return;
    }
    let rsible_set = common::start(1, Tier::Shared, "h");
    let ansible_set = common::start(1, Tier::Shared, "h");
    let channel_set = common::start(1, Tier::Shared, "h");
    // Over the persistent channel the whole play is one session: the loop.
    let (outcome, log) = run(&common::rsible_playbook(), "command", &channel_set, true);
    assert_eq!(
        outcome.rc, 0,
        "rsible-playbook failed:\n{}\n{}",
        outcome.stdout, outcome.stderr
    );
    assert_eq!(
        log.len(),
        1,
        "rsible opened more than its one session:\n{log:#?}"
    );
    assert!(!log[0].contains("python"), "{log:#?}");
    // Each command its own session: the same requests, countable in the log.
    let (outcome, log) = run(&common::rsible_playbook(), "command", &rsible_set, false);
    assert_eq!(
        outcome.rc, 0,
        "rsible-playbook failed:\n{}\n{}",
        outcome.stdout, outcome.stderr
    );
    let python: Vec<&String> = log.iter().filter(|c| c.contains("python")).collect();
    assert!(
        python.is_empty(),
        "rsible ran python on the host: {python:#?}"
    );
    let commands = task_commands(&log).unwrap_or_else(|e| panic!("{e}"));
    let counts: Vec<usize> = commands.iter().map(Vec::len).collect();
    // What each command is, in short: its last line mostly names the action.
    for ((name, _, _), cmds) in TASKS.iter().zip(&commands) {
        eprintln!("{name}:");
        for c in cmds {
            let short: String = c.split_whitespace().collect::<Vec<_>>().join(" ");
            let start = short.len().saturating_sub(160);
            let start = (start..short.len())
                .find(|&i| short.is_char_boundary(i))
                .unwrap_or(0);
            eprintln!("    …{}", &short[start..]);
        }
    }

    let (a_outcome, a_log) = run(&common::ansible_playbook(), "raw", &ansible_set, false);
    let a_counts = per_task(&a_log).unwrap_or_default();
    let mut table =
        String::from("| task | rsible | expected | ansible-core |\n|---|---|---|---|\n");
    let mut wrong = Vec::new();
    for (i, (name, _, want)) in TASKS.iter().enumerate() {
        let got = counts.get(i).copied().unwrap_or(0);
        let a = a_counts
            .get(i)
            .map_or_else(|| "?".to_owned(), |n| n.to_string());
        let _ = writeln!(table, "| {name} | {got} | {want} | {a} |");
        if got != *want {
            wrong.push(format!("{name}: {got} commands, expected {want}"));
        }
    }
    let total: usize = counts.iter().sum();
    let a_total: usize = a_counts.iter().sum();
    let _ = writeln!(table, "| total | {total} | | {a_total} |");
    eprintln!("{table}");
    eprintln!(
        "ansible-playbook exit code {}; its python commands: {}",
        a_outcome.rc,
        a_log.iter().filter(|c| c.contains("python")).count()
    );
    assert!(
        wrong.is_empty(),
        "commands per task differ:\n{}\n{table}\nrsible's log:\n{log:#?}",
        wrong.join("\n")
    );
}

//! No value of a variable changes what runs on a host beyond the argument it is meant to be.
//! Each proptest case runs ONE rsible-playbook run on a tier-1 host that passes a generated value
//! through every path a value takes to the host (argv, `| quote` in a shell line, `copy`
//! content, a file name, an environment variable, a registered stdout copied back) and checks
//! that each one arrived byte for byte. Values carry planted commands (`$(touch …)`, backticks,
//! `; touch …`): the marker file they would create must never appear.
//!
//! Values never hold `{` (it would be Jinja syntax to Ansible too) nor NUL (argv cannot). The
//! `command` tasks set `expand_argument_vars: false`: by default Ansible's command module
//! expands `$VAR` and `~` in every argument (rsible does the same), which is not injection.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::Sandbox;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rsible_testhosts::{HostSet, Tier};

const PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - file: path={{ d }}/names state=directory
    - name: argv
      command:
        argv: [sh, -c, 'printf %s "$1" > "$2"', sh, "{{ v }}", "{{ d }}/argv"]
        expand_argument_vars: false
    - name: argv, registered
      command:
        argv: [printf, '%s', "{{ v }}"]
        expand_argument_vars: false
      register: r
    - name: the registered stdout, copied back
      copy:
        content: "{{ r.stdout }}"
        dest: "{{ d }}/registered"
    - name: quote filter
      shell: printf %s {{ v | quote }} > {{ d | quote }}/quoted
    - name: copy content
      copy:
        content: "{{ v }}"
        dest: "{{ d }}/content"
    - name: environment
      shell: printf %s "$X" > {{ d | quote }}/env
      environment:
        X: "{{ v }}"
    - name: a file named after the value
      file:
        path: "{{ d }}/names/{{ name }}"
        state: touch
      when: name | length > 0
"#;

/// Pieces that break naive quoting, plus plain text and UTF-8.
fn piece(pwned: String) -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just(format!("$(touch {pwned})")),
        Just(format!("`touch {pwned}`")),
        Just(format!("; touch {pwned}")),
        Just(format!("&& touch {pwned}")),
        Just(format!("| tee {pwned}")),
        Just("\n".to_owned()),
        Just("*".to_owned()),
        Just("~".to_owned()),
        Just("\\".to_owned()),
        Just("-".to_owned()),
        Just("--x".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("$HOME".to_owned()),
        Just("%s%%".to_owned()),
        Just("é日本🦀".to_owned()),
        Just("}}".to_owned()),
        "[a-zA-Z0-9 ._-]{1,6}",
        "[^{\\x00]{1,4}",
    ]
}

fn value(pwned: String) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(pwned), 1..8).prop_map(|v| v.concat())
}

/// The value as a file name: no `/`, no NUL, not `.`/`..`, at most 200 bytes; and no `$`,
/// since Ansible expands `$VAR` in path parameters (`os.path.expandvars`).
fn file_name(v: &str) -> String {
    let mut name: String = v.chars().filter(|&c| c != '/' && c != '$').collect();
    while name.len() > 200 {
        name.pop();
    }
    if name == "." || name == ".." {
        name.push('x');
    }
    name
}

struct Fixture {
    set: HostSet,
    sandbox: Sandbox,
    work: PathBuf,
    pwned: PathBuf,
}

fn one_case(f: &Fixture, index: usize, v: &str) -> Result<(), TestCaseError> {
    let d = f.work.join(format!("case-{index}"));
    let name = file_name(v);
    let vars = serde_json::json!({"v": v, "d": d, "name": name});
    fs::write(f.sandbox.case().join("vars.json"), vars.to_string())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut cmd = f.sandbox.command(&common::rsible_playbook());
    cmd.args(["-i", "inventory", "-e", "@vars.json", "site.yml"]);
    let outcome = f.sandbox.run(&mut cmd);
    prop_assert_eq!(
        outcome.rc,
        0,
        "value {:?}:\n{}\n{}",
        v,
        outcome.stdout,
        outcome.stderr
    );
    let read = |file: &str| {
        String::from_utf8_lossy(&fs::read(d.join(file)).unwrap_or_else(|_| b"<missing>".to_vec()))
            .into_owned()
    };
    for file in ["argv", "quoted", "content", "env"] {
        prop_assert_eq!(read(file), v, "{} did not arrive intact", file);
    }
    // The command module strips trailing newlines from stdout (Ansible does the same).
    prop_assert_eq!(
        read("registered"),
        v.trim_end_matches(['\r', '\n']),
        "registered stdout"
    );
    if !name.is_empty() {
        let names: Vec<String> = fs::read_dir(d.join("names"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        prop_assert_eq!(names, vec![name.clone()], "file name");
    }
    prop_assert!(!f.pwned.exists(), "a planted command ran for value {:?}", v);
    Ok(())
}

fn fixture() -> Fixture {
    let set = common::start(1, Tier::Shared, "h");
    let work = set.hosts()[0]
        .work_dir
        .clone()
        .unwrap_or_else(|| panic!("tier-1 host without a work dir"));
    let sandbox = Sandbox::new(None);
    let inventory = sandbox.host_files(&set);
    fs::write(sandbox.case().join("inventory"), inventory).unwrap_or_else(|e| panic!("{e}"));
    fs::write(sandbox.case().join("site.yml"), PLAYBOOK).unwrap_or_else(|e| panic!("{e}"));
    let pwned = work.join(format!("pwned-{}", common::token()));
    Fixture {
        set,
        sandbox,
        work,
        pwned,
    }
}

#[test]
fn no_value_escapes_its_argument() {
    if !common::supported() {
        return;
    }
    let f = fixture();
    let mut runner = TestRunner::new(Config {
        cases: 32,
        // Each shrink step is a playbook run: keep a failure's report quick.
        max_shrink_iters: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::cell::Cell::new(0usize);
    let result = runner.run(&value(f.pwned.display().to_string()), |v| {
        let index = counter.get();
        counter.set(index + 1);
        one_case(&f, index, &v)
    });
    let log = f
        .set
        .command_log(&f.set.hosts()[0])
        .unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = result {
        panic!("{e}\ncommand log:\n{log:#?}");
    }
    assert!(!Path::new(&f.pwned).exists(), "a planted command ran");
    assert!(counter.get() >= 32, "only {} cases ran", counter.get());
}

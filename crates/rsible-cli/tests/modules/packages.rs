//! Package and repository modules: `package`, `package_facts`, `apt_repository`,
//! `deb822_repository`, `apt_key`, `pip`, `git`, each against packages, keys and repositories
//! built or served on the machine (the hosts have no internet).
//!
//! Tasks that fail run on `h1` only: the two hosts' `[ERROR]` reports and `fatal:` lines
//! interleave in any order, which the per-host sorting of the comparison cannot undo.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::differential;

/// A flat repository of test packages, `/srv/repo` on the hosts.
fn test_repo(work: &Path) -> std::path::PathBuf {
    let repo = work.join("repo");
    common::mkdir(&repo);
    super::build_deb(work, &repo, "rsible-alpha", "1.0", false);
    super::build_deb(work, &repo, "rsible-beta", "2.3-1", true);
    super::build_deb(work, &repo, "rsible-gone", "1.0", false);
    super::build_deb(work, &repo, "rsible-hello", "1.0", false);
    super::build_deb(work, &repo, "rsible-hello", "1.1", false);
    scan(&repo);
    repo
}

fn scan(repo: &Path) {
    common::run_tool(Command::new("sh").current_dir(repo).args([
        "-c",
        "dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9nkf Packages",
    ]));
}

const LOCAL_REPO_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y install rsible-gone rsible-hello=1.0 >/dev/null
";

const PKG_STATE: &str = "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 'rsible-*' 2>&1 | LC_ALL=C sort";

const PACKAGE_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Install without facts (the manager is discovered)
      package:
        name: rsible-alpha
        state: present
    - name: Install in check mode
      package:
        name: rsible-beta
      check_mode: true
    - name: Remove with diff
      package:
        name: rsible-gone
        state: absent
      diff: true
    - name: Upgrade through an explicit manager
      package:
        name: rsible-hello
        state: latest
        use: apt
    - name: A parameter apt does not know
      package:
        name: rsible-alpha
        bogus: 1
      ignore_errors: true
      when: inventory_hostname == 'h1'
    - name: A manager Ansible does not know
      package:
        name: rsible-alpha
        use: nonexist
      ignore_errors: true
      when: inventory_hostname == 'h1'
    - name: A package apt does not know
      package:
        name: rsible-nowhere
      ignore_errors: true
      when: inventory_hostname == 'h1'
    - name: Package facts
      package_facts:
      register: pf
    - name: Show one package and the result's keys
      debug:
        msg: "{{ ansible_facts.packages['rsible-alpha'] }} {{ ansible_facts.packages['rsible-hello'] }} {{ pf.keys() | list }} {{ 'rsible-gone' in ansible_facts.packages }}"
    - name: Package facts from apt, every manager
      package_facts:
        manager: [apk, apt]
        strategy: all
      check_mode: true
    - name: A manager package_facts does not know
      package_facts:
        manager: bogus
      ignore_errors: true
      when: inventory_hostname == 'h1'
    - name: A bad strategy
      package_facts:
        strategy: bogus
      ignore_errors: true
      when: inventory_hostname == 'h1'
- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Minimal facts give pkg_mgr
      setup:
        gather_subset: "!all"
    - name: Install with the gathered manager
      package:
        name: [rsible-alpha, rsible-beta]
"#;

#[test]
fn package_and_package_facts_on_a_local_repository() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = test_repo(work.path());
    let mut case = super::case("package", PACKAGE_SITE);
    case.setup = LOCAL_REPO_SETUP;
    case.state = PKG_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "rsible-alpha 1.0 ii",
        "rsible-beta 2.3-1 ii",
        "rsible-hello 1.1 ii",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    assert!(!state.contains("rsible-gone 1.0 ii"), "{state}");
    let out = &runs.ansible[0].stdout;
    assert!(
        out.contains("'origin': '', 'source': 'apt'}]"),
        "package_facts fixture: {out}"
    );
    runs.assert_same("package");
}

#[allow(dead_code)]
fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

//! Vagrant's ansible provisioner runs `ansible-playbook` with a fixed argv against the inventory
//! directory it generates. rsible-playbook, run with the same argv and environment on the
//! inventories Vagrant 2.3.4 wrote (`tests/vagrant/inventory-*`), must list the same hosts and
//! exit the same way. The addresses are never contacted: `--list-hosts` only lists.

use crate::common;

use std::path::Path;

use common::{Outcome, Sandbox};
use rsible_test_support::Differences;

fn run(program: &Path, inventory: &str, limit: &str) -> Outcome {
    let sandbox = Sandbox::new(None);
    let mut cmd = sandbox.command(program);
    cmd.current_dir(common::repo_root())
        .env("ANSIBLE_HOST_KEY_CHECKING", "false")
        .env("ANSIBLE_NOCOLOR", "true")
        .env(
            "ANSIBLE_SSH_ARGS",
            "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ControlMaster=auto -o \
             ControlPersist=60s",
        )
        .args([
            "--connection=ssh",
            "--timeout=30",
            &format!("--limit={limit}"),
            &format!("--inventory-file=tests/vagrant/{inventory}"),
            "provisioning/install.yaml",
            "--list-hosts",
        ]);
    sandbox.run(&mut cmd)
}

/// Sorts the host lines below each `hosts (N):` heading. Ansible builds a play's host list
/// through a Python set when the group comes from a range (`nadu[1:2]`), so its order changes
/// with the hash seed from one run to the next: only membership is meaningful there. Everything
/// else (play headers, patterns, counts, warnings) is compared exactly.
fn sort_listed_hosts(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in text.split_inclusive('\n') {
        if in_block && line.starts_with("      ") {
            block.push(line.to_owned());
            continue;
        }
        block.sort();
        out.append(&mut block);
        in_block = line.trim_start().starts_with("hosts (") && line.trim_end().ends_with("):");
        out.push(line.to_owned());
    }
    block.sort();
    out.append(&mut block);
    out.concat()
}

fn compare(inventory: &str) {
    let ansible = common::ansible_playbook();
    let rsible = common::rsible_playbook();
    let mut differences = Differences::new(common::DIFF_CONTEXT);
    for limit in ["all", "master", "workers"] {
        let label = format!("--limit={limit}");
        let expected = run(&ansible, inventory, limit);
        let actual = run(&rsible, inventory, limit);
        if expected.rc != actual.rc {
            differences.push(format!(
                "{label}: exit code: ansible-playbook {} vs rsible-playbook {}\n\
                 ansible stderr: {}\nrsible stderr: {}",
                expected.rc, actual.rc, expected.stderr, actual.stderr
            ));
        }
        differences.text(
            &label,
            "stdout",
            &sort_listed_hosts(&expected.stdout),
            &sort_listed_hosts(&actual.stdout),
        );
    }
    differences.assert_none(inventory);
}

#[test]
fn inventory_2_0() {
    compare("inventory-2.0");
}

#[test]
fn inventory_1_8() {
    compare("inventory-1.8");
}

#[test]
fn inventory_missing_machine() {
    compare("inventory-missing");
}

#[test]
fn host_order_is_the_only_thing_sorted() {
    let text = "  play #1 (workers): x\n    hosts (2):\n      nadu2\n      nadu1\n\n  play #2\n";
    assert_eq!(
        sort_listed_hosts(text),
        "  play #1 (workers): x\n    hosts (2):\n      nadu1\n      nadu2\n\n  play #2\n"
    );
}

//! Acceptance test: the first play of the article's `provisioning/install.yaml`, run unchanged
//! against a fake kernel tree whose Makefile implements the kernel's install targets.
//!
//! How only the first play does any work, without editing the playbook: the inventory has one
//! host, `kbuild` (local connection), in group `master`, and an empty `workers` group. Play 1
//! (`hosts: master`) therefore runs on it; play 2 (`workers`) matches no host; plays 3–5 name
//! hosts `nadu1`/`nadu2` that the inventory lacks, so Ansible warns and skips them. Naming the
//! master `nadu1`, as Vagrant does, would make play 3 start `ib_send_bw` on this machine.
//!
//! `kernel_src` stays as `config.yaml` sets it (`~/src/linux-2.6`): each run gets its own HOME
//! holding a copy of `tests/fixtures/kernel-tree` there, which also exercises `~` in `chdir`.

use crate::common;

use std::fs;
use std::path::Path;

use common::Sandbox;
use rsible_test_support::Differences;

const INVENTORY: &str = "[master]\nkbuild ansible_connection=local\n\n[workers]\n";
const RELEASE: &str = "2.6.39-rsible";

fn sandbox() -> Sandbox {
    let root = common::repo_root();
    let sandbox = Sandbox::new(&root.join("provisioning"));
    common::copy_tree(
        &root.join("tests/fixtures/kernel-tree"),
        &sandbox.home().join("src/linux-2.6"),
    );
    let inventory = sandbox.case().join("inventory");
    fs::write(&inventory, INVENTORY).unwrap_or_else(|err| panic!("{}: {err}", inventory.display()));
    sandbox
}

/// The files the three `make` targets must have put under the role's `files/kernel/`.
fn assert_kernel_installed(sandbox: &Sandbox, who: &str) {
    let kernel = sandbox.case().join("roles/kernel_install/files/kernel");
    let fixture = common::repo_root().join("tests/fixtures/kernel-tree");
    let expected = [
        (format!("boot/vmlinuz-{RELEASE}"), "arch/x86/boot/bzImage"),
        (format!("boot/System.map-{RELEASE}"), "System.map"),
        (format!("boot/config-{RELEASE}"), ".config"),
        (
            format!("lib/modules/{RELEASE}/kernel/drivers/net/dummy/dummy.ko"),
            "drivers/net/dummy/dummy.ko",
        ),
        (
            format!("lib/modules/{RELEASE}/kernel/fs/fakefs/fakefs.ko"),
            "fs/fakefs/fakefs.ko",
        ),
        (
            format!("lib/modules/{RELEASE}/modules.order"),
            "modules.order",
        ),
        (
            "usr/include/linux/types.h".to_owned(),
            "include/uapi/linux/types.h",
        ),
        (
            "usr/include/asm/posix_types.h".to_owned(),
            "arch/x86/include/uapi/asm/posix_types.h",
        ),
    ];
    for (installed, source) in expected {
        let got = fs::read(kernel.join(&installed));
        let want = fs::read(fixture.join(source)).unwrap_or_default();
        assert!(
            matches!(&got, Ok(bytes) if *bytes == want),
            "{who}: {installed} missing or not a copy of {source}: {got:?}"
        );
    }
    let deps = fs::read_to_string(kernel.join(format!("lib/modules/{RELEASE}/modules.dep")));
    assert_eq!(
        deps.ok().as_deref(),
        Some("kernel/drivers/net/dummy/dummy.ko:\nkernel/fs/fakefs/fakefs.ko:\n"),
        "{who}: modules.dep"
    );
}

fn run(sandbox: &Sandbox, program: &Path) -> common::Outcome {
    sandbox.run_playbook_file(program, &[], "install.yaml")
}

/// Validates the fixture and the inventory choice against the oracle.
#[test]
fn ansible_runs_the_first_play_against_the_fixture() {
    let sandbox = sandbox();
    let outcome = run(&sandbox, &common::ansible_playbook());
    assert_eq!(
        outcome.rc, 0,
        "ansible-playbook failed:\n{}\n{}",
        outcome.stdout, outcome.stderr
    );
    assert_kernel_installed(&sandbox, "ansible-playbook");
}

#[test]
fn rsible_runs_the_first_play_like_ansible() {
    let ansible = sandbox();
    let rsible = sandbox();
    let expected = run(&ansible, &common::ansible_playbook());
    let actual = run(&rsible, &common::rsible_playbook());
    assert_eq!(
        expected.rc, 0,
        "the oracle failed:\n{}\n{}",
        expected.stdout, expected.stderr
    );
    assert_eq!(
        actual.rc, 0,
        "rsible-playbook failed:\n{}\n{}",
        actual.stdout, actual.stderr
    );
    assert_kernel_installed(&rsible, "rsible-playbook");
    let mut differences = Differences::new(common::DIFF_CONTEXT);
    differences.text(
        "",
        "stdout",
        &ansible.mask(&expected.stdout),
        &rsible.mask(&actual.stdout),
    );
    differences.text("", "files", &ansible.tree(), &rsible.tree());
    differences.assert_none("case provisioning/install.yaml");
}

//! Snapshot tests of rsible-playbook's diagnostics: each directory of `tests/errors/` holds a
//! broken playbook. The snapshot records the exit code, stderr and stdout (Ansible reports
//! task-time errors on stdout), so a reviewer can check that each error points at the right
//! file, line and column. The exit code must also equal ansible-playbook's on the same input.

use crate::common;

use common::Sandbox;

fn run(name: &str) {
    if common::filtered_out(name) {
        return;
    }
    let fixture = common::repo_root().join("tests/errors").join(name);
    let rsible = Sandbox::new(&fixture);
    let actual = rsible.run_playbook(&common::rsible_playbook(), &[]);
    let report = format!(
        "exit code: {}\n--- stderr\n{}--- stdout\n{}",
        actual.rc,
        rsible.mask(&actual.stderr),
        rsible.mask(&actual.stdout)
    );
    insta::with_settings!({ snapshot_path => "snapshots/errors", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, report);
    });

    let ansible = Sandbox::new(&fixture);
    let expected = ansible.run_playbook(&common::ansible_playbook(), &[]);
    assert_eq!(
        actual.rc, expected.rc,
        "{name}: rsible-playbook exited {} but ansible-playbook exited {}\nansible stdout:\n{}\nansible stderr:\n{}",
        actual.rc, expected.rc, expected.stdout, expected.stderr
    );
}

macro_rules! error_case {
    ($ident:ident, $name:expr) => {
        #[test]
        fn $ident() {
            run($name);
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/error_cases.rs"));

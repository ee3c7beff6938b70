//! Each directory of `tests/difftest/cases/` runs under ansible-playbook and rsible-playbook;
//! the exit code, the masked stdout and the files left behind must be identical. Ansible's
//! output is produced live each run, never stored, so the oracle is always real Ansible.

mod common;
mod errors;
mod kernel_install;

fn run(name: &str) {
    if common::filtered_out(name) {
        return;
    }
    let case_dir = common::repo_root().join("tests/difftest/cases").join(name);
    let args = common::case_args(&case_dir);
    common::compare_case(&case_dir, &args).assert_none(&format!("case {name}"));
}

macro_rules! difftest_case {
    ($ident:ident, $name:expr) => {
        #[test]
        fn $ident() {
            run($name);
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/difftest_cases.rs"));

//! Differential tests on real hosts: each directory of `tests/remote/cases/` runs under
//! ansible-playbook on one fresh set of tier-1b hosts (own root filesystem, login `vagrant`) and
//! under rsible-playbook on another fresh set with the same host names. The masked stdout, the
//! exit code and the end state of the paths the case lists must be identical.
//!
//! A case directory holds `site.yml` and optionally:
//! - `count`: number of hosts (default 2, named `h1`, `h2`, …);
//! - `inventory`: INI text appended to the generated host lines (groups, vars); `@NET@` stands
//!   for the set's `10.77.x`, `@KEY@` and `@KNOWN_HOSTS@` for its client files;
//! - `inv/`: files beside the inventory (`inv/group_vars/`, `inv/host_vars/`), which is
//!   written to `inv/hosts`;
//! - `args`: extra command-line arguments, one a line;
//! - `paths`: paths to compare on every host after each run;
//! - `setup.sh`: run as root on every host before the first run;
//! - `down`: hosts whose sshd is stopped before the run;
//! - `runs`: `2` to run again and require `changed=0` for every host under both programs;
//! - `expect_rc`: the exit code Ansible must give (guards the fixture itself);
//! - `ansible.cfg`: read by both programs, whose working directory is the case copy.

mod async_poll_lost;
mod command_log;
mod common;
mod injection;
mod lost_host;
mod vagrant;

use std::fs;
use std::path::Path;

use common::{Outcome, Sandbox};
use rsible_test_support::Differences;
use rsible_testhosts::{HostSet, Tier};

struct Run {
    sandbox: Sandbox,
    set: HostSet,
}

fn read_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .map(str::trim_end)
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn prepare(case_dir: &Path) -> Run {
    let count = fs::read_to_string(case_dir.join("count"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(2);
    let set = common::start(count, Tier::OwnRoot, "h");
    let sandbox = Sandbox::new(Some(case_dir));
    let mut inventory = sandbox.host_files(&set);
    if let Ok(extra) = fs::read_to_string(case_dir.join("inventory")) {
        let octets = set.hosts()[0].address.octets();
        let hosts_dir = sandbox.root().join("hosts");
        inventory.push('\n');
        inventory.push_str(
            &extra
                .replace(
                    "@NET@",
                    &format!("{}.{}.{}", octets[0], octets[1], octets[2]),
                )
                .replace("@KEY@", &hosts_dir.join("id_ed25519").display().to_string())
                .replace(
                    "@KNOWN_HOSTS@",
                    &hosts_dir.join("known_hosts").display().to_string(),
                ),
        );
    }
    common::mkdir(&sandbox.case().join("inv"));
    fs::write(sandbox.case().join("inv/hosts"), inventory)
        .unwrap_or_else(|e| panic!("writing the inventory: {e}"));
    if let Ok(script) = fs::read_to_string(case_dir.join("setup.sh")) {
        for host in set.hosts() {
            common::exec_ok(&set, &host.name, &script);
        }
    }
    for name in read_lines(&case_dir.join("down")) {
        let host = set
            .host(&name)
            .unwrap_or_else(|| panic!("`down` names {name}, not a host of the case"));
        set.stop_sshd(host)
            .unwrap_or_else(|e| panic!("stopping sshd on {name}: {e}"));
    }
    Run { sandbox, set }
}

fn run_once(run: &Run, program: &Path, args: &[String]) -> Outcome {
    let mut cmd = run.sandbox.command(program);
    cmd.args(["-i", "inv/hosts"]).args(args).arg("site.yml");
    run.sandbox.run(&mut cmd)
}

fn state(run: &Run, paths: &[String]) -> String {
    run.set
        .hosts()
        .iter()
        .map(|h| common::host_state(&run.set, &h.name, paths))
        .collect()
}

fn compare(
    label: &str,
    ansible: (&Run, &Outcome),
    rsible: (&Run, &Outcome),
    paths: &[String],
    differences: &mut Differences,
) {
    let (a_run, expected) = ansible;
    let (r_run, actual) = rsible;
    differences.exit_codes(label, expected, actual);
    differences.text(
        label,
        "stdout",
        &a_run.sandbox.mask(&expected.stdout),
        &r_run.sandbox.mask(&actual.stdout),
    );
    differences.text(
        label,
        "host state",
        &state(a_run, paths),
        &state(r_run, paths),
    );
    differences.explain_with_stderr(label, &r_run.sandbox.mask(&actual.stderr));
}

fn run_case(name: &str) {
    if !common::supported() {
        return;
    }
    let started = std::time::Instant::now();
    let case_dir = common::cases_dir().join(name);
    let args = read_lines(&case_dir.join("args"));
    let paths = read_lines(&case_dir.join("paths"));
    let runs: usize = fs::read_to_string(case_dir.join("runs"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(1);
    let ansible_program = common::ansible_playbook();
    let rsible_program = common::rsible_playbook();
    let ansible = prepare(&case_dir);
    let rsible = prepare(&case_dir);
    eprintln!(
        "timing: {name}: host sets ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut differences = Differences::new(common::DIFF_CONTEXT);
    for round in 1..=runs {
        let label = format!("run {round}");
        let t = std::time::Instant::now();
        let expected = run_once(&ansible, &ansible_program, &args);
        let t_ansible = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let actual = run_once(&rsible, &rsible_program, &args);
        eprintln!(
            "timing: {name} {label}: ansible-playbook {t_ansible:.1} s, rsible-playbook {:.1} s",
            t.elapsed().as_secs_f64()
        );
        if round == 1 {
            if let Ok(text) = fs::read_to_string(case_dir.join("expect_rc")) {
                let wanted: i32 = text.trim().parse().unwrap_or(-1);
                assert_eq!(
                    expected.rc, wanted,
                    "fixture {name} is stale: ansible-playbook exited {} (expect_rc {wanted})\n{}\n{}",
                    expected.rc, expected.stdout, expected.stderr
                );
            }
        }
        if round > 1 {
            differences.idempotent(&label, "ansible-playbook", &expected.stdout);
            differences.idempotent(&label, "rsible-playbook", &actual.stdout);
        }
        compare(
            &label,
            (&ansible, &expected),
            (&rsible, &actual),
            &paths,
            &mut differences,
        );
    }
    eprintln!(
        "timing: case {name} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    differences.assert_none(&format!("case {name}"));
}

/// The masking must not hide what the comparison is for: per-host entries are reordered, an
/// `[ERROR]` report travels with its host's `fatal:` line, and nothing is dropped.
#[test]
fn host_results_are_sorted_within_a_task_only() {
    let ansible = "TASK [t] ***\nchanged: [h2]\n[ERROR]: boom\nOrigin: x\n\n4 - t\n\nchanged: [h1]\nfatal: [h3]: FAILED! => {}\n\nTASK [u] ***\nok: [h1]\n";
    let rsible = "TASK [t] ***\nchanged: [h1]\nchanged: [h2]\n[ERROR]: boom\nOrigin: x\n\n4 - t\n\nfatal: [h3]: FAILED! => {}\n\nTASK [u] ***\nok: [h1]\n";
    assert_eq!(
        common::sort_host_results(ansible),
        common::sort_host_results(rsible)
    );
    assert_eq!(
        common::sort_host_results(rsible),
        "TASK [t] ***\n[ERROR]: boom\nOrigin: x\n\n4 - t\n\nfatal: [h3]: FAILED! => {}\nchanged: [h1]\nchanged: [h2]\n\nTASK [u] ***\nok: [h1]\n"
    );
    let other_task = rsible.replace("TASK [u] ***\nok: [h1]", "TASK [u] ***\nok: [h2]");
    assert_ne!(
        common::sort_host_results(rsible),
        common::sort_host_results(&other_task)
    );
}

macro_rules! cases {
    ($($ident:ident => $name:literal $(, ignore = $why:literal)?;)*) => {$(
        #[test]
        $(#[ignore = $why])?
        fn $ident() {
            run_case($name);
        }
    )*};
}

cases! {
    authorized_key => "authorized-key";
    become_flag_root => "become-flag-root";
    become_flags => "become-flags";
    become_users => "become-users";
    command_shell => "command-shell";
    config_file => "config-file";
    copy_content => "copy-content";
    copy_dir => "copy-dir";
    extra_vars => "extra-vars";
    facts_hostname => "facts-hostname";
    failing_host => "failing-host";
    file_states => "file-states";
    file_touch => "file-touch";
    handlers_hosts => "handlers-hosts";
    kw_delegate_facts => "kw-delegate-facts";
    kw_ignore_unreachable => "kw-ignore-unreachable";
    kw_max_fail_serial => "kw-max-fail-serial";
    kw_strategy_free => "kw-strategy-free";
    kw_throttle => "kw-throttle";
    limit_exclude => "limit-exclude";
    limit_file => "limit-file";
    limit_host => "limit-host";
    limit_intersect => "limit-intersect";
    limit_regex => "limit-regex";
    loop_when_error => "loop-when-error", ignore = "rsible limitation: a YAML 1.1 boolean map key (`on:`) is kept as the string 'true', so the item label shows 'true' where Python shows True (runtime values are JSON-like, keys are strings)";
    loops_when => "loops-when";
    make => "make";
    raw => "raw";
    register_remote => "register-remote";
    script => "script";
    slurp => "slurp";
    role_include => "role-include";
    role_unnamed_task => "role-unnamed-task";
    stat_register => "stat-register";
    template_overwrite_root_owned => "template-overwrite-root-owned", ignore = "differs: replacing a root-owned file as vagrant, Ansible leaves mode 0744 (its temp file u+x; chown EPERM skips copystat), rsible 0644";
    template_role => "template-role";
    unreachable_address => "unreachable-address";
    unreachable_stopped => "unreachable-stopped";
    vars_precedence => "vars-precedence";
    vault_vars => "vault-vars";
}

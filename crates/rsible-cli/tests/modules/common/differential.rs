//! One playbook, run by ansible-playbook on one fresh set of tier-1b hosts and by
//! rsible-playbook on another with the same host names, twice; after each run the exit codes,
//! the masked stdout and the hosts' end state must be identical.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use rsible_testhosts::{HostSet, Tier};

use rsible_test_support::{sort_host_results, Differences, FileServer};

use super::{exec_ok, Outcome, Sandbox, DIFF_CONTEXT};

pub struct Case<'a> {
    pub name: &'a str,
    /// `site.yml`, and other files of the case directory (paths relative to it).
    pub files: Vec<(String, Vec<u8>)>,
    /// Run as root on every host before the first run.
    pub setup: &'a str,
    /// Run as root on every host after each run; its stdout is the compared end state.
    pub state: &'a str,
    /// Machine directory mounted read-only into every host, and where.
    pub bind: Option<(&'a Path, &'a str)>,
    /// Directory served over HTTP on each set's bridge address; the inventory gets
    /// `base_url=http://<address>:<port>`.
    pub serve: Option<&'a Path>,
    /// The exit code ansible-playbook must give on the first run (guards the fixture).
    pub expect_rc: i32,
    /// The second run must report `changed=0` for every host (under both programs).
    pub second_run_unchanged: bool,
    /// Prefixes of stdout lines left out of the comparison (timing-dependent progress).
    pub drop_prefixes: &'a [&'a str],
    /// Applied to both masked stdouts (what only this case knows how to make comparable).
    pub normalize: Option<fn(&str) -> String>,
    /// How long one run may take before it is killed.
    pub run_timeout: std::time::Duration,
}

/// Fields drop in order: the file server must go before the set removes its bridge address.
struct Side {
    server: Option<FileServer>,
    sandbox: Sandbox,
    set: HostSet,
}

impl Side {
    fn prepare(case: &Case<'_>, tier: Tier) -> Self {
        let set = super::start_tier(2, tier, |b| match case.bind {
            Some((source, target)) => b.bind_ro(source, target),
            None => b,
        });
        let sandbox = Sandbox::with_timeout(case.run_timeout);
        for (path, contents) in &case.files {
            sandbox.write(path, contents);
        }
        let server = case
            .serve
            .map(|dir| FileServer::start(super::gateway(&set), dir));
        let extra = match &server {
            Some(s) => format!("[all:vars]\nbase_url={}\n", s.base_url()),
            None => String::new(),
        };
        sandbox.inventory(&set, &extra);
        for host in set.hosts() {
            exec_ok(&set, &host.name, case.setup);
        }
        Self {
            server,
            sandbox,
            set,
        }
    }

    fn state(&self, script: &str) -> String {
        let mut out = String::new();
        for host in self.set.hosts() {
            let _ = writeln!(
                out,
                "## {}\n{}",
                host.name,
                exec_ok(&self.set, &host.name, script)
            );
        }
        out
    }
}

/// What the runs gave, for assertions beyond the comparison.
pub struct Runs {
    pub ansible: Vec<Outcome>,
    pub rsible: Vec<Outcome>,
    pub ansible_state: Vec<String>,
    pub differences: Differences,
    /// Requests each file server answered (ansible's set, rsible's set).
    pub requests: (Vec<String>, Vec<String>),
}

impl Runs {
    #[track_caller]
    pub fn assert_same(&self, name: &str) {
        self.differences.assert_none(name);
    }
}

/// [`run_on`] tier-1b hosts.
pub fn run(case: &Case<'_>) -> Runs {
    run_on(case, Tier::OwnRoot)
}

/// Runs the case on two fresh sets of `tier` (tier 1b, or `Tier::Systemd` for tier 1c hosts
/// with systemd as PID 1).
pub fn run_on(case: &Case<'_>, tier: Tier) -> Runs {
    let started = Instant::now();
    let (ansible, rsible) = std::thread::scope(|s| {
        let a = s.spawn(|| Side::prepare(case, tier));
        let r = Side::prepare(case, tier);
        let a = a
            .join()
            .unwrap_or_else(|_| panic!("{}: preparing ansible's hosts panicked", case.name));
        (a, r)
    });
    eprintln!(
        "timing: {}: hosts ready in {:.1} s",
        case.name,
        started.elapsed().as_secs_f64()
    );
    let ansible_program = super::ansible_playbook();
    let rsible_program = super::rsible_playbook();
    let mut runs = Runs {
        ansible: Vec::new(),
        rsible: Vec::new(),
        ansible_state: Vec::new(),
        differences: Differences::new(DIFF_CONTEXT),
        requests: (Vec::new(), Vec::new()),
    };
    for round in 1..=2 {
        let label = format!("run {round}");
        let t = Instant::now();
        let expected = ansible.sandbox.run(&ansible_program);
        let t_ansible = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let actual = rsible.sandbox.run(&rsible_program);
        eprintln!(
            "timing: {} {label}: ansible-playbook {t_ansible:.1} s, rsible-playbook {:.1} s",
            case.name,
            t.elapsed().as_secs_f64()
        );
        if round == 1 {
            assert_eq!(
                expected.rc, case.expect_rc,
                "fixture {} is stale: ansible-playbook exited {}\n{}\n{}",
                case.name, expected.rc, expected.stdout, expected.stderr
            );
        }
        if round == 2 && case.second_run_unchanged {
            let differences = &mut runs.differences;
            differences.idempotent(&label, "ansible-playbook", &expected.stdout);
            differences.idempotent(&label, "rsible-playbook", &actual.stdout);
        }
        runs.differences.exit_codes(&label, &expected, &actual);
        let normalize = |text: String| match case.normalize {
            // Sorted again: the per-host entries were ordered before being made comparable.
            Some(f) => sort_host_results(&f(&text)),
            None => text,
        };
        runs.differences.text(
            &label,
            "stdout",
            &normalize(ansible.sandbox.mask(&expected.stdout, case.drop_prefixes)),
            &normalize(rsible.sandbox.mask(&actual.stdout, case.drop_prefixes)),
        );
        let a_state = ansible.state(case.state);
        let r_state = rsible.state(case.state);
        runs.differences
            .text(&label, "host state", &a_state, &r_state);
        runs.differences
            .explain_with_stderr(&label, &rsible.sandbox.mask(&actual.stderr, &[]));
        runs.ansible_state.push(a_state);
        runs.ansible.push(expected);
        runs.rsible.push(actual);
    }
    runs.requests = (
        ansible
            .server
            .as_ref()
            .map(FileServer::requests)
            .unwrap_or_default(),
        rsible
            .server
            .as_ref()
            .map(FileServer::requests)
            .unwrap_or_default(),
    );
    eprintln!(
        "timing: case {} in {:.1} s",
        case.name,
        started.elapsed().as_secs_f64()
    );
    runs
}

//! The harness shared by the remote acceptance tests: starting host sets (or skipping/failing
//! where hosts cannot exist), running one playbook program against a set with a controlled
//! environment, masking what legitimately differs between two faithful runs, and reading the
//! end state of hosts.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rsible_test_support::mask::{
    Masks, BACKUP_SUFFIX, CLOCK_FIELDS, DATE, JOB_ID, LOCAL_SCRATCH, REMOTE_SCRATCH, STAT_FIELDS,
};
use rsible_test_support::mask_dir;
use rsible_testhosts::{HostSet, Tier};

pub use rsible_test_support::{recap, repo_root, sort_host_results, supported, Outcome};

/// Long enough for a slow Ansible run on a loaded machine, short enough that a hung rsible does
/// not stall CI.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

pub fn cases_dir() -> PathBuf {
    repo_root().join("tests/remote/cases")
}

pub fn start(count: usize, tier: Tier, prefix: &str) -> HostSet {
    HostSet::builder()
        .count(count)
        .tier(tier)
        .name_prefix(prefix)
        .start()
        .unwrap_or_else(|e| panic!("starting {count} {tier:?} host(s): {e}"))
}

pub fn ansible_playbook() -> PathBuf {
    rsible_test_support::ansible_playbook("these tests need")
}

pub fn rsible_playbook() -> PathBuf {
    rsible_test_support::rsible_playbook!()
}

/// The shared sandbox ([`rsible_test_support::Sandbox`]): a copy of the case (`case/`), the
/// client files of the host set (`hosts/`), the HOME of the run (`home/`), with this suite's
/// masks. Tier-1b hosts have only Debian's python, tier 1 shares the machine's: Ansible's module
/// interpreter is `/usr/bin/python3` (the default).
pub struct Sandbox(rsible_test_support::Sandbox);

impl std::ops::Deref for Sandbox {
    type Target = rsible_test_support::Sandbox;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Sandbox {
    pub fn new(case_src: Option<&Path>) -> Self {
        Self(
            rsible_test_support::Sandbox::builder("rsible-remote-")
                .case_opt(case_src)
                .timeout(RUN_TIMEOUT)
                .build(),
        )
    }

    /// Replaces what differs between two faithful runs on two host sets: the sandbox path, the
    /// sets' subnets and run directories, clocks, Ansible's remote temp dirs, job ids, backup
    /// suffixes; and puts each task's per-host results in a fixed order, since both programs
    /// print them as hosts finish.
    pub fn mask(&self, text: &str) -> String {
        sort_host_results(&masks().apply(&mask_dir(text, self.root())))
    }
}

fn masks() -> &'static Masks {
    static MASKS: OnceLock<Masks> = OnceLock::new();
    MASKS.get_or_init(|| {
        Masks::new(&[
            // Each set has its own /24; the last octet names the host within it.
            (r"\b10\.77\.\d{1,3}\.(\d{1,3})\b", "10.77.<NET>.$1"),
            (r"/rsible-testhosts-\d+-\d+", "/rsible-testhosts-<RUN>"),
            CLOCK_FIELDS,
            STAT_FIELDS,
            BACKUP_SUFFIX,
            JOB_ID,
            REMOTE_SCRATCH,
            LOCAL_SCRATCH,
            DATE,
        ])
    })
}

/// Lines of context around each change in a diff of two runs.
pub const DIFF_CONTEXT: usize = 4;

/// A listing of `paths` on `host`: kind, mode, owner, and content (files), entries
/// (directories) or target (links), read as root inside the host without SSH.
pub fn host_state(set: &HostSet, host_name: &str, paths: &[String]) -> String {
    let host = set
        .host(host_name)
        .unwrap_or_else(|| panic!("no host {host_name} in the set"));
    let mut listing = String::new();
    for path in paths {
        let script = format!(
            "p={}\n\
             if [ -L \"$p\" ]; then echo \"link -> $(readlink \"$p\") $(stat -c '%U:%G' \"$p\")\";\n\
             elif [ -d \"$p\" ]; then echo \"dir $(stat -c '%a %U:%G' \"$p\")\"; ls -A1 \"$p\" | LC_ALL=C sort;\n\
             elif [ -f \"$p\" ]; then echo \"file $(stat -c '%a %U:%G %s' \"$p\")\"; cat \"$p\"; echo '<EOF>';\n\
             elif [ -e \"$p\" ]; then echo other; else echo absent; fi",
            sh_quote(path)
        );
        let out = set
            .exec_on(host, &script)
            .unwrap_or_else(|e| panic!("reading {path} on {host_name}: {e}"));
        let _ = writeln!(
            listing,
            "[{host_name}] {path}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    listing
}

/// Runs `cmd` as root on `host` and insists on success.
#[track_caller]
pub fn exec_ok(set: &HostSet, host_name: &str, cmd: &str) -> String {
    let host = set
        .host(host_name)
        .unwrap_or_else(|| panic!("no host {host_name} in the set"));
    let out = set
        .exec_on(host, cmd)
        .unwrap_or_else(|e| panic!("exec_on {host_name}: {e}"));
    assert!(
        out.status.success(),
        "exec_on {host_name} {cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn mkdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
}

/// A small random token for marker file names, so parallel runs never share one.
pub fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

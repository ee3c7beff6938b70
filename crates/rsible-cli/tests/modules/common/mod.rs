//! The harness of the module tests: fresh tier-1b host sets, one playbook program run against a
//! set in a controlled environment, masking what legitimately differs between two faithful
//! runs, and the end state of hosts read without SSH.

pub mod differential;
pub mod mask;

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rsible_test_support::mask_dir;
use rsible_testhosts::{HostSet, HostSetBuilder, Tier};

pub use rsible_test_support::{supported, Outcome};

/// Long enough for a slow Ansible run on a loaded machine, short enough that a hung rsible does
/// not stall CI.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Lines of context around each change in a diff of two runs.
pub const DIFF_CONTEXT: usize = 4;

/// A tier-1b set (login `vagrant`, own Debian root) of `count` hosts `h1`, `h2`, …
pub fn start(count: usize, configure: impl FnOnce(HostSetBuilder) -> HostSetBuilder) -> HostSet {
    start_tier(count, Tier::OwnRoot, configure)
}

/// A set of `count` hosts `h1`, `h2`, … of `tier` (tier 1b, or 1c: systemd as PID 1).
pub fn start_tier(
    count: usize,
    tier: Tier,
    configure: impl FnOnce(HostSetBuilder) -> HostSetBuilder,
) -> HostSet {
    configure(
        HostSet::builder()
            .count(count)
            .tier(tier)
            .name_prefix("h")
            .ready_timeout(Duration::from_secs(60)),
    )
    .start()
    .unwrap_or_else(|e| panic!("starting {count} {tier:?} host(s): {e}"))
}

/// The machine's end of the set's bridge (`10.77.x.1`): the only controller address the hosts
/// can reach.
pub fn gateway(set: &HostSet) -> Ipv4Addr {
    let [a, b, c, _] = set.hosts()[0].address.octets();
    Ipv4Addr::new(a, b, c, 1)
}

pub fn ansible_playbook() -> PathBuf {
    rsible_test_support::ansible_playbook("these tests need")
}

pub fn rsible_playbook() -> PathBuf {
    rsible_test_support::rsible_playbook!()
}

/// The shared sandbox ([`rsible_test_support::Sandbox`]): the playbook and its files
/// (`case/`), the set's client files (`hosts/`), the run's HOME and Ansible's local temp, with
/// this suite's inventory and masks.
pub struct Sandbox(rsible_test_support::Sandbox);

impl std::ops::Deref for Sandbox {
    type Target = rsible_test_support::Sandbox;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Sandbox {
    pub fn new() -> Self {
        Self::with_timeout(RUN_TIMEOUT)
    }

    /// A sandbox whose runs are killed after `timeout` (roles that install many packages).
    pub fn with_timeout(timeout: Duration) -> Self {
        Self(
            rsible_test_support::Sandbox::builder("rsible-module-")
                .timeout(timeout)
                .build(),
        )
    }

    /// Writes the set's client files to `hosts/` and `case/inventory` (the generated host
    /// lines plus `extra`).
    pub fn inventory(&self, set: &HostSet, extra: &str) {
        let mut text = self.host_files(set);
        text.push('\n');
        text.push_str(extra);
        self.write("inventory", text.as_bytes());
    }

    /// `program -i inventory site.yml` in the same clean environment for both programs.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = self.0.command(program);
        cmd.args(["-i", "inventory", "site.yml"]);
        cmd
    }

    /// Runs `program -i inventory site.yml` (see [`Sandbox::command`]).
    pub fn run(&self, program: &Path) -> Outcome {
        let mut cmd = self.command(program);
        self.0.run(&mut cmd)
    }

    /// The sandbox root replaced, then [`mask::mask`].
    pub fn mask(&self, text: &str, drop_prefixes: &[&str]) -> String {
        mask::mask(&mask_dir(text, self.root()), drop_prefixes)
    }
}

/// Runs `cmd` as root on `host_name` and insists on success.
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

pub fn mkdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
}

/// Runs a tool on the machine (building fixtures) and insists on success.
#[track_caller]
pub fn run_tool(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} {:?} failed: {}{}",
        cmd.get_program(),
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

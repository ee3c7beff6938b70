//! The harness of the module tests: fresh tier-1b host sets, one playbook program run against a
//! set in a controlled environment, masking what legitimately differs between two faithful
//! runs, and the end state of hosts read without SSH.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod differential;
pub mod mask;

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rsible_test_support::{mask_dir, spawn_logged, wait_logged, DirModes, Running, SandboxDirs};
use rsible_testhosts::{HostSet, HostSetBuilder, Tier};

pub use rsible_test_support::{supported, Outcome};

/// Long enough for a slow Ansible run on a loaded machine, short enough that a hung rsible does
/// not stall CI.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Lines of context around each change in a diff of two runs.
pub const DIFF_CONTEXT: usize = 4;

/// A tier-1b set (login `vagrant`, own Debian root) of `count` hosts `h1`, `h2`, …
pub fn start(count: usize, configure: impl FnOnce(HostSetBuilder) -> HostSetBuilder) -> HostSet {
    configure(
        HostSet::builder()
            .count(count)
            .tier(Tier::OwnRoot)
            .name_prefix("h")
            .ready_timeout(Duration::from_secs(60)),
    )
    .start()
    .unwrap_or_else(|e| panic!("starting {count} tier-1b host(s): {e}"))
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
    rsible_test_support::rsible_playbook("cargo build --workspace --bins")
}

/// A throw-away directory: the playbook and its files (`case/`), the set's client files
/// (`hosts/`), the run's HOME (`home/`) and Ansible's local temp. Both programs run in
/// sandboxes laid out alike, so masking the sandbox root makes their paths comparable.
pub struct Sandbox {
    dirs: SandboxDirs,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dirs: SandboxDirs::new("rsible-module-", None, DirModes::Default),
        }
    }

    pub fn root(&self) -> &Path {
        self.dirs.root()
    }

    pub fn case(&self) -> PathBuf {
        self.dirs.case()
    }

    pub fn home(&self) -> PathBuf {
        self.dirs.home()
    }

    /// Writes `contents` to `case/<relative>`, creating directories.
    pub fn write(&self, relative: &str, contents: &[u8]) {
        let path = self.case().join(relative);
        if let Some(parent) = path.parent() {
            mkdir(parent);
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// Writes the set's client files to `hosts/` and `case/inventory` (the generated host
    /// lines plus `extra`).
    pub fn inventory(&self, set: &HostSet, extra: &str) {
        let dir = self.root().join("hosts");
        set.write_files(&dir)
            .unwrap_or_else(|e| panic!("writing the host set's client files: {e}"));
        let mut text = fs::read_to_string(dir.join("inventory"))
            .unwrap_or_else(|e| panic!("reading the generated inventory: {e}"));
        text.push('\n');
        text.push_str(extra);
        self.write("inventory", text.as_bytes());
    }

    /// `program -i inventory site.yml` in the same clean environment for both programs.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = self.dirs.command(program, "/usr/bin/python3");
        cmd.args(["-i", "inventory", "site.yml"]);
        cmd
    }

    /// Where a run started by [`Sandbox::spawn`] writes its stdout, so a test can watch its
    /// progress.
    pub fn stdout_path(&self) -> PathBuf {
        self.root().join("stdout.txt")
    }

    pub fn spawn(&self, cmd: &mut Command) -> Running {
        spawn_logged(cmd, self.root())
    }

    pub fn wait(&self, cmd: &Command, running: Running) -> Outcome {
        wait_logged(cmd, running, self.root(), RUN_TIMEOUT)
    }

    pub fn run(&self, program: &Path) -> Outcome {
        let mut cmd = self.command(program);
        let running = self.spawn(&mut cmd);
        self.wait(&cmd, running)
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

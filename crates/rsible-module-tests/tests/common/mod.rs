//! The harness of the module tests: fresh tier-1b host sets, one playbook program run against a
//! set in a controlled environment, masking what legitimately differs between two faithful
//! runs, and the end state of hosts read without SSH.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod differential;
pub mod http;
pub mod mask;

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rsible_testhosts::{check_support, cleanup_stale, HostSet, HostSetBuilder, Tier};
use tempfile::TempDir;

/// Long enough for a slow Ansible run on a loaded machine, short enough that a hung rsible does
/// not stall CI.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether hosts can be created here. Elsewhere the tests print why and pass, except with
/// `RSIBLE_REQUIRE_TESTHOSTS=1` (CI), where they must run.
pub fn supported() -> bool {
    static CLEANED: OnceLock<()> = OnceLock::new();
    match check_support() {
        Ok(()) => {
            CLEANED.get_or_init(|| {
                // Leftovers of killed test runs would otherwise hold subnets.
                let _ = cleanup_stale();
            });
            true
        }
        Err(e) if std::env::var_os("RSIBLE_REQUIRE_TESTHOSTS").is_some_and(|v| v == "1") => {
            panic!("RSIBLE_REQUIRE_TESTHOSTS=1 but test hosts are unavailable: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: real SSH test hosts are unavailable here: {e}");
            false
        }
    }
}

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
    let path = std::env::var_os("RSIBLE_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/ansible-venv/bin/ansible-playbook"));
    assert!(
        path.is_file(),
        "ansible-playbook not found at {} (set RSIBLE_ANSIBLE_PLAYBOOK): these tests need real \
         Ansible as the oracle",
        path.display()
    );
    path
}

/// The binary of another crate: Cargo exposes `CARGO_BIN_EXE_*` only within a package, so it
/// is taken from the target directory, where `cargo build --workspace --bins` puts it.
pub fn rsible_playbook() -> PathBuf {
    let path = if let Some(explicit) = std::env::var_os("RSIBLE_PLAYBOOK") {
        PathBuf::from(explicit)
    } else {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        target.join("debug/rsible-playbook")
    };
    assert!(
        path.is_file(),
        "rsible-playbook not found at {}: run `cargo build --workspace --bins` first (or set \
         RSIBLE_PLAYBOOK to the binary)",
        path.display()
    );
    path
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A throw-away directory: the playbook and its files (`case/`), the set's client files
/// (`hosts/`), the run's HOME (`home/`) and Ansible's local temp. Both programs run in
/// sandboxes laid out alike, so masking the sandbox root makes their paths comparable.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("rsible-module-")
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot create a temp dir: {err}"));
        let sandbox = Self { root };
        for dir in [sandbox.case(), sandbox.home(), sandbox.local_temp()] {
            mkdir(&dir);
        }
        sandbox
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn case(&self) -> PathBuf {
        self.root().join("case")
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    fn local_temp(&self) -> PathBuf {
        self.root().join("ansible-local")
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

    /// `program -i inventory site.yml` in the same environment for both programs, built from
    /// scratch so the caller's Ansible configuration, colours and locale cannot leak in.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.case())
            .args(["-i", "inventory", "site.yml"])
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", self.home())
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env("TZ", "UTC")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_HOME", self.home().join(".ansible"))
            .env("ANSIBLE_LOCAL_TEMP", self.local_temp())
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3")
            .stdin(Stdio::null());
        for name in ["USER", "LOGNAME"] {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd
    }

    pub fn stdout_path(&self) -> PathBuf {
        self.root().join("stdout.txt")
    }

    /// Output goes to files rather than pipes so a chatty child cannot block on a full pipe,
    /// and so a test can watch the progress of a run.
    pub fn spawn(&self, cmd: &mut Command) -> Child {
        let open = |path: &Path| {
            fs::File::create(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        };
        cmd.stdout(open(&self.stdout_path()))
            .stderr(open(&self.root().join("stderr.txt")));
        cmd.spawn()
            .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()))
    }

    pub fn wait(&self, mut child: Child) -> Outcome {
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("a playbook run did not finish within {RUN_TIMEOUT:?}");
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(err) => panic!("waiting for a playbook run: {err}"),
            }
        };
        let read = |name: &str| {
            let path = self.root().join(name);
            let text = String::from_utf8_lossy(&fs::read(&path).unwrap_or_default()).into_owned();
            let _ = fs::remove_file(&path);
            text
        };
        Outcome {
            rc: status.code().unwrap_or(-1),
            stdout: read("stdout.txt"),
            stderr: read("stderr.txt"),
        }
    }

    pub fn run(&self, program: &Path) -> Outcome {
        let child = self.spawn(&mut self.command(program));
        self.wait(child)
    }

    /// The sandbox root replaced, then [`mask::mask`].
    pub fn mask(&self, text: &str, drop_prefixes: &[&str]) -> String {
        let mut text = text.replace(&self.root().display().to_string(), "<TMP>");
        if let Ok(canonical) = self.root().canonicalize() {
            text = text.replace(&canonical.display().to_string(), "<TMP>");
        }
        mask::mask(&text, drop_prefixes)
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

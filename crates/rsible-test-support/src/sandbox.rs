//! The one differential builder every suite runs its programs through: a throw-away directory
//! holding a copy of the case (`case/`), the HOME of the run (`home/`) and Ansible's local temp
//! dir (`ansible-local/`), and the clean environment and time limit both playbook programs run
//! with. Both programs run in sandboxes laid out alike, so masking the sandbox root makes their
//! paths comparable.
//!
//! ```no_run
//! use rsible_test_support::{DirModes, Sandbox};
//! # let case_dir = std::path::Path::new("tests/difftest/cases/copy");
//! let sandbox = Sandbox::builder("rsible-difftest-")
//!     .case(case_dir)
//!     .dir_modes(DirModes::Keep)
//!     .env("RSIBLE_DIFFTEST", "1")
//!     .build();
//! let mut cmd = sandbox.command(&rsible_test_support::ansible_playbook("this test needs"));
//! let outcome = sandbox.run(cmd.arg("site.yml"));
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rsible_testhosts::HostSet;
use tempfile::TempDir;

use crate::command::{clean_command, CleanEnv, SearchPath};
use crate::run::{spawn_logged, wait_logged, Outcome, Running};
use crate::tree::{copy_tree, DirModes};

/// Ansible's module interpreter unless the builder names another: Debian's, which the tier-1b
/// hosts have.
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// The time limit of one program run unless the builder sets another: long enough for a slow
/// Ansible run on a loaded machine, short enough that a hung rsible does not stall CI.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How to make a [`Sandbox`]; see [`Sandbox::builder`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    prefix: String,
    case: Option<PathBuf>,
    dir_modes: DirModes,
    python: String,
    path: Option<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl SandboxBuilder {
    /// Copies `dir` to `case/` (else `case/` starts empty).
    pub fn case(mut self, dir: &Path) -> Self {
        self.case = Some(dir.to_path_buf());
        self
    }

    /// [`SandboxBuilder::case`] when `dir` is `Some`.
    pub fn case_opt(self, dir: Option<&Path>) -> Self {
        match dir {
            Some(dir) => self.case(dir),
            None => self,
        }
    }

    /// Whether copied directories keep the case's modes (default: [`DirModes::Default`]).
    pub fn dir_modes(mut self, dir_modes: DirModes) -> Self {
        self.dir_modes = dir_modes;
        self
    }

    /// Ansible's module interpreter (`ANSIBLE_PYTHON_INTERPRETER`, default [`SYSTEM_PYTHON`]).
    pub fn python(mut self, python: &str) -> Self {
        python.clone_into(&mut self.python);
        self
    }

    /// A fixed `PATH` instead of the test process's own.
    pub fn search_path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    /// One more variable in the environment of every command.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The time limit of one run (default [`DEFAULT_TIMEOUT`]); past it the run is killed and
    /// the test fails.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn build(self) -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix(&self.prefix)
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot create a temp dir: {err}"));
        let sandbox = Sandbox {
            root,
            python: self.python,
            path: self.path,
            env: self.env,
            timeout: self.timeout,
        };
        match &self.case {
            Some(src) => copy_tree(src, &sandbox.case(), self.dir_modes),
            None => mkdir(&sandbox.case()),
        }
        mkdir(&sandbox.home());
        mkdir(&sandbox.local_temp());
        sandbox
    }
}

#[derive(Debug)]
pub struct Sandbox {
    root: TempDir,
    python: String,
    path: Option<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Sandbox {
    /// A new sandbox named `prefix…` under the temp dir.
    pub fn builder(prefix: &str) -> SandboxBuilder {
        SandboxBuilder {
            prefix: prefix.to_owned(),
            case: None,
            dir_modes: DirModes::Default,
            python: SYSTEM_PYTHON.to_owned(),
            path: None,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
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

    pub fn local_temp(&self) -> PathBuf {
        self.root().join("ansible-local")
    }

    /// Where a run started by [`Sandbox::spawn`] writes its stdout, so a test can watch its
    /// progress.
    pub fn stdout_path(&self) -> PathBuf {
        self.root().join(crate::run::STDOUT)
    }

    /// `program` in `case/`, in the same clean environment for both programs (see
    /// [`clean_command`]).
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = clean_command(
            program,
            &CleanEnv {
                cwd: &self.case(),
                home: &self.home(),
                local_temp: &self.local_temp(),
                path: self
                    .path
                    .as_deref()
                    .map_or(SearchPath::Inherited, SearchPath::Fixed),
                python: &self.python,
            },
        );
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Writes `contents` to `case/<relative>`, creating directories.
    pub fn write(&self, relative: &str, contents: &[u8]) {
        let path = self.case().join(relative);
        if let Some(parent) = path.parent() {
            mkdir(parent);
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// Writes the set's client files to `hosts/` and returns its inventory lines (one per host,
    /// referring to the key and known_hosts in `hosts/`).
    pub fn host_files(&self, set: &HostSet) -> String {
        let dir = self.root().join("hosts");
        set.write_files(&dir)
            .unwrap_or_else(|e| panic!("writing the host set's client files: {e}"));
        fs::read_to_string(dir.join("inventory"))
            .unwrap_or_else(|e| panic!("reading the generated inventory: {e}"))
    }

    /// Runs `cmd` to its end or the time limit, its output in files under the sandbox root.
    pub fn run(&self, cmd: &mut Command) -> Outcome {
        let running = self.spawn(cmd);
        self.wait(cmd, running)
    }

    pub fn spawn(&self, cmd: &mut Command) -> Running {
        spawn_logged(cmd, self.root())
    }

    pub fn wait(&self, cmd: &Command, running: Running) -> Outcome {
        wait_logged(cmd, running, self.root(), self.timeout)
    }
}

fn mkdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
}

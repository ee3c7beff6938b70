//! The throw-away directory a playbook program runs in: a copy of the case (`case/`), the HOME
//! of the run (`home/`) and Ansible's local temp dir (`ansible-local/`). Both programs run in
//! sandboxes laid out alike, so masking the sandbox root makes their paths comparable.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::command::{clean_command, CleanEnv, SearchPath};
use crate::tree::{copy_tree, DirModes};

#[derive(Debug)]
pub struct SandboxDirs {
    root: TempDir,
}

impl SandboxDirs {
    /// A new sandbox named `prefix…` under the temp dir, with a copy of `case_src` (or an
    /// empty `case/`).
    pub fn new(prefix: &str, case_src: Option<&Path>, dir_modes: DirModes) -> Self {
        let root = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot create a temp dir: {err}"));
        let dirs = Self { root };
        match case_src {
            Some(src) => copy_tree(src, &dirs.case(), dir_modes),
            None => mkdir(&dirs.case()),
        }
        mkdir(&dirs.home());
        mkdir(&dirs.local_temp());
        dirs
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

    /// [`clean_command`] running in `case/`, with the caller's `PATH` and `python` as
    /// Ansible's module interpreter.
    pub fn command(&self, program: &Path, python: &str) -> Command {
        clean_command(
            program,
            &CleanEnv {
                cwd: &self.case(),
                home: &self.home(),
                local_temp: &self.local_temp(),
                path: SearchPath::Inherited,
                python,
            },
        )
    }
}

fn mkdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
}

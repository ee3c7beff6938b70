//! One environment for both playbook programs, built from scratch so the caller's Ansible
//! configuration, colours and locale cannot leak in.

use std::path::Path;
use std::process::{Command, Stdio};

/// Where the programs look for executables.
#[derive(Debug, Clone, Copy)]
pub enum SearchPath<'a> {
    /// The test process's own `PATH` (`/usr/bin:/bin` without one).
    Inherited,
    Fixed(&'a str),
}

/// What differs between the harnesses: the directories of the run and the interpreter Ansible
/// uses for its modules.
#[derive(Debug, Clone, Copy)]
pub struct CleanEnv<'a> {
    pub cwd: &'a Path,
    pub home: &'a Path,
    /// `ANSIBLE_LOCAL_TEMP`, which must exist.
    pub local_temp: &'a Path,
    pub path: SearchPath<'a>,
    pub python: &'a str,
}

pub fn clean_command(program: &Path, env: &CleanEnv<'_>) -> Command {
    let mut cmd = Command::new(program);
    let path = match env.path {
        SearchPath::Inherited => std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        SearchPath::Fixed(path) => path.into(),
    };
    cmd.current_dir(env.cwd)
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.home)
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env("TZ", "UTC")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_HOME", env.home.join(".ansible"))
        .env("ANSIBLE_LOCAL_TEMP", env.local_temp)
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_PYTHON_INTERPRETER", env.python)
        .stdin(Stdio::null());
    for name in ["USER", "LOGNAME"] {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd
}

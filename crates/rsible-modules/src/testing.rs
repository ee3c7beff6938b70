//! Test doubles: a connection that records requests and answers from a script, and a
//! context builder over it or over the real local connection.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use rsible_template::{Origin, Templar, Vars};

use crate::{
    Become, Connection, ConnectionError, ExecOutput, ExecRequest, FileStat, ModuleContext,
    PutOptions, ResultMap,
};

/// One `put_file`: destination, bytes, mode.
pub(crate) type Put = (String, Vec<u8>, Option<u32>);

/// Records every request; `exec` answers with the queued outputs in order (rc 0 when empty).
#[derive(Default)]
pub(crate) struct FakeConnection {
    pub execs: Mutex<Vec<ExecRequest>>,
    pub puts: Mutex<Vec<Put>>,
    pub outputs: Mutex<VecDeque<ExecOutput>>,
    pub stats: Mutex<VecDeque<FileStat>>,
}

impl FakeConnection {
    pub(crate) fn with_outputs(outputs: Vec<ExecOutput>) -> Self {
        let f = Self::default();
        *f.outputs.lock().unwrap() = outputs.into();
        f
    }

    pub(crate) fn out(rc: i32, stdout: &str, stderr: &str) -> ExecOutput {
        ExecOutput {
            rc,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    /// The shell lines of every request, as an SSH connection would send them.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.execs
            .lock()
            .unwrap()
            .iter()
            .map(ExecRequest::to_shell_line)
            .collect()
    }
}

impl Connection for FakeConnection {
    fn host(&self) -> &str {
        "fake"
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        self.execs.lock().unwrap().push(req.clone());
        Ok(self.outputs.lock().unwrap().pop_front().unwrap_or_default())
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        self.puts
            .lock()
            .unwrap()
            .push((dest.to_owned(), data.to_vec(), opts.mode));
        Ok(())
    }

    fn stat(
        &self,
        path: &str,
        _follow: bool,
        _checksum: bool,
        _become: Option<&Become>,
    ) -> Result<FileStat, ConnectionError> {
        self.execs
            .lock()
            .unwrap()
            .push(ExecRequest::argv(["<stat>", path]));
        Ok(self.stats.lock().unwrap().pop_front().unwrap_or_default())
    }
}

/// Owns what a [`ModuleContext`] borrows.
pub(crate) struct Env {
    pub templar: Templar,
    pub vars: Vars,
    pub origin: Origin,
    pub playbook_dir: PathBuf,
    pub role_path: Option<PathBuf>,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    pub environment: Vec<(String, String)>,
}

impl Default for Env {
    fn default() -> Self {
        Self {
            templar: Templar::new(),
            vars: Vars::new(),
            origin: Origin::default(),
            playbook_dir: PathBuf::from("/nonexistent-playbook-dir"),
            role_path: None,
            check_mode: false,
            diff: false,
            verbosity: 0,
            environment: Vec::new(),
        }
    }
}

impl Env {
    pub(crate) fn ctx<'a>(&'a self, conn: &'a dyn Connection) -> ModuleContext<'a> {
        ModuleContext {
            conn,
            templar: &self.templar,
            vars: &self.vars,
            origin: &self.origin,
            role_path: self.role_path.clone(),
            playbook_dir: self.playbook_dir.clone(),
            become_: None,
            environment: self.environment.clone(),
            check_mode: self.check_mode,
            diff: self.diff,
            verbosity: self.verbosity,
            connection_info: None,
        }
    }
}

/// `json!({...})` as the argument map a module receives.
pub(crate) fn args(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// A result's keys, sorted: tests compare them with the key sets Ansible returns.
pub(crate) fn keys(r: &ResultMap) -> Vec<&str> {
    let mut k: Vec<&str> = r.keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

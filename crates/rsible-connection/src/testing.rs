//! A connection that records requests and answers from a script, for unit tests of what
//! drives a connection (modules, the runner).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::{Become, Connection, ConnectionError, ExecOutput, ExecRequest, FileStat, PutOptions};

/// One `put_file`: destination, bytes, mode.
pub type Put = (String, Vec<u8>, Option<u32>);

/// Records every request; `exec` answers with the queued outputs in order (rc 0 when empty).
#[derive(Default)]
pub struct FakeConnection {
    pub execs: Mutex<Vec<ExecRequest>>,
    pub puts: Mutex<Vec<Put>>,
    pub outputs: Mutex<VecDeque<ExecOutput>>,
    pub stats: Mutex<VecDeque<FileStat>>,
}

impl FakeConnection {
    pub fn with_outputs(outputs: Vec<ExecOutput>) -> Self {
        let f = Self::default();
        *lock(&f.outputs) = outputs.into();
        f
    }

    pub fn out(rc: i32, stdout: &str, stderr: &str) -> ExecOutput {
        ExecOutput {
            rc,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    /// The shell lines of every request, as an SSH connection would send them.
    pub fn lines(&self) -> Vec<String> {
        lock(&self.execs)
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
        lock(&self.execs).push(req.clone());
        Ok(lock(&self.outputs).pop_front().unwrap_or_default())
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        lock(&self.puts).push((dest.to_owned(), data.to_vec(), opts.mode));
        Ok(())
    }

    fn stat(
        &self,
        path: &str,
        _follow: bool,
        _checksum: bool,
        _become: Option<&Become>,
    ) -> Result<FileStat, ConnectionError> {
        lock(&self.execs).push(ExecRequest::argv(["<stat>", path]));
        Ok(lock(&self.stats).pop_front().unwrap_or_default())
    }
}

/// A test that panicked while holding a lock must not hide the requests it recorded.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

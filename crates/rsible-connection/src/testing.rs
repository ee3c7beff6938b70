//! Connections that record requests and answer from a script, for unit tests of what
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

/// What a [`ScriptedConnection`] answers one request with.
#[derive(Clone, Debug)]
pub enum Answer {
    Output(ExecOutput),
    /// The request fails as if the host had gone away (an UNREACHABLE result).
    Unreachable(String),
}

/// A fake whose answers are chosen by the command line, for tests where many tasks share one
/// connection and their order is not the point (play-level runner tests).
///
/// A request is answered by the first rule whose needle occurs in its shell line
/// ([`ExecRequest::to_shell_line`]); a rule given several answers gives them in turn and then
/// keeps repeating its last one, so "fails twice, then succeeds" is three calls to
/// [`ScriptedConnection::on`]. A request no rule matches gets rc 0 and no output.
pub struct ScriptedConnection {
    host: String,
    rules: Mutex<Vec<(String, VecDeque<Answer>)>>,
    /// Every request answers this, whatever the rules say.
    down: Option<String>,
    pub execs: Mutex<Vec<ExecRequest>>,
    pub puts: Mutex<Vec<Put>>,
}

impl ScriptedConnection {
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            rules: Mutex::new(Vec::new()),
            down: None,
            execs: Mutex::new(Vec::new()),
            puts: Mutex::new(Vec::new()),
        }
    }

    /// A host that cannot be reached: every request fails with `msg`.
    pub fn unreachable(host: &str, msg: &str) -> Self {
        Self {
            down: Some(msg.to_owned()),
            ..Self::new(host)
        }
    }

    /// Answers requests whose shell line contains `needle` with `rc`, `stdout` and `stderr`
    /// (after the answers given to the same needle before).
    #[must_use]
    pub fn on(self, needle: &str, rc: i32, stdout: &str, stderr: &str) -> Self {
        self.answer(
            needle,
            Answer::Output(FakeConnection::out(rc, stdout, stderr)),
        )
    }

    /// Requests whose shell line contains `needle` find the host gone (after the answers given
    /// to the same needle before).
    #[must_use]
    pub fn on_unreachable(self, needle: &str, msg: &str) -> Self {
        self.answer(needle, Answer::Unreachable(msg.to_owned()))
    }

    #[must_use]
    pub fn answer(self, needle: &str, answer: Answer) -> Self {
        {
            let mut rules = lock(&self.rules);
            match rules.iter_mut().find(|(n, _)| n == needle) {
                Some((_, answers)) => answers.push_back(answer),
                None => rules.push((needle.to_owned(), VecDeque::from([answer]))),
            }
        }
        self
    }

    /// The shell lines of every request so far, in order.
    pub fn lines(&self) -> Vec<String> {
        lock(&self.execs)
            .iter()
            .map(ExecRequest::to_shell_line)
            .collect()
    }

    fn reply(&self, line: &str) -> Answer {
        if let Some(msg) = &self.down {
            return Answer::Unreachable(msg.clone());
        }
        let mut rules = lock(&self.rules);
        let Some((_, answers)) = rules.iter_mut().find(|(n, _)| line.contains(n.as_str())) else {
            return Answer::Output(ExecOutput::default());
        };
        if answers.len() > 1 {
            answers
                .pop_front()
                .unwrap_or(Answer::Output(ExecOutput::default()))
        } else {
            answers
                .front()
                .cloned()
                .unwrap_or(Answer::Output(ExecOutput::default()))
        }
    }
}

impl Connection for ScriptedConnection {
    fn host(&self) -> &str {
        &self.host
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        lock(&self.execs).push(req.clone());
        match self.reply(&req.to_shell_line()) {
            Answer::Output(out) => Ok(out),
            Answer::Unreachable(msg) => Err(ConnectionError::Unreachable(msg)),
        }
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        if let Some(msg) = &self.down {
            return Err(ConnectionError::Unreachable(msg.clone()));
        }
        lock(&self.puts).push((dest.to_owned(), data.to_vec(), opts.mode));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(c: &ScriptedConnection, cmd: &str) -> Result<i32, String> {
        c.exec(&ExecRequest::argv(["sh", "-c", cmd]))
            .map(|o| o.rc)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn answers_by_needle_in_turn_then_repeats_the_last() {
        let c = ScriptedConnection::new("h")
            .on("probe", 1, "", "")
            .on("probe", 0, "up", "")
            .on("other", 7, "", "");
        assert_eq!(rc(&c, "probe now"), Ok(1));
        assert_eq!(rc(&c, "probe now"), Ok(0));
        assert_eq!(rc(&c, "probe again"), Ok(0));
        assert_eq!(rc(&c, "the other one"), Ok(7));
        assert_eq!(rc(&c, "unscripted"), Ok(0));
        assert_eq!(c.lines().len(), 5);
    }

    #[test]
    fn an_unreachable_host_refuses_everything() {
        let c = ScriptedConnection::unreachable("h", "no route").on("x", 0, "", "");
        assert_eq!(rc(&c, "x"), Err("no route".to_owned()));
        let c = ScriptedConnection::new("h").on_unreachable("reboot", "gone");
        assert_eq!(rc(&c, "reboot"), Err("gone".to_owned()));
    }
}

use crate::shell::quote_path;
use crate::stat::stat_via_shell;
use crate::{Become, ConnectionError, ExecOutput, ExecRequest, FileStat, PutOptions};

/// The port every module talks to its target through: the local and SSH connections of this
/// crate, and a fake in unit tests.
pub trait Connection: Send + Sync {
    /// The name the connection reaches (`localhost`, `10.0.0.5`).
    fn host(&self) -> &str;

    /// Runs a command and waits for it.
    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError>;

    /// Runs a command on a terminal where the transport gives one, as Ansible's ssh plugin runs
    /// `raw` (`ssh -tt`: stderr joins stdout, lines end in CRLF). Without one, [`Self::exec`].
    fn exec_tty(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        self.exec(req)
    }

    /// Writes `data` to `dest` atomically: a temp file beside it, then a rename.
    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError>;

    /// Re-opens the transport (after a reboot, for `wait_for_connection`). Connections without
    /// one have nothing to do.
    fn reset(&self) -> Result<(), ConnectionError> {
        Ok(())
    }

    /// Reads a file from the target.
    fn read_file(&self, path: &str, become_: Option<&Become>) -> Result<Vec<u8>, ConnectionError> {
        let out = self.exec(&ExecRequest::argv(["cat", path]).with_become(become_))?;
        if out.rc == 0 {
            Ok(out.stdout)
        } else {
            Err(ConnectionError::Failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ))
        }
    }

    /// `stat` of a path (`exists: false` when missing), with the sha1 when `checksum`.
    fn stat(
        &self,
        path: &str,
        follow: bool,
        checksum: bool,
        become_: Option<&Become>,
    ) -> Result<FileStat, ConnectionError> {
        stat_via_shell(self, path, follow, checksum, become_)
    }

    /// Expands a leading `~`/`~user` as the (become) user on the target would.
    fn expand_user(&self, path: &str, become_: Option<&Become>) -> Result<String, ConnectionError> {
        expand_user_via_shell(self, path, become_)
    }
}

/// The target's shell expands the tilde prefix; other paths need no round trip.
pub(crate) fn expand_user_via_shell<C: Connection + ?Sized>(
    conn: &C,
    path: &str,
    become_: Option<&Become>,
) -> Result<String, ConnectionError> {
    if !path.starts_with('~') {
        return Ok(path.to_owned());
    }
    let script = format!("printf %s {}", quote_path(path));
    let out = conn.exec(&ExecRequest::shell(script).with_become(become_))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

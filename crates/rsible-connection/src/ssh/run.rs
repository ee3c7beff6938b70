//! Runs one shell line over a master: feeds stdin (after sudo's password when it asks), collects
//! stdout/stderr and tells a remote exit code from a lost connection.

use openssh::{Session, Stdio};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::escalation::{self, Escalation, Plan, Step};
use crate::{ConnectionError, ExecOutput};

/// What became of one command.
#[derive(Debug)]
pub(super) enum Outcome {
    /// It ran; `rc` is the remote exit code.
    Done(ExecOutput),
    /// It never reached the host (the master was gone): safe to send again.
    NotStarted(String),
    /// The connection broke and the command may have run: report UNREACHABLE, do not retry.
    Lost(String),
    /// Escalation failed or a local error.
    Failed(ConnectionError),
}

/// mux client messages that mean the request never reached the master.
const NOT_STARTED_SIGNS: [&str; 3] = [
    "Control socket connect(",
    "mux_client_hello_exchange",
    // With the socket gone, ssh falls back to a direct connection to the dummy host `none`.
    "Could not resolve hostname none",
];

pub(super) async fn run(session: &Session, plan: &Plan, stdin: Option<&[u8]>) -> Outcome {
    let needs_stdin = stdin.is_some()
        || plan
            .escalation
            .as_ref()
            .is_some_and(|e| e.password.is_some());
    let mut cmd = session.raw_command(&plan.line);
    cmd.stdin(if needs_stdin {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = match cmd.spawn().await {
        Ok(c) => c,
        // The master did not take the session (it is dying or gone): nothing ran on the host,
        // so the caller may reconnect and try once more.
        Err(e) => return Outcome::NotStarted(format!("cannot run ssh: {e}")),
    };
    let (Some(mut out_r), Some(mut err_r)) = (child.stdout().take(), child.stderr().take()) else {
        return Outcome::Failed(ConnectionError::Failed("ssh output pipes missing".into()));
    };
    let mut stdin_w = child.stdin().take();
    let data = stdin.unwrap_or_default();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();

    if let Some(
        esc @ Escalation {
            password: Some((password, _)),
            ..
        },
    ) = &plan.escalation
    {
        let answered = await_escalation(
            esc,
            password,
            &mut stdin_w,
            &mut out_r,
            &mut err_r,
            &mut stdout,
            &mut stderr,
        )
        .await;
        if let Err(e) = answered {
            // Dropping the child kills the local ssh, which closes the remote channel.
            return Outcome::Failed(e);
        }
    }
    let write = async {
        if let Some(mut w) = stdin_w.take() {
            // A command that does not read its stdin closes the pipe early: not an error.
            let _ = w.write_all(data).await;
            let _ = w.shutdown().await;
        }
    };
    let (_, r_out, r_err) = tokio::join!(
        write,
        out_r.read_to_end(&mut stdout),
        err_r.read_to_end(&mut stderr)
    );
    if let Err(e) = r_out.and(r_err) {
        return Outcome::Failed(ConnectionError::Failed(format!("reading ssh output: {e}")));
    }

    let rc = match child.wait().await {
        Ok(status) => status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt as _;
            128 + status.signal().unwrap_or(0)
        }),
        Err(openssh::Error::RemoteProcessTerminated) => {
            return judge_255(session, stdout, stderr, plan).await;
        }
        // openssh turns 127 into an error; for us it is the remote shell's "not found".
        Err(openssh::Error::Remote(e)) if e.kind() == std::io::ErrorKind::NotFound => 127,
        Err(e) => {
            return Outcome::Failed(ConnectionError::Failed(format!("ssh failed: {e}")));
        }
    };
    finish(plan, rc, stdout, stderr)
}

/// ssh exits 255 for its own errors and when the remote command does: the master tells which.
async fn judge_255(session: &Session, stdout: Vec<u8>, stderr: Vec<u8>, plan: &Plan) -> Outcome {
    let text = String::from_utf8_lossy(&stderr).into_owned();
    if NOT_STARTED_SIGNS.iter().any(|s| text.contains(s)) {
        return Outcome::NotStarted(text);
    }
    if session.check().await.is_ok() {
        return finish(plan, 255, stdout, stderr);
    }
    Outcome::Lost(text)
}

fn finish(plan: &Plan, rc: i32, stdout: Vec<u8>, stderr: Vec<u8>) -> Outcome {
    match escalation::finish(plan, rc, stdout, stderr) {
        Ok(out) => Outcome::Done(out),
        Err(e) => Outcome::Failed(e),
    }
}

/// Reads until the become marker shows on stdout, answering sudo's prompt once on the way.
async fn await_escalation<W, R1, R2>(
    esc: &Escalation,
    password: &str,
    stdin_w: &mut Option<W>,
    out_r: &mut R1,
    err_r: &mut R2,
    stdout: &mut Vec<u8>,
    stderr: &mut Vec<u8>,
) -> Result<(), ConnectionError>
where
    W: AsyncWrite + Unpin,
    R1: AsyncRead + Unpin,
    R2: AsyncRead + Unpin,
{
    let mut answered = 0;
    let (mut out_eof, mut err_eof) = (false, false);
    loop {
        match esc.step(stdout, stderr, answered) {
            Step::Escalated => return Ok(()),
            Step::Failed(e) => return Err(e),
            Step::SendPassword => {
                if let Some(w) = stdin_w.as_mut() {
                    let mut line = Vec::with_capacity(password.len() + 1);
                    line.extend_from_slice(password.as_bytes());
                    line.push(b'\n');
                    // A write error shows up as sudo's failure on stderr.
                    let _ = w.write_all(&line).await;
                    let _ = w.flush().await;
                }
                answered = 1;
                continue;
            }
            Step::Wait => {}
        }
        if out_eof && err_eof {
            // sudo gave up without our messages (unknown user, …): the caller reports it.
            return Ok(());
        }
        tokio::select! {
            r = out_r.read_buf(stdout), if !out_eof => {
                out_eof = !matches!(r, Ok(n) if n > 0);
            }
            r = err_r.read_buf(stderr), if !err_eof => {
                err_eof = !matches!(r, Ok(n) if n > 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Stdio;

    use super::*;

    /// Stands in for sudo (root is never prompted): prompts on stderr, reads a password line,
    /// then either prints the marker and runs `cat`, or complains like sudo and prompts again.
    const FAKE_SUDO: &str = r#"printf %s "[sudo via rsible, key=k] password:" >&2; read pw
if [ "$pw" = right ]; then echo BECOME-SUCCESS-m; cat
else echo "Sorry, try again." >&2; printf %s "[sudo via rsible, key=k] password:" >&2; read pw; fi"#;

    fn escalation() -> Escalation {
        Escalation {
            method: crate::BecomeMethod::Sudo,
            marker: "BECOME-SUCCESS-m".into(),
            password: Some(("right".into(), "[sudo via rsible, key=k] password:".into())),
        }
    }

    /// Runs FAKE_SUDO with `password`, then sends `data` as the command's stdin.
    async fn drive(password: &str, data: &[u8]) -> Result<Vec<u8>, ConnectionError> {
        let esc = escalation();
        let mut child = tokio::process::Command::new("sh")
            .args(["-c", FAKE_SUDO])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin_w = child.stdin.take();
        let mut out_r = child.stdout.take().unwrap();
        let mut err_r = child.stderr.take().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        await_escalation(
            &esc,
            password,
            &mut stdin_w,
            &mut out_r,
            &mut err_r,
            &mut out,
            &mut err,
        )
        .await?;
        let mut w = stdin_w.take().unwrap();
        w.write_all(data).await.unwrap();
        drop(w);
        out_r.read_to_end(&mut out).await.unwrap();
        child.wait().await.unwrap();
        Ok(esc.strip_stdout(out))
    }

    #[test]
    fn password_goes_first_and_only_to_the_prompt() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(drive("right", b"payload\n")).unwrap();
        assert_eq!(out, b"payload\n");
        let err = rt.block_on(drive("wrong", b"payload\n")).unwrap_err();
        assert!(
            matches!(&err, ConnectionError::Failed(m) if m == "Incorrect sudo password"),
            "{err:?}"
        );
    }
}

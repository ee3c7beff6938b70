//! Running one child process to completion.

use std::io::Write as _;
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::{ConnectionError, ExecOutput};

/// Starts `cmd` with piped stdout/stderr. A program that cannot be started is what a shell
/// would report (127 not found, 126 otherwise), not a broken host.
pub(super) fn start(mut cmd: Command) -> Result<Child, ExecOutput> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.spawn().map_err(|e| ExecOutput {
        rc: if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
        stdout: Vec::new(),
        stderr: e.to_string().into_bytes(),
    })
}

/// Runs `cmd` (its stdin already set to piped or null), feeding it `stdin`.
pub(super) fn run(cmd: Command, stdin: Vec<u8>) -> Result<ExecOutput, ConnectionError> {
    let mut child = match start(cmd) {
        Ok(c) => c,
        Err(out) => return Ok(out),
    };
    // Writing from another thread avoids a deadlock when the child fills its output pipes
    // before reading all of stdin.
    let writer = child.stdin.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let _ = pipe.write_all(&stdin);
        })
    });
    let out = child
        .wait_with_output()
        .map_err(|e| ConnectionError::Failed(format!("waiting for command: {e}")))?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    Ok(ExecOutput {
        rc: exit_code(out.status),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// The exit code, or the shell convention 128+N for a child killed by signal N.
pub(super) fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt as _;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

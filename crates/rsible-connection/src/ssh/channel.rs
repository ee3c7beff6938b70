//! One long-lived session per host that runs every command of the run: a small POSIX-shell loop
//! on the target reads framed requests from the session's stdin, runs each in a subshell and
//! frames its output and exit code. A task then costs one write and one read on an open
//! channel, instead of a new session (a new sshd child and a new login shell) per command.
//!
//! The login shell execs `/bin/sh` for the loop: a dash subshell per request costs half of a
//! bash one. Requests are the POSIX command lines a one-shot session would give the login
//! shell; only a failing `cd` or a missing program is worded by `/bin/sh` instead (modules
//! check those themselves). A login shell that cannot start the loop fails the handshake and
//! the host goes back to one session per command.
//!
//! Framing. Request: `ID LINES STDIN_LEN\n`, then the command line in `LINES` lines, then
//! `STDIN_LEN` bytes of stdin (copied by `head -c` into a private temp file, so a command that
//! reads less never leaves bytes in the channel). Reply: the command's stdout then
//! `NONCE ID RC\n`; its stderr then `NONCE ID\n`. The nonce is random per session and sent on
//! stdin, never in an argv: output cannot forge a reply even when it lists processes.

use std::sync::Arc;
use std::time::Duration;

use openssh::{ChildStderr, ChildStdin, ChildStdout, Session, Stdio};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};

use super::master::Master;
use crate::escalation::find;
use crate::{Command, ExecRequest};

/// The loop. bash counts itself in `SHLVL`, and a one-shot `bash -c` takes that back when it
/// execs the command: commands see the level they would. Its variables carry a prefix so scripts that read an unset variable see what they
/// would in a fresh shell. `IFS= read -r` keeps each line byte for byte; `head -c` of GNU
/// coreutils and BusyBox reads exactly the count it is given.
const LOOP: &str = r#"IFS= read -r _R_N || exit 1
case ${BASH_VERSION:-} in ?*) SHLVL=$((SHLVL - 1)) ;; esac
_R_T=
trap '[ -z "$_R_T" ] || rm -f "$_R_T"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
printf '%s ready\n' "$_R_N"
while IFS=' ' read -r _R_i _R_n _R_l; do
_R_s=
while [ "$_R_n" -gt 0 ]; do IFS= read -r _R_x || exit 1; _R_s="$_R_s$_R_x
"; _R_n=$((_R_n - 1)); done
_R_f=/dev/null
if [ "$_R_l" -gt 0 ]; then
[ -n "$_R_T" ] || _R_T=$(mktemp) || exit 1
head -c "$_R_l" >"$_R_T" || exit 1
_R_f=$_R_T
fi
(eval "${_R_s%?}") <"$_R_f"
_R_r=$?
[ "$_R_f" = /dev/null ] || : >"$_R_T"
printf '%s %s %s\n' "$_R_N" "$_R_i" "$_R_r"
printf '%s %s\n' "$_R_N" "$_R_i" >&2
done"#;

/// The script of a request that the loop's own `/bin/sh` subshell can run in place of
/// `/bin/sh -c script`: a process fewer per command (the subshell then execs the program
/// itself). Not when the script reads `$$` or `$0`, which name the loop there, nor for become,
/// env, a working directory or another interpreter.
pub(super) fn inline_script(req: &ExecRequest) -> Option<&str> {
    let Command::Shell { script, executable } = &req.command else {
        return None;
    };
    let plain = req.become_.is_none()
        && req.env.is_empty()
        && req.cwd.is_none()
        && executable.as_deref().is_none_or(|e| e == "/bin/sh");
    (plain && !script.contains("$$") && !script.contains("$0")).then_some(script.as_str())
}

/// An open loop on one host, bound to the master it was started on.
pub(super) struct Channel {
    pub master: Arc<Master>,
    /// Held so the session stays open; dropping it ends the loop.
    _child: openssh::Child<Arc<Session>>,
    stdin: ChildStdin,
    stdout: ChildStdout,
    stderr: ChildStderr,
    nonce: String,
    next_id: u64,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("next_id", &self.next_id)
            .finish_non_exhaustive()
    }
}

/// Why a channel could not be opened.
pub(super) enum OpenError {
    /// The master did not take the session: it is gone.
    NoSession,
    /// The loop did not start (a login shell that is not POSIX): use one session per command.
    Refused,
}

/// What came back for one request.
pub(super) enum Reply {
    /// The command ran; its exit code and raw output (become's marker still in it).
    Done {
        rc: i32,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    /// The channel was closed before the request went out: nothing ran.
    NotSent,
    /// The channel closed before the reply was complete: the command may have run.
    Broken,
}

impl Channel {
    pub(super) async fn open(master: Arc<Master>) -> Result<Self, OpenError> {
        // Not `exec`: bash exports `_` only for a command it runs itself (it still execs it in
        // place), and commands should see the environment a one-shot session gives them.
        let line = format!("/bin/sh -c {}", crate::shell::quote(LOOP));
        let mut cmd = Session::to_raw_command(Arc::clone(&master.session), line);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().await.map_err(|_| OpenError::NoSession)?;
        let (Some(mut stdin), Some(mut stdout), Some(stderr)) = (
            child.stdin().take(),
            child.stdout().take(),
            child.stderr().take(),
        ) else {
            return Err(OpenError::Refused);
        };
        let nonce = format!("rsible-{:032x}", rand::random::<u128>());
        let hello = format!("{nonce}\n");
        if stdin.write_all(hello.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
            return Err(OpenError::Refused);
        }
        // What a login script prints before the loop starts is not ours: skip to the nonce.
        let ready = format!("{nonce} ready\n");
        let mut seen = Vec::new();
        if read_until(&mut stdout, &mut seen, ready.as_bytes())
            .await
            .is_none()
        {
            return Err(OpenError::Refused);
        }
        Ok(Self {
            master,
            _child: child,
            stdin,
            stdout,
            stderr,
            nonce,
            next_id: 1,
        })
    }

    /// Sends `line` (with `stdin`) and waits for its reply.
    pub(super) async fn run(&mut self, line: &str, stdin: Option<&[u8]>) -> Reply {
        // A loop that ended since the last reply (its master lost the host) would never see
        // this request: say so, and the caller reconnects instead of reporting the host lost.
        let mut probe = [0u8; 1];
        let ended = tokio::time::timeout(Duration::ZERO, self.stdout.read(&mut probe)).await;
        if matches!(ended, Ok(Ok(0) | Err(_))) {
            return Reply::NotSent;
        }
        let id = self.next_id;
        self.next_id += 1;
        let data = stdin.unwrap_or_default();
        let lines = line.bytes().filter(|b| *b == b'\n').count() + 1;
        let mut request = Vec::with_capacity(line.len() + data.len() + 32);
        request.extend_from_slice(format!("{id} {lines} {}\n", data.len()).as_bytes());
        request.extend_from_slice(line.as_bytes());
        request.push(b'\n');
        request.extend_from_slice(data);

        let out_end = format!("{} {id} ", self.nonce);
        let err_end = format!("{} {id}\n", self.nonce);
        let stdin_w = &mut self.stdin;
        let write = async move {
            stdin_w.write_all(&request).await?;
            stdin_w.flush().await
        };
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let read_out = read_until(&mut self.stdout, &mut stdout, out_end.as_bytes());
        let read_err = read_until(&mut self.stderr, &mut stderr, err_end.as_bytes());
        let (written, out_at, err_at) = tokio::join!(write, read_out, read_err);
        if written.is_err() && stdout.is_empty() && stderr.is_empty() {
            return Reply::NotSent;
        }
        let (Some(out_at), Some(err_at)) = (out_at, err_at) else {
            return Reply::Broken;
        };
        // The rest of the stdout marker is the exit code up to its newline.
        let mut tail = stdout.split_off(out_at);
        if read_until(&mut self.stdout, &mut tail, b"\n")
            .await
            .is_none()
        {
            return Reply::Broken;
        }
        let text = String::from_utf8_lossy(&tail[out_end.len()..]);
        let Some(rc) = text.lines().next().and_then(|t| t.trim().parse().ok()) else {
            return Reply::Broken;
        };
        stderr.truncate(err_at);
        Reply::Done { rc, stdout, stderr }
    }
}

/// Reads into `buf` until `end` appears; returns where it starts. `None` at end of stream.
/// Only the newly read bytes (and the few before them that could begin `end`) are searched.
async fn read_until<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    end: &[u8],
) -> Option<usize> {
    let mut searched = 0;
    loop {
        if let Some(at) = find(&buf[searched..], end) {
            return Some(searched + at);
        }
        searched = buf.len().saturating_sub(end.len() - 1);
        buf.reserve(16 * 1024);
        match r.read_buf(buf).await {
            Ok(n) if n > 0 => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_locates_a_marker_anywhere() {
        assert_eq!(find(b"abcNONCE 1 0\n", b"NONCE 1 "), Some(3));
        assert_eq!(find(b"NONCE 1 ", b"NONCE 1 "), Some(0));
        assert_eq!(find(b"NONCE 12 ", b"NONCE 1 "), None);
        assert_eq!(find(b"NNONCE 1 ", b"NONCE 1 "), Some(1));
        assert_eq!(find(b"", b"x"), None);
    }

    /// A command line, its stdin, and the stdout, stderr and exit code it must give.
    type Case = (
        &'static str,
        &'static [u8],
        &'static [u8],
        &'static [u8],
        i32,
    );

    /// The loop itself, run by sh over pipes: framing survives output without a final newline,
    /// stdin a command leaves unread, multi-line scripts, `exit` and a failing command.
    #[test]
    fn loop_frames_requests_in_posix_sh() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut child = tokio::process::Command::new("sh")
                .args(["-c", LOOP])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let mut w = child.stdin.take().unwrap();
            let mut out = child.stdout.take().unwrap();
            let mut err = child.stderr.take().unwrap();
            w.write_all(b"N0\n").await.unwrap();
            let mut seen = Vec::new();
            assert!(read_until(&mut out, &mut seen, b"N0 ready\n")
                .await
                .is_some());
            let reqs: [Case; 4] = [
                ("printf abc; printf e >&2", b"", b"abc", b"e", 0),
                ("head -c 2; exit 3", b"xyz-unread", b"xy", b"", 3),
                ("printf '%s\\n' 'a\nb'\ncat", b"in", b"a\nb\nin", b"", 0),
                ("nosuchcommand-rsible 2>/dev/null", b"", b"", b"", 127),
            ];
            for (n, (line, input, want_out, want_err, want_rc)) in reqs.into_iter().enumerate() {
                let id = n + 1;
                let lines = line.matches('\n').count() + 1;
                let mut req = format!("{id} {lines} {}\n{line}\n", input.len()).into_bytes();
                req.extend_from_slice(input);
                w.write_all(&req).await.unwrap();
                let (mut o, mut e) = (Vec::new(), Vec::new());
                let oe = format!("N0 {id} ");
                let at = read_until(&mut out, &mut o, oe.as_bytes()).await.unwrap();
                let ee = format!("N0 {id}\n");
                let eat = read_until(&mut err, &mut e, ee.as_bytes()).await.unwrap();
                let mut tail = o.split_off(at);
                read_until(&mut out, &mut tail, b"\n").await.unwrap();
                let rc: i32 = String::from_utf8_lossy(&tail[oe.len()..])
                    .trim()
                    .parse()
                    .unwrap();
                e.truncate(eat);
                assert_eq!(
                    (o.as_slice(), e.as_slice(), rc),
                    (want_out, want_err, want_rc),
                    "{line}"
                );
            }
        });
    }
}

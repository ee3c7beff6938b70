//! `become` on the controller: the become line both transports share, run by `/bin/sh`, with
//! sudo's prompt answered the way the SSH transport answers it (password only when asked, so a
//! sudo that does not ask never finds it in the command's stdin).

use std::io::{Read, Write as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use super::spawn;
use crate::escalation::{self, Step};
use crate::{ConnectionError, ExecOutput, ExecRequest};

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// A chunk read from one of the child's pipes; `None` at its end.
type Chunk = (Stream, Option<Vec<u8>>);

/// What has been read so far.
#[derive(Default)]
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    out_eof: bool,
    err_eof: bool,
}

impl Output {
    fn add(&mut self, (stream, data): Chunk) {
        let (buf, eof) = match stream {
            Stream::Out => (&mut self.stdout, &mut self.out_eof),
            Stream::Err => (&mut self.stderr, &mut self.err_eof),
        };
        match data {
            Some(d) => buf.extend_from_slice(&d),
            None => *eof = true,
        }
    }
}

fn reader(pipe: Option<impl Read + Send + 'static>, stream: Stream, tx: mpsc::Sender<Chunk>) {
    let Some(mut pipe) = pipe else {
        let _ = tx.send((stream, None));
        return;
    };
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(n) if n > 0 => {
                    if tx.send((stream, Some(buf[..n].to_vec()))).is_err() {
                        return;
                    }
                }
                _ => {
                    let _ = tx.send((stream, None));
                    return;
                }
            }
        }
    });
}

pub(super) fn exec(req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
    let plan = escalation::plan(req)?;
    let data = req.stdin.clone().unwrap_or_default();
    let escalation = plan
        .escalation
        .as_ref()
        .and_then(|e| e.password.as_ref().map(|(pw, _)| (e, pw)));
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(&plan.line);
    cmd.stdin(if req.stdin.is_some() || escalation.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = match spawn::start(cmd) {
        Ok(c) => c,
        Err(out) => return Ok(out),
    };
    let (tx, rx) = mpsc::channel();
    reader(child.stdout.take(), Stream::Out, tx.clone());
    reader(child.stderr.take(), Stream::Err, tx);
    let mut stdin_w = child.stdin.take();
    let mut output = Output::default();

    if let Some((esc, password)) = escalation {
        let mut answered = 0;
        loop {
            match esc.step(&output.stdout, &output.stderr, answered) {
                Step::Escalated => break,
                Step::Failed(e) => {
                    // sudo waits for another try on stdin: closing it ends sudo too.
                    drop(stdin_w);
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(e);
                }
                Step::SendPassword => {
                    if let Some(w) = stdin_w.as_mut() {
                        // A write error shows up as sudo's failure on stderr.
                        let _ = w.write_all(format!("{password}\n").as_bytes());
                        let _ = w.flush();
                    }
                    answered = 1;
                    continue;
                }
                Step::Wait => {}
            }
            if output.out_eof && output.err_eof {
                // sudo gave up without our messages (unknown user, …): `finish` reports it.
                break;
            }
            match rx.recv() {
                Ok(chunk) => output.add(chunk),
                Err(_) => break,
            }
        }
    }
    // Writing from another thread avoids a deadlock when the child fills its output pipes
    // before reading all of stdin.
    let writer = stdin_w.map(|mut pipe| {
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    for chunk in rx {
        output.add(chunk);
    }
    if let Some(w) = writer {
        let _ = w.join();
    }
    let status = child
        .wait()
        .map_err(|e| ConnectionError::Failed(format!("waiting for command: {e}")))?;
    escalation::finish(
        &plan,
        spawn::exit_code(status),
        output.stdout,
        output.stderr,
    )
}

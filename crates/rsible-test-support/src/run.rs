//! Running a program with a time limit. Output goes to files rather than pipes so a chatty
//! child cannot block on a full pipe while it is waited for.

use std::fs;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Outcome {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
    /// From just before the start to the end of the program.
    pub wall: Duration,
}

/// A program started by [`spawn_logged`], to be finished with [`wait_logged`].
#[derive(Debug)]
pub struct Running {
    child: Child,
    started: Instant,
}

pub(crate) const STDOUT: &str = "stdout.txt";
const STDERR: &str = "stderr.txt";

/// Starts `cmd` with its output in `stdout.txt` and `stderr.txt` under `scratch`.
pub fn spawn_logged(cmd: &mut Command, scratch: &Path) -> Running {
    let open = |path: &Path| {
        fs::File::create(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    };
    cmd.stdout(open(&scratch.join(STDOUT)))
        .stderr(open(&scratch.join(STDERR)));
    let started = Instant::now();
    let child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()));
    Running { child, started }
}

/// Waits for a program started by [`spawn_logged`] with the same `scratch`, killing it (and
/// failing) after `timeout`, and takes its output files away.
pub fn wait_logged(cmd: &Command, running: Running, scratch: &Path, timeout: Duration) -> Outcome {
    let Running { mut child, started } = running;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{:?} {:?} did not finish within {timeout:?}; its output so far:\n{}",
                    cmd.get_program(),
                    cmd.get_args().collect::<Vec<_>>(),
                    fs::read_to_string(scratch.join(STDOUT)).unwrap_or_default()
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => panic!("waiting for {:?}: {err}", cmd.get_program()),
        }
    };
    let wall = started.elapsed();
    let read = |name: &str| {
        let path = scratch.join(name);
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap_or_default()).into_owned();
        let _ = fs::remove_file(&path);
        text
    };
    Outcome {
        rc: status.code().unwrap_or(-1),
        stdout: read(STDOUT),
        stderr: read(STDERR),
        wall,
    }
}

/// [`spawn_logged`] then [`wait_logged`].
pub fn run_logged(cmd: &mut Command, scratch: &Path, timeout: Duration) -> Outcome {
    let running = spawn_logged(cmd, scratch);
    wait_logged(cmd, running, scratch, timeout)
}

//! Running the system tools the harness drives (`ip`, `ssh-keygen`, `kill`, …).

use std::process::{Command, Output, Stdio};

use crate::error::Error;

/// Runs `cmd` to completion and fails unless it exits with status 0.
pub(crate) fn run(cmd: &mut Command) -> Result<Output, Error> {
    let output = output(cmd)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::Command {
            command: describe(cmd),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// Runs `cmd` to completion whatever its exit status.
pub(crate) fn output(cmd: &mut Command) -> Result<Output, Error> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn {
            program: cmd.get_program().to_string_lossy().into_owned(),
            source,
        })
}

/// Runs `ip -batch -` (optionally inside netns `ns`) on `lines`: one process for many changes.
pub(crate) fn ip_batch(ns: Option<&str>, lines: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut cmd = Command::new("ip");
    if let Some(ns) = ns {
        cmd.args(["-n", ns]);
    }
    cmd.args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        program: "ip".into(),
        source,
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(lines.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            command: format!("ip -batch - <<< {lines:?}"),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Sends `signal` to `pids` (negative numbers name process groups); gone processes are fine.
pub(crate) fn kill(signal: &str, pids: &[i64]) {
    // 0, 1, -1 would mean "my group", init, or every process: never wanted here.
    let pids: Vec<i64> = pids.iter().copied().filter(|p| p.abs() > 1).collect();
    if pids.is_empty() {
        return;
    }
    let mut cmd = Command::new("kill");
    cmd.arg(format!("-{signal}")).arg("--");
    for pid in &pids {
        cmd.arg(pid.to_string());
    }
    // Best effort: the usual failure is a process that already ended.
    let _ = output(cmd.stderr(Stdio::null()));
}

/// The effective uid of this process, from `/proc/self/status` (no `unsafe` needed).
pub(crate) fn effective_uid() -> Result<u32, Error> {
    let status = fs_err::read_to_string("/proc/self/status")?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::Unsupported {
            tool: "/proc/self/status".into(),
            reason: "no effective uid in it".into(),
        })?;
    Ok(uid)
}

/// `pid`'s start time (clock ticks since boot): with the pid it identifies a process even after
/// the pid number is reused.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses; fields after the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process `pid` started at `start` still runs (a zombie no longer does).
pub(crate) fn alive(pid: u32, start: u64) -> bool {
    start_time(pid) == Some(start) && !gone(i64::from(pid))
}

/// Every process whose network namespace is `ns` (as `ip netns pids` reports).
pub(crate) fn netns_pids(ns: &str) -> Vec<i64> {
    let Ok(out) = output(
        Command::new("ip")
            .args(["netns", "pids", ns])
            .stderr(Stdio::null()),
    ) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The short command name of `pid` (`/proc/PID/comm`).
pub(crate) fn comm(pid: i64) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The pid, as the machine sees it, of a process that is PID 1 in its own PID namespace.
pub(crate) fn is_namespace_init(pid: i64) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .is_some_and(|ids| {
            let ids: Vec<&str> = ids.split_whitespace().collect();
            ids.len() > 1 && ids.last() == Some(&"1")
        })
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Whether `pid` has ended (no longer exists, or is a zombie waiting to be reaped).
pub(crate) fn gone(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
        Err(_) => true,
    }
}

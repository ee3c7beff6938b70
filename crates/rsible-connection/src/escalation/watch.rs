//! Reading a become command's output, the same for both transports: the success marker shows
//! escalation worked, sudo's prompt asks for the password, sudo's complaints become Ansible's
//! "Incorrect/Missing sudo password", and neither marker nor prompt reaches the module.

use super::plan::{Escalation, Plan};
use crate::{ConnectionError, ExecOutput};

/// sudo's messages when it needs a password it was not given (`plugins/become/sudo.py`).
const MISSING_PASSWORD: [&str; 2] = [
    "Sorry, a password is required to run sudo",
    "sudo: a password is required",
];
/// sudo's message after a wrong password.
const INCORRECT_PASSWORD: &str = "Sorry, try again.";

/// What a transport should do next while it waits for escalation with a password.
#[derive(Debug)]
pub(crate) enum Step {
    /// The marker is on stdout: the command itself runs now; send its stdin.
    Escalated,
    /// sudo refused; stop the command.
    Failed(ConnectionError),
    /// sudo prompts: write the password line (once).
    SendPassword,
    /// Read more output.
    Wait,
}

/// The command's output as the module sees it, or the escalation's failure.
pub(crate) fn finish(
    plan: &Plan,
    rc: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
) -> Result<ExecOutput, ConnectionError> {
    let Some(esc) = &plan.escalation else {
        return Ok(ExecOutput { rc, stdout, stderr });
    };
    if !esc.succeeded(&stdout) {
        if let Some(e) = esc.failure(&stderr, usize::from(esc.password.is_some())) {
            return Err(e);
        }
    }
    Ok(ExecOutput {
        rc,
        stdout: esc.strip_stdout(stdout),
        stderr: esc.strip_stderr(stderr),
    })
}

impl Escalation {
    /// Ansible's order: prompt first means password then data; marker first means data only.
    pub(crate) fn step(&self, stdout: &[u8], stderr: &[u8], prompts_answered: usize) -> Step {
        if self.succeeded(stdout) {
            return Step::Escalated;
        }
        if let Some(e) = self.failure(stderr, prompts_answered) {
            return Step::Failed(e);
        }
        if prompts_answered == 0 && self.prompted(stderr) > 0 {
            return Step::SendPassword;
        }
        Step::Wait
    }

    /// True once a stdout line carries the marker: the command itself now runs.
    pub(crate) fn succeeded(&self, stdout: &[u8]) -> bool {
        stdout
            .split(|&c| c == b'\n')
            .any(|l| contains(l, self.marker.as_bytes()))
    }

    pub(crate) fn prompted(&self, stderr: &[u8]) -> usize {
        self.password
            .as_ref()
            .map_or(0, |(_, prompt)| count(stderr, prompt.trim().as_bytes()))
    }

    /// The error Ansible raises when escalation fails, judged from what sudo printed.
    pub(crate) fn failure(
        &self,
        stderr: &[u8],
        prompts_answered: usize,
    ) -> Option<ConnectionError> {
        if contains(stderr, INCORRECT_PASSWORD.as_bytes())
            || (prompts_answered > 0 && self.prompted(stderr) > prompts_answered)
        {
            return Some(ConnectionError::Failed(format!(
                "Incorrect {} password",
                self.method
            )));
        }
        if MISSING_PASSWORD
            .iter()
            .any(|m| contains(stderr, m.as_bytes()))
        {
            return Some(ConnectionError::Failed(format!(
                "Missing {} password",
                self.method
            )));
        }
        None
    }

    /// The command's own stdout: everything through the marker line removed.
    pub(crate) fn strip_stdout(&self, stdout: Vec<u8>) -> Vec<u8> {
        match find(&stdout, self.marker.as_bytes()) {
            Some(at) => {
                let rest = &stdout[at + self.marker.len()..];
                let rest = rest.strip_prefix(b"\r").unwrap_or(rest);
                rest.strip_prefix(b"\n").unwrap_or(rest).to_vec()
            }
            None => stdout,
        }
    }

    /// The command's own stderr: sudo's prompt removed.
    pub(crate) fn strip_stderr(&self, stderr: Vec<u8>) -> Vec<u8> {
        let Some((_, prompt)) = &self.password else {
            return stderr;
        };
        let p = prompt.as_bytes();
        let mut out = Vec::with_capacity(stderr.len());
        let mut rest = &stderr[..];
        while let Some(at) = find(rest, p) {
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at + p.len()..];
        }
        out.extend_from_slice(rest);
        out
    }
}

/// Where `needle` first appears in `hay` (never for an empty needle).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = hay;
    while let Some(at) = find(rest, needle) {
        n += 1;
        rest = &rest[at + needle.len()..];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BecomeMethod;

    #[test]
    fn strips_marker_and_prompt() {
        let e = Escalation {
            method: BecomeMethod::Sudo,
            marker: "BECOME-SUCCESS-abc".into(),
            password: Some(("pw".into(), "[sudo via rsible, key=k] password:".into())),
        };
        assert!(e.succeeded(b"BECOME-SUCCESS-abc\n"));
        assert_eq!(
            e.strip_stdout(b"BECOME-SUCCESS-abc\n  out\n".to_vec()),
            b"  out\n"
        );
        assert_eq!(
            e.strip_stderr(b"[sudo via rsible, key=k] password:warn\n".to_vec()),
            b"warn\n"
        );
        assert_eq!(e.prompted(b"[sudo via rsible, key=k] password:"), 1);
        assert!(matches!(
            e.failure(b"Sorry, try again.\n", 1),
            Some(ConnectionError::Failed(m)) if m == "Incorrect sudo password"
        ));
        assert!(matches!(
            e.failure(b"sudo: a password is required\n", 0),
            Some(ConnectionError::Failed(m)) if m == "Missing sudo password"
        ));
        assert!(e.failure(b"", 1).is_none());
    }
}

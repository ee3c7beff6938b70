//! `become` over ssh, as Ansible's sudo/su plugins build it: the request's shell line runs in
//! `/bin/sh -c 'echo BECOME-SUCCESS-<id> ; <line>'` under sudo/su, so the marker on stdout tells
//! that escalation worked, and sudo's prompt (with a random key) on stderr asks for the password.

use rand::Rng as _;
use rsible_modules::{Become, Command, ConnectionError, ExecRequest};

use super::sh_quote;

/// sudo's messages when it needs a password it was not given (`plugins/become/sudo.py`).
const MISSING_PASSWORD: [&str; 2] = [
    "Sorry, a password is required to run sudo",
    "sudo: a password is required",
];
/// sudo's message after a wrong password.
const INCORRECT_PASSWORD: &str = "Sorry, try again.";

/// The command line to send and what to watch for while it runs.
#[derive(Debug)]
pub(super) struct Plan {
    pub line: String,
    pub escalation: Option<Escalation>,
}

#[derive(Debug)]
pub(super) struct Escalation {
    /// `sudo` or `su`, for messages.
    pub method: String,
    /// `BECOME-SUCCESS-<id>`, echoed first by the become shell.
    pub marker: String,
    /// The password and sudo's prompt, when a password was given.
    pub password: Option<(String, String)>,
}

/// 32 lowercase letters, like Ansible's become id.
fn random_id() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(rng.random_range(b'a'..=b'z')))
        .collect()
}

/// Ansible drops `-n` (and an `n` inside short flag groups) when a password is given, so sudo
/// may prompt.
fn without_non_interactive(flags: &str) -> String {
    let words = shlex::split(flags).unwrap_or_else(|| {
        flags
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    words
        .into_iter()
        .filter(|f| f != "-n" && f != "--non-interactive")
        .map(|f| {
            if f.starts_with("--") || !f.starts_with('-') {
                return f;
            }
            // Ansible's `^(-\w*)n(\w*.*)`: the last `n` of the leading run of word characters.
            let body = &f[1..];
            let run = body
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            match body[..run].rfind('n') {
                Some(i) => format!("-{}{}", &body[..i], &body[i + 1..]),
                None => f,
            }
        })
        .map(|f| sh_quote(&f))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The line ssh runs for `req`, wrapped for its `become_` when set.
pub(super) fn plan(req: &ExecRequest) -> Result<Plan, ConnectionError> {
    // ssh would start an interactive login shell for an empty command line.
    if matches!(&req.command, Command::Argv(argv) if argv.is_empty()) {
        return Err(ConnectionError::Failed("empty command".into()));
    }
    let line = req.to_shell_line();
    let Some(b) = &req.become_ else {
        return Ok(Plan {
            line,
            escalation: None,
        });
    };
    let marker = format!("BECOME-SUCCESS-{}", random_id());
    let inner = sh_quote(&format!("echo {marker} ; {line}"));
    let user = sh_quote(&b.user);
    let (line, password) = match b.method.as_str() {
        "sudo" => sudo_line(b, &user, &inner),
        "su" => {
            if b.password.is_some() {
                return Err(ConnectionError::Failed(
                    "become method `su` with a password is not supported yet (su reads the password from a terminal); use sudo or passwordless su".into(),
                ));
            }
            let flags = b.flags.as_deref().unwrap_or("");
            // `-s /bin/sh` makes su run our line with sh even for users whose shell is
            // `nologin`.
            let line = ["su -s /bin/sh", flags, &user, "-c", &inner]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            (line, None)
        }
        other => {
            return Err(ConnectionError::Failed(format!(
                "become method `{other}` is not supported over ssh (use sudo or su)"
            )))
        }
    };
    Ok(Plan {
        line,
        escalation: Some(Escalation {
            method: b.method.clone(),
            marker,
            password,
        }),
    })
}

fn sudo_line(b: &Become, user: &str, inner: &str) -> (String, Option<(String, String)>) {
    let flags = b.flags.as_deref().unwrap_or("-H -S -n");
    match &b.password {
        None => (format!("sudo {flags} -u {user} /bin/sh -c {inner}"), None),
        Some(pw) => {
            let prompt = format!("[sudo via rsible, key={}] password:", random_id());
            let line = format!(
                "sudo {} -p {} -u {user} /bin/sh -c {inner}",
                without_non_interactive(flags),
                sh_quote(&prompt)
            );
            (line, Some((pw.clone(), prompt)))
        }
    }
}

impl Escalation {
    /// True once a stdout line carries the marker: the command itself now runs.
    pub(super) fn succeeded(&self, stdout: &[u8]) -> bool {
        stdout
            .split(|&c| c == b'\n')
            .any(|l| contains(l, self.marker.as_bytes()))
    }

    pub(super) fn prompted(&self, stderr: &[u8]) -> usize {
        self.password
            .as_ref()
            .map_or(0, |(_, prompt)| count(stderr, prompt.trim().as_bytes()))
    }

    /// The error Ansible raises when escalation fails, judged from what sudo printed.
    pub(super) fn failure(
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
    pub(super) fn strip_stdout(&self, stdout: Vec<u8>) -> Vec<u8> {
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
    pub(super) fn strip_stderr(&self, stderr: Vec<u8>) -> Vec<u8> {
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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
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

    fn req(b: Become) -> ExecRequest {
        ExecRequest::argv(["id", "-un"]).with_become(Some(&b))
    }

    fn sudo(password: Option<&str>, flags: Option<&str>) -> Become {
        Become {
            method: "sudo".into(),
            user: "root".into(),
            flags: flags.map(Into::into),
            password: password.map(Into::into),
        }
    }

    #[test]
    fn sudo_without_password_matches_ansible() {
        let p = plan(&req(sudo(None, None))).unwrap();
        let e = p.escalation.unwrap();
        assert_eq!(
            p.line,
            format!(
                "sudo -H -S -n -u root /bin/sh -c 'echo {} ; id -un'",
                e.marker
            )
        );
        assert!(e.password.is_none());
    }

    #[test]
    fn sudo_with_password_prompts_and_keeps_it_out_of_argv() {
        let p = plan(&req(sudo(Some("s3cret"), Some("-H -Sn -E")))).unwrap();
        let e = p.escalation.unwrap();
        let prompt = &e.password.as_ref().unwrap().1;
        assert!(prompt.starts_with("[sudo via rsible, key="));
        assert_eq!(
            p.line,
            format!(
                "sudo -H -S -E -p '{prompt}' -u root /bin/sh -c 'echo {} ; id -un'",
                e.marker
            )
        );
        assert!(!p.line.contains("s3cret"));
    }

    #[test]
    fn empty_argv_is_an_error() {
        assert!(plan(&ExecRequest::argv(Vec::<String>::new())).is_err());
    }

    #[test]
    fn su_and_unknown_methods() {
        let b = Become {
            method: "su".into(),
            user: "nobody".into(),
            flags: None,
            password: None,
        };
        let p = plan(&req(b.clone())).unwrap();
        assert!(p.line.starts_with("su -s /bin/sh nobody -c "), "{}", p.line);
        let with_pw = Become {
            password: Some("x".into()),
            ..b.clone()
        };
        assert!(plan(&req(with_pw)).is_err());
        let doas = Become {
            method: "doas".into(),
            ..b
        };
        assert!(plan(&req(doas)).is_err());
    }

    #[test]
    fn strips_marker_and_prompt() {
        let e = Escalation {
            method: "sudo".into(),
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

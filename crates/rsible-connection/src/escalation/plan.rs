//! The become command line, as Ansible's sudo/su plugins build it: the request's shell line
//! runs in `/bin/sh -c 'echo BECOME-SUCCESS-<id> ; <line>'` under sudo/su, so the marker on
//! stdout tells that escalation worked, and sudo's prompt (with a random key) on stderr asks for
//! the password. Both transports send this same line to a shell: SSH to the login shell,
//! local to `/bin/sh`.

use rand::Rng as _;

use super::{Become, BecomeMethod};
use crate::shell::quote;
use crate::{Command, ConnectionError, ExecRequest};

/// The command line to send and what to watch for while it runs.
#[derive(Debug)]
pub(crate) struct Plan {
    pub line: String,
    pub escalation: Option<Escalation>,
}

#[derive(Debug)]
pub(crate) struct Escalation {
    /// For messages.
    pub method: BecomeMethod,
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
        .map(|f| quote(&f))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shell line for `req`, wrapped for its `become_` when set.
pub(crate) fn plan(req: &ExecRequest) -> Result<Plan, ConnectionError> {
    // ssh would start an interactive login shell for an empty command line, and there is no
    // program to start locally.
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
    let inner = quote(&format!("echo {marker} ; {line}"));
    let user = quote(&b.user);
    let (line, password) = match b.method {
        BecomeMethod::Sudo => sudo_line(b, &user, &inner),
        BecomeMethod::Su => {
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
    };
    Ok(Plan {
        line,
        escalation: Some(Escalation {
            method: b.method,
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
                quote(&prompt)
            );
            (line, Some((pw.clone(), prompt)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(b: Become) -> ExecRequest {
        ExecRequest::argv(["id", "-un"]).with_become(Some(&b))
    }

    fn sudo(password: Option<&str>, flags: Option<&str>) -> Become {
        Become {
            method: BecomeMethod::Sudo,
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
    fn su_runs_sh_and_refuses_a_password() {
        let b = Become {
            method: BecomeMethod::Su,
            user: "nobody".into(),
            flags: None,
            password: None,
        };
        let p = plan(&req(b.clone())).unwrap();
        // The same shape as sudo: the marker first, then the request's line.
        let marker = &p.escalation.as_ref().unwrap().marker;
        assert_eq!(
            p.line,
            format!("su -s /bin/sh nobody -c 'echo {marker} ; id -un'")
        );
        let with_pw = Become {
            password: Some("x".into()),
            ..b
        };
        assert!(plan(&req(with_pw)).is_err());
    }
}

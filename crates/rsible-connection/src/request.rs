use std::fmt::Write as _;

use crate::shell::{quote, quote_path};
use crate::Become;

/// What to run: an argv executed directly, or a script for `/bin/sh -c` (or `executable`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Argv(Vec<String>),
    Shell {
        script: String,
        executable: Option<String>,
    },
}

/// One command on the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecRequest {
    pub command: Command,
    /// Extra environment (`environment:` of the task, plus what the module needs).
    pub env: Vec<(String, String)>,
    /// Working directory on the target; `None` keeps the login directory.
    pub cwd: Option<String>,
    pub stdin: Option<Vec<u8>>,
    pub become_: Option<Become>,
}

impl ExecRequest {
    pub fn argv<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: Command::Argv(argv.into_iter().map(Into::into).collect()),
            env: Vec::new(),
            cwd: None,
            stdin: None,
            become_: None,
        }
    }

    pub fn shell(script: impl Into<String>) -> Self {
        Self {
            command: Command::Shell {
                script: script.into(),
                executable: None,
            },
            env: Vec::new(),
            cwd: None,
            stdin: None,
            become_: None,
        }
    }

    #[must_use]
    pub fn with_become(mut self, become_: Option<&Become>) -> Self {
        self.become_ = become_.cloned();
        self
    }

    /// This request as one POSIX shell command line, every user value quoted: what an SSH
    /// connection sends, and what `become` wraps on either transport. `cd`, `env` and the
    /// command are joined so one round trip does it all.
    pub fn to_shell_line(&self) -> String {
        let mut line = String::new();
        if let Some(cwd) = &self.cwd {
            let _ = write!(line, "cd {} && ", quote_path(cwd));
        }
        if !self.env.is_empty() {
            line.push_str("env");
            for (k, v) in &self.env {
                let _ = write!(line, " {}", quote(&format!("{k}={v}")));
            }
            line.push(' ');
        }
        match &self.command {
            Command::Argv(argv) => {
                line.push_str(&argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "));
            }
            Command::Shell { script, executable } => {
                let sh = executable.as_deref().unwrap_or("/bin/sh");
                let _ = write!(line, "{} -c {}", quote(sh), quote(script));
            }
        }
        line
    }
}

/// Result of one command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_line_quotes_everything() {
        let mut req = ExecRequest::argv(["echo", "a;b", "$HOME"]);
        req.cwd = Some("~/src/x y".into());
        req.env = vec![("K".into(), "v w".into())];
        assert_eq!(
            req.to_shell_line(),
            "cd ~/'src/x y' && env 'K=v w' echo 'a;b' '$HOME'"
        );
    }
}

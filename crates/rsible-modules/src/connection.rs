use std::fmt::Write as _;

/// How to run a command as another user (`become`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Become {
    /// `sudo` or `su`.
    pub method: String,
    /// Target user (`root` by default).
    pub user: String,
    /// `become_flags`; `-H -S -n` for sudo when not set.
    pub flags: Option<String>,
    /// Sent on stdin, never in argv or the environment.
    pub password: Option<String>,
}

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
    /// connection sends. `cd`, `env` and the command are joined so one round trip does it all.
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

/// `shlex.quote`: leave safe strings alone, otherwise single-quote.
pub(crate) fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Quote a path but keep a leading `~` or `~user` unquoted so the shell expands it.
pub(crate) fn quote_path(p: &str) -> String {
    if let Some(rest) = p.strip_prefix('~') {
        let (user, tail) = rest.split_once('/').map_or((rest, ""), |(u, t)| (u, t));
        if user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return if rest.contains('/') {
                format!(
                    "~{user}/{}",
                    if tail.is_empty() {
                        String::new()
                    } else {
                        quote(tail)
                    }
                )
            } else {
                format!("~{user}")
            };
        }
    }
    quote(p)
}

/// Result of one command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What `stat` found on the target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileStat {
    pub exists: bool,
    pub is_dir: bool,
    pub is_file: bool,
    pub is_link: bool,
    /// Permission bits (`0o644`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub owner: String,
    pub group: String,
    pub size: u64,
    pub mtime: f64,
    /// Link target when `is_link`.
    pub link_target: Option<String>,
    /// sha1 of the content (Ansible's `checksum`), when asked for and a regular file.
    pub checksum: Option<String>,
}

/// Options for writing a file on the target.
#[derive(Clone, Debug, Default)]
pub struct PutOptions {
    pub mode: Option<u32>,
    pub become_: Option<Become>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The host cannot be reached (the task result is UNREACHABLE).
    #[error("{0}")]
    Unreachable(String),
    /// Anything else that went wrong moving bytes (the task fails).
    #[error("{0}")]
    Failed(String),
}

/// The port every module talks to its target through. Implemented in `rsible-runner` by the
/// local and SSH connections, and by a fake in unit tests.
pub trait Connection: Send + Sync {
    /// The name the connection reaches (`localhost`, `10.0.0.5`).
    fn host(&self) -> &str;

    /// Runs a command and waits for it.
    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError>;

    /// Writes `data` to `dest` atomically: a temp file beside it, then a rename.
    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError>;

    /// Re-opens the transport (after a reboot, for `wait_for_connection`). Connections without
    /// one have nothing to do.
    fn reset(&self) -> Result<(), ConnectionError> {
        Ok(())
    }

    /// Reads a file from the target.
    fn read_file(&self, path: &str, become_: Option<&Become>) -> Result<Vec<u8>, ConnectionError> {
        let out = self.exec(&ExecRequest::argv(["cat", path]).with_become(become_))?;
        if out.rc == 0 {
            Ok(out.stdout)
        } else {
            Err(ConnectionError::Failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ))
        }
    }

    /// `stat` of a path (`exists: false` when missing), with the sha1 when `checksum`.
    fn stat(
        &self,
        path: &str,
        follow: bool,
        checksum: bool,
        become_: Option<&Become>,
    ) -> Result<FileStat, ConnectionError> {
        stat_via_shell(self, path, follow, checksum, become_)
    }

    /// Expands a leading `~`/`~user` as the (become) user on the target would.
    fn expand_user(&self, path: &str, become_: Option<&Become>) -> Result<String, ConnectionError> {
        if !path.starts_with('~') {
            return Ok(path.to_owned());
        }
        let script = format!("printf %s {}", quote_path(path));
        let out = self.exec(&ExecRequest::shell(script).with_become(become_))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// One `stat` (plus `sha1sum`) round trip, parsed.
fn stat_via_shell<C: Connection + ?Sized>(
    conn: &C,
    path: &str,
    follow: bool,
    checksum: bool,
    become_: Option<&Become>,
) -> Result<FileStat, ConnectionError> {
    let l = if follow { "-L " } else { "" };
    let q = quote_path(path);
    let mut script = format!(
        "if [ -e {q} ] || [ -L {q} ]; then stat {l}-c '%f|%u|%g|%U|%G|%s|%Y' -- {q}; readlink -- {q} || echo; "
    );
    if checksum {
        let _ = write!(
            script,
            "if [ -f {q} ]; then sha1sum < {q} | cut -d' ' -f1; fi; "
        );
    }
    script.push_str("else echo MISSING; fi");
    let out = conn.exec(&ExecRequest::shell(script).with_become(become_))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("MISSING");
    if first == "MISSING" || out.rc != 0 {
        return Ok(FileStat::default());
    }
    let f: Vec<&str> = first.split('|').collect();
    if f.len() < 7 {
        return Err(ConnectionError::Failed(format!(
            "unexpected stat output: {first}"
        )));
    }
    let raw = u32::from_str_radix(f[0], 16).unwrap_or(0);
    let kind = raw & 0o170_000;
    let link = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(FileStat {
        exists: true,
        is_dir: kind == 0o040_000,
        is_file: kind == 0o100_000,
        is_link: kind == 0o120_000,
        mode: raw & 0o7777,
        uid: f[1].parse().unwrap_or(0),
        gid: f[2].parse().unwrap_or(0),
        owner: f[3].to_owned(),
        group: f[4].to_owned(),
        size: f[5].parse().unwrap_or(0),
        mtime: f[6].parse().unwrap_or(0.0),
        link_target: link,
        checksum: lines.next().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_shlex() {
        assert_eq!(quote("abc-1.2/x"), "abc-1.2/x");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\"'\"'s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

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

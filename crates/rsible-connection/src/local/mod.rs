//! The `local` connection: commands run as child processes of the controller.
//!
//! Without `become` a request runs directly (no shell in between). With `become` it goes
//! through the same wrapped shell line as over SSH, run by `/bin/sh`; files are written by the
//! same shell script as over SSH. So what a local test sees is what a remote host gets.

mod escalated;
mod spawn;
#[cfg(test)]
mod tests;

use std::process::Stdio;

use crate::connection::expand_user_via_shell;
use crate::put::put_via_shell;
use crate::{Become, Command, Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions};

/// Runs everything on the controller (`connection: local`, `delegate_to: localhost`).
#[derive(Clone, Debug, Default)]
pub struct LocalConnection {
    _private: (),
}

impl LocalConnection {
    pub fn new() -> Self {
        Self { _private: () }
    }
}

fn home() -> String {
    std::env::var("HOME").unwrap_or_else(|_| "/".to_owned())
}

/// `~` and `~/x` with `$HOME`; `~user` is left to the shell.
fn expand_home(path: &str) -> String {
    if path == "~" || path.starts_with("~/") {
        format!("{}{}", home(), &path[1..])
    } else {
        path.to_owned()
    }
}

impl Connection for LocalConnection {
    fn host(&self) -> &str {
        "localhost"
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        if req.become_.is_some() {
            return escalated::exec(req);
        }
        // A working directory goes through the shell's `cd`, as over SSH and as Ansible's
        // local connection does, so a missing directory fails with the shell's message.
        if req.cwd.is_some() {
            let mut cmd = std::process::Command::new("/bin/sh");
            cmd.arg("-c").arg(req.to_shell_line());
            cmd.stdin(if req.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
            return spawn::run(cmd, req.stdin.clone().unwrap_or_default());
        }
        let mut cmd = match &req.command {
            Command::Argv(argv) => {
                let Some((first, rest)) = argv.split_first() else {
                    return Err(ConnectionError::Failed("empty command".into()));
                };
                let mut c = std::process::Command::new(first);
                c.args(rest);
                c
            }
            Command::Shell { script, executable } => {
                let mut c = std::process::Command::new(executable.as_deref().unwrap_or("/bin/sh"));
                c.arg("-c").arg(script);
                c
            }
        };
        cmd.envs(req.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd.stdin(if req.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        spawn::run(cmd, req.stdin.clone().unwrap_or_default())
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        put_via_shell(self, data, dest, opts)
    }

    fn expand_user(&self, path: &str, become_: Option<&Become>) -> Result<String, ConnectionError> {
        // Our own home needs no shell.
        if become_.is_none() && (path == "~" || path.starts_with("~/")) {
            return Ok(expand_home(path));
        }
        expand_user_via_shell(self, path, become_)
    }
}

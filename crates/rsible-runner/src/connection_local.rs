//! The `local` connection: commands run as child processes of the controller.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Stdio;

use rsible_modules::{
    Become, Command, Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions,
};

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

/// `~` and `~/x` with `$HOME`; `~user` is left to the shell, which is only used under become.
fn expand_home(path: &str) -> String {
    if path == "~" || path.starts_with("~/") {
        format!("{}{}", home(), &path[1..])
    } else {
        path.to_owned()
    }
}

/// The argv that runs `line` as the become user, and whether a password goes first on stdin.
fn become_argv(b: &Become, line: String) -> Vec<String> {
    let flags = b.flags.clone().unwrap_or_else(|| {
        if b.method == "su" {
            String::new()
        } else {
            "-H -S -n".to_owned()
        }
    });
    let mut flags: Vec<String> = flags.split_whitespace().map(str::to_owned).collect();
    if b.method == "su" {
        let mut argv = vec!["su".to_owned()];
        argv.append(&mut flags);
        argv.extend([b.user.clone(), "-c".to_owned(), line]);
        return argv;
    }
    if b.password.is_some() {
        // With a password sudo must be allowed to ask; an empty prompt keeps stderr clean.
        flags.retain(|f| f != "-n");
        flags.extend(["-p".to_owned(), String::new()]);
    }
    let mut argv = vec!["sudo".to_owned()];
    argv.append(&mut flags);
    argv.extend([
        "-u".to_owned(),
        b.user.clone(),
        "--".to_owned(),
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        line,
    ]);
    argv
}

fn io_failed(what: &str, path: &str, e: &std::io::Error) -> ConnectionError {
    ConnectionError::Failed(format!("{what} {path}: {e}"))
}

impl Connection for LocalConnection {
    fn host(&self) -> &str {
        "localhost"
    }

    fn exec(&self, req: &ExecRequest) -> Result<ExecOutput, ConnectionError> {
        let mut stdin_data = req.stdin.clone().unwrap_or_default();
        let mut cmd = if let Some(b) = &req.become_ {
            // The become user's `~` and environment apply, so the whole request becomes one
            // shell line run by sudo/su.
            let argv = become_argv(b, req.to_shell_line());
            if let Some(pw) = &b.password {
                let mut data = format!("{pw}\n").into_bytes();
                data.append(&mut stdin_data);
                stdin_data = data;
            }
            let mut c = std::process::Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        } else {
            let mut c = match &req.command {
                Command::Argv(argv) => {
                    let Some((first, rest)) = argv.split_first() else {
                        return Err(ConnectionError::Failed("empty command".into()));
                    };
                    let mut c = std::process::Command::new(first);
                    c.args(rest);
                    c
                }
                Command::Shell { script, executable } => {
                    let mut c =
                        std::process::Command::new(executable.as_deref().unwrap_or("/bin/sh"));
                    c.arg("-c").arg(script);
                    c
                }
            };
            c.envs(req.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if let Some(cwd) = &req.cwd {
                c.current_dir(expand_home(cwd));
            }
            c
        };
        cmd.stdin(if stdin_data.is_empty() && req.stdin.is_none() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                // A missing program is what a shell would report as 127, not a broken host.
                return Ok(ExecOutput {
                    rc: if e.kind() == std::io::ErrorKind::NotFound {
                        127
                    } else {
                        126
                    },
                    stdout: Vec::new(),
                    stderr: e.to_string().into_bytes(),
                });
            }
        };
        // Writing from another thread avoids a deadlock when the child fills its output pipes
        // before reading all of stdin.
        let writer = child.stdin.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let _ = pipe.write_all(&stdin_data);
            })
        });
        let out = child
            .wait_with_output()
            .map_err(|e| ConnectionError::Failed(format!("waiting for command: {e}")))?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        Ok(ExecOutput {
            rc: out.status.code().unwrap_or_else(|| {
                use std::os::unix::process::ExitStatusExt as _;
                // Killed by a signal: the shell convention 128+N.
                128 + out.status.signal().unwrap_or(0)
            }),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }

    fn put_file(&self, data: &[u8], dest: &str, opts: &PutOptions) -> Result<(), ConnectionError> {
        if opts.become_.is_some() {
            return put_file_via_shell(self, data, dest, opts);
        }
        let dest = expand_home(dest);
        let path = Path::new(&dest);
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.rsible-{}", unique_suffix()));
        let tmp_s = tmp.to_string_lossy().into_owned();
        let existing = std::fs::metadata(path).ok();
        let result = (|| {
            std::fs::write(&tmp, data).map_err(|e| io_failed("cannot write", &tmp_s, &e))?;
            // An existing file keeps its permissions, as Ansible's atomic_move does.
            let mode = opts
                .mode
                .or_else(|| existing.as_ref().map(|m| m.permissions().mode() & 0o7777));
            if let Some(mode) = mode {
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| io_failed("cannot chmod", &tmp_s, &e))?;
            }
            // An existing file also keeps its owner; only root may give it away, so a
            // refusal leaves the writer as owner, as Ansible's atomic_move does.
            if let Some(m) = &existing {
                use std::os::unix::fs::MetadataExt as _;
                let _ = std::os::unix::fs::chown(&tmp, Some(m.uid()), Some(m.gid()));
            }
            std::fs::rename(&tmp, path).map_err(|e| io_failed("cannot rename to", &dest, &e))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn expand_user(&self, path: &str, become_: Option<&Become>) -> Result<String, ConnectionError> {
        if become_.is_none() && (path == "~" || path.starts_with("~/")) {
            return Ok(expand_home(path));
        }
        if !path.starts_with('~') {
            return Ok(path.to_owned());
        }
        let script = format!("printf %s {}", shell_tilde(path));
        let out = self.exec(&ExecRequest::shell(script).with_become(become_))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `~user/rest` with only the `~user` part left for the shell to expand.
fn shell_tilde(path: &str) -> String {
    let (head, tail) = path
        .split_once('/')
        .map_or((path, None), |(h, t)| (h, Some(t)));
    let safe_head = head[1..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !safe_head {
        return sh_quote(path);
    }
    match tail {
        Some(t) => format!("{head}/{}", sh_quote(t)),
        None => head.to_owned(),
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Unique enough for a temp name beside the destination: pid, time and a counter.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes through a shell as the become user: a temp file beside `dest`, then `mv`.
fn put_file_via_shell(
    conn: &LocalConnection,
    data: &[u8],
    dest: &str,
    opts: &PutOptions,
) -> Result<(), ConnectionError> {
    let q = sh_quote;
    let chmod = match opts.mode {
        Some(m) => format!("chmod {m:o} \"$t\" && "),
        None => format!(
            "{{ [ ! -e {d} ] || chmod \"$(stat -c %a {d})\" \"$t\"; }} && ",
            d = q(dest)
        ),
    };
    let script = format!(
        "d=$(dirname {d}) && t=$(mktemp \"$d/.rsible.XXXXXXXX\") && cat > \"$t\" && \
         {{ [ -e {d} ] || chmod \"$(printf %o $((0666 & ~0$(umask))))\" \"$t\"; }} && \
         {chmod}mv -f \"$t\" {d} || {{ rm -f \"$t\"; exit 1; }}",
        d = q(dest)
    );
    let mut req = ExecRequest::shell(script).with_become(opts.become_.as_ref());
    req.stdin = Some(data.to_vec());
    let out = conn.exec(&req)?;
    if out.rc == 0 {
        Ok(())
    } else {
        Err(ConnectionError::Failed(format!(
            "cannot write {dest}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_argv_with_env_cwd_and_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let conn = LocalConnection::new();
        let mut req = ExecRequest::argv(["sh", "-c", "pwd; echo \"$K\"; cat"]);
        req.env = vec![("K".into(), "v w".into())];
        req.cwd = Some(dir.path().to_string_lossy().into_owned());
        req.stdin = Some(b"in\n".to_vec());
        let out = conn.exec(&req).unwrap();
        assert_eq!(out.rc, 0);
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{}\nv w\nin\n", real.display())
        );
    }

    #[test]
    fn shell_exit_code_and_stderr() {
        let out = LocalConnection::new()
            .exec(&ExecRequest::shell("echo oops >&2; exit 3"))
            .unwrap();
        assert_eq!((out.rc, out.stderr), (3, b"oops\n".to_vec()));
    }

    #[test]
    fn missing_program_is_rc_127() {
        let out = LocalConnection::new()
            .exec(&ExecRequest::argv(["/nonexistent/prog"]))
            .unwrap();
        assert_eq!(out.rc, 127);
    }

    #[test]
    fn put_file_is_atomic_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        let d = dest.to_string_lossy().into_owned();
        let conn = LocalConnection::new();
        conn.put_file(
            b"one",
            &d,
            &PutOptions {
                mode: Some(0o600),
                become_: None,
            },
        )
        .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"one");
        assert_eq!(
            std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Rewriting without a mode keeps the existing permissions.
        conn.put_file(b"two", &d, &PutOptions::default()).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stat_and_expand_user() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, b"abc\n").unwrap();
        let conn = LocalConnection::new();
        let st = conn.stat(&f.to_string_lossy(), true, true, None).unwrap();
        assert!(st.exists && st.is_file && !st.is_dir);
        assert_eq!(st.size, 4);
        assert_eq!(
            st.checksum.as_deref(),
            Some("03cfd743661f07975fa2f1220c5194cbaff48451")
        );
        assert!(
            !conn
                .stat("/nonexistent/x", true, false, None)
                .unwrap()
                .exists
        );
        assert_eq!(
            conn.expand_user("~/a b", None).unwrap(),
            format!("{}/a b", home())
        );
        assert_eq!(conn.expand_user("/abs", None).unwrap(), "/abs");
    }

    #[test]
    fn become_with_su_runs_as_the_user() {
        // Switching user without a password needs root, which the CI machine has.
        let out = LocalConnection::new()
            .exec(&ExecRequest::argv(["id", "-u"]))
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).trim() != "0" {
            return;
        }
        let b = Become {
            method: "su".into(),
            user: "nobody".into(),
            flags: Some("-s /bin/sh".into()),
            password: None,
        };
        let mut req =
            ExecRequest::argv(["sh", "-c", "id -un; echo \"$K\"; cat"]).with_become(Some(&b));
        req.env = vec![("K".into(), "v".into())];
        req.stdin = Some(b"in".to_vec());
        let out = LocalConnection::new().exec(&req).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "nobody\nv\nin");
    }

    #[test]
    fn put_file_with_become_writes_as_the_user() {
        use std::os::unix::fs::MetadataExt as _;
        let conn = LocalConnection::new();
        let out = conn.exec(&ExecRequest::argv(["id", "-u"])).unwrap();
        if String::from_utf8_lossy(&out.stdout).trim() != "0" {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let dest = dir.path().join("f");
        let b = Become {
            method: "su".into(),
            user: "nobody".into(),
            flags: Some("-s /bin/sh".into()),
            password: None,
        };
        let opts = PutOptions {
            mode: Some(0o640),
            become_: Some(b),
        };
        conn.put_file(b"data\n", &dest.to_string_lossy(), &opts)
            .unwrap();
        let meta = std::fs::metadata(&dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"data\n");
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        assert_eq!(meta.uid(), 65534);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn become_argv_shapes() {
        let b = Become {
            method: "sudo".into(),
            user: "root".into(),
            flags: None,
            password: None,
        };
        assert_eq!(
            become_argv(&b, "id".into()),
            ["sudo", "-H", "-S", "-n", "-u", "root", "--", "/bin/sh", "-c", "id"]
        );
        let b = Become {
            password: Some("pw".into()),
            ..b
        };
        assert_eq!(
            become_argv(&b, "id".into()),
            ["sudo", "-H", "-S", "-p", "", "-u", "root", "--", "/bin/sh", "-c", "id"]
        );
    }
}

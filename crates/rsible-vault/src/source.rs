//! Where vault secrets come from (`CLI.setup_vault_secrets`, `get_file_vault_secret`): a
//! password file, an executable whose stdout is the password (a `*-client` one is asked for
//! the vault id), or a prompt on the terminal.

use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use crate::envelope::{is_encrypted, DEFAULT_VAULT_ID};
use crate::{Secret, SecretError, Secrets};

/// What the command line and configuration ask for, before any secret is read.
#[derive(Clone, Debug, Default)]
pub struct SecretRequest {
    /// `vault_identity_list`, then every `--vault-id`: `label@source` or `source`, where the
    /// source is a file, an executable or `prompt`.
    pub vault_ids: Vec<String>,
    /// Every `--vault-password-file`, then `vault_password_file`.
    pub password_files: Vec<String>,
    /// `--ask-vault-pass` / `ask_vault_pass`.
    pub ask_vault_pass: bool,
    /// `vault_id_match`.
    pub id_match: bool,
}

impl SecretRequest {
    /// Whether anything would be read or asked.
    pub fn is_empty(&self) -> bool {
        self.vault_ids.is_empty() && self.password_files.is_empty() && !self.ask_vault_pass
    }
}

/// How a prompt is answered: `Ok(None)` for end of input.
pub type Prompt<'a> = &'a mut dyn FnMut(&str) -> Result<Option<String>, SecretError>;

/// Loads the secrets in Ansible's order. A password file that cannot be used is a warning
/// (passed to `warn`) as long as another secret loads; otherwise its error is the result. A
/// prompt's error stops at once.
pub fn load_secrets(
    req: &SecretRequest,
    prompt: Prompt<'_>,
    warn: &mut dyn FnMut(&str),
) -> Result<Secrets, SecretError> {
    let mut slugs = req.vault_ids.clone();
    slugs.extend(
        req.password_files
            .iter()
            .map(|f| format!("{DEFAULT_VAULT_ID}@{f}")),
    );
    if req.ask_vault_pass {
        slugs.push(format!("{DEFAULT_VAULT_ID}@prompt_ask_vault_pass"));
    }
    let mut secrets = Secrets::new(Vec::new());
    secrets.id_match = req.id_match;
    let mut last_error = None;
    let mut found = false;
    for slug in &slugs {
        let (name, value) = match slug.split_once('@') {
            Some((name, value)) => (Some(name), value),
            None => (None, slug.as_str()),
        };
        let label = name.unwrap_or("None");
        if value == "prompt" || value == "prompt_ask_vault_pass" {
            let vault_id = name.unwrap_or(DEFAULT_VAULT_ID);
            let text = if value == "prompt" {
                format!("Vault password ({vault_id}): ")
            } else {
                "Vault password: ".to_owned()
            };
            let password = ask(prompt, &text, vault_id).inspect_err(|e| {
                warn(&format!("Error in vault password prompt ({label}): {e}"));
            })?;
            secrets.push(Secret::new(vault_id, password));
            found = true;
            continue;
        }
        match file_secret(value, name, &secrets) {
            Ok(password) => {
                secrets.push(Secret::new(name.unwrap_or(DEFAULT_VAULT_ID), password));
                found = true;
            }
            Err((e, loading)) => {
                let what = if loading {
                    "Error in vault password file loading"
                } else {
                    "Error getting vault password file"
                };
                warn(&format!("{what} ({label}): {e}"));
                last_error = Some(e);
            }
        }
    }
    match last_error {
        Some(e) if !found => Err(e),
        _ => Ok(secrets),
    }
}

fn ask(prompt: Prompt<'_>, text: &str, vault_id: &str) -> Result<Vec<u8>, SecretError> {
    let answer = prompt(text)?.ok_or_else(|| SecretError::PromptEof(vault_id.to_owned()))?;
    if answer.is_empty() {
        return Err(SecretError::EmptyPrompt);
    }
    Ok(answer.trim().as_bytes().to_vec())
}

/// A file's or script's password. The error's flag tells a secret that could not be set up
/// (missing, a directory) from one that failed to load, as Ansible's two warnings do.
fn file_secret(
    value: &str,
    vault_id: Option<&str>,
    known: &Secrets,
) -> Result<Vec<u8>, (SecretError, bool)> {
    let path = unfrack(value);
    let meta =
        std::fs::metadata(&path).map_err(|_| (SecretError::NotFound(path.clone()), false))?;
    if meta.is_dir() {
        return Err((SecretError::IsDirectory(path), false));
    }
    let loaded = if meta.permissions().mode() & 0o111 != 0 {
        let client = Path::new(value)
            .file_stem()
            .is_some_and(|s| s.to_string_lossy().ends_with("-client"));
        run_script(&path, client.then_some(vault_id))
    } else {
        read_password_file(&path, known)
    };
    loaded.map_err(|e| (e, true))
}

fn read_password_file(path: &Path, known: &Secrets) -> Result<Vec<u8>, SecretError> {
    let data = std::fs::read(path).map_err(|source| SecretError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut password = data.trim_ascii().to_vec();
    // A password file may itself be vaulted with a secret given before it.
    if is_encrypted(&password) {
        password = known
            .decrypt(&password)
            .map_err(|source| SecretError::EncryptedFile {
                path: path.to_owned(),
                source,
            })?
            .plaintext;
    }
    let password = strip_newlines(&password);
    if password.is_empty() {
        return Err(SecretError::EmptyFromFile(path.to_owned()));
    }
    Ok(password.to_vec())
}

/// Runs a password script: a plain one without arguments, its stderr left on the terminal so
/// it can prompt; a client one with `--vault-id <id>`, its stderr captured for the message.
fn run_script(path: &Path, client: Option<Option<&str>>) -> Result<Vec<u8>, SecretError> {
    let mut cmd = Command::new(path);
    cmd.stdin(Stdio::inherit()).stdout(Stdio::piped());
    let vault_id = client.flatten().unwrap_or("None").to_owned();
    if let Some(id) = client {
        cmd.stderr(Stdio::piped());
        if let Some(id) = id {
            cmd.args(["--vault-id", id]);
        }
    }
    let out = cmd.output().map_err(|e| SecretError::ScriptRun {
        path: path.to_owned(),
        message: python_os_error(&e, path),
    })?;
    let code = out.status.code().unwrap_or(-1);
    if client.is_some() {
        let stderr = python_bytes_repr(&out.stderr);
        if code == 2 {
            return Err(SecretError::ClientUnknownId {
                path: path.to_owned(),
                vault_id,
                stderr,
            });
        }
        if code != 0 {
            return Err(SecretError::ClientFailed {
                path: path.to_owned(),
                code,
                vault_id,
                stderr,
            });
        }
    } else if code != 0 {
        return Err(SecretError::ScriptFailed {
            path: path.to_owned(),
            code,
        });
    }
    let password = strip_newlines(&out.stdout);
    if password.is_empty() {
        return Err(SecretError::EmptyFromScript(path.to_owned()));
    }
    Ok(password.to_vec())
}

/// Python's `bytes.strip(b'\r\n')`.
fn strip_newlines(b: &[u8]) -> &[u8] {
    let nl = |c: &u8| *c == b'\r' || *c == b'\n';
    let start = b.iter().position(|c| !nl(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !nl(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

/// `str(OSError)` as Python prints it: `[Errno 8] Exec format error: '/path'`.
fn python_os_error(e: &std::io::Error, path: &Path) -> String {
    let text = e.to_string();
    let msg = text.split(" (os error").next().unwrap_or(&text);
    match e.raw_os_error() {
        Some(n) => format!("[Errno {n}] {msg}: '{}'", path.display()),
        None => text,
    }
}

/// Python's `repr(bytes)`.
fn python_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = format!("b{quote}");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            c if char::from(c) == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(char::from(c)),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote);
    s
}

/// Ansible's `unfrackpath(p, follow=False)`: `~` expanded, made absolute against the current
/// directory, `.` and `..` removed without following links.
pub fn unfrack(p: &str) -> PathBuf {
    let expanded = match p.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            std::env::var("HOME").map_or_else(|_| p.to_owned(), |h| format!("{h}{rest}"))
        }
        _ => p.to_owned(),
    };
    let path = Path::new(&expanded);
    let abs = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_owned(), |cwd| cwd.join(path))
    };
    let mut out = PathBuf::from("/");
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_only_are_stripped_from_script_output() {
        assert_eq!(strip_newlines(b"\r\n pw \n\n"), b" pw ");
        assert_eq!(strip_newlines(b"\n\n"), b"");
    }

    #[test]
    fn bytes_repr_as_python() {
        assert_eq!(python_bytes_repr(b""), "b''");
        assert_eq!(python_bytes_repr(b"no id\n"), "b'no id\\n'");
        assert_eq!(python_bytes_repr(b"it's"), "b\"it's\"");
    }

    #[test]
    fn unfrack_is_lexical() {
        assert_eq!(unfrack("/a/./b/../c"), PathBuf::from("/a/c"));
    }
}

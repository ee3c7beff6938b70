//! Ansible's path resolution for settings (`utils/path.py: unfrackpath` without following
//! symlinks): `{{CWD}}`, `$VAR`/`${VAR}`, `~`, then relative to a base directory, normalised.

use std::path::{Component, Path, PathBuf};

/// Resolves `value` the way `resolve_path(value, basedir)` does.
pub fn resolve(
    value: &str,
    base: &Path,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> PathBuf {
    let value = value.replace("{{CWD}}", &cwd.to_string_lossy());
    let expanded = expand_user(&expand_vars(&value, env), env);
    let path = Path::new(&expanded);
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&base.join(path))
    }
}

/// `os.path.expandvars`: `$NAME` and `${NAME}` for variables that are set; anything else stays.
pub fn expand_vars(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match (!name.is_empty()).then(|| env(name)).flatten() {
            Some(value) => {
                out.push_str(&value);
                rest = &after[consumed..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `os.path.expanduser` for `~` and `~/…` (`~user` is left alone).
pub fn expand_user(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let Some(rest) = text.strip_prefix('~') else {
        return text.to_owned();
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return text.to_owned();
    }
    match env("HOME") {
        Some(home) => format!("{}{rest}", home.trim_end_matches('/')),
        None => text.to_owned(),
    }
}

/// `os.path.normpath`: `.` and `..` removed lexically, repeated slashes collapsed.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/u".to_owned()),
            "X" => Some("ex".to_owned()),
            _ => None,
        }
    }

    // Expected values from python3: ansible.config.manager.resolve_path(v, basedir=...).
    #[test]
    fn resolves_like_ansible() {
        let base = Path::new("/etc/conf");
        let cwd = Path::new("/work");
        let r = |v: &str| resolve(v, base, cwd, &env).display().to_string();
        assert_eq!(r("roles"), "/etc/conf/roles");
        assert_eq!(r("../keys/./id"), "/etc/keys/id");
        assert_eq!(r("~/.ssh/id"), "/home/u/.ssh/id");
        assert_eq!(r("$X/a"), "/etc/conf/ex/a");
        assert_eq!(r("${X}b"), "/etc/conf/exb");
        assert_eq!(r("$NOPE/a"), "/etc/conf/$NOPE/a");
        assert_eq!(r("{{CWD}}/r"), "/work/r");
        assert_eq!(r("/abs//x/"), "/abs/x");
        assert_eq!(r("~other/x"), "/etc/conf/~other/x");
    }
}

//! The one shell quoting every command line is built with: modules, both transports, the
//! become wrapper and the `quote` filter all call these, so a path is quoted the same way
//! whichever way it travels.

/// Python's `shlex.quote` (what Ansible's `quote` filter is): a string of only ASCII
/// letters, digits and `_@%+=:,./-` stays bare, anything else is single-quoted with each `'`
/// written as `'"'"'`.
pub fn quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(is_safe) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c)
}

/// A path for the shell, with a leading `~` or `~user` left bare so the target's shell expands
/// it (as the become user when there is one). The rest is quoted. User names may hold letters,
/// digits, `_`, `.` and `-` (`~first.last` is a real home); anything else makes the whole path
/// quoted, so nothing but a tilde prefix is ever expanded.
pub fn quote_path(p: &str) -> String {
    let Some(rest) = p.strip_prefix('~') else {
        return quote(p);
    };
    let (user, tail) = rest
        .split_once('/')
        .map_or((rest, None), |(u, t)| (u, Some(t)));
    if !user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return quote(p);
    }
    match tail {
        None => format!("~{user}"),
        Some("") => format!("~{user}/"),
        Some(t) => format!("~{user}/{}", quote(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_shlex() {
        assert_eq!(quote("abc-1.2/x"), "abc-1.2/x");
        assert_eq!(quote("a_b@c%d+e=f:g,h"), "a_b@c%d+e=f:g,h");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\"'\"'s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        // shlex's safe set is ASCII only.
        assert_eq!(quote("é"), "'é'");
        assert_eq!(quote("~"), "'~'");
    }

    #[test]
    fn paths_keep_the_tilde_prefix() {
        assert_eq!(quote_path("~"), "~");
        assert_eq!(quote_path("~/"), "~/");
        assert_eq!(quote_path("~/src/x y"), "~/'src/x y'");
        assert_eq!(quote_path("~first.last/.ssh"), "~first.last/.ssh");
        assert_eq!(quote_path("~www-data"), "~www-data");
        assert_eq!(quote_path("~$(id)/x"), "'~$(id)/x'");
        assert_eq!(quote_path("/a b/~c"), "'/a b/~c'");
    }

    /// What the shell makes of a quoted word is the word itself.
    #[test]
    fn the_shell_reads_back_what_was_quoted() {
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 64,
            failure_persistence: None,
            ..Default::default()
        });
        runner
            .run(&"[a-zA-Z0-9 '\"$(){}`;|&<>*?~#!\\\\\n\t%=é-]{0,16}", |s| {
                let out = std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(format!("printf %s {}", quote(&s)))
                    .output()
                    .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                proptest::prop_assert_eq!(String::from_utf8_lossy(&out.stdout), s);
                Ok(())
            })
            .unwrap();
    }
}

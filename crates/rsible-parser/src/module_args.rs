//! `k=v` module argument strings, split as Ansible's `parsing/splitter.py` splits them.
//!
//! `copy: src=a dest="b c"` becomes `{src: a, dest: "b c"}`; words that are not `k=v` are joined
//! back into `_raw_params` (the command line of `command`/`shell`).

/// Why an argument string cannot be split.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("failed at splitting arguments, either an unbalanced jinja2 block or quotes")]
pub struct UnbalancedArgs;

/// Options of the free-form modules that `k=v` may still set (`command: ls chdir=/tmp`).
const FREE_FORM_OPTIONS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Modules whose argument string is a command line rather than `k=v` pairs.
pub(crate) const FREE_FORM_MODULES: &[&str] = &[
    "command",
    "shell",
    "raw",
    "script",
    "win_command",
    "win_shell",
];

/// `parse_kv`: the pairs in order, `_raw_params` last. With `free_form`, only the known
/// command options are taken out of the text.
pub fn parse_kv(args: &str, free_form: bool) -> Result<Vec<(String, String)>, UnbalancedArgs> {
    let mut options: Vec<(String, String)> = Vec::new();
    let mut raw: Vec<String> = Vec::new();
    for original in split_args(args)? {
        let decoded = decode_escapes(&original);
        if !decoded.contains('=') {
            raw.push(original);
            continue;
        }
        // The first `=` that is not escaped and not the first character.
        let chars: Vec<char> = decoded.chars().collect();
        let split = (1..chars.len()).find(|&i| chars[i] == '=' && chars[i - 1] != '\\');
        let Some(pos) = split else {
            raw.push(decoded.replace("\\=", "="));
            continue;
        };
        let key: String = chars[..pos].iter().collect();
        let value: String = chars[pos + 1..].iter().collect();
        if free_form && !FREE_FORM_OPTIONS.contains(&key.as_str()) {
            raw.push(original);
            continue;
        }
        let key = key.trim().to_owned();
        let value = unquote(value.trim()).to_owned();
        if let Some(slot) = options.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            options.push((key, value));
        }
    }
    if !raw.is_empty() {
        options.retain(|(k, _)| k != "_raw_params");
        options.push(("_raw_params".to_owned(), join_args(&raw)));
    }
    Ok(options)
}

fn is_quoted(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    c.len() > 1 && c[0] == c[c.len() - 1] && matches!(c[0], '"' | '\'') && c[c.len() - 2] != '\\'
}

/// Removes one pair of matching outer quotes.
pub(crate) fn unquote(s: &str) -> &str {
    if is_quoted(s) {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Joins split words back, keeping the newlines `split_args` kept.
fn join_args(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if !(out.is_empty() || out.ends_with('\n')) {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// The quote still open after `token`, starting with `open`.
fn quote_state(token: &str, mut open: Option<char>) -> Option<char> {
    let mut prev = None;
    for c in token.chars() {
        if matches!(c, '"' | '\'') && prev != Some('\\') {
            match open {
                Some(q) if q == c => open = None,
                Some(_) => {}
                None => open = Some(c),
            }
        }
        prev = Some(c);
    }
    open
}

fn jinja_depth(token: &str, depth: usize, open: &str, close: &str) -> usize {
    let opened = token.matches(open).count();
    let closed = token.matches(close).count();
    (depth + opened).saturating_sub(closed)
}

fn last(params: &mut Vec<String>) -> &mut String {
    if params.is_empty() {
        params.push(String::new());
    }
    let n = params.len() - 1;
    &mut params[n]
}

/// Splits on spaces, keeping quoted text and Jinja blocks together (`split_args`).
pub(crate) fn split_args(args: &str) -> Result<Vec<String>, UnbalancedArgs> {
    let mut params: Vec<String> = Vec::new();
    if args.is_empty() {
        return Ok(params);
    }
    let lines: Vec<&str> = args.split('\n').collect();
    let mut quote: Option<char> = None;
    let mut inside_quotes = false;
    let (mut print, mut block, mut comment) = (0usize, 0usize, 0usize);
    for (line_idx, line) in lines.iter().enumerate() {
        let mut continuation = false;
        for (idx, token) in line.split(' ').enumerate() {
            if token.is_empty() && idx != 0 {
                last(&mut params).push(' ');
                continue;
            }
            if token == "\\" && !inside_quotes {
                continuation = true;
                continue;
            }
            let was_inside = inside_quotes;
            quote = quote_state(token, quote);
            inside_quotes = quote.is_some();
            let in_jinja = print > 0 || block > 0 || comment > 0;
            let mut appended = false;
            if inside_quotes && !was_inside && !in_jinja {
                params.push(token.to_owned());
                appended = true;
            } else if in_jinja || inside_quotes || was_inside {
                let target = last(&mut params);
                if idx > 0 {
                    target.push(' ');
                }
                target.push_str(token);
                appended = true;
            }
            for (depth, open, close) in [
                (&mut print, "{{", "}}"),
                (&mut block, "{%", "%}"),
                (&mut comment, "{#", "#}"),
            ] {
                let before = *depth;
                *depth = jinja_depth(token, *depth, open, close);
                if *depth != before && !appended {
                    params.push(token.to_owned());
                    appended = true;
                }
            }
            let in_jinja = print > 0 || block > 0 || comment > 0;
            if !in_jinja && !inside_quotes && !appended && !token.is_empty() {
                params.push(token.to_owned());
            }
        }
        if lines.len() > 1 && line_idx != lines.len() - 1 && !continuation {
            last(&mut params).push('\n');
        }
    }
    if print > 0 || block > 0 || comment > 0 || inside_quotes {
        return Err(UnbalancedArgs);
    }
    Ok(params)
}

/// Python escape sequences inside a word (`\n`, `\x41`, `\u00e9`, `\"`) as `_decode_escapes`.
fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let hex = |n: usize| -> Option<char> {
                let digits: String = chars.get(i + 2..i + 2 + n)?.iter().collect();
                if digits.len() != n || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
            };
            let simple = match chars[i + 1] {
                '\\' => Some('\\'),
                '\'' => Some('\''),
                '"' => Some('"'),
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                'f' => Some('\x0c'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\x0b'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                i += 2;
                continue;
            }
            let width = match chars[i + 1] {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            if width > 0 {
                if let Some(c) = hex(width) {
                    out.push(c);
                    i += 2 + width;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(s: &str, free: bool) -> Vec<(String, String)> {
        parse_kv(s, free).unwrap_or_default()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Expected values from `ansible.parsing.splitter.parse_kv` in the venv.
    #[test]
    fn parses_like_ansible() {
        assert_eq!(
            kv("src=a dest=\"b c\" mode=0644", false),
            pairs(&[("src", "a"), ("dest", "b c"), ("mode", "0644")])
        );
        assert_eq!(
            kv("echo hi chdir=/tmp foo=bar", true),
            pairs(&[("chdir", "/tmp"), ("_raw_params", "echo hi foo=bar")])
        );
        assert_eq!(
            kv("msg='{{ a }} b' x", false),
            pairs(&[("msg", "{{ a }} b"), ("_raw_params", "x")])
        );
        assert_eq!(
            kv("echo {{ a | default('x y') }}  z", true),
            pairs(&[("_raw_params", "echo {{ a | default('x y') }}  z")])
        );
        assert_eq!(
            kv("echo a\nb=1 c", false),
            pairs(&[("b", "1"), ("_raw_params", "echo a\nc")])
        );
        assert_eq!(kv("a\\=b", false), pairs(&[("_raw_params", "a=b")]));
        assert_eq!(kv("msg=a\\tb", false), pairs(&[("msg", "a\tb")]));
        assert_eq!(kv("", false), pairs(&[]));
        assert_eq!(parse_kv("echo 'oops", true), Err(UnbalancedArgs));
        assert_eq!(parse_kv("{{ a", true), Err(UnbalancedArgs));
    }
}

//! Python `re` patterns on bytes, as the text-file modules (`lineinfile`, `replace`,
//! `blockinfile`, `find`) compile them: translated to the `regex` crate's byte regexes with
//! Unicode off, so `.`, `\w`, `\d`, `\s` and case folding mean what they mean for a Python bytes
//! pattern; and `match.expand()` of a Python replacement template.
//!
//! What the `regex` crate has no equivalent for (look-around, back-references inside the
//! pattern) is refused with the crate's message rather than matched differently.

use regex::bytes::{Captures, Regex, RegexBuilder};

/// Characters that `regex` treats as syntax and must see escaped to mean themselves.
fn is_meta(c: char) -> bool {
    "\\.+*?()|[]{}^$#&-~".contains(c)
}

/// `{m}`, `{m,}`, `{,n}`, `{m,n}` at the start of `rest` (just after the `{`): the quantifier
/// as `regex` spells it and the length consumed, or `None` when Python reads a literal `{`.
fn quantifier(rest: &str) -> Option<(String, usize)> {
    let end = rest.find('}')?;
    let body = &rest[..end];
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let q = match body.split_once(',') {
        None if !body.is_empty() && digits(body) => body.to_owned(),
        Some((lo, hi)) if digits(lo) && digits(hi) && !(lo.is_empty() && hi.is_empty()) => {
            format!("{},{hi}", if lo.is_empty() { "0" } else { lo })
        }
        _ => return None,
    };
    Some((format!("{{{q}}}"), end + 1))
}

/// Translates a Python pattern. `$` is Python's (end, or before a final newline), which for
/// the lines and `MULTILINE` texts these modules search is `regex`'s multi-line `$`.
pub(crate) fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut class_start = false;
    let mut it = pattern.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let first_in_class = class_start;
        class_start = false;
        match c {
            '\\' => match it.next() {
                Some((_, 'Z')) if !in_class => out.push_str("\\z"),
                Some((_, n)) if n.is_ascii_alphanumeric() => {
                    out.push('\\');
                    out.push(n);
                }
                Some((_, n)) if is_meta(n) => {
                    out.push('\\');
                    out.push(n);
                }
                Some((_, n)) => out.push(n),
                None => out.push_str("\\\\"),
            },
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if let Some(&(_, '^')) = it.peek() {
                    it.next();
                    out.push('^');
                }
            }
            ']' if in_class && !first_in_class => {
                in_class = false;
                out.push(']');
            }
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class => {
                // A doubled `--` is a set difference for `regex`: keep each a plain range dash.
                if let Some(&(_, '-')) = it.peek() {
                    out.push_str("\\-");
                } else {
                    out.push('-');
                }
            }
            '$' if !in_class => out.push_str("(?m:$)"),
            '{' if !in_class => match quantifier(&pattern[i + 1..]) {
                Some((q, used)) => {
                    out.push_str(&q);
                    for _ in 0..used {
                        it.next();
                    }
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            c => out.push(c),
        }
    }
    out
}

/// Compiles a Python bytes pattern; `multiline` is `re.MULTILINE`.
pub(crate) fn compile(pattern: &str, multiline: bool) -> Result<Regex, String> {
    compile_with(pattern, false, multiline, false)
}

/// Compiles a Python pattern: a `str` pattern when `unicode` (matched against UTF-8 bytes),
/// else a bytes pattern; `multiline` and `dotall` are `re.MULTILINE` and `re.DOTALL`.
pub(crate) fn compile_with(
    pattern: &str,
    unicode: bool,
    multiline: bool,
    dotall: bool,
) -> Result<Regex, String> {
    RegexBuilder::new(&translate(pattern))
        .unicode(unicode)
        .multi_line(multiline)
        .dot_matches_new_line(dotall)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => s,
            other => other.to_string(),
        })
}

/// Python's `match.expand(template)` on bytes: `\1`, `\g<1>`, `\g<name>`, octal and the
/// `\n`-style escapes; a group that took no part in the match gives nothing.
pub(crate) fn expand(template: &[u8], caps: &Captures<'_>, re: &Regex) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(template.len());
    let group = |n: usize, at: usize| -> Result<&[u8], String> {
        if n >= re.captures_len() {
            return Err(format!("invalid group reference {n} at position {at}"));
        }
        Ok(caps.get(n).map_or(&[][..], |m| m.as_bytes()))
    };
    let octal = |b: u8| (b'0'..=b'7').contains(&b);
    let mut i = 0;
    while i < template.len() {
        let c = template[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let at = i + 1;
        let Some(&n) = template.get(i + 1) else {
            return Err(format!("bad escape (end of pattern) at position {i}"));
        };
        i += 2;
        match n {
            b'g' => {
                if template.get(i) != Some(&b'<') {
                    return Err(format!("missing < at position {i}"));
                }
                let Some(len) = template[i + 1..].iter().position(|&b| b == b'>') else {
                    return Err(format!(
                        "missing >, unterminated name at position {}",
                        i + 1
                    ));
                };
                let name = String::from_utf8_lossy(&template[i + 1..i + 1 + len]).into_owned();
                i += len + 2;
                let idx = match name.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) => re
                        .capture_names()
                        .position(|x| x == Some(name.as_str()))
                        .ok_or_else(|| format!("unknown group name '{name}'"))?,
                };
                out.extend_from_slice(group(idx, at)?);
            }
            b'0' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && template.get(i).copied().is_some_and(octal) {
                    v = v * 8 + u32::from(template[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(u8::try_from(v).unwrap_or(u8::MAX));
            }
            b'1'..=b'9' => {
                let d2 = template.get(i).copied().filter(u8::is_ascii_digit);
                let d3 = template.get(i + 1).copied();
                if let (true, Some(d2), Some(d3)) = (octal(n), d2, d3) {
                    if octal(d2) && octal(d3) {
                        let v = u32::from(n - b'0') * 64
                            + u32::from(d2 - b'0') * 8
                            + u32::from(d3 - b'0');
                        if v > 0o377 {
                            return Err(format!(
                                "octal escape value \\{}{}{} outside of range 0-0o377 at position {}",
                                n as char, d2 as char, d3 as char, at - 1
                            ));
                        }
                        out.push(v as u8);
                        i += 2;
                        continue;
                    }
                }
                let mut idx = usize::from(n - b'0');
                if let Some(d2) = d2 {
                    idx = idx * 10 + usize::from(d2 - b'0');
                    i += 1;
                }
                out.extend_from_slice(group(idx, at)?);
            }
            b'a' => out.push(0x07),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'\\' => out.push(b'\\'),
            n if n.is_ascii_alphabetic() => {
                return Err(format!("bad escape \\{} at position {}", n as char, at - 1))
            }
            n => {
                out.push(b'\\');
                out.push(n);
            }
        }
    }
    Ok(out)
}

/// Python's `re.subn(re, template, text)` (3.7+ rules: an empty match right after a non-empty
/// one is replaced too): the new text and the number of replacements.
pub(crate) fn subn(re: &Regex, template: &[u8], text: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut out = Vec::with_capacity(text.len());
    let (mut pos, mut copied, mut count) = (0, 0, 0);
    let mut last_empty_at = None;
    while pos <= text.len() {
        let Some(caps) = re.captures_at(text, pos) else {
            break;
        };
        let Some(m) = caps.get(0) else {
            break;
        };
        if m.start() == m.end() && last_empty_at == Some(m.start()) {
            // Not twice at the same place: the next search starts one character further.
            pos = m.start() + text[m.start()..].first().map_or(1, |&b| utf8_len(b));
            continue;
        }
        out.extend_from_slice(&text[copied..m.start()]);
        out.extend(expand(template, &caps, re)?);
        copied = m.end();
        count += 1;
        last_empty_at = (m.start() == m.end()).then_some(m.end());
        pos = m.end();
    }
    out.extend_from_slice(&text[copied.min(text.len())..]);
    Ok((out, count))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(p: &str, s: &str) -> Option<String> {
        compile(p, false)
            .unwrap()
            .find(s.as_bytes())
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    }

    // Expected values from Python: re.search(p.encode(), s.encode()).
    #[test]
    fn patterns_mean_what_python_means() {
        assert_eq!(search("^two$", "two\n").as_deref(), Some("two"));
        assert_eq!(search("^two$", "two\r\n"), None);
        assert_eq!(search("two\\Z", "two\n"), None);
        assert_eq!(search("a{", "xa{").as_deref(), Some("a{"));
        assert_eq!(search("a{,2}b", "aaab").as_deref(), Some("aab"));
        assert_eq!(search("x{2}", "xxx").as_deref(), Some("xx"));
        assert_eq!(search("\\/etc\\/x", "/etc/x").as_deref(), Some("/etc/x"));
        assert_eq!(search("\\ = ", "a = b").as_deref(), Some(" = "));
        assert_eq!(search("[[]", "a[").as_deref(), Some("["));
        assert_eq!(search("[]a]+", "x]a]").as_deref(), Some("]a]"));
        assert_eq!(search("[a&&b]", "&").as_deref(), Some("&"));
        assert_eq!(search("\\w+", "é ab").as_deref(), Some("ab"));
        assert_eq!(search("(?i)HELLO", "hello").as_deref(), Some("hello"));
        assert_eq!(
            search("^#?\\s*Port\\s", "#Port 22\n").as_deref(),
            Some("#Port ")
        );
        assert!(compile("(?<=a)b", false).is_err());
        assert!(compile("(", false).is_err());
    }

    fn expanded(p: &str, s: &str, t: &str) -> Result<String, String> {
        let re = compile(p, false).unwrap();
        let caps = re.captures(s.as_bytes()).unwrap();
        expand(t.as_bytes(), &caps, &re).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    // Expected values from Python: re.search(p, s).expand(t) on bytes.
    #[test]
    fn expand_like_python() {
        assert_eq!(
            expanded("^(\\w+)=(.*)$", "key=val\n", "\\1 = \\2").unwrap(),
            "key = val"
        );
        assert_eq!(
            expanded("(?P<k>\\w+)=(x)?", "key=", "\\g<k>\\g<2>\\t\\\\.\\-").unwrap(),
            "key\t\\.\\-"
        );
        assert_eq!(expanded("(a)", "a", "\\1011").unwrap(), "A1");
        assert_eq!(
            expanded("(a)", "a", "\\10").unwrap_err(),
            "invalid group reference 10 at position 1"
        );
        assert_eq!(
            expanded("(a)", "a", "\\q").unwrap_err(),
            "bad escape \\q at position 0"
        );
        assert_eq!(expanded("(a)", "a", "x\\0y").unwrap(), "x\0y");
    }

    // Expected values from Python: re.subn(p, t, s, flags=re.MULTILINE).
    #[test]
    fn subn_like_python() {
        let sub = |p: &str, t: &str, s: &str| {
            let re = compile_with(p, true, true, false).unwrap();
            let (o, n) = subn(&re, t.as_bytes(), s.as_bytes()).unwrap();
            (String::from_utf8(o).unwrap(), n)
        };
        assert_eq!(sub("x*", "-", "abxd"), ("-a-b--d-".to_owned(), 5));
        assert_eq!(sub("^", "# ", "a\nb\n"), ("# a\n# b\n# ".to_owned(), 3));
        assert_eq!(
            sub("^(\\w+)=(.*)$", "\\2=\\1", "a=1\nbé=2\n"),
            ("1=a\n2=bé\n".to_owned(), 2)
        );
        assert_eq!(sub("é", "e", "café"), ("cafe".to_owned(), 1));
    }
}

//! Python `re` patterns and replacement strings, translated to the `regex` crate's syntax.

use regex::Regex;

/// Compiles a Python pattern. Python's `\Z` is `\z` here; the rest of the common syntax
/// (`(?P<name>…)`, classes, anchors) is shared.
pub(crate) fn compile(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, String> {
    let mut p = String::with_capacity(pattern.len() + 8);
    if ignorecase || multiline {
        p.push_str("(?");
        if ignorecase {
            p.push('i');
        }
        if multiline {
            p.push('m');
        }
        p.push(')');
    }
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => p.push_str("\\z"),
                Some(n) => {
                    p.push('\\');
                    p.push(n);
                }
                None => return Err("bad escape (end of pattern)".into()),
            }
        } else {
            p.push(c);
        }
    }
    Regex::new(&p).map_err(|e| e.to_string())
}

/// Converts a Python replacement (`\1`, `\g<name>`, `\n`) into the `regex` crate's form.
pub(crate) fn replacement(rep: &str) -> Result<String, String> {
    let mut o = String::with_capacity(rep.len());
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => o.push_str("$$"),
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => {
                    let mut num = String::from(d);
                    if let Some(&e) = chars.peek() {
                        if e.is_ascii_digit() {
                            num.push(e);
                            chars.next();
                        }
                    }
                    o.push_str(&format!("${{{num}}}"));
                }
                Some('g') => {
                    if chars.next() != Some('<') {
                        return Err("missing <".into());
                    }
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('>') => break,
                            Some(x) => name.push(x),
                            None => return Err("missing >, unterminated name".into()),
                        }
                    }
                    o.push_str(&format!("${{{name}}}"));
                }
                Some('n') => o.push('\n'),
                Some('t') => o.push('\t'),
                Some('r') => o.push('\r'),
                Some('\\') => o.push('\\'),
                Some(x) if x.is_ascii_alphabetic() => return Err(format!("bad escape \\{x}")),
                Some(x) => {
                    o.push('\\');
                    o.push(x);
                }
                None => o.push('\\'),
            },
            c => o.push(c),
        }
    }
    Ok(o)
}

/// The message Python's `re` gives for a pattern the `regex` crate refused with `err`, where
/// the two agree on the cause; the crate's own text otherwise.
pub(crate) fn python_error(pattern: &str, err: &str) -> String {
    if err.contains("repetition operator missing expression") {
        // A quantifier with nothing before it: at the start, after `(` or `|`.
        let mut prev: Option<char> = None;
        for (i, c) in pattern.char_indices() {
            if matches!(c, '*' | '+' | '?' | '{') && matches!(prev, None | Some('(' | '|')) {
                return format!("nothing to repeat at position {i}");
            }
            prev = Some(c);
        }
    }
    err.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Python: re.compile('*') -> "nothing to repeat at position 0" (the varnames lookup shows it).
    #[test]
    fn quantifier_without_operand_is_worded_as_python() {
        for (pattern, at) in [("*", 0), ("a|+", 2), ("(?", 2)] {
            let err = compile(pattern, false, false).err().unwrap_or_default();
            if at == 2 && pattern == "(?" {
                // Not a repetition error: the crate's own text is kept.
                assert_eq!(python_error(pattern, &err), err);
                continue;
            }
            assert_eq!(
                python_error(pattern, &err),
                format!("nothing to repeat at position {at}")
            );
        }
    }
}

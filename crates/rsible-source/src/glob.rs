//! Shell globs as Python's `fnmatch` reads them, shared by host patterns, the `fileglob`
//! lookup and the modules that take globs (`unarchive` excludes, `apt` versions, `setup`).

/// `fnmatch.translate`: the regular expression (for the `regex` crate) that matches what
/// `glob` matches, anchored at both ends; case-sensitive, and `*` also matches `/`.
pub fn translate(glob: &str) -> String {
    let mut re = String::from("(?s)^");
    let chars: Vec<char> = glob.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut j = i;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    re.push_str("\\[");
                } else {
                    let body: String = chars[i..j].iter().collect();
                    i = j + 1;
                    let (neg, body) = match body.strip_prefix('!') {
                        Some(b) => (true, b.to_owned()),
                        None => (false, body),
                    };
                    // `&&`, `~~` and `--` are set operations in the regex crate's classes,
                    // and `[` opens a nested class there.
                    let body = body
                        .replace('\\', "\\\\")
                        .replace('[', "\\[")
                        .replace('&', "\\&")
                        .replace('~', "\\~");
                    re.push('[');
                    if neg {
                        re.push('^');
                    } else if body.starts_with('^') {
                        re.push('\\');
                    }
                    re.push_str(&body);
                    re.push(']');
                }
            }
            c => {
                if is_regex_meta(c) {
                    re.push('\\');
                }
                re.push(c);
            }
        }
    }
    re.push('$');
    re
}

/// The characters `regex::escape` escapes.
fn is_regex_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from Python's fnmatch.fnmatchcase.
    #[test]
    fn matches_like_fnmatchcase() {
        let cases = [
            ("a.b", "a.b*", true),
            ("axb", "a.b*", false),
            ("xd", "x?[!a-c]", false),
            ("xxd", "x?[!a-c]", true),
            ("xxb", "x?[!a-c]", false),
            ("a[", "a[", true),
            ("&", "[&~]", true),
            ("~", "[&~]", true),
            ("a", "[&~]", false),
            ("^", "[^]", true),
            ("a/b", "*", true),
            ("a\nb", "a?b", true),
        ];
        for (name, glob, want) in cases {
            let re = regex::Regex::new(&translate(glob)).map(|r| r.is_match(name));
            assert_eq!(re.ok(), Some(want), "{name} vs {glob}");
        }
    }
}

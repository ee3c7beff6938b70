//! `difflib.unified_diff` and `str.splitlines(keepends=True)`, the two Python pieces Ansible's
//! diff display is made of.

use super::sequence_matcher::{SequenceMatcher, Tag};

/// `difflib.unified_diff(a, b, fromfile, tofile, n=n)` with empty file dates: each line of `a`
/// and `b` keeps its own line ending, headers end with `\n`.
pub fn unified_diff(
    a: &[String],
    b: &[String],
    fromfile: &str,
    tofile: &str,
    n: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    let matcher = SequenceMatcher::new(a, b);
    for group in matcher.grouped_opcodes(n) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        if out.is_empty() {
            out.push(format!("--- {fromfile}\n"));
            out.push(format!("+++ {tofile}\n"));
        }
        out.push(format!(
            "@@ -{} +{} @@\n",
            format_range(first.i1, last.i2),
            format_range(first.j1, last.j2)
        ));
        for op in &group {
            let removed = &a[op.i1..op.i2];
            let added = &b[op.j1..op.j2];
            match op.tag {
                Tag::Equal => out.extend(removed.iter().map(|l| format!(" {l}"))),
                Tag::Delete => out.extend(removed.iter().map(|l| format!("-{l}"))),
                Tag::Insert => out.extend(added.iter().map(|l| format!("+{l}"))),
                Tag::Replace => {
                    out.extend(removed.iter().map(|l| format!("-{l}")));
                    out.extend(added.iter().map(|l| format!("+{l}")));
                }
            }
        }
    }
    out
}

/// `_format_range_unified`: `start,length` counted from 1, a lone line as just its number, an
/// empty range as the line before it.
fn format_range(start: usize, stop: usize) -> String {
    let length = stop - start;
    match length {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{length}", start + 1),
    }
}

/// `str.splitlines(True)`: every line boundary Python knows, `\r\n` as one.
pub fn split_lines_keepends(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\r' => match chars.peek() {
                Some(&(j, '\n')) => {
                    chars.next();
                    j + 1
                }
                _ => i + 1,
            },
            '\n' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        lines.push(text[start..end].to_owned());
        start = end;
    }
    if start < text.len() {
        lines.push(text[start..].to_owned());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str, n: usize) -> String {
        unified_diff(
            &split_lines_keepends(a),
            &split_lines_keepends(b),
            "x",
            "y",
            n,
        )
        .concat()
    }

    // Expected from python3: ''.join(difflib.unified_diff(a.splitlines(True),
    // b.splitlines(True), 'x', 'y', n=n)).
    #[test]
    fn hunks_like_difflib() {
        let a: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let b = a
            .replace("2\n", "two\n")
            .replace("15\n", "")
            .replace("20\n", "20\n21\n");
        assert_eq!(
            diff(&a, &b, 3),
            "--- x\n+++ y\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -9,12 +9,12 @@\n 9\n 10\n 11\n-12\n+1two\n 13\n 14\n-15\n 16\n 17\n 18\n 19\n 20\n+21\n"
        );
        assert_eq!(diff("", "a\n", 3), "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n");
        assert_eq!(
            diff("a\nb\n", "", 3),
            "--- x\n+++ y\n@@ -1,2 +0,0 @@\n-a\n-b\n"
        );
        assert_eq!(diff("a\n", "a\n", 3), "");
        assert_eq!(
            diff("a\nb\nc\n", "a\nB\nc\n", 0),
            "--- x\n+++ y\n@@ -2 +2 @@\n-b\n+B\n"
        );
    }

    // Expected from python3: 'a\r\nb\rc\x0bd\x85e\u2028f\n\ng'.splitlines(True).
    #[test]
    fn splitlines_like_python() {
        assert_eq!(
            split_lines_keepends("a\r\nb\rc\u{b}d\u{85}e\u{2028}f\n\ng"),
            [
                "a\r\n",
                "b\r",
                "c\u{b}",
                "d\u{85}",
                "e\u{2028}",
                "f\n",
                "\n",
                "g"
            ]
        );
        assert!(split_lines_keepends("").is_empty());
    }
}

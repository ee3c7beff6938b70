//! Readable differences between Ansible's output and ours.

use similar::TextDiff;

/// A unified diff with `context` lines around each change, or `None` when both texts are equal.
pub fn diff(expected: &str, actual: &str, what: &str, context: usize) -> Option<String> {
    if expected == actual {
        return None;
    }
    Some(
        TextDiff::from_lines(expected, actual)
            .unified_diff()
            .context_radius(context)
            .header(
                &format!("{what} (ansible-playbook)"),
                &format!("{what} (rsible-playbook)"),
            )
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff_and_headers_name_both_programs() {
        assert_eq!(diff("a\n", "a\n", "stdout", 3), None);
        let d = diff("a\nb\n", "a\nc\n", "stdout", 3).unwrap_or_default();
        assert!(
            d.starts_with("--- stdout (ansible-playbook)\n+++ stdout (rsible-playbook)\n"),
            "{d}"
        );
        assert!(d.contains("-b\n+c\n"), "{d}");
    }
}

//! A `!vault` value the loader could not decrypt. Ansible keeps it and fails only where it is
//! used ("Attempt to use undecryptable variable: …", pointing at the `!vault` tag), so the
//! loader stores this mark as the string's value: a prefix no YAML text holds, the tag's
//! position and the vault's reason. The variable scope turns it into
//! [`crate::TemplateError::Caused`] when a template reads it.

use rsible_source::{Position, SourceId, Span};

const MARK: &str = "\u{1}rsible-vault-undecryptable\u{1}";

/// The string a loader stores for an undecryptable value written at `origin`.
pub fn mark(reason: &str, origin: Span) -> String {
    format!(
        "{MARK}{}:{}:{}:{}:{}\u{1}{reason}",
        origin.source.0, origin.start.line, origin.start.column, origin.end.line, origin.end.column
    )
}

pub fn is_marked(s: &str) -> bool {
    s.starts_with(MARK)
}

/// The reason and the origin of a marked string.
pub fn parse(s: &str) -> (&str, Option<Span>) {
    let rest = s.strip_prefix(MARK).unwrap_or(s);
    let Some((pos, reason)) = rest.split_once('\u{1}') else {
        return (rest, None);
    };
    let n: Vec<u32> = pos.split(':').filter_map(|p| p.parse().ok()).collect();
    let origin = match n[..] {
        [src, l1, c1, l2, c2] => Some(Span::new(
            SourceId(src),
            Position::new(l1, c1),
            Position::new(l2, c2),
        )),
        _ => None,
    };
    (reason, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let span = Span::new(SourceId(3), Position::new(6, 15), Position::new(12, 1));
        let m = mark(
            "Decryption failed (no vault secrets were found that could decrypt).",
            span,
        );
        assert!(is_marked(&m));
        assert_eq!(
            parse(&m),
            (
                "Decryption failed (no vault secrets were found that could decrypt).",
                Some(span)
            )
        );
        assert!(!is_marked("plain"));
    }
}

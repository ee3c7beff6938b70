//! The `[ERROR]:` block ansible-core 2.19 prints for a failed task: the brief message, then each
//! link of the error chain with its origin and a source excerpt (`_internal/_event_formatting.py`,
//! `_internal/_errors/_error_utils.py: SourceContext`).

use std::path::{Component, Path, PathBuf};

use rsible_runner::ErrorLink;
use rsible_source::{SourceMap, Span};

/// Lines of context shown above the target line.
const CONTEXT_LINES: u32 = 2;
const MAX_ANNOTATED_LINE_WIDTH: usize = 120;
const TRUNCATION_MARKER: &str = "...";

/// The message after `[ERROR]: `, ending with `\n` (one line) or `\n\n` (several), as
/// `format_event` returns it.
pub fn format_error_chain(links: &[ErrorLink]) -> String {
    let segments = collapse(links);
    let mut text = String::new();
    if segments.len() > 1 {
        let all: Vec<&str> = links.iter().map(|l| l.message.as_str()).collect();
        text.push_str(&deduplicate_message_parts(&all));
        text.push_str("\n\n");
    }
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            text.push_str("\n<<< caused by >>>\n\n");
        }
        text.push_str(&deduplicate_message_parts(&seg.messages));
        if let Some(span) = seg.origin {
            text.push('\n');
            text.push_str(&source_context(span));
        }
        text.push('\n');
    }
    for help in links.iter().filter_map(|l| l.help.as_deref()) {
        text.push('\n');
        text.push_str(help);
        text.push('\n');
    }
    let trimmed = text.trim();
    if trimmed.contains('\n') {
        format!("{trimmed}\n\n")
    } else {
        format!("{trimmed}\n")
    }
}

struct Segment<'a> {
    messages: Vec<&'a str>,
    origin: Option<Span>,
}

/// A link without an origin, or with the same origin as the one before, adds its message to
/// that segment instead of opening a `<<< caused by >>>` section.
fn collapse(links: &[ErrorLink]) -> Vec<Segment<'_>> {
    let mut segments: Vec<Segment<'_>> = Vec::new();
    for link in links {
        match segments.last_mut() {
            Some(last)
                if !link.keep_apart
                    && (link.origin.is_none() || same_place(link.origin, last.origin)) =>
            {
                last.messages.push(&link.message);
            }
            _ => segments.push(Segment {
                messages: vec![&link.message],
                origin: link.origin,
            }),
        }
    }
    segments
}

fn same_place(a: Option<Span>, b: Option<Span>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.source == b.source && a.start == b.start,
        _ => false,
    }
}

/// `deduplicate_message_parts`: join outer to inner with `: `, dropping an outer part that
/// already ends with the inner text.
pub fn deduplicate_message_parts(parts: &[&str]) -> String {
    let mut rev = parts.iter().rev();
    let Some(first) = rev.next() else {
        return String::new();
    };
    let mut message = (*first).to_owned();
    for part in rev {
        if part.ends_with(message.as_str()) {
            message = (*part).to_owned();
        } else {
            message = format!("{}: {message}", part.trim_end_matches(['.', ' ']));
        }
    }
    message
}

/// `Origin: path:line:col`, a blank line, and the annotated source lines.
pub fn source_context(span: Span) -> String {
    let path = display_path(&SourceMap::path(span.source));
    let line_no = span.start.line;
    let col = span.start.column;
    let mut origin = path.display().to_string();
    if line_no > 0 {
        origin.push_str(&format!(":{line_no}"));
        if col > 0 {
            origin.push_str(&format!(":{col}"));
        }
    }
    let mut out = format!("Origin: {origin}");
    // A task made up by the run (a role's argument validation) has no line: its data stands
    // in for the source.
    if line_no == 0 {
        if let Some(file) = SourceMap::get(span.source)
            .filter(|f| f.path.as_os_str() == "<unknown>" && !f.text.is_empty())
        {
            out.push_str("\n\n");
            out.push_str(&file.text);
        }
        return out;
    }
    // Decrypted vault text is named, never quoted.
    if SourceMap::is_secret(span.source) {
        return out;
    }
    let annotated = annotated_lines(span);
    if !annotated.is_empty() {
        out.push_str("\n\n");
        out.push_str(&annotated.join("\n"));
    }
    out
}

fn annotated_lines(span: Span) -> Vec<String> {
    let target = span.start.line;
    if target < 1 {
        return Vec::new();
    }
    let first = target.saturating_sub(CONTEXT_LINES).max(1);
    let mut lines = Vec::new();
    for n in first..=target {
        match SourceMap::line(span.source, n) {
            Some(l) => lines.push((n, l)),
            None if SourceMap::get(span.source).is_none() => {
                return vec!["(source not shown: FileNotFoundError)".to_owned()];
            }
            None => return vec!["(source not shown: file truncated)".to_owned()],
        }
    }
    let label_width = target.to_string().len();
    let max_src_line_len = MAX_ANNOTATED_LINE_WIDTH - label_width - 1;
    let mut usable_line_len = max_src_line_len;
    let mut out = Vec::new();
    for (n, line) in &lines {
        let mut line = line.replace('\t', " ");
        if line.chars().count() > max_src_line_len {
            line = line
                .chars()
                .take(max_src_line_len - TRUNCATION_MARKER.len())
                .collect::<String>()
                + TRUNCATION_MARKER;
            usable_line_len = max_src_line_len - TRUNCATION_MARKER.len();
        }
        let sep = if line.is_empty() { "" } else { " " };
        out.push(format!("{n:>label_width$}{sep}{line}"));
    }
    let col = span.start.column as usize;
    let pad = " ".repeat(label_width);
    if col >= 1 && usable_line_len >= col {
        let marker = format!("column {col}");
        let idx = col - 1;
        let marker = if idx + 2 + marker.len() > max_src_line_len {
            format!(
                "{}{marker} ^",
                " ".repeat(idx.saturating_sub(marker.len() + 1))
            )
        } else {
            format!("{}^ {marker}", " ".repeat(idx))
        };
        out.push(format!("{pad} {marker}"));
    } else if col == 0 {
        let width = out
            .last()
            .map_or(0, |l| l.chars().count().saturating_sub(label_width + 1));
        out.push(format!("{pad} {}", "^".repeat(width)));
    }
    out
}

/// Ansible shows absolute paths; relative ones are made absolute against the working directory
/// without resolving symlinks.
pub fn display_path(path: &Path) -> PathBuf {
    if path.is_absolute() || path.as_os_str().is_empty() || path == Path::new("<unknown>") {
        return path.to_owned();
    }
    let Ok(cwd) = std::env::current_dir() else {
        return path.to_owned();
    };
    let mut out = PathBuf::new();
    for comp in cwd.join(path).components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_joins_like_ansible() {
        assert_eq!(
            deduplicate_message_parts(&["Task failed", "Module failed.", "non-zero return code"]),
            "Task failed: Module failed: non-zero return code"
        );
        assert_eq!(
            deduplicate_message_parts(&["Task failed", "Action failed.", ""]),
            "Task failed: Action failed."
        );
        assert_eq!(
            deduplicate_message_parts(&["Task failed: boom", "boom"]),
            "Task failed: boom"
        );
    }
}

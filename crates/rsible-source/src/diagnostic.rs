use std::fmt::Write as _;

use crate::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A message for the user: what went wrong, where, and what to try.
///
/// Library errors convert into this at the edge; the CLI renders it once.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Extra lines shown after the snippet, such as `the task: Install kernel`.
    pub notes: Vec<String>,
    /// `hint:` lines, after a blank line.
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            notes: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(message)
        }
    }

    #[must_use]
    pub fn with_span(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Renders the diagnostic as
    ///
    /// ```text
    /// error: `aptt` is not a known module or keyword
    ///   --> roles/base/tasks/main.yml:14:7
    ///    |
    /// 14 |     - aptt:
    ///    |       ^^^^
    ///    |
    /// hint: did you mean `apt`?
    /// ```
    pub fn render(&self, color: bool) -> String {
        let (red, blue, bold, reset) = if color {
            ("\x1b[1;31m", "\x1b[1;34m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let _ = writeln!(out, "{red}{label}{reset}{bold}: {}{reset}", self.message);
        if let Some(span) = self.span {
            let line_no = span.start.line.to_string();
            let pad = " ".repeat(line_no.len());
            let _ = writeln!(out, "{pad}{blue}-->{reset} {span}");
            if let Some(line) = SourceMap::shown_line(span.source, span.start.line) {
                let _ = writeln!(out, "{pad} {blue}|{reset}");
                let _ = writeln!(out, "{blue}{line_no} |{reset} {line}");
                let col = span.start.column.max(1) as usize;
                let width = caret_width(&line, span, col);
                let lead: String = line
                    .chars()
                    .take(col - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(
                    out,
                    "{pad} {blue}|{reset} {lead}{red}{}{reset}",
                    "^".repeat(width)
                );
                let _ = writeln!(out, "{pad} {blue}|{reset}");
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "{note}");
        }
        if !self.hints.is_empty() {
            if self.span.is_none() || !self.notes.is_empty() {
                out.push('\n');
            }
            for hint in &self.hints {
                let _ = writeln!(out, "{bold}hint{reset}: {hint}");
            }
        }
        out
    }
}

/// Underline the span when it stays on one line, otherwise the rest of the word at the start.
fn caret_width(line: &str, span: Span, col: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(col - 1).collect();
    if span.end.line == span.start.line && span.end.column > span.start.column {
        return ((span.end.column - span.start.column) as usize).clamp(1, rest.len().max(1));
    }
    let word = rest
        .iter()
        .take_while(|c| !c.is_whitespace() && **c != ':')
        .count();
    word.max(1)
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Position, SourceMap};

    #[test]
    fn renders_snippet_caret_and_hint() {
        let id = SourceMap::add(
            "roles/base/tasks/main.yml",
            "---\n- name: x\n  aptt:\n    name: vim\n",
        );
        let span = Span::new(id, Position::new(3, 3), Position::new(3, 7));
        let d = Diagnostic::error("`aptt` is not a known module or keyword")
            .with_span(Some(span))
            .with_hint("did you mean `apt`?");
        let expected = "error: `aptt` is not a known module or keyword\n --> roles/base/tasks/main.yml:3:3\n  |\n3 |   aptt:\n  |   ^^^^\n  |\nhint: did you mean `apt`?\n";
        assert_eq!(d.render(false), expected);
    }
}

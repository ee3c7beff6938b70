//! Ansible's `Display`: where a message goes, its colour, banners and de-duplication.

use std::collections::HashSet;
use std::io::Write;

use super::color::{stringc, Color};

/// Where output goes; both are flushed after every message so a pipe (Vagrant) sees each line
/// as it happens.
pub struct Sinks {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
}

impl Sinks {
    /// The process's stdout and stderr.
    pub fn std() -> Self {
        Self {
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        }
    }
}

/// Text output with Ansible's rules; holds the messages already shown so repeats are dropped.
pub struct Display {
    sinks: Sinks,
    pub color: bool,
    /// `Display.columns`: `max(79, terminal width - 1)`, 79 when stdout is not a terminal.
    pub columns: usize,
    errors: HashSet<String>,
    warnings: HashSet<String>,
}

impl Display {
    pub fn new(sinks: Sinks, color: bool, columns: usize) -> Self {
        Self {
            sinks,
            color,
            columns,
            errors: HashSet::new(),
            warnings: HashSet::new(),
        }
    }

    /// `Display.display`: one trailing newline is kept out of the colouring, then always added.
    pub fn display(&mut self, msg: &str, color: Option<Color>, stderr: bool) {
        let msg = msg.replace("\r\n", "\n");
        let body = msg.strip_suffix('\n').unwrap_or(&msg);
        let mut text = match color {
            Some(c) => stringc(body, c, self.color),
            None => body.to_owned(),
        };
        text.push('\n');
        let sink = if stderr {
            &mut self.sinks.stderr
        } else {
            &mut self.sinks.stdout
        };
        // A closed pipe (`| head`) must not abort the run; Ansible ignores EPIPE as well.
        let _ = sink.write_all(text.as_bytes());
        let _ = sink.flush();
    }

    /// `Display.banner`: a blank line, the message and stars up to the width.
    pub fn banner(&mut self, msg: &str) {
        let msg = msg.trim();
        let width = msg.chars().count();
        let star_len = self.columns.saturating_sub(width).max(3);
        let line = format!("\n{msg} {}", "*".repeat(star_len));
        self.display(&line, None, false);
    }

    /// `[WARNING]: …` on stderr, each distinct text once.
    pub fn warning(&mut self, msg: &str) {
        let text = format!("[WARNING]: {}", format_plain(msg));
        if self.warnings.insert(text.clone()) {
            self.display(&text, Some(Color::Warn), true);
        }
    }

    /// `[DEPRECATION WARNING]: …` on stderr, each distinct text once.
    pub fn deprecation(&mut self, msg: &str) {
        let text = format!("[DEPRECATION WARNING]: {}", format_plain(msg));
        if self.warnings.insert(text.clone()) {
            self.display(&text, Some(Color::Deprecate), true);
        }
    }

    /// `[ERROR]: …` (already formatted, see `error_block`), each distinct text once.
    pub fn error(&mut self, formatted: &str, stderr: bool) {
        let text = format!("[ERROR]: {formatted}");
        if self.errors.insert(text.clone()) {
            self.display(&text, Some(Color::Error), stderr);
        }
    }
}

/// `format_event` for a message without origin: stripped, then `\n`, or `\n\n` when it spans
/// several lines.
pub fn format_plain(msg: &str) -> String {
    let msg = msg.trim();
    if msg.contains('\n') {
        format!("{msg}\n\n")
    } else {
        format!("{msg}\n")
    }
}

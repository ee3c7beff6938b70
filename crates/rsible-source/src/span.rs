use std::fmt;

use crate::SourceMap;

/// Index into the process-wide [`SourceMap`]; cheap to copy into every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A 1-based line and column, as users count them (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// Where a value came from: a file plus a start and end position in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: SourceId,
    pub start: Position,
    pub end: Position,
}

impl Span {
    pub fn new(source: SourceId, start: Position, end: Position) -> Self {
        Self { source, start, end }
    }

    /// A span covering just one position.
    pub fn point(source: SourceId, at: Position) -> Self {
        Self {
            source,
            start: at,
            end: at,
        }
    }

    /// The same span moved to start `lines`/`columns` further on; used to point inside a
    /// scalar (a Jinja error at line 2 of a block scalar).
    #[must_use]
    pub fn offset_start(self, line_delta: u32, column: Option<u32>) -> Self {
        let mut start = self.start;
        if line_delta > 0 {
            start.line += line_delta;
            start.column = column.unwrap_or(1);
        } else if let Some(c) = column {
            start.column += c.saturating_sub(1);
        }
        Self {
            source: self.source,
            start,
            end: start,
        }
    }
}

/// `path:line:column`, the form users paste into editors.
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = SourceMap::path(self.source);
        write!(
            f,
            "{}:{}:{}",
            path.display(),
            self.start.line,
            self.start.column
        )
    }
}

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use crate::SourceId;

/// One file that was read, kept so errors can quote its lines.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// The process-wide registry of every source text rsible has read.
///
/// A global keeps [`crate::Span`] `Copy` and lets errors from any crate be rendered without
/// threading a map through every call.
pub struct SourceMap;

fn files() -> &'static RwLock<Vec<Arc<SourceFile>>> {
    static FILES: OnceLock<RwLock<Vec<Arc<SourceFile>>>> = OnceLock::new();
    FILES.get_or_init(|| RwLock::new(Vec::new()))
}

impl SourceMap {
    /// Registers a text read from `path` and returns its id.
    pub fn add(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceId {
        let mut guard = files()
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.push(Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
        }));
        #[expect(
            clippy::cast_possible_truncation,
            reason = "fewer than 4 billion files"
        )]
        SourceId((guard.len() - 1) as u32)
    }

    /// The file behind an id.
    pub fn get(id: SourceId) -> Option<Arc<SourceFile>> {
        let guard = files()
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.get(id.0 as usize).cloned()
    }

    /// The path behind an id (`<unknown>` for an id from nowhere).
    pub fn path(id: SourceId) -> PathBuf {
        Self::get(id).map_or_else(|| PathBuf::from("<unknown>"), |f| f.path.clone())
    }

    /// One line of a file, 1-based.
    pub fn line(id: SourceId, line: u32) -> Option<String> {
        let file = Self::get(id)?;
        file.text
            .lines()
            .nth((line as usize).checked_sub(1)?)
            .map(str::to_owned)
    }
}

impl SourceFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

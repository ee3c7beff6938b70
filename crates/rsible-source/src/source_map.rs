use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use crate::SourceId;

/// One file that was read, kept so errors can quote its lines.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Decrypted vault text: errors name the file but never quote it.
    pub secret: bool,
}

/// The process-wide registry of every source text rsible has read.
///
/// A global keeps [`crate::Span`] `Copy` and lets errors from any crate be rendered without
/// threading a map through every call.
pub struct SourceMap;

/// Paths whose text was decrypted (see [`SourceMap::mark_secret`]).
fn secret_paths() -> &'static RwLock<Vec<PathBuf>> {
    static PATHS: OnceLock<RwLock<Vec<PathBuf>>> = OnceLock::new();
    PATHS.get_or_init(|| RwLock::new(Vec::new()))
}

fn files() -> &'static RwLock<Vec<Arc<SourceFile>>> {
    static FILES: OnceLock<RwLock<Vec<Arc<SourceFile>>>> = OnceLock::new();
    FILES.get_or_init(|| RwLock::new(Vec::new()))
}

impl SourceMap {
    /// Registers a text read from `path` and returns its id.
    pub fn add(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceId {
        let path = path.into();
        let secret = secret_paths()
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&path);
        let mut guard = files()
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.push(Arc::new(SourceFile {
            path,
            text: text.into(),
            secret,
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

    /// Marks the text that will be registered under `path` as decrypted vault data, which
    /// errors must not quote (Ansible never shows it).
    pub fn mark_secret(path: impl Into<PathBuf>) {
        let path = path.into();
        let mut guard = secret_paths()
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !guard.contains(&path) {
            guard.push(path);
        }
    }

    /// One line of a file as an error may quote it: `None` for decrypted vault text.
    pub fn shown_line(id: SourceId, line: u32) -> Option<String> {
        if Self::get(id)?.secret {
            return None;
        }
        Self::line(id, line)
    }

    /// Whether the file behind `id` is decrypted vault text.
    pub fn is_secret(id: SourceId) -> bool {
        Self::get(id).is_some_and(|f| f.secret)
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

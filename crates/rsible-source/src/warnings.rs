use std::sync::{Mutex, PoisonError};

use crate::Diagnostic;

/// Warnings found while reading files (a duplicate key, say), kept until the CLI shows them:
/// the readers are deep in library code that has no output of its own.
static WARNINGS: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());

/// Records a warning for the user.
pub fn push_warning(d: Diagnostic) {
    WARNINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(d);
}

/// Every warning recorded so far, oldest first; the list is left empty.
pub fn take_warnings() -> Vec<Diagnostic> {
    std::mem::take(&mut *WARNINGS.lock().unwrap_or_else(PoisonError::into_inner))
}

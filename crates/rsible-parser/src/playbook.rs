use std::path::Path;

use crate::{ParseError, Playbook};

/// What the parser needs to know from the outside.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Canonical short names of every module rsible has (`command`, `copy`, …). A task key that
    /// is neither a keyword nor one of these (after FQCN resolution) is an error.
    pub modules: Vec<String>,
}

/// Loads a playbook file and every role it names.
pub fn load_playbook(path: &Path, opts: &ParseOptions) -> Result<Playbook, ParseError> {
    let _ = (path, opts);
    Err(ParseError::Read {
        path: path.to_owned(),
        source: std::io::Error::other("not written yet"),
    })
}

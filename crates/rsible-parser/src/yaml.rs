//! The loader over saphyr-parser's event stream (to be written).
use std::path::Path;

use crate::{Node, ParseError};

/// Loads every document of a YAML file; the file is registered in the `SourceMap`.
pub fn load_yaml_file(path: &Path) -> Result<Vec<Node>, ParseError> {
    let text = fs_err::read_to_string(path).map_err(|e| ParseError::Read {
        path: path.to_owned(),
        source: e,
    })?;
    load_yaml_str(path, &text)
}

/// Loads every document of a YAML text registered under `path`.
pub fn load_yaml_str(path: &Path, text: &str) -> Result<Vec<Node>, ParseError> {
    let _ = (path, text);
    Err(ParseError::Read {
        path: path.to_owned(),
        source: std::io::Error::other("not written yet"),
    })
}

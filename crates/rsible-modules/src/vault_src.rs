//! A controller file an action sends (`copy`'s and `template`'s `src`), decrypted when it is
//! vault data, as ansible-core's `DataLoader.get_real_file`/`get_text_file_contents` do.

use std::path::Path;

use rsible_source::{Position, SourceMap, Span};

use crate::ModuleError;

/// How the action asks for the file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// `copy` (`get_real_file`): with `decrypt: false` the vault text is sent as it is; with no
    /// secret at all the action names the file.
    Copy { decrypt: bool },
    /// `template` (`get_text_file_contents`): always decrypted.
    Template,
}

/// The file's bytes, plaintext when it was vault data; `Err` of the outer result when it
/// cannot be read, of the inner one when the action raises (it cannot be decrypted).
pub(crate) fn read(path: &Path, how: Read) -> std::io::Result<Result<Vec<u8>, ModuleError>> {
    let data = fs_err::read(path)?;
    // Ansible looks at the header only (`is_encrypted_file`).
    if how == (Read::Copy { decrypt: false }) || !data.starts_with(rsible_vault::HEADER.as_bytes())
    {
        return Ok(Ok(data));
    }
    let secrets = rsible_vault::current();
    if secrets.is_empty() && matches!(how, Read::Copy { .. }) {
        return Ok(Err(ModuleError::Raised(format!(
            "A vault password or secret must be specified to decrypt {}",
            path.display()
        ))));
    }
    Ok(secrets.decrypt(&data).map(|d| d.plaintext).map_err(|e| {
        // The vault's error points at the file, without a line.
        let file = SourceMap::add(path, String::new());
        ModuleError::RaisedFrom {
            message: e.to_string(),
            origin: Span::new(file, Position::new(0, 0), Position::new(0, 0)),
        }
    }))
}

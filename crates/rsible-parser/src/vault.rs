//! Vault data as the loader meets it: a whole file that is vault text is decrypted before it
//! is parsed (Ansible's `DataLoader`), and a `!vault` scalar becomes its plaintext, with the
//! secrets the CLI installed (`rsible_vault::current`).

use std::path::Path;

use rsible_source::Span;

use crate::ParseError;

/// A file's text, decrypted when it is vault data.
pub fn read_text(path: &Path) -> Result<String, ParseError> {
    let read_error = |source| ParseError::Read {
        path: path.to_owned(),
        source,
    };
    let bytes = fs_err::read(path).map_err(read_error)?;
    if rsible_vault::is_encrypted(&bytes) {
        return rsible_vault::current()
            .decrypt(&bytes)
            .map(|d| lossy(d.plaintext))
            .map_err(|source| ParseError::Vault {
                path: path.to_owned(),
                source,
            });
    }
    String::from_utf8(bytes).map_err(|e| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("stream did not contain valid UTF-8: {e}"),
        ))
    })
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The plaintext of a `!vault` scalar written at `span`; when it cannot be decrypted, the
/// mark the template engine fails on where the value is used, as Ansible does.
pub fn scalar_plaintext(ciphertext: &str, span: Span) -> String {
    match rsible_vault::current().decrypt(ciphertext.as_bytes()) {
        Ok(d) => lossy(d.plaintext),
        Err(e) => rsible_template::vault_mark::mark(&e.to_string(), span),
    }
}

//! The text form of vault data: a `$ANSIBLE_VAULT;<version>;<cipher>[;<vault id>]` header,
//! then the hexlified payload in lines of 80.

use crate::VaultError;

/// What every vault text starts with.
pub const HEADER: &str = "$ANSIBLE_VAULT";

/// The vault id a 1.1 text (no label in its header) is filed under (`DEFAULT_VAULT_IDENTITY`).
pub const DEFAULT_VAULT_ID: &str = "default";

/// Whether `data` is vault data as Ansible decides it: all ASCII and starting with the header.
pub fn is_encrypted(data: &[u8]) -> bool {
    data.is_ascii() && data.starts_with(HEADER.as_bytes())
}

/// A parsed vault text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `1.1` or `1.2`.
    pub version: String,
    /// `AES256` for anything Ansible writes.
    pub cipher: String,
    /// The label of a 1.2 header; [`DEFAULT_VAULT_ID`] for 1.1.
    pub vault_id: String,
    /// The hexlified payload with its line breaks removed.
    pub payload: Vec<u8>,
}

impl Envelope {
    /// Splits a vault text into header fields and payload (`_parse_vaulttext_envelope`).
    pub fn parse(data: &[u8]) -> Result<Self, VaultError> {
        if !is_encrypted(data) {
            return Err(VaultError::NotEncrypted);
        }
        let mut lines = split_lines(data);
        let header = lines.next().ok_or(VaultError::Envelope)?;
        let header = std::str::from_utf8(header).map_err(|_| VaultError::Envelope)?;
        let fields: Vec<&str> = header.trim().split(';').collect();
        let version = fields.get(1).ok_or(VaultError::Envelope)?.trim().to_owned();
        let cipher = fields.get(2).ok_or(VaultError::Envelope)?.trim().to_owned();
        let vault_id = fields
            .get(3)
            .map_or(DEFAULT_VAULT_ID, |id| id.trim())
            .to_owned();
        let payload = lines.flatten().copied().collect();
        Ok(Self {
            version,
            cipher,
            vault_id,
            payload,
        })
    }
}

/// Python's `bytes.splitlines()`: `\n`, `\r\n` and `\r` end a line; no empty last line.
fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let line = &rest[..end];
        let skip = match rest.get(end..end + 2) {
            Some(b"\r\n") => 2,
            _ if end < rest.len() => 1,
            _ => 0,
        };
        rest = &rest[end + skip..];
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_payload() {
        let e = Envelope::parse(b"$ANSIBLE_VAULT;1.2;AES256;dev\n6162\r\n6364\n").unwrap();
        assert_eq!(e.version, "1.2");
        assert_eq!(e.cipher, "AES256");
        assert_eq!(e.vault_id, "dev");
        assert_eq!(e.payload, b"61626364");
        let e = Envelope::parse(b"$ANSIBLE_VAULT;1.1;AES256\n00").unwrap();
        assert_eq!(e.vault_id, "default");
    }

    #[test]
    fn a_short_header_is_an_envelope_error() {
        assert_eq!(
            Envelope::parse(b"$ANSIBLE_VAULT;1.1\n00"),
            Err(VaultError::Envelope)
        );
        assert_eq!(
            Envelope::parse(b"plain: text"),
            Err(VaultError::NotEncrypted)
        );
    }

    #[test]
    fn non_ascii_data_is_not_vault_data() {
        assert!(is_encrypted(b"$ANSIBLE_VAULT;1.1;AES256\n"));
        assert!(!is_encrypted("$ANSIBLE_VAULT;1.1;AES256\né".as_bytes()));
        assert!(!is_encrypted(b" $ANSIBLE_VAULT"));
    }
}

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
        rsible_source::SourceMap::mark_secret(path);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeKind;

    /// Made by ansible-core 2.19's `ansible-vault encrypt_string 'unit-plaintext'` with the
    /// password `test-only-unit`.
    const VAULTED: &str = "!vault |
  $ANSIBLE_VAULT;1.1;AES256
  62313638303234666132326530623262303338333734663735613961376562643465356332363735
  3235323639343436653066303465613463386431313033660a623165333365623862653031653036
  63633461396337646163363166326563323634623037643865356366343230383431383333353462
  3433626133326133320a333566666530313637363062633165356634323236336162646634353634
  3632
";

    // One test: the secrets are process-wide, so the cases run in order here.
    #[test]
    fn vault_scalars_decrypt_with_the_current_secrets_or_carry_the_reason() {
        let text = format!("secret: {VAULTED}");
        rsible_vault::set_current(rsible_vault::Secrets::default());
        let docs = crate::load_yaml_str(Path::new("v.yml"), &text).unwrap();
        let node = docs[0].get("secret").unwrap();
        let NodeKind::Str(s) = &node.kind else {
            panic!()
        };
        let (reason, origin) = rsible_template::vault_mark::parse(s);
        assert_eq!(reason, "Attempting to decrypt but no vault secrets found.");
        assert_eq!(origin.map(|o| (o.start.line, o.start.column)), Some((1, 9)));

        rsible_vault::set_current(rsible_vault::Secrets::new(vec![rsible_vault::Secret::new(
            "default",
            "test-only-unit",
        )]));
        let docs = crate::load_yaml_str(Path::new("v.yml"), &text).unwrap();
        let node = docs[0].get("secret").unwrap();
        assert_eq!(node.kind, NodeKind::Str("unit-plaintext".into()));
        // Never templated, as ansible-core drops the trust of vaulted values.
        assert!(node.untrusted);
        rsible_vault::set_current(rsible_vault::Secrets::default());
    }
}

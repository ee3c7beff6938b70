//! The run's vault secrets and the order they are tried in (`VaultLib.decrypt_and_get_vault_id`).

use std::sync::{Arc, PoisonError, RwLock};

use crate::envelope::Envelope;
use crate::{aes256, VaultError};

/// One password with the vault id it was given under (`default` unless labelled).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub vault_id: String,
    password: Vec<u8>,
}

impl Secret {
    pub fn new(vault_id: impl Into<String>, password: impl Into<Vec<u8>>) -> Self {
        Self {
            vault_id: vault_id.into(),
            password: password.into(),
        }
    }
}

/// Never prints the password, so a secret in a log line or panic message leaks nothing.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({:?})", self.vault_id)
    }
}

/// The secrets of a run, in the order the command line and configuration gave them.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    secrets: Vec<Secret>,
    /// `vault_id_match`: only a secret whose id is the data's label is tried.
    pub id_match: bool,
}

/// Plaintext and the id of the secret that opened it.
#[derive(Clone, PartialEq, Eq)]
pub struct Decrypted {
    pub plaintext: Vec<u8>,
    pub vault_id: String,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Decrypted(<{} bytes>, {:?})",
            self.plaintext.len(),
            self.vault_id
        )
    }
}

impl Secrets {
    pub fn new(secrets: Vec<Secret>) -> Self {
        Self {
            secrets,
            id_match: false,
        }
    }

    pub fn push(&mut self, secret: Secret) {
        self.secrets.push(secret);
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.secrets.iter().map(|s| s.vault_id.as_str())
    }

    /// Decrypts vault text. The secrets are tried in their own order (Ansible filters them by
    /// id but keeps that order); with `id_match` only those labelled as the data are tried.
    /// A format error stops at once; a wrong password moves on to the next secret.
    pub fn decrypt(&self, data: &[u8]) -> Result<Decrypted, VaultError> {
        let envelope = Envelope::parse(data)?;
        if envelope.cipher != "AES256" {
            return Err(VaultError::UnknownCipher(envelope.cipher));
        }
        if self.secrets.is_empty() {
            return Err(VaultError::NoSecrets);
        }
        let candidates = self
            .secrets
            .iter()
            .filter(|s| !self.id_match || s.vault_id == envelope.vault_id);
        for secret in candidates {
            match aes256::decrypt(&envelope.payload, &secret.password) {
                Ok(plaintext) => {
                    return Ok(Decrypted {
                        plaintext,
                        vault_id: secret.vault_id.clone(),
                    })
                }
                Err(e) if e.is_format() => return Err(e),
                Err(_) => {}
            }
        }
        Err(VaultError::NoMatchingSecret)
    }

    /// [`Self::decrypt`] for text: the plaintext as UTF-8 (invalid bytes replaced).
    pub fn decrypt_str(&self, text: &str) -> Result<String, VaultError> {
        let d = self.decrypt(text.as_bytes())?;
        Ok(String::from_utf8(d.plaintext)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

/// The secrets the run's readers decrypt with (Ansible's `VaultSecretsContext`): the CLI
/// installs them once, before anything is loaded; until then there are none.
static CURRENT: RwLock<Option<Arc<Secrets>>> = RwLock::new(None);

/// Makes `secrets` the ones every reader of the process decrypts with.
pub fn set_current(secrets: Secrets) {
    *CURRENT.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(secrets));
}

/// The process's secrets (none when the CLI installed none).
pub fn current() -> Arc<Secrets> {
    CURRENT
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .unwrap_or_default()
}

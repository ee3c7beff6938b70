use std::path::PathBuf;

/// Why vault data could not be decrypted; the text is ansible-core's (`parsing/vault`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// No `--vault-id`, `--vault-password-file` nor `--ask-vault-pass` was given.
    #[error("Attempting to decrypt but no vault secrets found.")]
    NoSecrets,
    #[error("Input is not vault encrypted data.")]
    NotEncrypted,
    /// The header line lacks its version or cipher.
    #[error("Vault envelope format error.")]
    Envelope,
    /// The payload (or one of its parts) is not hexadecimal.
    #[error("Vault format unhexlify error.")]
    Unhexlify,
    /// The payload does not hold salt, HMAC and ciphertext.
    #[error("Vault vaulttext format error.")]
    Vaulttext,
    #[error("Cipher '{0}' could not be found.")]
    UnknownCipher(String),
    /// Every secret was tried and none gave a matching HMAC.
    #[error("Decryption failed (no vault secrets were found that could decrypt).")]
    NoMatchingSecret,
    /// One secret's HMAC did not match (the usual sign of a wrong password).
    #[error("HMAC verification failed: Signature did not match digest.")]
    Hmac,
    /// The HMAC matched but the plaintext's PKCS#7 padding is broken.
    #[error("Invalid padding bytes.")]
    Padding,
}

impl VaultError {
    /// A format error stops the search at once (Ansible re-raises it); any other failure of
    /// one secret lets the next one be tried.
    pub(crate) fn is_format(&self) -> bool {
        matches!(
            self,
            Self::Envelope | Self::Unhexlify | Self::Vaulttext | Self::Padding
        )
    }
}

/// Why a vault secret could not be loaded (`get_file_vault_secret`, the script and prompt
/// secrets of ansible-core).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("The vault password file {} was not found", .0.display())]
    NotFound(PathBuf),
    #[error("The vault password file provided '{}' can not be a directory", .0.display())]
    IsDirectory(PathBuf),
    #[error("Could not read vault password file '{}'.", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Invalid vault password was provided from file ({})", .0.display())]
    EmptyFromFile(PathBuf),
    /// A password file that is itself vault encrypted and could not be decrypted with the
    /// secrets loaded before it.
    #[error("{source}")]
    EncryptedFile {
        path: PathBuf,
        #[source]
        source: VaultError,
    },
    #[error("Problem running vault password script {} ({message}). If this is not a script, remove the executable bit from the file.", .path.display())]
    ScriptRun { path: PathBuf, message: String },
    #[error("Vault password script {} returned non-zero ({code}): None", .path.display())]
    ScriptFailed { path: PathBuf, code: i32 },
    #[error("Invalid vault password was provided from script ({})", .0.display())]
    EmptyFromScript(PathBuf),
    #[error("Vault password client script {} did not find a secret for vault-id={vault_id}: {stderr}", .path.display())]
    ClientUnknownId {
        path: PathBuf,
        vault_id: String,
        /// Python's repr of the script's stderr bytes (`b'…'`).
        stderr: String,
    },
    #[error("Vault password client script {} returned non-zero ({code}) when getting secret for vault-id={vault_id}: {stderr}", .path.display())]
    ClientFailed {
        path: PathBuf,
        code: i32,
        vault_id: String,
        stderr: String,
    },
    /// An empty answer to a password prompt.
    #[error("Invalid vault password was provided")]
    EmptyPrompt,
    #[error("EOFError (ctrl-d) on prompt for ({0})")]
    PromptEof(String),
    #[error("{0}")]
    Prompt(String),
}

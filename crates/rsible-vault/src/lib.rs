//! Ansible Vault, as ansible-core 2.19 reads it: the `$ANSIBLE_VAULT;1.1;AES256` and
//! `$ANSIBLE_VAULT;1.2;AES256;<label>` texts (whole files and `!vault` scalars), their
//! decryption with the run's secrets, and where those secrets come from.
//!
//! - [`Envelope`]: the header and hexlified payload;
//! - [`Secrets`]: the passwords in the order they are tried, [`Secrets::decrypt`];
//! - [`load_secrets`]: `--vault-id`, `--vault-password-file` (file or executable),
//!   `--ask-vault-pass`;
//! - [`set_current`]/[`current`]: the run's secrets, installed once by the CLI and read by
//!   every loader (Ansible's `VaultSecretsContext`).
//!
//! Plaintext and passwords never appear in `Debug` output.

mod aes256;
mod envelope;
mod error;
mod secrets;
mod source;

pub use envelope::{is_encrypted, Envelope, DEFAULT_VAULT_ID, HEADER};
pub use error::{SecretError, VaultError};
pub use secrets::{current, set_current, Decrypted, Secret, Secrets};
pub use source::{load_secrets, unfrack, Prompt, SecretRequest};

//! The run's vault secrets (`CLI.setup_vault_secrets` in `_play_prereqs`): read once, before
//! the inventory and playbooks, from `vault_identity_list`, `--vault-id`,
//! `--vault-password-file`, `vault_password_file` and `--ask-vault-pass`, then installed for
//! every loader.

use rsible_runner::Callback;
use rsible_vault::{SecretError, SecretRequest};

use crate::args::Args;
use crate::CliError;

/// What the command line and configuration ask for.
pub fn request(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> SecretRequest {
    let flag = |name: &str| env(name).is_some_and(|v| crate::env::truthy(&v));
    let mut vault_ids: Vec<String> = env("ANSIBLE_VAULT_IDENTITY_LIST")
        // Ansible's list type keeps empty items: an empty variable is one empty id.
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    vault_ids.extend(args.vault_id.iter().cloned());
    let mut password_files = args.vault_password_file.clone();
    password_files.extend(env("ANSIBLE_VAULT_PASSWORD_FILE").filter(|f| !f.is_empty()));
    SecretRequest {
        vault_ids,
        password_files,
        ask_vault_pass: args.ask_vault_pass || flag("ANSIBLE_ASK_VAULT_PASS"),
        id_match: flag("ANSIBLE_VAULT_ID_MATCH"),
    }
}

/// Loads the secrets and installs them; a secret that cannot be read is Ansible's warning,
/// and its error (exit 1) when no secret could be read at all.
pub fn install(req: &SecretRequest, cb: &dyn Callback) -> Result<(), CliError> {
    if req.is_empty() {
        return Ok(());
    }
    let mut prompt = |text: &str| -> Result<Option<String>, SecretError> {
        match crate::term::prompt_password(text) {
            Ok(line) => Ok(Some(line)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(SecretError::Prompt(e.to_string())),
        }
    };
    let secrets = rsible_vault::load_secrets(req, &mut prompt, &mut |w| cb.warning(w))
        .map_err(|e| CliError::Error(e.to_string()))?;
    rsible_vault::set_current(secrets);
    Ok(())
}

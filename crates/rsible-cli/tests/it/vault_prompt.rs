//! `--ask-vault-pass` and `--vault-id label@prompt` read the password from the terminal; without
//! one (a pipe here) from standard input, as Python's `getpass` falls back to. The fixture is
//! difftest case 162's (encrypted by ansible-vault 2.19 with the password below); the prompts
//! are ansible-core's (`Vault password: `, `Vault password (<label>): `).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &str) -> std::process::Output {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/difftest/cases/162-vault-password-script");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rsible-playbook"))
        .current_dir(&case)
        .args(["-i", "localhost,", "-c", "local"])
        .args(args)
        .arg("site.yml")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env_remove("ANSIBLE_VAULT_PASSWORD_FILE")
        .env_remove("ANSIBLE_VAULT_IDENTITY_LIST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ask_vault_pass_prompts_and_decrypts() {
    let out = run(&["--ask-vault-pass"], "test-only-script-password\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Vault password: "));
    assert!(stdout.contains("\"from_script\": \"opened-with-the-script-password\""));
    assert!(stdout.contains("\"msg\": \"inline-from-script\""));
}

#[test]
fn a_labelled_prompt_names_its_id() {
    let out = run(&["--vault-id", "dev@prompt"], "test-only-script-password\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Vault password (dev): "));
}

#[test]
fn a_wrong_prompted_password_fails_as_ansible() {
    let out = run(&["-J"], "not-the-password\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Decryption failed (no vault secrets were found that could decrypt)."));
}

//! Known vectors: every `*.vault`/`*.yml` fixture here was written by ansible-core 2.19's
//! `ansible-vault encrypt` with the password in `password.txt` (`dev-password.txt` for the
//! `dev` label), and decrypts to the `.plain` file beside it.

use std::path::PathBuf;

use rsible_vault::{Envelope, Secret, Secrets, VaultError};

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(p).unwrap()
}

fn password(name: &str) -> Vec<u8> {
    fixture(name).trim_ascii().to_vec()
}

fn secrets() -> Secrets {
    Secrets::new(vec![
        Secret::new("default", password("password.txt")),
        Secret::new("dev", password("dev-password.txt")),
    ])
}

#[test]
fn version_1_1_decrypts_to_the_plaintext() {
    for (vault, plain) in [
        ("v11.yml", "v11.yml.plain"),
        ("empty.vault", "empty.plain"),
        ("block.vault", "block.plain"),
    ] {
        let d = secrets().decrypt(&fixture(vault)).unwrap();
        assert_eq!(d.plaintext, fixture(plain), "{vault}");
        assert_eq!(d.vault_id, "default");
    }
}

#[test]
fn version_1_2_carries_its_label() {
    let data = fixture("v12-dev.yml");
    let e = Envelope::parse(&data).unwrap();
    assert_eq!((e.version.as_str(), e.vault_id.as_str()), ("1.2", "dev"));
    let d = secrets().decrypt(&data).unwrap();
    assert_eq!(d.plaintext, fixture("v11.yml.plain"));
    assert_eq!(d.vault_id, "dev");
}

#[test]
fn a_wrong_password_finds_no_secret() {
    let only_dev = Secrets::new(vec![Secret::new("default", password("dev-password.txt"))]);
    assert_eq!(
        only_dev.decrypt(&fixture("v11.yml")).unwrap_err(),
        VaultError::NoMatchingSecret
    );
    assert_eq!(
        Secrets::default().decrypt(&fixture("v11.yml")).unwrap_err(),
        VaultError::NoSecrets
    );
}

#[test]
fn vault_id_match_tries_only_the_labelled_secret() {
    // The default secret could open it, but with vault_id_match only `dev` is tried.
    let mut s = Secrets::new(vec![Secret::new("dev", password("password.txt"))]);
    assert!(s.decrypt(&fixture("v11.yml")).is_ok());
    s.id_match = true;
    assert_eq!(
        s.decrypt(&fixture("v11.yml")).unwrap_err(),
        VaultError::NoMatchingSecret
    );
}

/// The fixture with one hex digit of its ciphertext (or HMAC) changed, still valid hex.
fn tampered(part: usize) -> Vec<u8> {
    let data = fixture("v11.yml");
    let text = String::from_utf8(data).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_owned();
    let inner = hex::decode(lines.collect::<String>()).unwrap();
    let mut parts: Vec<Vec<u8>> = inner
        .splitn(3, |&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let c = &mut parts[part][0];
    *c = if *c == b'0' { b'1' } else { b'0' };
    format!("{header}\n{}\n", hex::encode(parts.join(&b'\n'))).into_bytes()
}

#[test]
fn a_changed_ciphertext_or_hmac_fails_verification() {
    for part in [1, 2] {
        assert_eq!(
            secrets().decrypt(&tampered(part)).unwrap_err(),
            VaultError::NoMatchingSecret
        );
    }
}

#[test]
fn bad_headers_and_payloads_are_format_errors() {
    let s = secrets();
    assert_eq!(
        s.decrypt(b"$ANSIBLE_VAULT;1.1\n00\n").unwrap_err(),
        VaultError::Envelope
    );
    assert_eq!(
        s.decrypt(b"$ANSIBLE_VAULT;1.1;AES128\n00\n").unwrap_err(),
        VaultError::UnknownCipher("AES128".into())
    );
    assert_eq!(
        s.decrypt(b"$ANSIBLE_VAULT;1.1;AES256\nzz\n").unwrap_err(),
        VaultError::Unhexlify
    );
    assert_eq!(
        s.decrypt(b"not vault").unwrap_err(),
        VaultError::NotEncrypted
    );
    assert_eq!(
        VaultError::NoMatchingSecret.to_string(),
        "Decryption failed (no vault secrets were found that could decrypt)."
    );
}

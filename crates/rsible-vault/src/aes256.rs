//! The `AES256` vault cipher: PBKDF2-HMAC-SHA256 (10000 rounds) derives a 32-byte AES key, a
//! 32-byte HMAC key and a 16-byte counter block from the password and salt; the ciphertext is
//! AES-256-CTR over PKCS#7-padded plaintext, authenticated by HMAC-SHA256.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::VaultError;

const ROUNDS: u32 = 10_000;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// The three parts of the payload (`parse_vaulttext`): ciphertext, salt and the hex HMAC.
struct Vaulttext {
    ciphertext: Vec<u8>,
    salt: Vec<u8>,
    hmac_hex: Vec<u8>,
}

fn unhexlify(data: &[u8]) -> Result<Vec<u8>, VaultError> {
    hex::decode(data).map_err(|_| VaultError::Unhexlify)
}

fn parse_vaulttext(payload: &[u8]) -> Result<Vaulttext, VaultError> {
    let inner = unhexlify(payload)?;
    let mut parts = inner.splitn(3, |&b| b == b'\n');
    let (Some(salt), Some(hmac_hex), Some(ciphertext)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(VaultError::Vaulttext);
    };
    Ok(Vaulttext {
        salt: unhexlify(salt)?,
        ciphertext: unhexlify(ciphertext)?,
        hmac_hex: hmac_hex.to_vec(),
    })
}

/// Decrypts a hexlified payload (the envelope's lines joined) with one password.
pub fn decrypt(payload: &[u8], password: &[u8]) -> Result<Vec<u8>, VaultError> {
    let v = parse_vaulttext(payload)?;
    let mut derived = [0u8; 2 * KEY_LEN + IV_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, &v.salt, ROUNDS, &mut derived);
    let (aes_key, rest) = derived.split_at(KEY_LEN);
    let (hmac_key, iv) = rest.split_at(KEY_LEN);

    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(hmac_key).map_err(|_| VaultError::Hmac)?;
    mac.update(&v.ciphertext);
    let expected = unhexlify(&v.hmac_hex)?;
    // Constant-time comparison, as cryptography's `HMAC.verify`.
    mac.verify_slice(&expected).map_err(|_| VaultError::Hmac)?;

    let mut plain = v.ciphertext;
    let mut cipher = Aes256Ctr::new(aes_key.into(), iv.into());
    cipher.apply_keystream(&mut plain);
    unpad(&mut plain)?;
    Ok(plain)
}

/// Removes PKCS#7 padding for a 128-bit block, refusing what cryptography's unpadder refuses.
fn unpad(data: &mut Vec<u8>) -> Result<(), VaultError> {
    let n = usize::from(*data.last().ok_or(VaultError::Padding)?);
    if n == 0 || n > IV_LEN || n > data.len() || !data.len().is_multiple_of(IV_LEN) {
        return Err(VaultError::Padding);
    }
    if data[data.len() - n..].iter().any(|&b| usize::from(b) != n) {
        return Err(VaultError::Padding);
    }
    data.truncate(data.len() - n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_checked() {
        let mut ok = vec![1u8; 14];
        ok.extend([2, 2]);
        unpad(&mut ok).unwrap();
        assert_eq!(ok.len(), 14);
        let mut bad = vec![1u8; 15];
        bad.push(3);
        assert_eq!(unpad(&mut bad), Err(VaultError::Padding));
        assert_eq!(unpad(&mut Vec::new()), Err(VaultError::Padding));
    }

    #[test]
    fn a_payload_without_three_parts_is_a_vaulttext_error() {
        // hex of "abcd" (no newlines)
        assert_eq!(
            decrypt(b"61626364", b"pw").unwrap_err(),
            VaultError::Vaulttext
        );
        assert_eq!(decrypt(b"6x", b"pw").unwrap_err(), VaultError::Unhexlify);
    }
}

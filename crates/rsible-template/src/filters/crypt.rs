//! `password_hash` (passlib's `sha512_crypt`, `sha256_crypt`, `md5_crypt`), `md5`, `to_uuid`.

use md5::Md5;
use minijinja::value::{Kwargs, Rest, Value};
use minijinja::Error;
use sha2::{Digest, Sha256, Sha512};

use crate::convert::{py_str, value_to_json};
use crate::filter_args::{bind, opt, opt_str};
use crate::filters::fail;

const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn b64_24(out: &mut String, b2: u8, b1: u8, b0: u8, n: usize) {
    let mut w = (u32::from(b2) << 16) | (u32::from(b1) << 8) | u32::from(b0);
    for _ in 0..n {
        out.push(char::from(ITOA64[(w & 0x3f) as usize]));
        w >>= 6;
    }
}

/// `len` bytes of `block` repeated.
fn repeat_to(block: &[u8], len: usize) -> Vec<u8> {
    block.iter().copied().cycle().take(len).collect()
}

/// Drepper's SHA-crypt core (the same steps for SHA-256 and SHA-512): the final digest.
fn sha_crypt_digest<D: Digest>(pw: &[u8], salt: &[u8], rounds: u32) -> Vec<u8> {
    let b = D::new()
        .chain_update(pw)
        .chain_update(salt)
        .chain_update(pw)
        .finalize();
    let mut a = D::new().chain_update(pw).chain_update(salt);
    a.update(repeat_to(&b, pw.len()));
    let mut n = pw.len();
    while n > 0 {
        if n & 1 == 1 {
            a.update(&b);
        } else {
            a.update(pw);
        }
        n >>= 1;
    }
    let a = a.finalize();
    let mut dp = D::new();
    for _ in 0..pw.len() {
        dp.update(pw);
    }
    let p = repeat_to(&dp.finalize(), pw.len());
    let mut ds = D::new();
    for _ in 0..16 + usize::from(a[0]) {
        ds.update(salt);
    }
    let s = repeat_to(&ds.finalize(), salt.len());
    let mut c = a.to_vec();
    for i in 0..rounds {
        let mut ctx = D::new();
        if i % 2 == 1 {
            ctx.update(&p);
        } else {
            ctx.update(&c);
        }
        if i % 3 != 0 {
            ctx.update(&s);
        }
        if i % 7 != 0 {
            ctx.update(&p);
        }
        if i % 2 == 1 {
            ctx.update(&c);
        } else {
            ctx.update(&p);
        }
        c = ctx.finalize().to_vec();
    }
    c
}

fn sha512_crypt(pw: &[u8], salt: &str, rounds: u32) -> String {
    let f = sha_crypt_digest::<Sha512>(pw, salt.as_bytes(), rounds);
    let mut o = String::new();
    for k in 0..21 {
        let (x, y, z) = (k, (k + 21), (k + 42));
        // The permutation walks the three thirds of the digest, rotating which leads.
        let (b2, b1, b0) = match k % 3 {
            0 => (f[x], f[y], f[z]),
            1 => (f[y], f[z], f[x]),
            _ => (f[z], f[x], f[y]),
        };
        b64_24(&mut o, b2, b1, b0, 4);
    }
    b64_24(&mut o, 0, 0, f[63], 2);
    o
}

fn sha256_crypt(pw: &[u8], salt: &str, rounds: u32) -> String {
    let f = sha_crypt_digest::<Sha256>(pw, salt.as_bytes(), rounds);
    let mut o = String::new();
    for k in 0..10 {
        let (x, y, z) = (k, (k + 10), (k + 20));
        let (b2, b1, b0) = match k % 3 {
            0 => (f[x], f[y], f[z]),
            1 => (f[z], f[x], f[y]),
            _ => (f[y], f[z], f[x]),
        };
        b64_24(&mut o, b2, b1, b0, 4);
    }
    b64_24(&mut o, 0, f[31], f[30], 3);
    o
}

fn md5_crypt(pw: &[u8], salt: &str) -> String {
    let salt = salt.as_bytes();
    let alt = Md5::new()
        .chain_update(pw)
        .chain_update(salt)
        .chain_update(pw)
        .finalize();
    let mut ctx = Md5::new()
        .chain_update(pw)
        .chain_update(b"$1$")
        .chain_update(salt);
    ctx.update(repeat_to(&alt, pw.len()));
    let mut n = pw.len();
    while n > 0 {
        if n & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&pw[..1]);
        }
        n >>= 1;
    }
    let mut f = ctx.finalize().to_vec();
    for i in 0..1000 {
        let mut c = Md5::new();
        if i % 2 == 1 {
            c.update(pw);
        } else {
            c.update(&f);
        }
        if i % 3 != 0 {
            c.update(salt);
        }
        if i % 7 != 0 {
            c.update(pw);
        }
        if i % 2 == 1 {
            c.update(&f);
        } else {
            c.update(pw);
        }
        f = c.finalize().to_vec();
    }
    let mut o = String::new();
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        b64_24(&mut o, f[a], f[b], f[c], 4);
    }
    b64_24(&mut o, 0, 0, f[11], 2);
    o
}

/// A salt as passlib generates one: `size` characters of the hash64 alphabet.
pub(crate) fn random_salt(size: usize) -> String {
    use std::hash::{BuildHasher, RandomState};
    (0..size)
        .map(|i| {
            let r = RandomState::new().hash_one((i, std::time::SystemTime::now()));
            char::from(ITOA64[(r % 64) as usize])
        })
        .collect()
}

/// `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None, ident=None)`
/// as with passlib installed (ansible-core 2.19 needs it); bcrypt is not implemented.
pub(crate) fn password_hash(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(
        &["hashtype", "salt", "salt_size", "rounds", "ident"],
        &args,
        &kwargs,
    )?;
    let hashtype = opt_str(a[0].as_ref())?.unwrap_or_else(|| "sha512".to_owned());
    let secret = py_str(&value_to_json(&v)?);
    let salt = opt_str(a[1].as_ref())?.filter(|s| !s.is_empty());
    let salt_size: Option<usize> = opt(a[2].as_ref())?;
    let rounds: Option<u32> = match a[3].as_ref().map(value_to_json).transpose()? {
        None | Some(serde_json::Value::Null) => None,
        Some(r) => match r.as_u64().and_then(|r| u32::try_from(r).ok()) {
            Some(0) => None,
            Some(r) => Some(r),
            None => return Err(fail("password_hash", "Could not hash the secret.")),
        },
    };
    do_encrypt(&secret, &hashtype, salt, salt_size, rounds)
        .map(Value::from)
        .map_err(|m| fail("password_hash", m))
}

/// `do_encrypt` with passlib: the hash string, or Ansible's message.
pub(crate) fn do_encrypt(
    secret: &str,
    hashtype: &str,
    salt: Option<String>,
    salt_size: Option<usize>,
    rounds: Option<u32>,
) -> Result<String, String> {
    let algo = match hashtype {
        "md5" | "md5_crypt" => "md5_crypt",
        "sha256" | "sha256_crypt" => "sha256_crypt",
        "sha512" | "sha512_crypt" => "sha512_crypt",
        "blowfish" | "bcrypt" => {
            return Err(
                "rsible does not implement the 'bcrypt' algorithm of password_hash".to_owned(),
            )
        }
        other => {
            return Err(format!(
                "{other} is not in the list of supported passlib algorithms: md5, blowfish, sha256, sha512"
            ))
        }
    };
    let (max_salt, default_rounds) = match algo {
        "md5_crypt" => (8, None),
        "sha256_crypt" => (16, Some(535_000)),
        _ => (16, Some(656_000)),
    };
    let salt = match salt {
        Some(s) => s,
        None => random_salt(salt_size.unwrap_or(max_salt)),
    };
    let bad = || "Could not hash the secret.".to_owned();
    // passlib refuses what crypt(3) would silently truncate or clamp.
    let bad_salt = salt.chars().count() > max_salt || !salt.bytes().all(|b| ITOA64.contains(&b));
    if bad_salt || (algo == "md5_crypt" && rounds.is_some()) {
        return Err(bad());
    }
    let pw = secret.as_bytes();
    Ok(match algo {
        "md5_crypt" => format!("$1${salt}${}", md5_crypt(pw, &salt)),
        _ => {
            let rounds = rounds.or(default_rounds).unwrap_or(5000);
            if !(1000..=999_999_999).contains(&rounds) {
                return Err(bad());
            }
            let (id, body) = if algo == "sha256_crypt" {
                ("5", sha256_crypt(pw, &salt, rounds))
            } else {
                ("6", sha512_crypt(pw, &salt, rounds))
            };
            // passlib leaves out the default 5000 rounds, as crypt(3) does.
            if rounds == 5000 {
                format!("${id}${salt}${body}")
            } else {
                format!("${id}$rounds={rounds}${salt}${body}")
            }
        }
    })
}

pub(crate) fn md5(v: Value) -> Result<Value, Error> {
    let s = py_str(&value_to_json(&v)?);
    Ok(Value::from(hex::encode(Md5::digest(s.as_bytes()))))
}

/// `uuid.UUID(text)`: hex digits with optional braces, `urn:uuid:` and hyphens.
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let t = s.trim_start_matches("urn:").trim_start_matches("uuid:");
    let t = t.trim_matches(['{', '}']).replace('-', "");
    if t.len() != 32 {
        return None;
    }
    let bytes = hex::decode(&t).ok()?;
    bytes.try_into().ok()
}

/// `to_uuid(namespace=…)`: `uuid.uuid5` of the text in Ansible's (or the given) namespace.
pub(crate) fn to_uuid(v: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let a = bind(&["namespace"], &args, &kwargs)?;
    let ns = opt_str(a[0].as_ref())?
        .unwrap_or_else(|| "361E6D51-FAEC-444A-9079-341386DA8E2E".to_owned());
    let Some(ns_bytes) = parse_uuid(&ns) else {
        return Err(fail(
            "to_uuid",
            format!("Invalid value '{ns}' for 'namespace': badly formed hexadecimal UUID string"),
        ));
    };
    let name = py_str(&value_to_json(&v)?);
    let h = sha1::Sha1::new()
        .chain_update(ns_bytes)
        .chain_update(name.as_bytes())
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    Ok(Value::from(format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings from CPython's crypt.crypt (glibc) with the same salt and rounds.
    #[test]
    fn crypt_matches_glibc() {
        assert_eq!(
            format!(
                "$6$rounds=656000$mysalt${}",
                sha512_crypt(b"secret", "mysalt", 656_000)
            ),
            EXPECT_SHA512
        );
        assert_eq!(
            format!(
                "$5$rounds=535000$mysalt${}",
                sha256_crypt(b"secret", "mysalt", 535_000)
            ),
            EXPECT_SHA256
        );
        assert_eq!(
            format!("$1$mysalt${}", md5_crypt(b"secret", "mysalt")),
            EXPECT_MD5
        );
        assert_eq!(
            format!(
                "$6$abcdefghijklmnop${}",
                sha512_crypt(b"", "abcdefghijklmnop", 5000)
            ),
            EXPECT_SHA512_EMPTY
        );
    }

    pub(super) const EXPECT_SHA512: &str = "$6$rounds=656000$mysalt$cDA0t8lm/qt.LT6DzpoHxJ.NwTpx.WTkOPwhseSva8pRixDSH2./ffedCjAMbTX1Uo1QNT7jJPJ6FIzU2i59K/";
    pub(super) const EXPECT_SHA256: &str =
        "$5$rounds=535000$mysalt$GnEktJhWXRuwViyPsEWK9s63HYW1GqXFqU5SdKDqol6";
    pub(super) const EXPECT_MD5: &str = "$1$mysalt$n/EfEiV74OYgBdqhKQzSW/";
    pub(super) const EXPECT_SHA512_EMPTY: &str = "$6$abcdefghijklmnop$6.vC8ffobuN7AxcHvesxeeksF2DXFfpYyFt3PFU8pYpEQPhWFSN7hwaUQRfHg/LkfB3jIPEitUcU7ZTqjaQUp1";
}

#[cfg(test)]
mod filter_tests {
    fn render(src: &str) -> Result<String, minijinja::Error> {
        crate::env::build(false).render_str(src, minijinja::context! {})
    }

    // passlib's output for the same salt equals crypt(3)'s with its default rounds spelt out.
    #[test]
    fn password_hash_filter() {
        assert_eq!(
            render("{{ 'secret' | password_hash('sha512', 'mysalt') }}").unwrap(),
            super::tests::EXPECT_SHA512
        );
        assert_eq!(
            render("{{ 'secret' | password_hash('sha256', salt='mysalt') }}").unwrap(),
            super::tests::EXPECT_SHA256
        );
        assert_eq!(
            render("{{ 'secret' | password_hash('md5', 'mysalt') }}").unwrap(),
            super::tests::EXPECT_MD5
        );
        assert_eq!(
            render("{{ '' | password_hash('sha512', 'abcdefghijklmnop', rounds=5000) }}").unwrap(),
            super::tests::EXPECT_SHA512_EMPTY
        );
        let random = render("{{ 'x' | password_hash }}").unwrap();
        assert!(random.starts_with("$6$rounds=656000$") && random.len() == 17 + 17 + 86);
    }

    #[test]
    fn password_hash_errors() {
        let e = render("{{ 'x' | password_hash('foo') }}")
            .unwrap_err()
            .to_string();
        assert!(e.contains(
            "foo is not in the list of supported passlib algorithms: md5, blowfish, sha256, sha512"
        ));
        let e = render("{{ 'x' | password_hash('sha512', 'bad salt!') }}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Could not hash the secret."));
    }
}

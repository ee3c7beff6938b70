//! `password`: a random password, kept in a file on the controller so later runs reuse it
//! (`/dev/null` keeps nothing); with `seed`, the characters Python's `Random(seed)` picks.

use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use super::{plugin_error, split_kv};
use crate::convert::py_str;
use crate::filters::pyrandom::{PyRandom, Seed};
use crate::scope::Scope;
use crate::TemplateError;

const VALID: &[&str] = &["length", "encrypt", "chars", "ident", "seed"];

/// `getattr(string, name, name)`: the `string` module's character sets by name.
fn string_attr(name: &str) -> Option<&'static str> {
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    Some(match name {
        "ascii_lowercase" => LOWER,
        "ascii_uppercase" => UPPER,
        "ascii_letters" => LETTERS,
        "digits" => "0123456789",
        "hexdigits" => "0123456789abcdefABCDEF",
        "octdigits" => "01234567",
        "punctuation" => PUNCT,
        "whitespace" => " \t\n\r\x0b\x0c",
        "printable" => "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c",
        _ => return None,
    })
}

/// `_gen_candidate_chars`: the named sets and literal strings, quotes removed.
fn candidate_chars(specs: &[String]) -> Vec<char> {
    specs
        .iter()
        .map(|s| string_attr(s).map_or_else(|| s.clone(), str::to_owned))
        .collect::<String>()
        .chars()
        .filter(|c| *c != '"' && *c != '\'')
        .collect()
}

/// A `chars` value: a list, or a comma-separated string (`,,` is a comma).
fn chars_option(v: &Json) -> Vec<String> {
    match v {
        Json::Array(a) => a.iter().map(py_str).collect(),
        other => {
            let s = py_str(other);
            let mut out = Vec::new();
            if s.contains(",,") {
                out.push(",".to_owned());
            }
            out.extend(
                s.replace(",,", ",")
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
            out
        }
    }
}

/// `random_password(length, chars, seed)`.
fn random_password(length: usize, chars: &[char], seed: Option<&str>) -> String {
    let mut rng = match seed {
        Some(s) => PyRandom::new(Seed::Str(s)),
        None => {
            use std::hash::{BuildHasher, RandomState};
            let r = RandomState::new().hash_one(std::time::SystemTime::now());
            PyRandom::new(Seed::Int(i128::from(r)))
        }
    };
    if chars.is_empty() {
        return String::new();
    }
    (0..length)
        .map(|_| chars[rng.below(chars.len() as u64) as usize])
        .collect()
}

/// `_parse_content`: `password[ salt=S[ ident=I]]`.
fn parse_content(content: &str) -> (String, Option<String>, Option<String>) {
    let Some(at) = content.rfind(" salt=") else {
        return (content.to_owned(), None, None);
    };
    let password = content[..at].to_owned();
    let rem = &content[at + 6..];
    if rem.is_empty() {
        return (password, None, None);
    }
    match rem.rfind(" ident=") {
        Some(i) => (
            password,
            Some(rem[..i].to_owned()),
            Some(rem[i + 7..].to_owned()),
        ),
        None => (password, Some(rem.to_owned()), None),
    }
}

struct Params {
    length: usize,
    encrypt: Option<String>,
    chars: Vec<String>,
    ident: Option<String>,
    seed: Option<String>,
}

fn params(
    kwargs: &Map<String, Json>,
    inline: &[(String, String)],
) -> Result<Params, TemplateError> {
    let err = |m: String| plugin_error("password", m);
    let mut p = Params {
        length: 20,
        encrypt: None,
        chars: vec!["ascii_letters".into(), "digits".into(), ".,:-_".into()],
        ident: None,
        seed: None,
    };
    let all = kwargs.iter().map(|(k, v)| (k.clone(), v.clone())).chain(
        inline
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone()))),
    );
    for (k, v) in all {
        let text = || Some(py_str(&v)).filter(|_| !v.is_null());
        match k.as_str() {
            "length" => {
                p.length = match &v {
                    Json::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                    other => py_str(other).trim().parse().ok(),
                }
                .ok_or_else(|| {
                    err(format!(
                        "Config 'length' for 'password' lookup plugin from 'Direct' has an invalid value: Invalid value provided for 'integer': '{}'",
                        py_str(&v)
                    ))
                })?;
            }
            "encrypt" => p.encrypt = text(),
            "ident" => p.ident = text(),
            "seed" => p.seed = text(),
            "chars" => p.chars = chars_option(&v),
            _ => {}
        }
    }
    Ok(p)
}

pub(crate) fn password(
    scope: &Scope,
    terms: &[Json],
    kwargs: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let err = |m: String| plugin_error("password", m);
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        let (relpath, inline) = match term.split_once(' ') {
            None => (term.clone(), Vec::new()),
            Some((first, rest)) => {
                let (raw, kv) = split_kv(rest);
                let relpath = match raw {
                    Some(r) => {
                        let joined = format!("{first} {r}");
                        if !term.starts_with(&joined) {
                            return Err(err(
                                "Unrecognized value after key=value parameters given to password lookup".to_owned(),
                            ));
                        }
                        joined
                    }
                    None => first.to_owned(),
                };
                (relpath, kv)
            }
        };
        let bad: Vec<&str> = inline
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !VALID.contains(k))
            .collect();
        if !bad.is_empty() {
            return Err(err(format!(
                "Unrecognized parameter(s) given to password lookup: {}",
                bad.join(", ")
            )));
        }
        let p = params(kwargs, &inline)?;
        // `path_dwim`: relative to the playbook's directory.
        let expanded = crate::filters::expand_user(&relpath);
        let path = if expanded.starts_with('/') {
            PathBuf::from(crate::filters::normpath_str(&expanded))
        } else {
            let base = scope
                .vars
                .get("playbook_dir")
                .and_then(Json::as_str)
                .map_or_else(|| ".".to_owned(), str::to_owned);
            PathBuf::from(crate::filters::normpath_str(&format!("{base}/{expanded}")))
        };
        let devnull = path == std::path::Path::new("/dev/null");
        let content = if devnull || !path.exists() {
            None
        } else {
            let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
            Some(String::from_utf8_lossy(&bytes).trim_end().to_owned())
        };
        let chars = candidate_chars(&p.chars);
        let mut changed = false;
        let (plain, mut salt, mut ident) = match content {
            None => {
                changed = true;
                (
                    random_password(p.length, &chars, p.seed.as_deref()),
                    None,
                    None,
                )
            }
            Some(c) => parse_content(&c),
        };
        if p.encrypt.is_some() && salt.is_none() {
            changed = true;
            let size = match p.encrypt.as_deref() {
                Some("sha256_crypt" | "sha512_crypt") => 16,
                Some("bcrypt") => 22,
                _ => 8,
            };
            salt = Some(crate::filters::crypt::random_salt(size));
        }
        match (&ident, &p.ident) {
            (None, _) => ident.clone_from(&p.ident),
            (Some(stored), Some(given)) if stored != given => {
                return Err(err(format!(
                "The ident parameter provided ({stored}) does not match the stored one ({given})."
            )))
            }
            _ => {}
        }
        if p.encrypt.as_deref() == Some("bcrypt") && ident.is_none() {
            ident = Some("2b".to_owned());
            changed = true;
        }
        if changed && !devnull {
            let text = match (&p.encrypt, &salt, &ident) {
                (None, None, _) => plain.clone(),
                (_, Some(s), Some(i)) => format!("{plain} salt={s} ident={i}"),
                (_, Some(s), None) => format!("{plain} salt={s}"),
                (Some(_), None, _) => plain.clone(),
            };
            write_file(&path, &text).map_err(|e| err(e.to_string()))?;
        }
        out.push(Json::String(match &p.encrypt {
            // `do_encrypt` straight from passlib, without the filter's list of short names.
            Some(algo) if !algo.ends_with("_crypt") => {
                return Err(err(format!(
                    "Installed passlib version 1.7.4 does not support the '{algo}' algorithm."
                )))
            }
            Some(algo) => {
                crate::filters::crypt::do_encrypt(&plain, algo, salt, None, None).map_err(err)?
            }
            None => plain,
        }));
    }
    Ok(out)
}

/// `_write_password_file`: the directory mode 0700, the file 0600, a final newline.
fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    // `os.makedirs(dir, 0o700)`: only the last directory gets the mode.
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        if let Some(up) = dir.parent() {
            std::fs::create_dir_all(up)?;
        }
        std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    std::io::Write::write_all(&mut f, format!("{text}\n").as_bytes())
}

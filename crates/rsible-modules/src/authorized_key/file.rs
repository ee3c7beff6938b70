//! The `authorized_keys` model of ansible.posix's `authorized_key`: lines parsed into
//! `(key, type, options, comment, rank)` entries indexed by the key blob, the present/absent/
//! exclusive edit, and the serialisation back to text. Pure: no I/O.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use indexmap::IndexMap;
use regex::Regex;

/// Key types the module recognises (`parsekey`'s `VALID_SSH2_KEY_TYPES`).
const KEY_TYPES: &[&str] = &[
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

/// Key options in the order written, compared as the module's `keydict` compares them: as a
/// dict from name to the list of its values, so the order of different names does not matter.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options(Vec<(String, Option<String>)>);

impl Options {
    fn grouped(&self) -> BTreeMap<&str, Vec<Option<&str>>> {
        let mut m: BTreeMap<&str, Vec<Option<&str>>> = BTreeMap::new();
        for (k, v) in &self.0 {
            m.entry(k.as_str()).or_default().push(v.as_deref());
        }
        m
    }

    /// `parseoptions`: split on commas outside quotes, `name=value` or a bare flag.
    pub(crate) fn parse(text: Option<&str>) -> Self {
        static RE: OnceLock<Option<Regex>> = OnceLock::new();
        let mut out = Vec::new();
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Self(out);
        };
        let Some(re) = RE
            .get_or_init(|| Regex::new(r#"((?:[^,"']|"[^"]*"|'[^']*')+)"#).ok())
            .as_ref()
        else {
            return Self(out);
        };
        // Python's `re.split` with one group: text between matches and the matches
        // alternate; the module drops the first and last piece.
        let mut pieces = Vec::new();
        let mut last = 0;
        for m in re.find_iter(text) {
            pieces.push(&text[last..m.start()]);
            pieces.push(m.as_str());
            last = m.end();
        }
        pieces.push(&text[last..]);
        let inner = &pieces[1..pieces.len().saturating_sub(1).max(1)];
        for part in inner {
            if let Some((k, v)) = part.split_once('=') {
                out.push((k.to_owned(), Some(v.to_owned())));
            } else if *part != "," {
                out.push(((*part).to_owned(), None));
            }
        }
        Self(out)
    }

    fn render(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect();
        format!("{} ", parts.join(","))
    }
}

impl PartialEq for Options {
    fn eq(&self, other: &Self) -> bool {
        self.grouped() == other.grouped()
    }
}

/// One entry: a key, or a line kept verbatim (comments and lines without a known key type).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// The base64 blob, or the whole line for a verbatim entry.
    pub key: String,
    /// `None` for a verbatim line.
    pub key_type: Option<String>,
    pub options: Options,
    pub comment: Option<String>,
    pub rank: usize,
}

impl Entry {
    fn verbatim(line: &str, rank: usize) -> Self {
        Self {
            key: line.to_owned(),
            key_type: None,
            options: Options::default(),
            comment: None,
            rank,
        }
    }

    /// Everything but the rank, as the module's `[:4]` tuple comparison.
    fn same_as(&self, other: &Entry) -> bool {
        self.key == other.key
            && self.key_type == other.key_type
            && self.options == other.options
            && self.comment == other.comment
    }
}

/// A line that names a key type but has no key after it: the module dies with an
/// `IndexError` there.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TruncatedKey(pub String);

/// `parsekey`: `Ok(None)` when no known key type is on the line.
pub(crate) fn parse_key(raw: &str, rank: usize) -> Result<Option<Entry>, TruncatedKey> {
    let raw = raw.replace("\\#", "#");
    // shlex without quotes or comments: a split on its four whitespace characters.
    let parts: Vec<&str> = raw
        .split([' ', '\t', '\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.first() == Some(&"#") {
        return Ok(Some(Entry::verbatim(&raw, rank)));
    }
    let Some(ti) = parts.iter().position(|p| KEY_TYPES.contains(p)) else {
        return Ok(None);
    };
    let options = (ti > 0).then(|| parts[..ti].join(" "));
    let Some(key) = parts.get(ti + 1) else {
        return Err(TruncatedKey(raw.clone()));
    };
    Ok(Some(Entry {
        key: (*key).to_owned(),
        key_type: Some(parts[ti].to_owned()),
        options: Options::parse(options.as_deref()),
        comment: Some(parts[ti + 2..].join(" ")),
        rank,
    }))
}

/// Python's `str.splitlines(True)`.
fn split_keep_ends(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let end = match c {
            '\r' => match it.peek() {
                Some(&(j, '\n')) => {
                    it.next();
                    j + 1
                }
                _ => i + 1,
            },
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The keys of a file, indexed by blob as `parsekeys` does: a later line with the same blob
/// replaces the earlier one in place, and unparsable lines are kept verbatim.
pub(crate) fn parse_keys(content: &str) -> Result<IndexMap<String, Entry>, TruncatedKey> {
    let mut keys = IndexMap::new();
    for (rank, line) in split_keep_ends(content).into_iter().enumerate() {
        let entry = parse_key(line, rank)?.unwrap_or_else(|| Entry::verbatim(line, rank));
        keys.insert(entry.key.clone(), entry);
    }
    Ok(keys)
}

/// What the task asks for.
pub(crate) struct Request<'a> {
    pub key: &'a str,
    pub present: bool,
    pub exclusive: bool,
    pub key_options: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// Why the edit cannot be made.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EditError {
    Invalid(String),
    Truncated(String),
}

/// `enforce_state`'s edit of `keys`; true when the file must be rewritten.
pub(crate) fn apply(
    keys: &mut IndexMap<String, Entry>,
    req: &Request<'_>,
) -> Result<bool, EditError> {
    let new_keys: Vec<String> = crate::util::py_splitlines(req.key)
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s),
            _ => None,
        })
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
        .collect();
    let mut do_write = false;
    let mut keep: Vec<String> = Vec::new();
    let max_rank = keys.len();
    for (rank, line) in new_keys.iter().enumerate() {
        let mut new = match parse_key(line, rank) {
            Ok(Some(e)) => e,
            Ok(None) => return Err(EditError::Invalid(line.clone())),
            Err(TruncatedKey(l)) => return Err(EditError::Truncated(l)),
        };
        if let Some(o) = req.key_options {
            new.options = Options::parse(Some(o));
        }
        if let Some(c) = req.comment {
            new.comment = Some(c.to_owned());
        }
        let mut matched = false;
        let mut differs = false;
        if let Some(old) = keys.get(&new.key) {
            if req.present && !old.same_as(&new) {
                differs = true;
            } else {
                matched = true;
            }
        }
        if req.present {
            keep.push(new.key.clone());
            if differs {
                keys.shift_remove(&new.key);
                do_write = true;
            }
            if !matched {
                new.rank = max_rank + rank;
                keys.insert(new.key.clone(), new);
                do_write = true;
            }
        } else if matched {
            keys.shift_remove(&new.key);
            do_write = true;
        }
    }
    if req.present && req.exclusive {
        let before = keys.len();
        keys.retain(|k, _| keep.contains(k));
        do_write |= keys.len() != before;
    }
    Ok(do_write)
}

/// `serialize`: entries by rank (ties in map order), keys rewritten, verbatim lines as read.
pub(crate) fn serialize(keys: &IndexMap<String, Entry>) -> String {
    let mut entries: Vec<&Entry> = keys.values().collect();
    entries.sort_by_key(|e| e.rank);
    let mut out = String::new();
    for e in entries {
        match &e.key_type {
            None => out.push_str(&e.key),
            Some(t) => {
                out.push_str(&format!(
                    "{}{t} {} {}\n",
                    e.options.render(),
                    e.key,
                    e.comment.as_deref().unwrap_or("None")
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFezbs5QwJ+hyqxxBWYbkRFDxVSOsn4ePpdZNTS2A61g k1@test";
    const K2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMclx2T8UYSHn7kW02+mCds7RWApiE5msBcRIPvRJlKL k2@test";

    fn edit(content: &str, req: &Request<'_>) -> (bool, String) {
        let mut keys = parse_keys(content).unwrap();
        let w = apply(&mut keys, req).unwrap();
        (w, serialize(&keys))
    }

    fn present(key: &str) -> Request<'_> {
        Request {
            key,
            present: true,
            exclusive: false,
            key_options: None,
            comment: None,
        }
    }

    // Expected values from the collection's own functions, run with
    // /opt/ansible-venv/bin/python3 (parseoptions, parsekey, parsekeys + serialize).
    #[test]
    fn options_split_outside_quotes() {
        let o = Options::parse(Some(r#"no-pty,from="10.0.0.1,10.0.0.2",command='a,b'"#));
        assert_eq!(
            o.render(),
            r#"no-pty,from="10.0.0.1,10.0.0.2",command='a,b' "#
        );
        assert_eq!(o.0.len(), 3);
        assert_eq!(Options::parse(Some("a,b=1")), Options::parse(Some("b=1,a")));
        assert_ne!(
            Options::parse(Some("x=1,x=2")),
            Options::parse(Some("x=2,x=1"))
        );
        assert_eq!(Options::parse(Some("")).render(), "");
    }

    #[test]
    fn files_are_rewritten_like_the_module() {
        // Blank lines and duplicates collapse, comments stay, keys get one space between
        // fields and an empty comment leaves a trailing space.
        let content = format!("# c\n\n{K1}  extra   words\n\nssh-rsa AAAB\njunk\n");
        let (w, out) = edit(&content, &present(K2));
        assert!(w);
        assert_eq!(
            out,
            format!("# c\n{K1} extra words\n\nssh-rsa AAAB \njunk\n{K2}\n")
        );
        // Same blob, same type, options and comment: nothing to do.
        let (w, _) = edit(&format!("{K1}\n"), &present(K1));
        assert!(!w);
        // Same blob with other options: replaced and moved to the end.
        let (w, out) = edit(
            &format!("{K1}\n{K2}\n"),
            &Request {
                key_options: Some("no-pty"),
                ..present(K1)
            },
        );
        assert!(w);
        assert_eq!(out, format!("{K2}\nno-pty {K1}\n"));
    }

    #[test]
    fn absent_and_exclusive() {
        let content = format!("# c\n{K1}\n{K2}\n");
        let (w, out) = edit(
            &content,
            &Request {
                present: false,
                ..present(K1)
            },
        );
        assert!(w);
        assert_eq!(out, format!("# c\n{K2}\n"));
        let (w, out) = edit(
            &content,
            &Request {
                exclusive: true,
                ..present(K2)
            },
        );
        assert!(w);
        assert_eq!(out, format!("{K2}\n"));
        let (w, _) = edit(
            &format!("{K2}\n"),
            &Request {
                exclusive: true,
                ..present(K2)
            },
        );
        assert!(!w);
    }

    #[test]
    fn invalid_keys() {
        let mut keys = parse_keys("").unwrap();
        assert_eq!(
            apply(&mut keys, &present("garbage")),
            Err(EditError::Invalid("garbage".into()))
        );
        assert!(parse_keys("ssh-rsa\n").is_err());
        // A missing trailing newline on a verbatim last line glues the next key to it.
        let (_, out) = edit("junk", &present(K2));
        assert_eq!(out, format!("junk{K2}\n"));
    }
}

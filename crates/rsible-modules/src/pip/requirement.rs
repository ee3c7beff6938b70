//! What the `pip` module reads of requirement strings and versions: PEP 508 requirements
//! (name, extras, specifiers, marker) as `packaging`'s `Requirement` parses and prints them,
//! and PEP 440 versions as its `SpecifierSet.contains(…, prereleases=True)` compares them.

use std::cmp::Ordering;

/// A parsed requirement (`Package` with `_plain_package` set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub name: String,
    pub extras: Vec<String>,
    /// `(operator, version)` in the order written.
    pub specs: Vec<(String, String)>,
    pub url: Option<String>,
    pub marker: Option<String>,
}

const OPS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

impl Requirement {
    /// `Requirement(text)`, or `None` where packaging raises `InvalidRequirement`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let s = text.trim();
        let name_end = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
        let name = &s[..name_end];
        if name.is_empty()
            || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
        {
            return None;
        }
        let mut rest = s[name_end..].trim_start();
        let mut extras = Vec::new();
        if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            for e in r[..close].split(',') {
                let e = e.trim();
                if e.is_empty() {
                    continue;
                }
                if !e.chars().all(is_name_char) {
                    return None;
                }
                extras.push(e.to_owned());
            }
            rest = r[close + 1..].trim_start();
        }
        let (body, marker) = match rest.split_once(';') {
            Some((b, m)) => (b.trim(), Some(m.trim())),
            None => (rest.trim(), None),
        };
        let mut specs = Vec::new();
        let mut url = None;
        if let Some(u) = body.strip_prefix('@') {
            let u = u.trim();
            if u.is_empty() || u.contains(char::is_whitespace) {
                return None;
            }
            url = Some(u.to_owned());
        } else if !body.is_empty() {
            let inner = match body.strip_prefix('(') {
                Some(b) => b.strip_suffix(')')?,
                None => body,
            };
            for part in inner.split(',') {
                let part = part.trim();
                let op = OPS.iter().find(|o| part.starts_with(**o))?;
                let version = part[op.len()..].trim();
                if version.is_empty() || version.contains(char::is_whitespace) {
                    return None;
                }
                let ok = if *op == "===" {
                    true
                } else if matches!(*op, "==" | "!=") {
                    let v = version.strip_suffix(".*").unwrap_or(version);
                    Version::parse(v).is_some()
                } else {
                    Version::parse(version).is_some() && !version.ends_with(".*")
                };
                if !ok {
                    return None;
                }
                specs.push(((*op).to_owned(), version.to_owned()));
            }
        }
        let marker = match marker {
            Some("") => return None,
            Some(m) => Some(normalise_marker(m)),
            None => None,
        };
        Some(Requirement {
            name: name.to_owned(),
            extras,
            specs,
            url,
            marker,
        })
    }

    /// `str(Requirement)`: extras and specifiers sorted, no spaces.
    pub(crate) fn render(&self) -> String {
        let mut s = self.name.clone();
        if !self.extras.is_empty() {
            let mut e = self.extras.clone();
            e.sort();
            s.push_str(&format!("[{}]", e.join(",")));
        }
        let mut specs: Vec<String> = self.specs.iter().map(|(o, v)| format!("{o}{v}")).collect();
        specs.sort();
        s.push_str(&specs.join(","));
        if let Some(u) = &self.url {
            s.push_str(&format!("@ {u}"));
            if self.marker.is_some() {
                s.push(' ');
            }
        }
        if let Some(m) = &self.marker {
            s.push_str(&format!("; {m}"));
        }
        s
    }

    /// `SpecifierSet.contains(version, prereleases=True)`.
    pub(crate) fn is_satisfied_by(&self, version: &str) -> bool {
        self.specs
            .iter()
            .all(|(op, spec)| spec_contains(op, spec, version))
    }
}

/// A marker as packaging prints it: one space between tokens, strings in double quotes.
fn normalise_marker(m: &str) -> String {
    let mut out = String::new();
    let mut chars = m.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        if c == '\'' || c == '"' {
            let mut lit = String::new();
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
                lit.push(d);
            }
            out.push('"');
            out.push_str(&lit);
            out.push('"');
        } else {
            out.push(c);
        }
    }
    out
}

/// `canonicalize_name` as the module does it: runs of `-_.` to `-`, lower case.
pub(crate) fn canonical_name(name: &str) -> String {
    let mut out = String::new();
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        }
    }
    out
}

/// packaging's `_cmpkey`: epoch, trimmed release, then pre, post and dev as ordered pairs.
type CmpKey = (u64, Vec<u64>, (i8, u64), (i8, u64), (i8, u64));

/// A PEP 440 version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// 0 = a, 1 = b, 2 = rc.
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<String>,
}

fn take_num(s: &str) -> (Option<u64>, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        (None, s)
    } else {
        (s[..end].parse().ok(), &s[end..])
    }
}

fn strip_sep(s: &str) -> &str {
    s.strip_prefix(['.', '-', '_']).unwrap_or(s)
}

impl Version {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        let (public, local) = match lower.split_once('+') {
            Some((p, l)) if !l.is_empty() => (p.to_owned(), Some(l.replace(['-', '_'], "."))),
            Some(_) => return None,
            None => (lower.clone(), None),
        };
        let mut s = public.strip_prefix('v').unwrap_or(&public);
        let mut epoch = 0;
        if let Some((e, r)) = s.split_once('!') {
            epoch = e.parse().ok()?;
            s = r;
        }
        let mut release = Vec::new();
        loop {
            let (n, r) = take_num(s);
            release.push(n?);
            s = r;
            match s.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => s = r,
                _ => break,
            }
        }
        let mut pre = None;
        let t = strip_sep(s);
        for (word, kind) in [
            ("alpha", 0),
            ("beta", 1),
            ("preview", 2),
            ("pre", 2),
            ("rc", 2),
            ("a", 0),
            ("b", 1),
            ("c", 2),
        ] {
            if let Some(r) = t.strip_prefix(word) {
                let (n, r) = take_num(strip_sep(r));
                pre = Some((kind, n.unwrap_or(0)));
                s = r;
                break;
            }
        }
        let mut post = None;
        if let Some(r) = s
            .strip_prefix('-')
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        {
            let (n, r) = take_num(r);
            post = n;
            s = r;
        } else {
            let t = strip_sep(s);
            for word in ["post", "rev", "r"] {
                if let Some(r) = t.strip_prefix(word) {
                    let (n, r) = take_num(strip_sep(r));
                    post = Some(n.unwrap_or(0));
                    s = r;
                    break;
                }
            }
        }
        let mut dev = None;
        let t = strip_sep(s);
        if let Some(r) = t.strip_prefix("dev") {
            let (n, r) = take_num(strip_sep(r));
            dev = Some(n.unwrap_or(0));
            s = r;
        }
        if !s.is_empty() {
            return None;
        }
        Some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    fn trimmed(&self) -> Vec<u64> {
        let mut r = self.release.clone();
        while r.len() > 1 && r.last() == Some(&0) {
            r.pop();
        }
        r
    }

    /// packaging's `_cmpkey` without the local part.
    fn key(&self) -> CmpKey {
        let pre = match self.pre {
            None if self.post.is_none() && self.dev.is_some() => (-1, 0),
            None => (3, 0),
            Some((k, n)) => (k as i8, n),
        };
        let post = self.post.map_or((-1, 0), |n| (0, n));
        let dev = self.dev.map_or((1, 0), |n| (0, n));
        (self.epoch, self.trimmed(), pre, post, dev)
    }

    fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    fn public(&self) -> Version {
        Version {
            local: None,
            ..self.clone()
        }
    }

    fn base(&self) -> (u64, Vec<u64>) {
        (self.epoch, self.trimmed())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key()
            .cmp(&other.key())
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn prefix_match(spec: &str, v: &Version) -> bool {
    let Some(p) = Version::parse(spec) else {
        return false;
    };
    let n = p.release.len();
    let mut rel = v.release.clone();
    rel.resize(rel.len().max(n), 0);
    p.epoch == v.epoch && rel[..n] == p.release[..]
}

fn spec_contains(op: &str, spec: &str, version: &str) -> bool {
    if op == "===" {
        return spec.eq_ignore_ascii_case(version);
    }
    let Some(v) = Version::parse(version) else {
        return false;
    };
    match op {
        "==" | "!=" => {
            let eq = match spec.strip_suffix(".*") {
                Some(p) => prefix_match(p, &v.public()),
                None => Version::parse(spec).is_some_and(|s| {
                    let v = if s.local.is_none() {
                        v.public()
                    } else {
                        v.clone()
                    };
                    v.key() == s.key() && v.local == s.local
                }),
            };
            eq == (op == "==")
        }
        "~=" => {
            let Some(s) = Version::parse(spec) else {
                return false;
            };
            let mut prefix = s.release.clone();
            prefix.pop();
            let prefix: Vec<String> = prefix.iter().map(u64::to_string).collect();
            v.public() >= s && prefix_match(&prefix.join("."), &v.public())
        }
        _ => {
            let Some(s) = Version::parse(spec) else {
                return false;
            };
            let v = v.public();
            match op {
                ">=" => v >= s,
                "<=" => v <= s,
                "<" => v < s && !(v.is_prerelease() && !s.is_prerelease() && v.base() == s.base()),
                ">" => v > s && !(v.post.is_some() && s.post.is_none() && v.base() == s.base()),
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from packaging 23: str(Requirement(x)) and
    // SpecifierSet(s).contains(v, prereleases=True).
    #[test]
    fn requirements_print_as_packaging() {
        let r = |s: &str| Requirement::parse(s).map(|r| r.render());
        assert_eq!(r("rsible-demo").as_deref(), Some("rsible-demo"));
        assert_eq!(
            r("Django >1.11.1, <1.11.3").as_deref(),
            Some("Django<1.11.3,>1.11.1")
        );
        assert_eq!(
            r("pkg [b, a] >= 1.0 ; python_version > '3'").as_deref(),
            Some("pkg[a,b]>=1.0; python_version > \"3\"")
        );
        assert_eq!(
            r("x @ file:///tmp/x.whl").as_deref(),
            Some("x@ file:///tmp/x.whl")
        );
        assert_eq!(r("git+https://example.invalid/x.git"), None);
        assert_eq!(r("./local/dir"), None);
        assert_eq!(r("x==1.0 2"), None);
        assert_eq!(canonical_name("Rsible_Demo.x"), "rsible-demo-x");
    }

    #[test]
    fn specifiers_contain_as_packaging() {
        let c = |s: &str, v: &str| {
            Requirement::parse(&format!("x{s}")).is_some_and(|r| r.is_satisfied_by(v))
        };
        assert!(c("==1.0", "1.0.0"));
        assert!(c("==1.*", "1.4"));
        assert!(!c("==1.*", "2.0"));
        assert!(c(">=1.1", "1.1"));
        assert!(!c(">=1.1", "1.0"));
        assert!(c("<2", "1.9"));
        assert!(!c("<2", "2.0rc1"));
        assert!(c("<2", "1.0rc1"));
        assert!(!c(">1.0", "1.0.post1"));
        assert!(c(">1.0", "1.1.dev0"));
        assert!(c("~=1.4.2", "1.4.9"));
        assert!(!c("~=1.4.2", "1.5"));
        assert!(c("!=1.0", "1.1"));
        assert!(c("", "anything"));
        assert!(
            Version::parse("1.0a1").is_some_and(|a| Version::parse("1.0").is_some_and(|b| a < b))
        );
        assert!(Version::parse("1.0.dev1")
            .is_some_and(|a| Version::parse("1.0a1").is_some_and(|b| a < b)));
    }
}

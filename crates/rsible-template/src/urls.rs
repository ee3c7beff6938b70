//! URL filters and tests (ansible-core's `plugins/filter/urls.py`, `urlsplit.py` and
//! `plugins/test/uri.py`), on a port of Python's `urllib.parse.urlsplit`.

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};
use serde_json::{Map, Value as Json};

use crate::convert::{json_to_value, py_str_repr, value_to_json};

pub(crate) fn register(env: &mut Environment<'static>) {
    crate::env::add_filter(env, "urldecode", urldecode);
    crate::env::add_filter(env, "urlencode", urlencode);
    crate::env::add_filter(env, "urlsplit", urlsplit_filter);
    crate::env::add_test(
        env,
        "uri",
        |v: Value, schemes: Option<Value>, kwargs: Kwargs| {
            Ok::<_, Error>(is_uri(&v, schemes_arg(schemes, &kwargs)?.as_deref()))
        },
    );
    crate::env::add_test(
        env,
        "url",
        |v: Value, schemes: Option<Value>, kwargs: Kwargs| {
            Ok::<_, Error>(is_url(&v, schemes_arg(schemes, &kwargs)?.as_deref()))
        },
    );
    crate::env::add_test(env, "urn", |v: Value| is_uri(&v, Some(&["urn".to_owned()])));
}

/// The tests' `schemes`, given by position or by name: a list of scheme names.
fn schemes_arg(positional: Option<Value>, kwargs: &Kwargs) -> Result<Option<Vec<String>>, Error> {
    let named: Option<Value> = kwargs.get("schemes")?;
    kwargs.assert_all_used()?;
    let Some(v) = positional.or(named).filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    Ok(Some(match value_to_json(&v)? {
        Json::Array(items) => items.iter().map(crate::convert::py_str).collect(),
        other => vec![crate::convert::py_str(&other)],
    }))
}

/// Python's `urlsplit` result, with the properties the filter shows.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SplitUrl {
    scheme: String,
    netloc: String,
    path: String,
    query: String,
    fragment: String,
}

/// `urllib.parse.urlsplit(url)` (Python 3.11).
fn urlsplit(url: &str) -> Result<SplitUrl, String> {
    // Leading C0 controls and spaces go, and tabs and newlines anywhere.
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut out = SplitUrl::default();
    let mut rest = url.as_str();
    if let Some(i) = rest.find(':') {
        let head = &rest[..i];
        if i > 0
            && head.starts_with(|c: char| c.is_ascii_alphabetic())
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            out.scheme = head.to_lowercase();
            rest = &rest[i + 1..];
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        out.netloc = after[..end].to_owned();
        rest = &after[end..];
        if out.netloc.contains('[') != out.netloc.contains(']') {
            return Err("Invalid IPv6 URL".to_owned());
        }
    }
    if let Some((before, fragment)) = rest.split_once('#') {
        out.fragment = fragment.to_owned();
        rest = before;
    }
    if let Some((before, query)) = rest.split_once('?') {
        out.query = query.to_owned();
        rest = before;
    }
    out.path = rest.to_owned();
    Ok(out)
}

impl SplitUrl {
    fn userinfo(&self) -> Option<&str> {
        self.netloc.rsplit_once('@').map(|(u, _)| u)
    }

    fn username(&self) -> Option<String> {
        self.userinfo()
            .map(|u| u.split_once(':').map_or(u, |(name, _)| name).to_owned())
    }

    fn password(&self) -> Option<String> {
        self.userinfo()
            .and_then(|u| u.split_once(':').map(|(_, p)| p.to_owned()))
    }

    /// `_hostinfo`: the host and the port text after any user info.
    fn hostinfo(&self) -> (Option<&str>, Option<&str>) {
        let hostport = self
            .netloc
            .rsplit_once('@')
            .map_or(self.netloc.as_str(), |(_, h)| h);
        if let Some(bracketed) = hostport.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            return (Some(host), after.strip_prefix(':'));
        }
        match hostport.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(hostport), None),
        }
    }

    fn hostname(&self) -> Option<String> {
        self.hostinfo()
            .0
            .filter(|h| !h.is_empty())
            .map(str::to_lowercase)
    }

    fn port(&self) -> Result<Option<u16>, String> {
        let Some(port) = self.hostinfo().1.filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        if !port.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "Port could not be cast to integer value as {}",
                py_str_repr(port)
            ));
        }
        match port.parse::<u64>() {
            Ok(n) if n <= 65535 => Ok(u16::try_from(n).ok()),
            _ => Err("Port out of range 0-65535".to_owned()),
        }
    }

    /// The filter's dict: every public attribute, in `dir()`'s (alphabetical) order.
    fn to_json(&self) -> Result<Json, String> {
        let opt = |v: Option<String>| v.map_or(Json::Null, Json::String);
        let mut m = Map::new();
        m.insert("fragment".into(), Json::String(self.fragment.clone()));
        m.insert("hostname".into(), opt(self.hostname()));
        m.insert("netloc".into(), Json::String(self.netloc.clone()));
        m.insert("password".into(), opt(self.password()));
        m.insert("path".into(), Json::String(self.path.clone()));
        m.insert("port".into(), self.port()?.map_or(Json::Null, Json::from));
        m.insert("query".into(), Json::String(self.query.clone()));
        m.insert("scheme".into(), Json::String(self.scheme.clone()));
        m.insert("username".into(), opt(self.username()));
        Ok(Json::Object(m))
    }
}

fn filter_error(msg: impl std::fmt::Display) -> Error {
    crate::filters::fail("urlsplit", msg)
}

fn urlsplit_filter(value: String, query: Option<String>) -> Result<Value, Error> {
    let parts = urlsplit(&value)
        .and_then(|u| u.to_json())
        .map_err(filter_error)?;
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(json_to_value(&parts));
    };
    match parts.get(&query) {
        Some(v) => Ok(json_to_value(v)),
        None => Err(filter_error(format!(
            "urlsplit: unknown URL component: {query}"
        ))),
    }
}

/// Jinja's `urlencode`: a string (or any other scalar) is percent-quoted keeping `/`; a dict
/// or a sequence of pairs becomes a query string (`k=v&…`, `+` for spaces, `/` quoted).
fn urlencode(value: Value) -> Result<String, Error> {
    let quote = |v: &Json, for_qs: bool| {
        let text = match v {
            Json::String(s) => s.clone(),
            other => crate::convert::py_str(other),
        };
        let mut out = String::new();
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || (!for_qs && b == b'/') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        if for_qs {
            out.replace("%20", "+")
        } else {
            out
        }
    };
    let pair = |k: &Json, v: &Json| format!("{}={}", quote(k, true), quote(v, true));
    match value_to_json(&value)? {
        Json::Object(m) => Ok(m
            .iter()
            .map(|(k, v)| pair(&Json::String(k.clone()), v))
            .collect::<Vec<_>>()
            .join("&")),
        Json::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in &items {
                match item {
                    Json::Array(kv) if kv.len() == 2 => parts.push(pair(&kv[0], &kv[1])),
                    other => {
                        return Err(crate::filters::fail(
                            "urlencode",
                            format!(
                                "cannot unpack {} into a key and a value",
                                crate::convert::py_type(other)
                            ),
                        ))
                    }
                }
            }
            Ok(parts.join("&"))
        }
        other => Ok(quote(&other, false)),
    }
}

/// `unquote_plus`: `+` is a space, `%XX` escapes are UTF-8 bytes (invalid ones replaced).
fn urldecode(value: Value) -> Result<String, Error> {
    let text = crate::convert::py_str(&value_to_json(&value)?);
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `is_uri`: anything `urlparse` accepts, with a scheme among `schemes` when given.
fn is_uri(v: &Value, schemes: Option<&[String]>) -> bool {
    let Some(s) = v.as_str() else { return false };
    match urlsplit(s) {
        Ok(u) => schemes.is_none_or(|list| list.contains(&u.scheme)),
        Err(_) => false,
    }
}

/// `is_url`: a URI with a network location, or a `file:` one.
fn is_url(v: &Value, schemes: Option<&[String]>) -> bool {
    if !is_uri(v, schemes) {
        return false;
    }
    v.as_str()
        .and_then(|s| urlsplit(s).ok())
        .is_some_and(|u| !u.netloc.is_empty() || u.scheme == "file")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from python3: urllib.parse.urlsplit / unquote_plus.
    #[test]
    fn splits_like_python() {
        let u = urlsplit("http://mary:MySecret@www.ACME.com:9000/dir/index.html?query=term#frag")
            .unwrap_or_default();
        assert_eq!(u.scheme, "http");
        assert_eq!(u.netloc, "mary:MySecret@www.ACME.com:9000");
        assert_eq!(u.path, "/dir/index.html");
        assert_eq!(u.query, "query=term");
        assert_eq!(u.fragment, "frag");
        assert_eq!(u.username().as_deref(), Some("mary"));
        assert_eq!(u.password().as_deref(), Some("MySecret"));
        assert_eq!(u.hostname().as_deref(), Some("www.acme.com"));
        assert_eq!(u.port(), Ok(Some(9000)));
        let v = urlsplit("urn:example:animal").unwrap_or_default();
        assert_eq!(
            (v.scheme.as_str(), v.path.as_str()),
            ("urn", "example:animal")
        );
        let w = urlsplit("//[::1]:80/x").unwrap_or_default();
        assert_eq!(w.hostname().as_deref(), Some("::1"));
        assert_eq!(w.port(), Ok(Some(80)));
        assert!(urlsplit("http://[::1/x").is_err());
        assert_eq!(
            urlsplit("http://h:99999").unwrap_or_default().port(),
            Err("Port out of range 0-65535".to_owned())
        );
    }

    #[test]
    fn decodes_like_unquote_plus() {
        let d = |s: &str| urldecode(Value::from(s)).unwrap_or_default();
        assert_eq!(d("a+b%20c%C3%A9%zz%4"), "a b cé%zz%4");
    }
}

//! `fetch_file` for `remote_src` URLs: downloaded on the target with curl or wget, or, when
//! the target has neither, fetched here over plain HTTP and uploaded.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use rsible_connection::shell::quote;

/// Python's `_suffixes`: the final component's suffixes.
fn suffixes(name: &str) -> Vec<String> {
    if name.ends_with('.') {
        return Vec::new();
    }
    name.trim_start_matches('.')
        .split('.')
        .skip(1)
        .map(|s| format!(".{s}"))
        .collect()
}

/// `_split_multiext(name, 3, 4, 2)`, including its `rstrip(suffix)` (a strip of characters).
pub(crate) fn split_multiext(name: &str) -> (String, String) {
    let mut name = name.to_owned();
    let mut ext = String::new();
    for (i, sfx) in suffixes(&name.clone()).iter().rev().enumerate() {
        if i >= 2 {
            break;
        }
        if (3..=4).contains(&sfx.chars().count()) {
            ext = format!("{sfx}{ext}");
            let strip: Vec<char> = sfx.chars().collect();
            name = name.trim_end_matches(|c| strip.contains(&c)).to_owned();
        } else {
            break;
        }
    }
    (name, ext)
}

/// The URL's path basename.
fn url_basename(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.rsplit('/').next().unwrap_or("").to_owned()
}

/// Where `NamedTemporaryFile(dir=tmp, prefix, suffix)` would put the download.
pub(crate) fn temp_name(tmp: &str, url: &str) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let (prefix, ext) = split_multiext(&url_basename(url));
    let rand: String = (0..8)
        .map(|_| CHARS[rand::random::<u32>() as usize % CHARS.len()] as char)
        .collect();
    format!("{tmp}/{prefix}{rand}{ext}")
}

/// `mask_url`: credentials in the URL become `****`.
pub(crate) fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(end);
    let Some((user, host)) = netloc.rsplit_once('@') else {
        return url.to_owned();
    };
    let masked = if user.contains(':') {
        "****:****"
    } else {
        "****"
    };
    format!("{scheme}://{masked}@{host}{tail}")
}

/// Shell that downloads `url` to `$f` with curl or wget and prints `fetch:<tool> <rc>`,
/// `status:<last HTTP status line>` and `ferr:<base64 stderr>`; `fetch:none` without either.
pub(crate) fn script(url: &str, validate_certs: bool) -> String {
    let u = quote(url);
    let (ck, wk) = if validate_certs {
        ("", "")
    } else {
        ("-k ", "--no-check-certificate ")
    };
    format!(
        "if command -v curl >/dev/null 2>&1; then \
         curl -sS -L --http1.1 {ck}--connect-timeout 10 -D \"$t/.h\" -o \"$f\" -- {u} 2>\"$t/.e\"; echo \"fetch:curl $?\"; \
         echo \"status:$(grep '^HTTP/' \"$t/.h\" 2>/dev/null | tail -n 1 | tr -d '\\r')\"; \
         elif command -v wget >/dev/null 2>&1; then \
         wget -q -S {wk}-T 10 -O \"$f\" -- {u} 2>\"$t/.e\"; echo \"fetch:wget $?\"; \
         echo \"status:$(grep '^ *HTTP/' \"$t/.e\" | tail -n 1 | sed 's/^ *//' | tr -d '\\r')\"; \
         else echo fetch:none; fi; \
         if [ -f \"$t/.e\" ]; then echo \"ferr:$(base64 < \"$t/.e\" | tr -d '\\n')\"; fi; rm -f \"$t/.h\" \"$t/.e\"\n"
    )
}

/// The module's failure reason for a download, from what curl/wget reported.
pub(crate) fn failure(tool: &str, rc: i32, status: &str, stderr: &str) -> Option<String> {
    let mut parts = status.splitn(3, ' ');
    let code: u16 = parts.nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let reason = parts.next().unwrap_or("").trim();
    if code >= 400 {
        return Some(format!("HTTP Error {code}: {reason}"));
    }
    if rc == 0 {
        return None;
    }
    let refused = match tool {
        "curl" => rc == 7,
        _ => stderr.contains("Connection refused"),
    };
    let unresolved = match tool {
        "curl" => rc == 6,
        _ => rc == 4 && stderr.contains("resolve"),
    };
    Some(if refused {
        "Request failed: <urlopen error [Errno 111] Connection refused>".to_owned()
    } else if unresolved {
        "Request failed: <urlopen error [Errno -2] Name or service not known>".to_owned()
    } else {
        format!("Request failed: {}", stderr.trim())
    })
}

/// A plain-HTTP GET from the controller, following redirects; `Err` is the reason as
/// `fetch_url` words it.
pub(crate) fn http_get(url: &str) -> Result<Vec<u8>, String> {
    let mut url = url.to_owned();
    for _ in 0..10 {
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(format!(
                "Request failed: the target has neither curl nor wget, and rsible fetches only http:// URLs itself: {}",
                mask_url(&url)
            ));
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (hostport, path) = rest.split_at(end);
        let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
        let path = if path.is_empty() { "/" } else { path };
        let addr = if hostport.contains(':') {
            hostport.to_owned()
        } else {
            format!("{hostport}:80")
        };
        let mut stream = TcpStream::connect(&addr).map_err(|e| {
            let errno = e.raw_os_error().unwrap_or(0);
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                "Request failed: <urlopen error [Errno 111] Connection refused>".to_owned()
            } else {
                format!("Request failed: <urlopen error [Errno {errno}] {e}>")
            }
        })?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        // HTTP/1.0 keeps the body unchunked and ends it by closing the connection.
        let req = format!(
            "GET {path} HTTP/1.0\r\nHost: {hostport}\r\nUser-Agent: ansible-httpget\r\nConnection: close\r\n\r\n"
        );
        stream
            .write_all(req.as_bytes())
            .map_err(|e| format!("Connection failure: {e}"))?;
        let mut buf = Vec::new();
        stream
            .read_to_end(&mut buf)
            .map_err(|e| format!("Connection failure: {e}"))?;
        let split = buf.windows(4).position(|w| w == b"\r\n\r\n").ok_or(
            "Connection failure: connection was closed before a valid response was received: ",
        )?;
        let head = String::from_utf8_lossy(&buf[..split]).into_owned();
        let body = buf[split + 4..].to_vec();
        let mut lines = head.lines();
        let status = lines.next().unwrap_or("");
        let mut parts = status.splitn(3, ' ');
        let code: u16 = parts.nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let reason = parts.next().unwrap_or("").to_owned();
        if (300..400).contains(&code) {
            if let Some(loc) = lines.find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                    .map(|(_, v)| v.trim().to_owned())
            }) {
                url = if loc.starts_with("http") {
                    loc
                } else {
                    format!("http://{hostport}{loc}")
                };
                continue;
            }
        }
        if code >= 400 {
            return Err(format!("HTTP Error {code}: {reason}"));
        }
        return Ok(body);
    }
    Err("Request failed: too many redirects".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from ansible.module_utils.urls._split_multiext and mask_url.
    #[test]
    fn names_like_fetch_file() {
        assert_eq!(split_multiext("x.tar.gz"), ("x".into(), ".tar.gz".into()));
        assert_eq!(
            split_multiext("v4.4-0.32.tar.gz"),
            ("v4.4-0.32".into(), ".tar.gz".into())
        );
        assert_eq!(
            split_multiext("iproute2-5.9.0.tar.gz"),
            ("iproute2-5.9.0".into(), ".tar.gz".into())
        );
        assert_eq!(split_multiext("a.zip"), ("a".into(), ".zip".into()));
        assert_eq!(split_multiext("archive"), ("archive".into(), String::new()));
        assert_eq!(split_multiext("data.tgz"), ("data".into(), ".tgz".into()));
        assert_eq!(
            split_multiext("foo.targz.gz"),
            ("foo.tar".into(), ".gz".into())
        );
        assert_eq!(mask_url("http://u:p@h/x.tgz"), "http://****:****@h/x.tgz");
        assert_eq!(mask_url("http://h/x.tgz"), "http://h/x.tgz");
        let n = temp_name("/t", "http://h/dir/x.tar.gz?y=1");
        assert!(
            n.starts_with("/t/x") && n.ends_with(".tar.gz") && n.len() == "/t/x".len() + 8 + 7,
            "{n}"
        );
    }
}

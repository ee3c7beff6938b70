//! A plain-HTTP GET from the controller, for the modules whose download rsible makes itself
//! when the target has no download tool (`deb822_repository`'s `signed_by` URL).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// A plain-HTTP GET from the controller, following redirects; `Err` is the reason as
/// `fetch_url` words it.
pub(crate) fn http_get(url: &str) -> Result<Vec<u8>, String> {
    let mut url = url.to_owned();
    for _ in 0..10 {
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(format!(
                "Request failed: the target has neither curl nor wget, and rsible fetches only http:// URLs itself: {}",
                super::http::mask_url(&url)
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

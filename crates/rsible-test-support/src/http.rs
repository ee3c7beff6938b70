//! A tiny HTTP/1.0 file server on the machine's end of a host set's bridge: the hosts have no
//! route anywhere else, so it stands in for download sites (kernel.org, GitHub, the URLs of
//! `unarchive` and `get_url`), with a few `/api/` answers for `uri`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The `Content-Type` of files that say nothing more specific.
pub const OCTET_STREAM: &str = "application/octet-stream";

#[derive(Debug)]
pub struct FileServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Request lines served, so a test can tell the hosts really downloaded.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl FileServer {
    /// Serves the files directly in `dir` on `address`, on a port the kernel picks, as
    /// [`OCTET_STREAM`].
    pub fn start(address: Ipv4Addr, dir: &Path) -> Self {
        Self::start_as(address, dir, OCTET_STREAM)
    }

    /// [`FileServer::start`] with every file served as `content_type`.
    pub fn start_as(address: Ipv4Addr, dir: &Path, content_type: &'static str) -> Self {
        let listener = TcpListener::bind((address, 0))
            .unwrap_or_else(|e| panic!("binding the file server to {address}: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("file server address: {e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let dir = dir.to_path_buf();
        let thread = {
            let stop = Arc::clone(&stop);
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &dir, content_type, &log);
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
            log,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the file `name`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base_url())
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag. Without a wake-up (the address is gone
        // with its bridge) the thread is left blocked rather than hanging the test.
        let woken = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(thread) = self.thread.take().filter(|_| woken) {
            let _ = thread.join();
        }
    }
}

/// A status line, extra headers and a body.
type Answer = (String, Vec<(&'static str, String)>, Vec<u8>);

/// The answers of the `/api/` paths, for `uri`: `(status line, extra headers, body)`.
///
/// - `/api/json`: a JSON document;
/// - `/api/echo`: `201 Created`, the body `<METHOD> <content-type> <request body>`;
/// - `/api/redirect`: `302` to `/api/json`;
/// - `/api/secret`: `200` with basic auth `user:secret`, else `401` with a Basic challenge;
/// - `/api/cookie`: sets two cookies;
/// - `/api/status/<code>`: that status.
fn api(path: &str, method: &str, headers: &[(String, String)], body: &[u8]) -> Option<Answer> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let json = "application/json".to_owned();
    Some(match path.split('?').next().unwrap_or("") {
        "/api/json" => (
            "200 OK".into(),
            vec![("Content-Type", json), ("X-Api-Version", "3".into())],
            br#"{"name": "rsible", "items": [1, 2], "nested": {"ok": true}}"#.to_vec(),
        ),
        "/api/echo" => (
            "201 Created".into(),
            vec![("Content-Type", "text/plain; charset=utf-8".into())],
            format!(
                "{method} {} {}",
                header("content-type").unwrap_or("-"),
                String::from_utf8_lossy(body)
            )
            .into_bytes(),
        ),
        "/api/redirect" => (
            "302 Found".into(),
            vec![("Location", "/api/json".into())],
            Vec::new(),
        ),
        // base64("user:secret")
        "/api/secret" => match header("authorization") {
            Some("Basic dXNlcjpzZWNyZXQ=") => (
                "200 OK".into(),
                vec![("Content-Type", "text/plain".into())],
                b"welcome".to_vec(),
            ),
            _ => (
                "401 Unauthorized".into(),
                vec![("WWW-Authenticate", "Basic realm=\"rsible\"".into())],
                b"who are you?".to_vec(),
            ),
        },
        "/api/cookie" => (
            "200 OK".into(),
            vec![
                ("Set-Cookie", "session=abc123; Path=/".into()),
                ("Set-Cookie", "theme=dark; Path=/".into()),
            ],
            b"cookies".to_vec(),
        ),
        p => {
            let code: u16 = p.strip_prefix("/api/status/")?.parse().ok()?;
            let reason = match code {
                200 => "OK",
                204 => "No Content",
                404 => "Not Found",
                409 => "Conflict",
                500 => "Internal Server Error",
                _ => "Unknown",
            };
            (
                format!("{code} {reason}"),
                Vec::new(),
                format!("status {code}").into_bytes(),
            )
        }
    })
}

fn serve(stream: TcpStream, dir: &Path, content_type: &str, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line.trim().is_empty() => break,
            Ok(_) => {
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
        body.clear();
    }
    let request = request.trim().to_owned();
    let method = request.split_whitespace().next().unwrap_or("").to_owned();
    let target = request.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut out = &stream;
    let head_only = method == "HEAD";
    if let Some((status, extra, body)) = api(&target, &method, &headers, &body) {
        let mut head = format!("HTTP/1.0 {status}\r\n");
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let _ = out.write_all(head.as_bytes());
        if !head_only {
            let _ = out.write_all(&body);
        }
        let _ = out.flush();
        if let Ok(mut log) = log.lock() {
            log.push(request);
        }
        return;
    }
    let name = target.trim_start_matches('/').to_owned();
    let file: Option<PathBuf> = (!name.is_empty() && !name.contains('/') && !name.starts_with('.'))
        .then(|| dir.join(&name))
        .filter(|p| p.is_file());
    match file.and_then(|p| std::fs::read(p).ok()) {
        Some(body) => {
            let _ = write!(
                out,
                "HTTP/1.0 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            if !head_only {
                let _ = out.write_all(&body);
            }
        }
        None => {
            let _ = write!(
                out,
                "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    }
    let _ = out.flush();
    if let Ok(mut log) = log.lock() {
        log.push(request);
    }
}

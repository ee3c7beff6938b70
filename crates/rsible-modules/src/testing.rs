//! Test helpers: a context builder over any connection (the fake one from
//! `rsible-connection`'s `testing` feature, or the real local one) and result helpers.

use std::path::PathBuf;

use rsible_template::{Origin, Templar, Vars};

use crate::{Connection, ModuleContext, ResultMap};

pub(crate) use rsible_connection::testing::FakeConnection;

/// Owns what a [`ModuleContext`] borrows.
pub(crate) struct Env {
    pub templar: Templar,
    pub vars: Vars,
    pub origin: Origin,
    pub playbook_dir: PathBuf,
    pub role_path: Option<PathBuf>,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    pub environment: Vec<(String, String)>,
}

impl Default for Env {
    fn default() -> Self {
        Self {
            templar: Templar::new(),
            vars: Vars::new(),
            origin: Origin::default(),
            playbook_dir: PathBuf::from("/nonexistent-playbook-dir"),
            role_path: None,
            check_mode: false,
            diff: false,
            verbosity: 0,
            environment: Vec::new(),
        }
    }
}

impl Env {
    pub(crate) fn ctx<'a>(&'a self, conn: &'a dyn Connection) -> ModuleContext<'a> {
        ModuleContext {
            conn,
            templar: &self.templar,
            vars: &self.vars,
            origin: &self.origin,
            role_path: self.role_path.clone(),
            playbook_dir: self.playbook_dir.clone(),
            become_: None,
            environment: self.environment.clone(),
            check_mode: self.check_mode,
            diff: self.diff,
            verbosity: self.verbosity,
            connection_info: None,
            display: &|_| {},
            action: String::new(),
        }
    }
}

/// `json!({...})` as the argument map a module receives.
pub(crate) fn args(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// A result's keys, sorted: tests compare them with the key sets Ansible returns.
pub(crate) fn keys(r: &ResultMap) -> Vec<&str> {
    let mut k: Vec<&str> = r.keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// A module run as the runner sees it: the result map, with a refusal of the arguments turned
/// into Ansible's failed result. Other errors fail the test.
pub(crate) trait RunResult {
    fn result(self) -> ResultMap;
}

impl RunResult for Result<crate::ModuleOutput, crate::ModuleError> {
    fn result(self) -> ResultMap {
        match self {
            Ok(out) => out.result,
            Err(crate::ModuleError::Args(e)) => crate::ModuleOutput::from(e).result,
            Err(e) => panic!("module error: {e}"),
        }
    }
}

/// A request the [`HttpServer`] answered.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    pub method: String,
    pub path: String,
    /// Lowercased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.0 server on 127.0.0.1 answering every connection with `route`'s
/// `(status line, headers, body)`; it records what it was sent.
pub(crate) struct HttpServer {
    pub port: u16,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

type Route = dyn Fn(&Seen) -> (String, Vec<(String, String)>, Vec<u8>) + Send + Sync;

impl HttpServer {
    pub(crate) fn start(route: Box<Route>) -> HttpServer {
        use std::io::{Read as _, Write as _};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i;
                    }
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break req.len(),
                        Ok(k) => req.extend_from_slice(&buf[..k]),
                    }
                };
                let head = String::from_utf8_lossy(&req[..head_end]).into_owned();
                let mut lines = head.lines();
                let first = lines.next().unwrap_or("");
                let mut parts = first.split_whitespace();
                let mut seen = Seen {
                    method: parts.next().unwrap_or("").to_owned(),
                    path: parts.next().unwrap_or("").to_owned(),
                    ..Seen::default()
                };
                for l in lines {
                    if let Some((k, v)) = l.split_once(':') {
                        seen.headers
                            .push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    }
                }
                let len: usize = seen
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = req.get(head_end + 4..).unwrap_or_default().to_vec();
                while body.len() < len {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => body.extend_from_slice(&buf[..k]),
                    }
                }
                seen.body = body;
                let (status, headers, body) = route(&seen);
                let mut out = format!("HTTP/1.0 {status}\r\n");
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let _ = s.write_all(out.as_bytes());
                if seen.method != "HEAD" {
                    let _ = s.write_all(&body);
                }
                if let Ok(mut l) = log.lock() {
                    l.push(seen);
                }
            }
        });
        HttpServer { port, seen }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

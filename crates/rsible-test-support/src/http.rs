//! A tiny HTTP/1.0 file server on the machine's end of a host set's bridge: the hosts have no
//! route anywhere else, so it stands in for download sites (kernel.org, GitHub, the URLs of
//! `unarchive` and `get_url`).

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

fn serve(stream: TcpStream, dir: &Path, content_type: &str, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Headers are read and ignored.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let request = request.trim().to_owned();
    let name = request
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_owned();
    let file: Option<PathBuf> = (!name.is_empty() && !name.contains('/') && !name.starts_with('.'))
        .then(|| dir.join(&name))
        .filter(|p| p.is_file());
    let mut out = &stream;
    let head_only = request.starts_with("HEAD ");
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

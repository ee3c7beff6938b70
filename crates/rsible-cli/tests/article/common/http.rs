//! The shared file server on the controller side of the test network, standing in for
//! kernel.org and GitHub, which serve the article's tarballs as `application/gzip`.

use std::net::Ipv4Addr;
use std::ops::Deref;
use std::path::Path;

use rsible_test_support::http;

pub struct FileServer(http::FileServer);

impl FileServer {
    /// Serves the files directly in `dir` on `address` (the bridge address of the host set), on
    /// a port the kernel picks.
    pub fn start(address: Ipv4Addr, dir: &Path) -> Self {
        Self(http::FileServer::start_as(address, dir, "application/gzip"))
    }
}

impl Deref for FileServer {
    type Target = http::FileServer;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

use std::future::Future;
use std::sync::Arc;

use crate::ConnectionError;

/// The async runtime the ssh processes of one run are driven on. The caller that opens the
/// connections of a run creates one and hands a clone to each [`SshConnection`](super::SshConnection),
/// so it lives exactly as long as they do; trait calls come from plain worker threads and block
/// on it.
#[derive(Clone, Debug)]
pub struct SshRuntime(Arc<tokio::runtime::Runtime>);

impl SshRuntime {
    pub fn new() -> Result<Self, ConnectionError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rsible-ssh")
            .enable_all()
            .build()
            .map(|rt| Self(Arc::new(rt)))
            .map_err(|e| ConnectionError::Failed(format!("cannot start the ssh runtime: {e}")))
    }

    pub(super) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
}

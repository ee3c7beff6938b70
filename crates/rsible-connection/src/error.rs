/// Why a request did not produce an [`ExecOutput`](crate::ExecOutput).
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The host cannot be reached (the task result is UNREACHABLE).
    #[error("{0}")]
    Unreachable(String),
    /// Anything else that went wrong moving bytes or escalating (the task fails).
    #[error("{0}")]
    Failed(String),
    /// `become_method` names a method neither transport implements. Raised by the caller when
    /// the request would run as another user, so tasks that never touch the target still run.
    #[error("become method `{method}` is not supported over {transport} (use sudo or su)")]
    UnsupportedBecomeMethod {
        method: String,
        /// `ssh` or `local`.
        transport: &'static str,
    },
}

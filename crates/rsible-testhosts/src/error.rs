use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// What can go wrong while bringing test hosts up, using them, or tearing them down.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Namespaces, mounts and a second sshd need root.
    #[error("test hosts need root, but this process runs as uid {uid}")]
    NotRoot { uid: u32 },
    /// A tool the harness runs is missing or unusable on this machine.
    #[error("`{tool}` is not usable here: {reason}")]
    Unsupported { tool: String, reason: String },
    /// The builder was given values the harness cannot serve.
    #[error("invalid host set: {0}")]
    InvalidConfig(String),
    /// A host that does not belong to this set was passed in.
    #[error("`{0}` is not a host of this host set")]
    UnknownHost(String),
    /// Every /24 of 10.77.0.0/16 is taken by other host sets.
    #[error("no free /24 left in 10.77.0.0/16 for a new host set")]
    NoFreeSubnet,
    /// A program could not be started at all.
    #[error("cannot run `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    /// A program ran but reported failure.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    /// A host's sshd never accepted connections.
    #[error("sshd of host `{name}` did not answer on {address}:22 within {seconds} s{hint}")]
    SshdNotReady {
        name: String,
        address: Ipv4Addr,
        seconds: u64,
        hint: String,
    },
    /// The host was rebooted or stopped while something needed its running PID 1.
    #[error("host `{0}` is not running")]
    HostDown(String),
    /// A file the harness reads or writes.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// `down` found no usable state file.
    #[error("`{}` holds no host set started by `rsible-testhosts up`", path.display())]
    NoState { path: PathBuf },
}

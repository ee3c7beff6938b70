//! How rsible reaches a target. Modules talk to a host only through the [`Connection`] trait
//! (run a command, write a file, stat a path); this crate holds that trait and everything both
//! transports must agree on, so a passing local test vouches for SSH too:
//!
//! - [`shell`]: the one shell quoting (`shlex.quote`, and paths that keep `~user` expandable);
//! - [`Become`]: the one command line that wraps a request in sudo/su, with the success marker
//!   and sudo's password prompt;
//! - the one file-put script (temp file beside the destination, then a rename).
//!
//! [`local`] runs child processes on the controller; `ssh` (feature `ssh`) multiplexes commands
//! over one OpenSSH ControlMaster per host; `testing` (feature `testing`) is a scripted fake.

mod connection;
mod error;
mod escalation;
pub mod local;
mod put;
mod request;
pub mod shell;
#[cfg(feature = "ssh")]
pub mod ssh;
mod stat;
#[cfg(feature = "testing")]
pub mod testing;

pub use connection::Connection;
pub use error::ConnectionError;
pub use escalation::{Become, BecomeMethod, UnknownBecomeMethod};
pub use put::PutOptions;
pub use request::{Command, ExecOutput, ExecRequest};
pub use stat::FileStat;

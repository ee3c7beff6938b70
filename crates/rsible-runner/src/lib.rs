//! Runs plays: hosts, the linear strategy with forks, variable precedence, loops, conditions,
//! retries, handlers and delegation; reports every step through a [`Callback`].

mod callback;
mod connection_local;
mod connection_ssh;
mod host_state;
mod outcome;
mod tags;
mod task_exec;
mod template_node;
mod vars;
mod error;
mod options;
mod run;

pub use callback::{Callback, ErrorLink, HostStats, PlayInfo, ResultEvent, Stats, TaskInfo};
pub use connection_ssh::{SshConnection, SshSettings};
pub use error::RunError;
pub use options::{RunOptions, RunOutcome};
pub use run::{list_hosts, list_tasks, run_playbook};

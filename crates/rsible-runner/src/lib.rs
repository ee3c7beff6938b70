//! Runs plays: hosts, the linear strategy with forks, variable precedence, loops, conditions,
//! retries, handlers and delegation; reports every step through a [`Callback`].

mod callback;
mod connect;
mod error;
mod host_state;
mod keyword_number;
mod options;
mod outcome;
mod run;
mod tags;
mod task_exec;
mod template_node;
mod vars;

pub use callback::{Callback, ErrorLink, HostStats, PlayInfo, ResultEvent, Stats, TaskInfo};
pub use error::RunError;
pub use options::{Gathering, RunOptions, RunOutcome};
pub use run::{list_hosts, list_tasks, parse_options, run_playbook};

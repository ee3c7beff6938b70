//! Runs plays: hosts, the linear strategy with forks, variable precedence, loops, conditions,
//! retries, handlers and delegation; reports every step through a [`Callback`].
//!
//! [`play`] walks a playbook (plays, batches, blocks, handlers, variables); [`task`] runs one
//! task on its hosts (fork pool, loop items, keywords, attempts). Hosts are reached through a
//! [`Connector`]: [`run_playbook`] uses the real transports, [`run_playbook_with`] any other.

mod callback;
mod connect;
mod connector;
mod error;
mod host_state;
mod keyword_number;
mod options;
mod outcome;
mod play;
mod shared;
mod tags;
mod task;
mod template_node;
mod vars;

pub use callback::{Callback, ErrorLink, HostStats, PlayInfo, ResultEvent, Stats, TaskInfo};
pub use connector::{Connector, SystemConnector, Target};
pub use error::RunError;
pub use options::{Gathering, RunOptions, RunOutcome};
pub use play::{list_hosts, list_tasks, run_playbook, run_playbook_with};
pub use shared::parse_options;
pub use task::unimplemented_modules;

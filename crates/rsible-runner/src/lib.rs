//! Runs plays: hosts, the linear strategy with forks, variable precedence, loops, conditions,
//! retries, handlers and delegation; reports every step through a [`Callback`].

mod callback;

pub use callback::{Callback, HostStats, PlayInfo, ResultEvent, Stats, TaskInfo};

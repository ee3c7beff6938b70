//! One task on the hosts of a play: the fork pool hands each host to a worker
//! ([`pool`]); a worker resolves the host's keywords and walks the loop items ([`host`],
//! [`items`]); each item resolves the rest of the keywords once, templates the arguments and
//! makes the attempts `until` asks for ([`attempt`], [`async_job`]), normalising each result
//! as Ansible does ([`normalise`]). What is particular to some modules is in [`module_call`].

mod args;
mod async_job;
mod attempt;
mod fault;
mod host;
mod inherit;
mod items;
mod module_call;
mod module_defaults;
mod normalise;
mod pool;
mod resolve;

use rsible_parser::{Play, Task};
use rsible_template::{Origin, Vars};

use crate::TaskInfo;

pub(crate) use inherit::{Connection, Inherited};
pub(crate) use items::item_vars_of;
pub use module_call::unimplemented_modules;
pub(crate) use module_call::{
    action_names, bypasses_host_loop, changes_inventory, internal_key, may_read_hostvars,
    split_facts, GATHER_FACTS, INCLUDE_ROLE, INCLUDE_TASKS, META,
};
pub(crate) use normalise::apply_changed_failed_when;
pub(crate) use pool::{dispatch, show_outcome, Shown};

/// Everything a worker needs to run `task` on `host`.
pub(crate) struct HostJob<'a> {
    pub host: String,
    pub task: &'a Task,
    /// The play the task is in, for the keywords the task inherits.
    pub play: &'a Play,
    pub info: &'a TaskInfo,
    /// The host's variables (without the loop item).
    pub vars: Vars,
    pub origin: Origin,
}

impl<'a> HostJob<'a> {
    pub(crate) fn keywords(&self) -> Inherited<'a> {
        Inherited::new(self.task, self.play)
    }
}

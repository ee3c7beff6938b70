//! Ansible's modules, run on the controller. Each drives its target through a
//! [`rsible_connection::Connection`] (exec, put file, stat), so the target needs a POSIX shell
//! and coreutils but no Python.
//!
//! One file per module, named as users write it. Each module first queries state, then changes
//! it, so check mode and `changed` come out right.

mod apt;
mod args;
mod assert;
mod async_job;
mod async_status;
mod authorized_key;
mod authorized_key_file;
mod command;
mod context;
mod copy;
mod copy_file;
mod copy_remote;
mod copy_tree;
mod debug;
mod fail;
mod file;
mod file_plan;
mod file_state;
mod file_times;
mod modprobe;
mod module;
mod ping;
mod registry;
mod set_fact;
mod setup;
mod setup_hardware;
mod setup_network;
mod setup_script;
mod setup_system;
mod stat;
mod synchronize;
mod synchronize_cmd;
mod template;
mod unarchive;
mod util;
mod wait_for_connection;

#[cfg(test)]
mod oracle_test;
#[cfg(test)]
mod script_snapshots;
#[cfg(test)]
mod testing;

pub use async_job::{cleanup_async, poll_async, start_async, RemoteJob};
// Modules name the connection types through the crate root; downstream crates import them
// from `rsible-connection`.
pub use context::{ConnectionInfo, ModuleContext};
pub use module::{Module, ModuleError, ResultMap};
pub use registry::{canonical_name, find_module, module_names};
pub(crate) use rsible_connection::{
    Become, Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions,
};

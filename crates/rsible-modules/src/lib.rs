//! Ansible's modules, run on the controller. Each drives its target through a
//! [`rsible_connection::Connection`] (exec, put file, stat), so the target needs a POSIX shell
//! and coreutils but no Python.
//!
//! One file per module, named as users write it. Each module first queries state, then changes
//! it, so check mode and `changed` come out right.

mod add_host;
mod alternatives;
mod apt;
mod apt_key;
mod apt_repository;
mod args;
mod assert;
mod async_job;
mod async_status;
mod authorized_key;
mod blockinfile;
mod command;
mod context;
mod copy;
mod cron;
mod deb822_repository;
mod debconf;
mod debug;
mod fail;
mod fetch;
mod file;
mod find;
mod get_url;
mod getent;
mod git;
mod group;
mod group_by;
mod hostname;
mod include_vars;
mod ini_file;
mod known;
mod lineinfile;
mod locale_gen;
mod make;
mod modprobe;
mod module;
mod mount;
mod package;
mod package_facts;
mod params;
mod pause;
mod ping;
mod pip;
mod pyregex;
mod raw;
mod reboot;
mod registry;
mod replace;
mod script;
mod service_facts;
mod set_fact;
mod setup;
mod slurp;
mod stat;
mod synchronize;
mod sysctl;
mod systemd;
mod target;
mod tempfile;
mod template;
mod timezone;
mod unarchive;
mod uri;
mod user;
mod util;
mod validate_argument_spec;
mod vault_src;
mod wait_for;
mod wait_for_connection;

#[cfg(test)]
mod no_panic_test;
#[cfg(test)]
mod oracle_test;
#[cfg(test)]
mod script_snapshots;
#[cfg(test)]
mod testing;

pub use async_job::{cleanup_async, poll_async, start_async, RemoteJob};
// Modules name the connection types through the crate root; downstream crates import them
// from `rsible-connection`.
pub use args::{ArgSpec, ArgsError, Unknown};
pub use context::{ConnectionInfo, ModuleContext};
pub use known::resolve_module_name;
pub use module::{
    Collection, Facts, InventoryChange, Kind, Module, ModuleError, ModuleId, ModuleInfo,
    ModuleOutput, ResultMap,
};
pub use registry::{find_module, module_names};
pub(crate) use rsible_connection::{
    Become, Connection, ConnectionError, ExecOutput, ExecRequest, PutOptions,
};
pub use util::py_type;

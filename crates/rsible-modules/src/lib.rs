//! Ansible's modules, run on the controller. Each drives its target through a [`Connection`]
//! (exec, put file, stat), so the target needs a POSIX shell and coreutils but no Python.
//!
//! One file per module, named as users write it. Each module first queries state, then changes
//! it, so check mode and `changed` come out right.

mod connection;
mod context;
mod module;
mod registry;

pub use connection::{
    Become, Command, Connection, ConnectionError, ExecOutput, ExecRequest, FileStat, PutOptions,
};
pub use context::ModuleContext;
pub use module::{Module, ModuleError, ResultMap};
pub use registry::{canonical_name, find_module, module_names};

//! YAML → playbook model, every value keeping the place it came from.
//!
//! Ansible reads YAML 1.1 through PyYAML, so plain scalars resolve as PyYAML does (`yes` is a
//! bool, `0644` is octal). The parser never templates: `{{ … }}` strings stay strings with spans,
//! and the runner renders them at run time.
//!
//! - [`load_yaml_file`]: YAML 1.1 → [`Node`]s with spans (anchors, `<<` merges, duplicate keys
//!   refused).
//! - [`load_playbook`]: plays, tasks, handlers and roles (with their dependencies), with
//!   `import_playbook`, `import_tasks` and plain `block:`s inlined as Ansible would.
//! - [`load_inventories`]: INI/YAML files, directories, `host1,host2,` lists, plus
//!   `group_vars/`/`host_vars/`; [`match_hosts`], [`group_names`] and [`host_vars`] answer
//!   what Ansible's inventory manager answers.

mod argspec;
mod block;
mod error;
mod fields;
mod host_range;
mod import;
mod inventory;
mod inventory_dynamic;
mod inventory_ini;
mod inventory_yaml;
pub mod keywords;
mod model;
mod module_args;
mod node;
mod pattern;
mod play;
mod playbook;
mod py_literal;
mod resolve;
mod role;
mod role_include;
mod task;
pub mod vault;
mod yaml;
mod yaml_error;

pub use error::ParseError;
pub use inventory::{
    add_source, load_inventories, load_inventory, load_vars_dirs, Inventory, InventoryGroup,
    InventoryHost,
};
pub use model::{BlockScope, FromFiles, LoopKind, Play, Playbook, Role, Task, TaskKeywords};
pub use module_args::{parse_kv, UnbalancedArgs};
pub use node::{Node, NodeKind, ScalarStyle};
pub use pattern::{
    group_names, host_vars, is_implicit_localhost, match_hosts, match_hosts_with_warnings,
};
pub use playbook::{load_playbook, load_playbook_str, ParseOptions};
pub use role_include::{load_role, role_options, LoadedRole, RoleOptions};
pub use task::{load_included_tasks, load_tasks_file};
pub use yaml::{load_yaml_file, load_yaml_source, load_yaml_str};

//! YAML → playbook model, every value keeping the place it came from.
//!
//! Ansible reads YAML 1.1 through PyYAML, so plain scalars resolve as PyYAML does (`yes` is a
//! bool, `0644` is octal). The parser never templates: `{{ … }}` strings stay strings with spans,
//! and the runner renders them at run time.

mod error;
mod inventory;
mod model;
mod node;
mod playbook;
mod yaml;

pub use error::ParseError;
pub use inventory::{load_inventory, Inventory, InventoryGroup, InventoryHost};
pub use model::{LoopKind, Play, Playbook, Role, Task, TaskKeywords};
pub use node::{Node, NodeKind, ScalarStyle};
pub use playbook::{load_playbook, ParseOptions};
pub use yaml::{load_yaml_file, load_yaml_str};

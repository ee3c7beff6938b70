//! Ansible's Jinja2 semantics on minijinja.
//!
//! - A string that is exactly one `{{ expr }}` keeps the expression's native type; anything else
//!   renders to a string.
//! - Variables are templated lazily and recursively when looked up (`a: "{{ b }}/x"`).
//! - `when:`-style conditions are bare expressions.
//! - Errors carry the position of the YAML value they came from.
//! - Strings inside variables listed under [`UNTRUSTED_VARS`] (registered results, facts) are
//!   data, never templates, as in ansible-core 2.19.
//! - [`Templar::bind`] shares one set of variables between many calls; the plain methods copy
//!   the variables once per call.

mod conditional;
mod convert;
mod env;
mod error;
mod filter_args;
mod filters;
mod includes;
mod ini;
mod jinja_errors;
mod jtests;
mod lookups;
mod pyjson;
mod pymethods;
mod pyset;
mod regex_py;
mod render;
mod scope;
mod templar;
mod urls;
pub mod vault_mark;
mod yaml;

pub use convert::{py_float, py_repr, py_str, py_str_repr, py_truthy};
pub use error::{Caused, TemplateError};
pub use pyjson::json_dumps;
pub use templar::{Bound, Origin, Templar};

/// Name of an optional entry in [`Vars`]: the variables, or parts of variables, whose values
/// are data (registered results, facts) and are never templated. Each entry is a top-level
/// name (`"out"`: the whole variable) or a path of keys and list indexes (`["f", "out", 0]`:
/// that part of `f`). Ansible 2.19 only treats strings from playbooks, roles, inventory and
/// vars files as templates; a registered `stdout` containing `{{` stays as it is, and such a
/// string is never evaluated as a conditional expression (`docs/trust.md`).
pub const UNTRUSTED_VARS: &str = "__rsible_untrusted__";

/// All variables visible to a task, by name.
pub type Vars = serde_json::Map<String, serde_json::Value>;
pub use serde_json::Value;

//! Ansible's Jinja2 semantics on minijinja.
//!
//! - A string that is exactly one `{{ expr }}` keeps the expression's native type; anything else
//!   renders to a string.
//! - Variables are templated lazily and recursively when looked up (`a: "{{ b }}/x"`).
//! - `when:`-style conditions are bare expressions.
//! - Errors carry the position of the YAML value they came from.

mod error;
mod templar;

pub use error::TemplateError;
pub use templar::{Origin, Templar};

/// All variables visible to a task, by name.
pub type Vars = serde_json::Map<String, serde_json::Value>;
pub use serde_json::Value;

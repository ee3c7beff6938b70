use std::path::PathBuf;

use rsible_source::Span;
use serde_json::Value;

use crate::{TemplateError, Vars};

/// Where a template string came from, so errors and lookups know their place.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// Position of the YAML scalar holding the template.
    pub span: Option<Span>,
    /// True when the scalar is a `|` block or plain scalar, so line offsets inside the template
    /// can be added to `span`; false for quoted/folded scalars (point at the scalar's start).
    pub exact_lines: bool,
    /// Directories searched, in order, by the `file` and `template` lookups and `with_file`
    /// (the role's `files/`/`templates/`, the role dir, the playbook dir's `files/`, the playbook dir).
    pub search_paths: Vec<PathBuf>,
}

/// The template engine, built once per run and shared by every host.
pub struct Templar {
    _private: (),
}

impl Default for Templar {
    fn default() -> Self {
        Self::new()
    }
}

impl Templar {
    pub fn new() -> Self {
        Self { _private: () }
    }

    /// True when `text` holds anything Jinja would act on (`{{`, `{%`, `{#`).
    pub fn is_template(text: &str) -> bool {
        text.contains("{{") || text.contains("{%") || text.contains("{#")
    }

    /// Renders one string with Ansible's semantics: exactly one `{{ expr }}` keeps its native
    /// type; otherwise the result is a string.
    pub fn render_str(
        &self,
        text: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Value, TemplateError> {
        let _ = (vars, origin);
        Ok(Value::String(text.to_owned()))
    }

    /// Renders every string inside a value (lists and dicts recursively, keys included).
    pub fn render_value(
        &self,
        value: &Value,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Value, TemplateError> {
        let _ = (vars, origin);
        Ok(value.clone())
    }

    /// Evaluates a bare expression as a condition (`when:`, `until:`, `changed_when:`…):
    /// `{% if expr %}True{% else %}False{% endif %}`.
    pub fn eval_condition(
        &self,
        expr: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<bool, TemplateError> {
        let _ = (expr, vars, origin);
        Ok(true)
    }

    /// Evaluates a bare expression to a value (`debug: var=`, `loop:` over a bare name).
    pub fn eval_expr(
        &self,
        expr: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Value, TemplateError> {
        let _ = (expr, vars, origin);
        Ok(Value::Null)
    }

    /// Renders a whole template file's text to a string (the `template` module).
    pub fn render_text(
        &self,
        text: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<String, TemplateError> {
        let _ = (vars, origin);
        Ok(text.to_owned())
    }
}

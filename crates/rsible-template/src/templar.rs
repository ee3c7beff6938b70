use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Environment;
use rsible_source::Span;
use serde_json::Value;

use crate::convert::{py_type, value_to_json};
use crate::render::{self, with_span};
use crate::scope::Scope;
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
    env: Arc<Environment<'static>>,
    chainable_env: Arc<Environment<'static>>,
}

impl Default for Templar {
    fn default() -> Self {
        Self::new()
    }
}

impl Templar {
    pub fn new() -> Self {
        Self {
            env: Arc::new(crate::env::build(false)),
            chainable_env: Arc::new(crate::env::build(true)),
        }
    }

    /// True when `text` holds anything Jinja would act on (`{{`, `{%`, `{#`).
    pub fn is_template(text: &str) -> bool {
        text.contains("{{") || text.contains("{%") || text.contains("{#")
    }

    /// The same operations for many calls with one set of variables (one task on one host),
    /// without copying the variables for each call.
    pub fn bind(&self, vars: Arc<Vars>) -> Bound<'_> {
        Bound {
            templar: self,
            vars,
        }
    }

    /// Runs `f` with strict undefined handling; if it failed on an undefined name that the
    /// text only tests (`foo.bar is defined`, `foo.bar | default(…)`), runs it again with
    /// Jinja's chained undefined, where that is legal.
    fn attempt<T>(
        &self,
        text: &str,
        vars: &Arc<Vars>,
        origin: &Origin,
        f: impl Fn(&Arc<Scope>) -> Result<T, TemplateError>,
    ) -> Result<T, TemplateError> {
        self.attempt_in([&self.env, &self.chainable_env], &[], text, vars, origin, f)
    }

    /// [`Self::attempt`] in the given strict and chainable environments.
    fn attempt_in<T>(
        &self,
        [strict, chainable]: [&Arc<Environment<'static>>; 2],
        loader_dirs: &[PathBuf],
        text: &str,
        vars: &Arc<Vars>,
        origin: &Origin,
        f: impl Fn(&Arc<Scope>) -> Result<T, TemplateError>,
    ) -> Result<T, TemplateError> {
        let scope_in = |env: &Arc<Environment<'static>>| {
            Scope::with_loader_dirs(
                env.clone(),
                vars.clone(),
                origin.search_paths.clone(),
                loader_dirs.to_vec(),
            )
        };
        let first = f(&scope_in(strict));
        match &first {
            Err(TemplateError::Undefined { name, .. }) if only_tested(text, name) => {
                f(&scope_in(chainable))
            }
            _ => first,
        }
    }

    /// Renders one string with Ansible's semantics: exactly one `{{ expr }}` keeps its native
    /// type; otherwise the result is a string.
    pub fn render_str(
        &self,
        text: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Value, TemplateError> {
        if !Self::is_template(text) {
            return Ok(Value::String(text.to_owned()));
        }
        self.bind(Arc::new(vars.clone())).render_str(text, origin)
    }

    /// Renders every string inside a value (lists and dicts recursively, keys included).
    pub fn render_value(
        &self,
        value: &Value,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Value, TemplateError> {
        if !holds_template(value) {
            return Ok(value.clone());
        }
        self.bind(Arc::new(vars.clone()))
            .render_value(value, origin)
    }

    /// Evaluates a bare expression as a condition (`when:`, `until:`, `changed_when:`…):
    /// `{% if expr %}True{% else %}False{% endif %}`. As in ansible-core 2.19 the result must
    /// be a boolean.
    pub fn eval_condition(
        &self,
        expr: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<bool, TemplateError> {
        self.bind(Arc::new(vars.clone()))
            .eval_condition(expr, origin)
    }

    /// `assert`'s `that:` given as one string: ansible-core 2.19 renders it only into a list
    /// of conditions; otherwise it stays a conditional, evaluated as written. `Some(list)`
    /// when it renders to a list, `None` when it stays; an untrusted error when it is entirely
    /// a template that renders to an untrusted string (`{{ '1 == 1' }}`).
    pub fn conditions_list(
        &self,
        text: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Option<Value>, TemplateError> {
        let trimmed = text.trim();
        if !crate::conditional::is_possibly_all_template(trimmed) {
            return Ok(None);
        }
        match self.render_str(trimmed, vars, origin) {
            Ok(Value::Array(items)) => Ok(Some(Value::Array(items))),
            Ok(Value::String(_)) if !crate::conditional::trusted_indirection(vars, trimmed) => {
                Err(crate::conditional::untrusted(origin))
            }
            // The evaluation reports anything else, and any rendering error, as it would.
            _ => Ok(None),
        }
    }

    /// Evaluates a bare expression to a value (`debug: var=`, `loop:` over a bare name).
    pub fn eval_expr(
        &self,
        expr: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Value, TemplateError> {
        self.bind(Arc::new(vars.clone())).eval_expr(expr, origin)
    }

    /// Renders a whole template file's text to a string (the `template` module).
    pub fn render_text(
        &self,
        text: &str,
        vars: &Vars,
        origin: &Origin,
    ) -> Result<String, TemplateError> {
        self.bind(Arc::new(vars.clone())).render_text(text, origin)
    }

    /// Runs a lookup plugin as `with_<name>` does: the list of items to loop over. `terms`
    /// is the loop value made a list (a lone string becomes one term).
    pub fn run_lookup(
        &self,
        name: &str,
        terms: &[Value],
        vars: &Vars,
        origin: &Origin,
    ) -> Result<Vec<Value>, TemplateError> {
        self.bind(Arc::new(vars.clone()))
            .run_lookup(name, terms, origin, "files")
    }

    /// [`Self::run_lookup`] for a `with_<name>` loop of a task running `action`: Ansible gives
    /// the lookup the sub-directory it searches from the action's name (`templates/` for
    /// template actions, `vars/` for `include_vars`, else `files/`).
    pub fn run_loop_lookup(
        &self,
        name: &str,
        terms: &[Value],
        vars: &Vars,
        origin: &Origin,
        action: &str,
    ) -> Result<Vec<Value>, TemplateError> {
        let subdir = ["template", "var"]
            .into_iter()
            .find(|s| action.contains(s))
            .map_or(
                "files",
                |s| if s == "template" { "templates" } else { "vars" },
            );
        self.bind(Arc::new(vars.clone()))
            .run_lookup(name, terms, origin, subdir)
    }
}

/// A [`Templar`] with its variables: see [`Templar::bind`].
pub struct Bound<'t> {
    templar: &'t Templar,
    vars: Arc<Vars>,
}

impl Bound<'_> {
    /// Renders one string with Ansible's semantics: exactly one `{{ expr }}` keeps its native
    /// type; otherwise the result is a string.
    pub fn render_str(&self, text: &str, origin: &Origin) -> Result<Value, TemplateError> {
        if !Templar::is_template(text) {
            return Ok(Value::String(text.to_owned()));
        }
        self.templar.attempt(text, &self.vars, origin, |scope| {
            render_in(scope, text, origin)
        })
    }

    /// Renders every string inside a value (lists and dicts recursively, keys included).
    pub fn render_value(&self, value: &Value, origin: &Origin) -> Result<Value, TemplateError> {
        if !holds_template(value) {
            return Ok(value.clone());
        }
        render_value_in(self.templar, value, &self.vars, origin)
    }

    /// Evaluates a condition (`when:`, `until:`, `changed_when:`, `assert`'s `that`…) as
    /// ansible-core 2.19's `evaluate_conditional` does: an empty one is an error; one that is
    /// entirely a template (`{{ x }}`) is rendered first, and a string result is evaluated as
    /// an expression only when it is trusted (see [`crate::conditional`]); anything else is a
    /// bare expression from the playbook. The result must be a boolean.
    pub fn eval_condition(&self, expr: &str, origin: &Origin) -> Result<bool, TemplateError> {
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Err(crate::conditional::empty(origin));
        }
        let value = if crate::conditional::is_possibly_all_template(trimmed) {
            let rendered = self
                .render_str(trimmed, origin)
                .map_err(crate::conditional::in_conditional)?;
            match rendered {
                Value::String(s) => {
                    let expression = s.trim();
                    if expression.is_empty() {
                        return Err(crate::conditional::empty(origin));
                    }
                    if !crate::conditional::trusted_indirection(&self.vars, trimmed) {
                        return Err(crate::conditional::untrusted(origin));
                    }
                    self.eval_bare_condition(expression, origin)?
                }
                // Not an expression: a boolean is the answer, anything else is judged below.
                other => other,
            }
        } else {
            self.eval_bare_condition(trimmed, origin)?
        };
        match value {
            Value::Bool(b) => Ok(b),
            other => {
                let truth = if crate::convert::py_truthy(&other) {
                    "True"
                } else {
                    "False"
                };
                let at = origin
                    .span
                    .map_or_else(|| "<unknown>".to_owned(), |s| s.to_string());
                Err(TemplateError::Render {
                    message: format!(
                        "Conditional result ({truth}) was derived from value of type '{}' at '{at}'. Conditionals must have a boolean result.",
                        py_type(&other)
                    ),
                    span: origin.span,
                })
            }
        }
    }

    fn eval_bare_condition(&self, bare: &str, origin: &Origin) -> Result<Value, TemplateError> {
        self.templar.attempt(bare, &self.vars, origin, |scope| {
            eval_condition_in(scope, bare, origin)
        })
    }

    /// Evaluates a bare expression to a value (`debug: var=`, `loop:` over a bare name).
    pub fn eval_expr(&self, expr: &str, origin: &Origin) -> Result<Value, TemplateError> {
        self.templar.attempt(expr, &self.vars, origin, |scope| {
            let v = render::eval_bare(scope, expr.trim(), true, Some(origin))?;
            finish(scope, &v, expr, origin)
        })
    }

    /// [`Self::render_text`] with the template module's `trim_blocks` (Ansible's default: on)
    /// and `lstrip_blocks` (default: off), and `include_dirs`: where `{% include %}` and its
    /// kin look for other templates (see [`crate::includes`]).
    pub fn render_text_with(
        &self,
        text: &str,
        origin: &Origin,
        trim_blocks: bool,
        lstrip_blocks: bool,
        include_dirs: &[PathBuf],
    ) -> Result<String, TemplateError> {
        let src = rewrite_source(text, trim_blocks, lstrip_blocks);
        if include_dirs.is_empty() || !crate::includes::loads_templates(&src) {
            return self.render_text(&src, origin);
        }
        let dirs = crate::includes::loader_dirs(include_dirs);
        let [strict, chainable] = [&self.templar.env, &self.templar.chainable_env].map(|env| {
            crate::includes::with_loader(env, dirs.clone(), move |t| {
                rewrite_source(t, trim_blocks, lstrip_blocks)
            })
        });
        self.templar.attempt_in(
            [&strict, &chainable],
            &dirs,
            &src,
            &self.vars,
            origin,
            |scope| render::render_string(scope, &src, false, Some(origin)),
        )
    }

    /// Renders a whole template file's text to a string (the `template` module).
    pub fn render_text(&self, text: &str, origin: &Origin) -> Result<String, TemplateError> {
        self.templar.attempt(text, &self.vars, origin, |scope| {
            render::render_string(scope, text, false, Some(origin))
        })
    }

    /// Runs a lookup plugin as `with_<name>` does: the list of items to loop over.
    pub fn run_lookup(
        &self,
        name: &str,
        terms: &[Value],
        origin: &Origin,
        subdir: &str,
    ) -> Result<Vec<Value>, TemplateError> {
        let scope = Scope::new(
            self.templar.env.clone(),
            self.vars.clone(),
            origin.search_paths.clone(),
        );
        crate::lookups::run(&scope, name, terms, &serde_json::Map::new(), Some(subdir))
            .map_err(|e| with_span(e, origin.span))
    }
}

fn holds_template(v: &Value) -> bool {
    match v {
        Value::String(s) => Templar::is_template(s),
        Value::Array(a) => a.iter().any(holds_template),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| Templar::is_template(k) || holds_template(v)),
        _ => false,
    }
}

fn finish(
    scope: &Arc<Scope>,
    v: &minijinja::Value,
    text: &str,
    origin: &Origin,
) -> Result<Value, TemplateError> {
    value_to_json(v).map_err(|e| {
        let fallback = render::convert_error(scope, &e, text, 0, Some(origin));
        scope.take_pending().unwrap_or(fallback)
    })
}

fn render_in(scope: &Arc<Scope>, text: &str, origin: &Origin) -> Result<Value, TemplateError> {
    let v = render::render_native(scope, text, Some(origin))?;
    finish(scope, &v, text, origin)
}

fn eval_condition_in(
    scope: &Arc<Scope>,
    bare: &str,
    origin: &Origin,
) -> Result<Value, TemplateError> {
    let v = render::eval_bare(scope, bare, false, Some(origin)).map_err(|e| match e {
        TemplateError::Undefined {
            name,
            message,
            span,
        } => TemplateError::Undefined {
            name,
            message: format!("Error while evaluating conditional: {message}"),
            span,
        },
        other => other,
    })?;
    finish(scope, &v, bare, origin)
}

/// True when every use of `name` in `text` is followed by an attribute or item access that
/// ends in a definedness test or a default.
fn only_tested(text: &str, name: &str) -> bool {
    let pattern = format!(
        r"\b{}(?:\.\w+|\[[^\]]*\])+\s*(?:is\s+(?:not\s+)?(?:defined|undefined)\b|\|\s*(?:default|d)\b)",
        regex::escape(name)
    );
    regex::Regex::new(&pattern).is_ok_and(|re| re.is_match(text))
}

fn render_value_in(
    templar: &Templar,
    value: &Value,
    vars: &Arc<Vars>,
    origin: &Origin,
) -> Result<Value, TemplateError> {
    let one = |s: &str| templar.attempt(s, vars, origin, |scope| render_in(scope, s, origin));
    Ok(match value {
        Value::String(s) if Templar::is_template(s) => one(s)?,
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| render_value_in(templar, v, vars, origin))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let key = if Templar::is_template(k) {
                    match one(k)? {
                        Value::String(s) => s,
                        other => crate::convert::py_str(&other),
                    }
                } else {
                    k.clone()
                };
                out.insert(key, render_value_in(templar, v, vars, origin)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The one environment trims blocks, so other settings are reached by rewriting the source:
/// an extra newline after each tag for `trim_blocks: false`, the indentation before a tag
/// removed for `lstrip_blocks: true`.
fn rewrite_source(text: &str, trim_blocks: bool, lstrip_blocks: bool) -> String {
    let mut src = std::borrow::Cow::Borrowed(text);
    if lstrip_blocks {
        static LSTRIP: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
        if let Some(re) =
            LSTRIP.get_or_init(|| regex::Regex::new(r"(?m)^[ \t]+(\{[%#])([^+])").ok())
        {
            src = std::borrow::Cow::Owned(re.replace_all(&src, "$1$2").into_owned());
        }
    }
    if !trim_blocks {
        src = std::borrow::Cow::Owned(src.replace("%}\n", "%}\n\n").replace("#}\n", "#}\n\n"));
    }
    src.into_owned()
}

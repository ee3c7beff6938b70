//! The one minijinja environment, configured as Ansible configures Jinja.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::ValueKind;
use minijinja::{escape_formatter, Environment, Error, ErrorKind, UndefinedBehavior};

use crate::convert::{py_str, value_to_json};

thread_local! {
    /// Whether an expression's value reached the output since [`reset_emitted`].
    static EMITTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Starts watching for expression output (on this thread: a render runs on one).
pub(crate) fn reset_emitted() {
    EMITTED.with(|e| e.set(false));
}

/// Whether an expression's value was written since [`reset_emitted`]. With an empty result it
/// tells a template that produced no output node at all (Ansible: `None`) from one whose
/// expressions gave empty strings (`""`).
pub(crate) fn emitted() -> bool {
    EMITTED.with(std::cell::Cell::get)
}

fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &mut minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Undefined if state.undefined_behavior() == UndefinedBehavior::Chainable => {
            Err(Error::new(ErrorKind::UndefinedError, "undefined value"))
        }
        ValueKind::Undefined | ValueKind::Invalid => escape_formatter(out, state, value),
        ValueKind::String => out
            .write_str(value.as_str().unwrap_or(""))
            .map_err(Into::into),
        // Ansible 2.19 renders None inside text as nothing.
        ValueKind::None => Ok(()),
        _ => {
            let j = value_to_json(value)?;
            out.write_str(&py_str(&j)).map_err(Into::into)
        }
    }
}

/// `chainable` builds the fallback used when a template tests an attribute of an undefined
/// value (`foo.bar is defined`), which Jinja allows and minijinja's strict mode does not.
pub(crate) fn build(chainable: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(if chainable {
        UndefinedBehavior::Chainable
    } else {
        UndefinedBehavior::Strict
    });
    // AnsibleEnvironment sets trim_blocks; trailing newlines are restored after rendering.
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .keep_trailing_newline(false)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_debug(true);
    env.set_recursion_limit(200);
    env.set_formatter(|out, state, value| {
        EMITTED.with(|e| e.set(true));
        format_value(out, state, value)
    });
    env.set_unknown_method_callback(crate::pymethods::call_method);
    crate::filters::register(&mut env);
    crate::jtests::register(&mut env);
    crate::lookups::register(&mut env);
    crate::urls::register(&mut env);
    env
}

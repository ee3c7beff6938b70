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
    // Jinja's own filters and tests, which ansible-core also finds as `ansible.builtin.<name>`.
    {
        use minijinja::filters as f;
        use minijinja::tests as t;
        env.add_filter("ansible.builtin.map", f::map);
        env.add_filter("ansible.builtin.select", f::select);
        env.add_filter("ansible.builtin.reject", f::reject);
        env.add_filter("ansible.builtin.groupby", f::groupby);
        env.add_filter("ansible.builtin.abs", f::abs);
        env.add_filter("ansible.builtin.attr", f::attr);
        env.add_filter("ansible.builtin.batch", f::batch);
        env.add_filter("ansible.builtin.capitalize", f::capitalize);
        env.add_filter("ansible.builtin.dictsort", f::dictsort);
        env.add_filter("ansible.builtin.first", f::first);
        env.add_filter("ansible.builtin.indent", f::indent);
        env.add_filter("ansible.builtin.items", f::items);
        env.add_filter("ansible.builtin.last", f::last);
        env.add_filter("ansible.builtin.length", f::length);
        env.add_filter("ansible.builtin.count", f::length);
        env.add_filter("ansible.builtin.list", f::list);
        env.add_filter("ansible.builtin.lower", f::lower);
        env.add_filter("ansible.builtin.max", f::max);
        env.add_filter("ansible.builtin.min", f::min);
        env.add_filter("ansible.builtin.replace", f::replace);
        env.add_filter("ansible.builtin.reverse", f::reverse);
        env.add_filter("ansible.builtin.round", f::round);
        env.add_filter("ansible.builtin.slice", f::slice);
        env.add_filter("ansible.builtin.sort", f::sort);
        env.add_filter("ansible.builtin.sum", f::sum);
        env.add_filter("ansible.builtin.title", f::title);
        env.add_filter("ansible.builtin.trim", f::trim);
        env.add_filter("ansible.builtin.upper", f::upper);
        env.add_test("ansible.builtin.defined", t::is_defined);
        env.add_test("ansible.builtin.undefined", t::is_undefined);
        env.add_test("ansible.builtin.none", t::is_none);
        env.add_test("ansible.builtin.number", t::is_number);
        env.add_test("ansible.builtin.string", t::is_string);
        env.add_test("ansible.builtin.sequence", t::is_sequence);
        env.add_test("ansible.builtin.mapping", t::is_mapping);
        env.add_test("ansible.builtin.iterable", t::is_iterable);
        env.add_test("ansible.builtin.odd", t::is_odd);
        env.add_test("ansible.builtin.even", t::is_even);
        env.add_test("ansible.builtin.boolean", t::is_boolean);
        env.add_test("ansible.builtin.integer", t::is_integer);
        env.add_test("ansible.builtin.float", t::is_float);
        env.add_test("ansible.builtin.lower", t::is_lower);
        env.add_test("ansible.builtin.upper", t::is_upper);
        env.add_test("ansible.builtin.divisibleby", t::is_divisibleby);
        env.add_test("ansible.builtin.in", t::is_in);
    }
    env
}

/// ansible-core's own filters (`plugins/filter/*.py`) and the Jinja ones rsible implements
/// itself, also written `ansible.builtin.<name>`.
const ANSIBLE_FILTERS: &[&str] = &[
    "int",
    "float",
    "string",
    "join",
    "wordcount",
    "center",
    "truncate",
    "filesizeformat",
    "striptags",
    "b64decode",
    "b64encode",
    "basename",
    "bool",
    "checksum",
    "combinations",
    "combine",
    "comment",
    "commonpath",
    "d",
    "default",
    "dict2items",
    "difference",
    "dirname",
    "expanduser",
    "expandvars",
    "extract",
    "fileglob",
    "flatten",
    "from_json",
    "from_yaml",
    "from_yaml_all",
    "hash",
    "human_readable",
    "human_to_bytes",
    "intersect",
    "items2dict",
    "log",
    "mandatory",
    "md5",
    "normpath",
    "password_hash",
    "path_join",
    "permutations",
    "pow",
    "product",
    "quote",
    "random",
    "realpath",
    "regex_escape",
    "regex_findall",
    "regex_replace",
    "regex_search",
    "rejectattr",
    "rekey_on_member",
    "relpath",
    "root",
    "selectattr",
    "sha1",
    "shuffle",
    "split",
    "splitext",
    "strftime",
    "subelements",
    "symmetric_difference",
    "ternary",
    "to_datetime",
    "to_json",
    "to_nice_json",
    "to_nice_yaml",
    "to_uuid",
    "to_yaml",
    "type_debug",
    "union",
    "unique",
    "unvault",
    "urldecode",
    "urlsplit",
    "vault",
    "win_basename",
    "win_dirname",
    "win_splitdrive",
    "zip",
    "zip_longest",
];

/// ansible-core's own tests (`plugins/test/*.py`), also written `ansible.builtin.<name>`.
const ANSIBLE_TESTS: &[&str] = &[
    "abs",
    "all",
    "any",
    "change",
    "changed",
    "contains",
    "directory",
    "exists",
    "failed",
    "failure",
    "falsy",
    "file",
    "finished",
    "is_abs",
    "is_dir",
    "is_file",
    "is_link",
    "is_mount",
    "is_same_file",
    "isnan",
    "issubset",
    "issuperset",
    "link",
    "link_exists",
    "match",
    "mount",
    "nan",
    "reachable",
    "regex",
    "same_file",
    "search",
    "skip",
    "skipped",
    "started",
    "subset",
    "succeeded",
    "success",
    "successful",
    "superset",
    "timedout",
    "truthy",
    "unreachable",
    "uri",
    "url",
    "urn",
    "vault_encrypted",
    "vaulted_file",
    "version",
    "version_compare",
];

/// Registers a filter under its name and, for ansible-core's, as `ansible.builtin.<name>`.
pub(crate) fn add_filter<F, Rv, Args>(env: &mut Environment<'static>, name: &str, f: F)
where
    F: minijinja::functions::Function<Rv, Args> + Clone,
    Rv: minijinja::value::FunctionResult,
    Args: for<'a> minijinja::value::FunctionArgs<'a>,
{
    if ANSIBLE_FILTERS.contains(&name) {
        env.add_filter(format!("ansible.builtin.{name}"), f.clone());
    }
    env.add_filter(name.to_owned(), f);
}

/// Registers a test under its name and, for ansible-core's, as `ansible.builtin.<name>`.
pub(crate) fn add_test<F, Rv, Args>(env: &mut Environment<'static>, name: &str, f: F)
where
    F: minijinja::functions::Function<Rv, Args> + Clone,
    Rv: minijinja::value::FunctionResult,
    Args: for<'a> minijinja::value::FunctionArgs<'a>,
{
    if ANSIBLE_TESTS.contains(&name) {
        env.add_test(format!("ansible.builtin.{name}"), f.clone());
    }
    env.add_test(name.to_owned(), f);
}

#[cfg(test)]
mod tests {
    // Public roles write filters and tests by their FQCN, Jinja's own ones included.
    #[test]
    fn ansible_plugins_by_fqcn() {
        let env = super::build(false);
        let r = env.render_str(
            "{{ 'a' | ansible.builtin.to_json }} {{ 1 is ansible.builtin.truthy }} \
             {{ [1, 2] | ansible.builtin.map('string') | join }} {{ x is ansible.builtin.defined }}",
            minijinja::context! {},
        );
        assert_eq!(
            r.map_err(|e| e.to_string()),
            Ok("\"a\" True 12 False".to_owned())
        );
        let r = env.render_str("{{ 'a' | ansible.builtin.upper }}", minijinja::context! {});
        assert_eq!(r.map_err(|e| e.to_string()), Ok("A".to_owned()));
    }
}

//! `json_query` (community.general): a JMESPath search, on the `jmespath` crate (the
//! reference implementation's Rust port, jmespath.rs).

use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

use crate::convert::{json_to_value, value_to_json};

fn fail(msg: String) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("The filter plugin 'community.general.json_query' failed: {msg}"),
    )
}

pub(crate) fn json_query(v: Value, expr: String) -> Result<Value, Error> {
    let data = value_to_json(&v)?;
    let compiled = jmespath::compile(&expr)
        .map_err(|e| fail(format!("JMESPathError in json_query filter plugin:\n{e}")))?;
    let found = compiled
        .search(data)
        .map_err(|e| fail(format!("JMESPathError in json_query filter plugin:\n{e}")))?;
    let json = serde_json::to_value(&*found).map_err(|e| {
        fail(format!(
            "Error in jmespath.search in json_query filter plugin:\n{e}"
        ))
    })?;
    Ok(json_to_value(&json))
}

#[cfg(test)]
mod tests {
    fn render(src: &str) -> Result<String, minijinja::Error> {
        let env = crate::env::build(false);
        env.render_str(src, minijinja::context! {
            d => crate::convert::json_to_value(&serde_json::json!({"a": [{"n": "x", "v": 1}, {"n": "y", "v": 2}], "m": {"k": "v"}}))
        })
    }

    // Results as the JMESPath specification (and Python's jmespath) gives them.
    #[test]
    fn queries() {
        assert_eq!(
            render("{{ d | json_query('a[*].n') }}").unwrap(),
            "['x', 'y']"
        );
        assert_eq!(
            render("{{ d | json_query('a[?v > `1`].n | [0]') }}").unwrap(),
            "y"
        );
        assert_eq!(render("{{ d | json_query('m.k') }}").unwrap(), "v");
        assert_eq!(render("{{ d | json_query('nope') }}").unwrap(), "");
        assert_eq!(render("{{ d | json_query('length(a)') }}").unwrap(), "2");
    }

    #[test]
    fn syntax_error() {
        let e = render("{{ d | json_query('a[') }}").unwrap_err();
        assert!(e
            .to_string()
            .contains("The filter plugin 'community.general.json_query' failed: JMESPathError in json_query filter plugin:"));
    }
}

#[cfg(test)]
mod fqcn_tests {
    #[test]
    fn dotted_name() {
        let env = crate::env::build(false);
        let r = env.render_str(
            "{{ {'a': 1} | community.general.json_query('a') }}",
            minijinja::context! {},
        );
        assert_eq!(r.map_err(|e| e.to_string()), Ok("1".to_owned()));
    }
}

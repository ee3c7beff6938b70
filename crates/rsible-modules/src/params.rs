//! Typed reading of a module's parameters in Ansible's validation order, with its messages:
//! `missing required arguments`, then each type (`argument 'uid' is of type str and we were
//! unable to convert to int: …`), then `choices`. For modules whose spec mixes many types,
//! where a serde struct cannot give these messages.

use crate::util::py_type;
use serde_json::Value;

use crate::args::{parse_bool, scalar_text, ArgSpec, ArgsError};
use rsible_template::py_repr;

/// The task's arguments after the unknown-key check, with `null` taken as absent.
pub(crate) struct Params {
    map: serde_json::Map<String, Value>,
    /// The first refusal in Ansible's order: required, then types, then choices.
    missing: Vec<String>,
    type_error: Option<String>,
    choice_error: Option<String>,
}

impl Params {
    /// Checks the keys against `spec` and maps each alias to its option (`aliases`:
    /// `(alias, option)`).
    pub(crate) fn new(
        spec: &ArgSpec,
        args: &serde_json::Map<String, Value>,
        aliases: &[(&str, &str)],
    ) -> Result<Self, ArgsError> {
        spec.check(args)?;
        let mut map = serde_json::Map::new();
        for (k, v) in args {
            if v.is_null() {
                continue;
            }
            let key = aliases
                .iter()
                .find(|(a, _)| a == k)
                .map_or(k.as_str(), |(_, o)| o);
            map.insert(key.to_owned(), v.clone());
        }
        Ok(Self {
            map,
            missing: Vec::new(),
            type_error: None,
            choice_error: None,
        })
    }

    fn type_fail(&mut self, name: &str, v: &Value, wanted: &str, why: String) {
        if self.type_error.is_none() {
            self.type_error = Some(format!(
                "argument '{name}' is of type {} and we were unable to convert to {wanted}: {why}",
                py_type(v)
            ));
        }
    }

    /// `required=True`: recorded when absent.
    pub(crate) fn required(&mut self, name: &str) {
        if !self.map.contains_key(name) {
            self.missing.push(name.to_owned());
        }
    }

    /// `type='str'` (and `path`): other scalars become their Python `str()`.
    pub(crate) fn str(&mut self, name: &str) -> Option<String> {
        let v = self.map.get(name)?.clone();
        match &v {
            Value::Array(_) | Value::Object(_) => {
                // Ansible's str() of a container; modules rarely get one.
                Some(py_repr(&v))
            }
            other => Some(scalar_text(other)),
        }
    }

    /// `type='str', choices=…`: the value must be one of `choices`.
    pub(crate) fn choice(&mut self, name: &str, choices: &[&str]) -> Option<String> {
        let s = self.str(name)?;
        if !choices.contains(&s.as_str()) && self.choice_error.is_none() {
            self.choice_error = Some(format!(
                "value of {name} must be one of: {}, got: {s}",
                choices.join(", ")
            ));
        }
        Some(s)
    }

    /// `type='bool'`.
    pub(crate) fn bool(&mut self, name: &str) -> Option<bool> {
        let v = self.map.get(name)?.clone();
        match parse_bool(&v) {
            Some(b) => Some(b),
            None => {
                let why = match &v {
                    // The module lists a Python set: its strings come in a per-process
                    // hash order, after 0 and 1.
                    Value::String(_) | Value::Number(_) => format!(
                        "The value '{}' is not a valid boolean. Valid booleans include: 0, 1, 'y', 'yes', 'on', '1', 'true', 't', 'n', 'no', 'off', '0', 'false', 'f'",
                        scalar_text(&v)
                    ),
                    other => format!("<class '{}'> cannot be converted to a bool", py_type(other)),
                };
                self.type_fail(name, &v, "bool", why);
                None
            }
        }
    }

    /// `type='int'`: an integer, or text or a float with no fractional part.
    pub(crate) fn int(&mut self, name: &str) -> Option<i64> {
        let v = self.map.get(name)?.clone();
        let n = match &v {
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>().ok().or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && f.fract() == 0.0 && !t.contains(['i', 'n']))
                        .map(|f| f as i64)
                })
            }
            _ => None,
        };
        if n.is_none() {
            let why = format!("\"{}\" cannot be converted to an int", py_repr(&v));
            self.type_fail(name, &v, "int", why);
        }
        n
    }

    /// `type='float'`.
    pub(crate) fn float(&mut self, name: &str) -> Option<f64> {
        let v = self.map.get(name)?.clone();
        let f = match &v {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        if f.is_none() {
            let why = format!("<class '{}'> cannot be converted to a float", py_type(&v));
            self.type_fail(name, &v, "float", why);
        }
        f
    }

    /// `type='list', elements='str'`: a list, or a comma-separated string.
    pub(crate) fn list(&mut self, name: &str) -> Option<Vec<String>> {
        let v = self.map.get(name)?.clone();
        match &v {
            Value::Array(items) => Some(items.iter().map(scalar_text).collect()),
            Value::String(s) => Some(s.split(',').map(str::to_owned).collect()),
            Value::Number(_) | Value::Bool(_) => Some(vec![scalar_text(&v)]),
            other => {
                let why = format!("<class '{}'> cannot be converted to a list", py_type(other));
                self.type_fail(name, &v, "list", why);
                None
            }
        }
    }

    /// Whether the task gave `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The first refusal, in Ansible's order, once every option was read.
    pub(crate) fn error(&self) -> Option<String> {
        if !self.missing.is_empty() {
            return Some(format!(
                "missing required arguments: {}",
                self.missing.join(", ")
            ));
        }
        self.type_error
            .clone()
            .or_else(|| self.choice_error.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: ArgSpec =
        ArgSpec::new("user", &["name", "uid", "expires", "state", "user"]).aliases(&["user"]);

    fn params(v: Value) -> Params {
        Params::new(&SPEC, v.as_object().unwrap(), &[("user", "name")]).unwrap()
    }

    // Messages from ansible-core 2.19 runs of `user:` with these values.
    #[test]
    fn types_fail_with_ansibles_messages() {
        let mut p = params(json!({"user": "a", "uid": "abc", "state": "bogus"}));
        p.required("name");
        assert_eq!(p.str("name").as_deref(), Some("a"));
        assert_eq!(p.int("uid"), None);
        p.choice("state", &["absent", "present"]);
        assert_eq!(
            p.error().unwrap(),
            "argument 'uid' is of type str and we were unable to convert to int: \"'abc'\" cannot be converted to an int"
        );
        let mut p = params(json!({"expires": "abc", "state": "bogus"}));
        p.float("expires");
        p.choice("state", &["absent", "present"]);
        p.required("name");
        assert_eq!(p.error().unwrap(), "missing required arguments: name");
        let mut p = params(json!({"name": "a", "expires": "abc"}));
        p.float("expires");
        assert_eq!(
            p.error().unwrap(),
            "argument 'expires' is of type str and we were unable to convert to float: <class 'str'> cannot be converted to a float"
        );
        let mut p = params(json!({"name": "a", "state": "bogus", "uid": "12"}));
        assert_eq!(p.int("uid"), Some(12));
        p.choice("state", &["absent", "present"]);
        assert_eq!(
            p.error().unwrap(),
            "value of state must be one of: absent, present, got: bogus"
        );
    }
}

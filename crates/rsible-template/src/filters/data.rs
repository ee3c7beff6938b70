//! Data filters of `core.py` not in filters.rs: `subelements`, `from_yaml_all`.

use minijinja::value::{Rest, Value};
use minijinja::Error;
use serde_json::Value as Json;

use crate::convert::{json_to_value, py_repr, py_str, value_to_json};
use crate::filter_args::bind;
use crate::filters::fail;

/// `subelements(obj, subelements, skip_missing=False)`: `[element, value]` for each value of
/// the list the (dotted) path names in each element; the element keeps the list.
pub(crate) fn subelements(
    v: Value,
    args: Rest<Value>,
    kwargs: minijinja::value::Kwargs,
) -> Result<Value, Error> {
    let plugin = "subelements";
    let a = bind(&["subelements", "skip_missing"], &args, &kwargs)?;
    let Some(path) = a[0].as_ref() else {
        return Err(Error::from(minijinja::ErrorKind::MissingArgument));
    };
    let skip_missing = a[1].as_ref().is_some_and(Value::is_true);
    let elements: Vec<Json> = match value_to_json(&v)? {
        Json::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
        Json::Array(a) => a,
        _ => return Err(fail(plugin, "obj must be a list of dicts or a nested dict")),
    };
    let keys: Vec<Json> = match value_to_json(path)? {
        Json::Array(a) => a,
        Json::String(s) => s.split('.').map(|k| Json::String(k.to_owned())).collect(),
        _ => return Err(fail(plugin, "subelements must be a list or a string")),
    };
    let mut out = Vec::new();
    for element in elements {
        let mut values = element.clone();
        for key in &keys {
            let next = match (&values, key) {
                (Json::Object(m), Json::String(k)) => m.get(k).cloned(),
                (Json::Object(_), _) => None,
                (Json::Array(l), Json::Number(n)) => n
                    .as_u64()
                    .and_then(|i| l.get(usize::try_from(i).ok()?).cloned()),
                _ => {
                    return Err(fail(
                        plugin,
                        format!(
                            "the key {} should point to a dictionary, got '{}': {}",
                            py_str(key),
                            py_str(&values),
                            index_error(&values, key)
                        ),
                    ))
                }
            };
            match next {
                Some(n) => values = n,
                None if skip_missing => {
                    values = Json::Array(Vec::new());
                    break;
                }
                None => {
                    return Err(fail(
                        plugin,
                        format!(
                            "could not find {} key in iterated item {}",
                            py_repr(key),
                            py_repr(&values)
                        ),
                    ))
                }
            }
        }
        let Json::Array(list) = values else {
            return Err(fail(
                plugin,
                format!(
                    "the key {} should point to a list, got {}",
                    py_repr(keys.last().unwrap_or(&Json::Null)),
                    py_repr(&values)
                ),
            ));
        };
        for item in list {
            out.push(Json::Array(vec![element.clone(), item]));
        }
    }
    Ok(json_to_value(&Json::Array(out)))
}

/// `from_yaml_all`: every document of a YAML string; `None` is `[]`, other values pass.
pub(crate) fn from_yaml_all(v: Value) -> Result<Value, Error> {
    match value_to_json(&v)? {
        Json::Null => Ok(json_to_value(&Json::Array(Vec::new()))),
        Json::String(s) => {
            let docs = crate::yaml::load_all(&s).map_err(|e| fail("from_yaml_all", e))?;
            Ok(json_to_value(&Json::Array(docs)))
        }
        _ => Ok(v),
    }
}

/// Python's TypeError for `values[key]` on something that is not a dict.
fn index_error(values: &Json, key: &Json) -> String {
    let kt = crate::convert::py_type(key);
    match values {
        Json::String(_) => format!("string indices must be integers, not '{kt}'"),
        Json::Array(_) => format!("list indices must be integers or slices, not {kt}"),
        other => format!(
            "'{}' object is not subscriptable",
            crate::convert::py_type(other)
        ),
    }
}

//! `validate_argument_spec`: checks values against an argument spec, as ansible-core's action
//! plugin does with `ArgumentSpecValidator` (controller only). A role with
//! `meta/argument_specs.yml` runs it as its first task; a play may call it directly.
//!
//! The values checked are the task's `provided_arguments` over the variables named in the
//! spec. Every error is reported, in Ansible's order: missing required options, types (and
//! list elements), choices, then each `options` sub-spec the same way, then unsupported names.
//!
//! ```yaml
//! - validate_argument_spec:
//!     argument_spec: {port: {type: int, required: true}}
//!     provided_arguments: {port: "{{ p }}"}
//! ```

use crate::util::py_type;
use serde_json::{json, Map, Value};

use crate::args::{parse_bool, scalar_text, ArgSpec};
use crate::util::failed;
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "validate_argument_spec",
    ArgSpec::new(
        "validate_argument_spec",
        &[
            "argument_spec",
            "provided_arguments",
            "validate_args_context",
        ],
    ),
)
.kind(Kind::Controller);

pub(crate) struct ValidateArgumentSpec;
pub(crate) static VALIDATE_ARGUMENT_SPEC: ValidateArgumentSpec = ValidateArgumentSpec;

/// `check_type_*` of `module_utils/common/validation.py`: `Err` carries the reason.
fn check_type(wanted: &str, v: &Value) -> Result<Value, String> {
    let class = || format!("<class '{}'>", py_type(v));
    match wanted {
        "str" | "path" => Ok(match v {
            Value::String(_) => v.clone(),
            Value::Array(_) | Value::Object(_) => Value::String(py_repr(v)),
            other => Value::String(scalar_text(other)),
        }),
        "int" => {
            let n = match v {
                Value::Number(n) if n.is_i64() || n.is_u64() => Some(v.clone()),
                Value::String(s) => s.trim().parse::<i64>().ok().map(Value::from),
                Value::Number(n) => n
                    .as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| json!(f as i64)),
                _ => None,
            };
            n.ok_or_else(|| match v {
                Value::String(_) => format!("\"{}\" cannot be converted to an int", py_repr(v)),
                _ => format!("{} cannot be converted to an int", class()),
            })
        }
        "float" => match v {
            Value::Number(n) => Ok(json!(n.as_f64())),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(|f| json!(f))
                .map_err(|_| format!("{} cannot be converted to a float", class())),
            _ => Err(format!("{} cannot be converted to a float", class())),
        },
        "bool" => match v {
            Value::Bool(_) => Ok(v.clone()),
            Value::String(_) | Value::Number(_) => parse_bool(v).map(Value::Bool).ok_or_else(|| {
                // The module lists a Python set: its strings come in a per-process hash order.
                format!(
                    "The value '{}' is not a valid boolean. Valid booleans include: 0, 1, 'y', 'yes', 'on', '1', 'true', 't', 'n', 'no', 'off', '0', 'false', 'f'",
                    scalar_text(v)
                )
            }),
            _ => Err(format!("{} cannot be converted to a bool", class())),
        },
        "list" => match v {
            Value::Array(_) => Ok(v.clone()),
            Value::String(s) => Ok(Value::Array(
                s.split(',').map(|p| Value::from(p.to_owned())).collect(),
            )),
            Value::Number(_) => Ok(json!([scalar_text(v)])),
            _ => Err(format!("{} cannot be converted to a list", class())),
        },
        "dict" => match v {
            Value::Object(_) => Ok(v.clone()),
            Value::String(s) if s.trim_start().starts_with('{') => {
                serde_json::from_str::<Map<String, Value>>(s)
                    .map(Value::Object)
                    .map_err(|_| "unable to evaluate string as dictionary".to_owned())
            }
            Value::String(s) if s.contains('=') => Ok(Value::Object(
                s.split([',', ' '])
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.trim().to_owned(), Value::from(v.trim().to_owned())))
                    .collect(),
            )),
            Value::String(_) => {
                Err("dictionary requested, could not parse JSON or key=value".to_owned())
            }
            _ => Err(format!("{} cannot be converted to a dict", class())),
        },
        _ => Ok(v.clone()),
    }
}

/// The `type` an option asks for (`str` when unset).
fn wanted_type(spec: &Value) -> String {
    spec.get("type")
        .and_then(Value::as_str)
        .unwrap_or("str")
        .to_owned()
}

/// " found in 'a -> b'" style suffixes, as each message writes them.
fn context(ctx: &[String]) -> String {
    ctx.join(" -> ")
}

/// One level of a spec, its sub-specs after it (`_validate_sub_spec`).
struct Validator {
    errors: Vec<String>,
    /// Unsupported names (dotted with their context), with the supported ones of their level.
    unsupported: Vec<(String, Vec<String>, Vec<String>)>,
}

impl Validator {
    fn level(
        &mut self,
        spec: &Map<String, Value>,
        params: &mut Map<String, Value>,
        ctx: &[String],
    ) {
        // Aliases: a value given by alias counts for its option.
        let mut aliases = Vec::new();
        for (name, opt) in spec {
            for alias in opt
                .get("aliases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                aliases.push(alias.to_owned());
                if let Some(v) = params.get(alias).cloned() {
                    params.entry(name.clone()).or_insert(v);
                }
            }
        }
        for k in params.keys() {
            if !spec.contains_key(k) && !aliases.contains(k) {
                let mut full = ctx.to_vec();
                full.push(k.clone());
                let mut names: Vec<String> = spec.keys().cloned().collect();
                names.sort();
                let mut al = aliases.clone();
                al.sort();
                self.unsupported.push((full.join("."), names, al));
            }
        }
        for (name, opt) in spec {
            if !params.contains_key(name) {
                if let Some(d) = opt.get("default").filter(|d| !d.is_null()) {
                    params.insert(name.clone(), d.clone());
                }
            }
        }
        let mut missing: Vec<&String> = spec
            .iter()
            .filter(|(k, o)| {
                o.get("required")
                    .is_some_and(|r| parse_bool(r) == Some(true))
                    && !params.contains_key(*k)
            })
            .map(|(k, _)| k)
            .collect();
        if !missing.is_empty() {
            missing.sort();
            let mut msg = format!(
                "missing required arguments: {}",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !ctx.is_empty() {
                msg = format!("{msg} found in {}", context(ctx));
            }
            self.errors.push(msg);
        }
        self.types(spec, params, ctx);
        self.choices(spec, params, ctx);
        self.sub_specs(spec, params, ctx);
    }

    fn types(
        &mut self,
        spec: &Map<String, Value>,
        params: &mut Map<String, Value>,
        ctx: &[String],
    ) {
        for (name, opt) in spec {
            let Some(value) = params.get(name).cloned() else {
                continue;
            };
            let required = opt
                .get("required")
                .is_some_and(|r| parse_bool(r) == Some(true));
            if value.is_null() && !required && opt.get("default").is_none_or(Value::is_null) {
                continue;
            }
            let wanted = wanted_type(opt);
            match check_type(&wanted, &value) {
                Ok(converted) => {
                    if let Some(elements) = opt.get("elements").and_then(Value::as_str) {
                        if let Value::Array(items) = &converted {
                            let mut out = Vec::new();
                            for item in items {
                                match check_type(elements, item) {
                                    Ok(c) => out.push(c),
                                    Err(why) => {
                                        let mut msg = format!("Elements value for option '{name}'");
                                        if !ctx.is_empty() {
                                            msg.push_str(&format!(" found in '{}'", context(ctx)));
                                        }
                                        msg.push_str(&format!(
                                            " is of type {} and we were unable to convert to {elements}: {why}",
                                            py_type(item)
                                        ));
                                        self.errors.push(msg);
                                    }
                                }
                            }
                            params.insert(name.clone(), Value::Array(out));
                            continue;
                        }
                    }
                    params.insert(name.clone(), converted);
                }
                Err(why) => {
                    let mut msg = format!("argument '{name}' is of type {}", py_type(&value));
                    if !ctx.is_empty() {
                        msg.push_str(&format!(" found in '{}'.", context(ctx)));
                    }
                    msg.push_str(&format!(
                        " and we were unable to convert to {wanted}: {why}"
                    ));
                    self.errors.push(msg);
                }
            }
        }
    }

    fn choices(&mut self, spec: &Map<String, Value>, params: &Map<String, Value>, ctx: &[String]) {
        for (name, opt) in spec {
            let (Some(choices), Some(value)) = (
                opt.get("choices").and_then(Value::as_array),
                params.get(name),
            ) else {
                continue;
            };
            let shown = |vs: &[&Value]| {
                vs.iter()
                    .map(|c| scalar_text(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let all: Vec<&Value> = choices.iter().collect();
            let msg = match value {
                Value::Array(items) => {
                    let bad: Vec<&Value> = items.iter().filter(|i| !choices.contains(i)).collect();
                    if bad.is_empty() {
                        continue;
                    }
                    format!(
                        "value of {name} must be one or more of: {}. Got no match for: {}",
                        shown(&all),
                        shown(&bad)
                    )
                }
                v if choices.contains(v) => continue,
                v => format!(
                    "value of {name} must be one of: {}, got: {}",
                    shown(&all),
                    scalar_text(v)
                ),
            };
            self.errors.push(if ctx.is_empty() {
                msg
            } else {
                format!("{msg} found in {}", context(ctx))
            });
        }
    }

    fn sub_specs(
        &mut self,
        spec: &Map<String, Value>,
        params: &mut Map<String, Value>,
        ctx: &[String],
    ) {
        for (name, opt) in spec {
            let wanted = wanted_type(opt);
            let dicts = wanted == "dict"
                || (wanted == "list"
                    && opt.get("elements").and_then(Value::as_str) == Some("dict"));
            let Some(sub) = opt.get("options").and_then(Value::as_object) else {
                continue;
            };
            if !dicts {
                continue;
            }
            let Some(value) = params.get_mut(name).filter(|v| !v.is_null()) else {
                continue;
            };
            let mut inner = ctx.to_vec();
            inner.push(name.clone());
            let mut elements: Vec<&mut Value> = match value {
                Value::Array(items) => items.iter_mut().collect(),
                other => vec![other],
            };
            for element in &mut elements {
                match element {
                    Value::Object(map) => self.level(sub, map, &inner),
                    _ => self.errors.push(format!(
                        "value of '{name}' must be of type dict or list of dicts"
                    )),
                }
            }
        }
    }

    /// All errors, the unsupported names last (one message, Ansible's).
    fn finish(mut self) -> Vec<String> {
        if !self.unsupported.is_empty() {
            self.unsupported.sort();
            let names: Vec<&str> = self.unsupported.iter().map(|u| u.0.as_str()).collect();
            let (_, supported, aliases) = &self.unsupported[self.unsupported.len() - 1];
            let mut list = supported.join(", ");
            if !aliases.is_empty() {
                list.push_str(&format!(" ({})", aliases.join(", ")));
            }
            self.errors.push(format!(
                "{}. Supported parameters include: {list}.",
                names.join(", ")
            ));
        }
        self.errors
    }
}

/// Every error of `params` against `spec`, in Ansible's order.
pub(crate) fn validate(spec: &Map<String, Value>, params: &Map<String, Value>) -> Vec<String> {
    let mut v = Validator {
        errors: Vec::new(),
        unsupported: Vec::new(),
    };
    let mut params = params.clone();
    v.level(spec, &mut params, &[]);
    v.finish()
}

impl Module for ValidateArgumentSpec {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        INFO.args.check(args)?;
        let context = args
            .get("validate_args_context")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let Some(spec_value) = args.get("argument_spec") else {
            return Ok(ModuleOutput::raised(format!(
                "\"argument_spec\" arg is required in args: {}",
                py_repr(&Value::Object(args.clone()))
            )));
        };
        let Some(spec) = spec_value.as_object() else {
            return Ok(ModuleOutput::raised(format!(
                "Incorrect type for argument_spec, expected dict and got <class '{}'>",
                py_type(spec_value)
            )));
        };
        let provided = match args.get("provided_arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Ok(ModuleOutput::raised(format!(
                    "Incorrect type for provided_arguments, expected dict and got <class '{}'>",
                    py_type(other)
                )))
            }
        };
        // The spec's names the host's variables define, under the given arguments.
        let mut values = Map::new();
        for name in spec.keys() {
            if ctx.vars.contains_key(name) {
                values.insert(
                    name.clone(),
                    ctx.templar.eval_expr(name, ctx.vars, ctx.origin)?,
                );
            }
        }
        values.extend(provided);
        let errors = validate(spec, &values);
        let mut r = Map::new();
        r.insert("validate_args_context".into(), context);
        if errors.is_empty() {
            r.insert("changed".into(), Value::Bool(false));
            r.insert("msg".into(), json!("The arg spec validation passed"));
            return Ok(r.into());
        }
        let mut f = failed(format!(
            "Validation of arguments failed:\n{}",
            errors.join("\n")
        ));
        f.extend(r);
        f.insert("argument_spec_data".into(), spec_value.clone());
        f.insert("argument_errors".into(), json!(errors));
        Ok(f.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Map<String, Value> {
        json!({
            "svc_name": {"type": "str", "required": true},
            "svc_port": {"type": "int", "default": 80},
            "svc_mode": {"type": "str", "choices": ["fast", "slow"], "default": "fast"},
            "svc_list": {"type": "list", "elements": "int"},
            "svc_opts": {"type": "dict", "options": {"depth": {"type": "int", "required": true}}}
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    /// Messages from ansible-core 2.19 running the same spec and values.
    #[test]
    fn reports_every_error_in_ansibles_order() {
        let params = json!({
            "svc_name": "x", "svc_port": "notanint", "svc_mode": "medium",
            "svc_list": [1, "a"], "svc_opts": {"other": 1}
        });
        let errors = validate(&spec(), params.as_object().unwrap_or(&Map::new()));
        assert_eq!(
            errors,
            vec![
                "argument 'svc_port' is of type str and we were unable to convert to int: \"'notanint'\" cannot be converted to an int",
                "Elements value for option 'svc_list' is of type str and we were unable to convert to int: \"'a'\" cannot be converted to an int",
                "value of svc_mode must be one of: fast, slow, got: medium",
                "missing required arguments: depth found in svc_opts",
                "svc_opts.other. Supported parameters include: depth.",
            ]
        );
        assert_eq!(
            validate(&spec(), &Map::new()),
            vec!["missing required arguments: svc_name"]
        );
        let extra = json!({"svc_name": "a", "b": 1});
        assert_eq!(
            validate(&spec(), extra.as_object().unwrap_or(&Map::new())),
            vec!["b. Supported parameters include: svc_list, svc_mode, svc_name, svc_opts, svc_port."]
        );
    }
}

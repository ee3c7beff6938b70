//! `set_fact`: define host variables (controller only). The runner stores `ansible_facts`.
//!
//! ```yaml
//! - set_fact: { kernel: "{{ uname.stdout }}", cacheable: yes }
//! ```

use serde_json::{json, Value};

use rsible_template::{py_str, Templar};

use crate::args::{parse_bool, ArgSpec, Unknown};
use crate::util::failed;
use crate::{Facts, Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

/// Any key is a fact name; `cacheable` is the only option.
const INFO: ModuleInfo = ModuleInfo::builtin(
    "set_fact",
    ArgSpec::new("set_fact", &["cacheable"]).unknown(Unknown::Accepted),
)
.kind(Kind::Controller);

pub(crate) struct SetFact;
pub(crate) static SET_FACT: SetFact = SetFact;

/// Ansible's `validate_variable_name`: an ASCII identifier that is not a Jinja constant.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !["False", "None", "True", "false", "none", "not", "true"].contains(&name)
}

impl Module for SetFact {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let cacheable = args.get("cacheable").and_then(parse_bool).unwrap_or(false);
        let mut facts = serde_json::Map::new();
        for (k, v) in args {
            if k == "cacheable" {
                continue;
            }
            // Ansible's set_fact templates its keys (the values come templated).
            let name = if Templar::is_template(k) {
                py_str(&ctx.templar.render_str(k, ctx.vars, ctx.origin)?)
            } else {
                k.clone()
            };
            if !valid_name(&name) {
                return Ok(failed(format!("Invalid variable name '{name}'.")).into());
            }
            facts.insert(name, v.clone());
        }
        if facts.is_empty() {
            return Ok(failed(
                "No key/value pairs provided, at least one is required for this action to succeed",
            )
            .into());
        }
        let mut r = ResultMap::new();
        r.insert("ansible_facts".into(), Value::Object(facts.clone()));
        r.insert("_ansible_facts_cacheable".into(), json!(cacheable));
        r.insert("changed".into(), json!(false));
        Ok(ModuleOutput {
            result: r,
            facts: Some(Facts::Vars(facts)),
            ..ModuleOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn facts_and_cacheable() {
        let fake = FakeConnection::default();
        let env = Env::default();
        let r = SET_FACT
            .run(
                &env.ctx(&fake),
                &args(json!({"a": 1, "b": "x", "cacheable": "yes"})),
            )
            .result();
        assert_eq!(r["ansible_facts"], json!({"a": 1, "b": "x"}));
        assert_eq!(r["_ansible_facts_cacheable"], true);
        assert_eq!(r["changed"], false);
        let r = SET_FACT
            .run(&env.ctx(&fake), &args(json!({"1a": 1})))
            .result();
        assert_eq!(
            (&r["failed"], &r["msg"]),
            (&json!(true), &json!("Invalid variable name '1a'."))
        );
        let r = SET_FACT
            .run(&env.ctx(&fake), &args(json!({"cacheable": true})))
            .result();
        assert_eq!(r["failed"], true);
    }
}

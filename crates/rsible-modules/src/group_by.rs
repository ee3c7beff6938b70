//! `group_by`: put the task's host into a group named from a template, created on the fly
//! (controller only). The runner applies the [`InventoryChange`], which decides `changed`.
//!
//! ```yaml
//! - group_by: { key: "os_{{ ansible_facts.distribution }}", parents: [linux] }
//! ```

use serde_json::{json, Value};

use rsible_template::py_str;

use crate::args::{ArgSpec, Unknown};
use crate::util::failed;
use crate::{
    InventoryChange, Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap,
};

/// ansible-core's action plugin checks `_VALID_ARGS`.
const INFO: ModuleInfo = ModuleInfo::builtin(
    "group_by",
    ArgSpec::new("group_by", &["key", "parents"]).unknown(Unknown::InvalidOptions),
)
.kind(Kind::Controller)
.free_form()
.changes_inventory();

pub(crate) struct GroupBy;
pub(crate) static GROUP_BY: GroupBy = GroupBy;

/// Group names keep no spaces: the action turns them into dashes.
fn group_name(v: &Value) -> String {
    py_str(v).replace(' ', "-")
}

impl Module for GroupBy {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        INFO.args.check(args)?;
        let Some(key) = args.get("key") else {
            return Ok(failed("the 'key' param is required when using group_by").into());
        };
        let group = group_name(key);
        let parents: Vec<String> = match args.get("parents") {
            None => vec!["all".to_owned()],
            Some(Value::Array(list)) => list.iter().map(group_name).collect(),
            Some(one) => vec![group_name(one)],
        };
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        r.insert("add_group".into(), json!(group));
        r.insert("parent_groups".into(), json!(parents));
        Ok(ModuleOutput {
            result: r,
            inventory: Some(InventoryChange::GroupBy { group, parents }),
            ..ModuleOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};

    #[test]
    fn result_and_change() {
        let fake = FakeConnection::default();
        let env = Env::default();
        let out = GROUP_BY
            .run(
                &env.ctx(&fake),
                &args(json!({"key": "x y", "parents": "p q"})),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.result,
            args(json!({"changed": false, "add_group": "x-y", "parent_groups": ["p-q"]}))
        );
        assert_eq!(
            out.inventory,
            Some(InventoryChange::GroupBy {
                group: "x-y".into(),
                parents: vec!["p-q".into()]
            })
        );
        let r = GROUP_BY
            .run(&env.ctx(&fake), &args(json!({"key": "k"})))
            .result();
        assert_eq!(r["parent_groups"], json!(["all"]));
        let r = GROUP_BY
            .run(&env.ctx(&fake), &args(json!({"parents": "k"})))
            .result();
        assert_eq!(r["msg"], "the 'key' param is required when using group_by");
        let r = GROUP_BY
            .run(&env.ctx(&fake), &args(json!({"key": "k", "bogus": 1})))
            .result();
        assert_eq!(r["msg"], "Invalid options for group_by: bogus");
    }
}

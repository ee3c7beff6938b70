//! Module arguments: each value templated with its own position, `omit` taken out.

use rsible_template::Value;

use super::fault::TaskFault;
use super::HostJob;
use crate::shared::Shared;
use crate::template_node::render_node;

/// Templated module arguments, `omit` removed. A failure names the argument, as Ansible does.
pub(super) fn render_args(
    shared: &Shared<'_>,
    job: &HostJob<'_>,
    vars: &rsible_template::Vars,
    fqcn: &str,
) -> Result<serde_json::Map<String, Value>, TaskFault> {
    let mut out = serde_json::Map::new();
    let Some(pairs) = job.task.args.as_map() else {
        return Ok(out);
    };
    for (k, v) in pairs {
        // Keys are templated too (`set_fact: {"seen_{{ item }}": true}`), as Ansible templates
        // the whole argument dict; one that does not template is used as written.
        let key = match render_node(&shared.templar, k, vars, &job.origin) {
            Ok(Value::String(s)) => s,
            _ => k.key_string(),
        };
        match render_node(&shared.templar, v, vars, &job.origin) {
            Ok(value) => {
                if !is_omit(&value, &shared.omit) {
                    out.insert(key, strip_omit(value, &shared.omit));
                }
            }
            Err(e) => {
                return Err(TaskFault::new(
                    job.task,
                    Some((
                        &format!("Finalization of task args for '{fqcn}' failed"),
                        Some(job.task.module_key.span),
                    )),
                    &format!(
                        "Error while resolving value for '{key}': {}",
                        e.ansible_message()
                    ),
                    e.span().or(Some(v.span)),
                ));
            }
        }
    }
    Ok(out)
}

fn is_omit(v: &Value, omit: &str) -> bool {
    v.as_str() == Some(omit)
}

/// `omit` inside lists and maps drops the entry, as in Ansible.
fn strip_omit(v: Value, omit: &str) -> Value {
    match v {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter(|i| !is_omit(i, omit))
                .map(|i| strip_omit(i, omit))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, i)| !is_omit(i, omit))
                .map(|(k, i)| (k, strip_omit(i, omit)))
                .collect(),
        ),
        other => other,
    }
}

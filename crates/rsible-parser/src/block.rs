//! `block:` without `rescue:`/`always:` — grouping only, so its tasks are inlined, each
//! inheriting the block's keywords (`when:` is evaluated per task in Ansible too).
//!
//! ```yaml
//! - block:
//!     - debug: msg=one
//!     - debug: msg=two
//!   when: enabled
//!   become: true
//! ```

use crate::fields::{invalid, key_str, map_of};
use crate::import::{inherit, parent_keywords};
use crate::task::{parse_tasks, TaskContext};
use crate::{Node, ParseError, Task};

/// The `block`/`rescue`/`always` key of a task entry, if it is a block.
pub(crate) fn block_key(entry: &Node) -> Option<&Node> {
    entry.as_map()?.iter().map(|(k, _)| k).find(|k| {
        k.as_str()
            .is_some_and(|k| matches!(k, "block" | "rescue" | "always"))
    })
}

pub(crate) fn block_tasks(entry: &Node, ctx: &TaskContext<'_>) -> Result<Vec<Task>, ParseError> {
    if ctx.handlers {
        return Err(invalid(
            "Using a block as a handler is not supported",
            block_key(entry).unwrap_or(entry),
        ));
    }
    let mut body = None;
    let mut sections: Vec<&Node> = Vec::new();
    for (k_node, value) in map_of(entry, "a block")? {
        match key_str(k_node, "a block")? {
            "block" => {
                body = Some(value);
                sections.push(k_node);
            }
            // Running these needs the runner's failure handling; refuse rather than run
            // them unconditionally.
            "rescue" | "always" => {
                return Err(invalid(
                    format!(
                        "`{}` is not supported yet",
                        k_node.as_str().unwrap_or_default()
                    ),
                    k_node,
                ))
            }
            _ => {}
        }
    }
    let Some(body) = body else {
        return Ok(Vec::new());
    };
    let parent = parent_keywords(entry, &sections, "block")?;
    let tasks = parse_tasks(body, "block", ctx)?;
    Ok(tasks
        .into_iter()
        .map(|mut t| {
            inherit(&mut t.keywords, &parent);
            t
        })
        .collect())
}

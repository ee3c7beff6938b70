//! `block:` — its tasks are inlined, each inheriting the block's keywords (`when:` is evaluated
//! per task in Ansible too). A block with `rescue:`/`always:` also gives its body tasks a
//! [`BlockScope`] holding those sections, so the runner knows where the block ends.
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
use std::sync::Arc;

use crate::{BlockScope, Node, ParseError, Task};

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
    let mut rescue = None;
    let mut always = None;
    let mut sections: Vec<&Node> = Vec::new();
    for (k_node, value) in map_of(entry, "a block")? {
        match key_str(k_node, "a block")? {
            "block" => {
                body = Some(value);
                sections.push(k_node);
            }
            "rescue" => {
                rescue = Some(value);
                sections.push(k_node);
            }
            "always" => {
                always = Some(value);
                sections.push(k_node);
            }
            _ => {}
        }
    }
    let parent = parent_keywords(entry, &sections, "block")?;
    let section = |node: Option<&Node>, what: &str| -> Result<Vec<Task>, ParseError> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        let mut tasks = parse_tasks(node, what, ctx)?;
        for t in &mut tasks {
            inherit(&mut t.keywords, &parent);
        }
        Ok(tasks)
    };
    let mut tasks = section(body, "block")?;
    let rescue = section(rescue, "rescue")?;
    let always = section(always, "always")?;
    if !rescue.is_empty() || !always.is_empty() {
        let scope = Arc::new(BlockScope {
            span: entry.span,
            rescue,
            always,
        });
        if tasks.is_empty() {
            // An empty body still runs `always`: keep a marker the runner can see.
            return Err(invalid(
                "a block with `rescue`/`always` needs at least one task in `block`",
                block_key(entry).unwrap_or(entry),
            ));
        }
        for t in &mut tasks {
            t.blocks.insert(0, Arc::clone(&scope));
        }
    }
    Ok(tasks)
}

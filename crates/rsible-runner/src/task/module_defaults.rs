//! `module_defaults`: arguments an action gets when its task does not give them.
//!
//! The play's entries come first, then the blocks' around the task, then the task's own; for
//! each action the last entry wins whole (ansible-core merges the mappings with `dict.update`).
//! Keys are static action names, short or fully qualified, resolved as the task's action is;
//! `group/…` keys name collections' action groups, which hold none of rsible's modules. Only
//! the defaults of the task's action are templated, with the task's variables, and they sit
//! under every argument the task sets itself.

use rsible_parser::{Node, NodeKind};

use super::HostJob;

/// The defaults of the task's action (and, for the implicit fact gathering, of the
/// `gather_facts` action around `setup`), in the order they apply: earlier maps give way to
/// later ones, and all of them to the task's own arguments. The caller templates them.
pub(super) fn for_task<'a>(job: &HostJob<'a>) -> Vec<&'a Node> {
    let Some(own) = rsible_modules::find_module(&job.task.module).map(|m| m.info().id) else {
        return Vec::new();
    };
    let implicit_gather =
        job.task.module == super::GATHER_FACTS && job.task.module_key.span == job.task.span;
    let mut found: Vec<(bool, &'a Node)> = Vec::new();
    for node in job.keywords().module_defaults() {
        for map in entries(node) {
            for (k, v) in map {
                let Some(key) = k.as_str() else { continue };
                let gather = implicit_gather && short(key) == "gather_facts";
                let applies = !key.starts_with("group/")
                    && (gather
                        || rsible_modules::find_module(key).is_some_and(|m| m.info().id == own));
                if applies {
                    found.retain(|(g, _)| *g != gather);
                    found.push((gather, v));
                }
            }
        }
    }
    // `gather_facts` passes its arguments on to `setup`, whose own defaults fill in the rest.
    found.sort_by_key(|(gather, _)| !*gather);
    found.into_iter().map(|(_, node)| node).collect()
}

/// The mappings of one `module_defaults:` value (the parser checked its shape).
fn entries(node: &Node) -> Vec<&[(Node, Node)]> {
    match &node.kind {
        NodeKind::Map(m) => vec![m.as_slice()],
        NodeKind::Seq(items) => items.iter().filter_map(Node::as_map).collect(),
        _ => Vec::new(),
    }
}

/// `ansible.builtin.gather_facts` → `gather_facts`.
fn short(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

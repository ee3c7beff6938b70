//! The implicit `Gathering Facts` task at the start of a play (or of each `serial` batch).

use rsible_parser::{Node, NodeKind, Play, Task, TaskKeywords};
use rsible_template::{Origin, Value};

use super::{Only, PlayCtx, Runner};
use crate::template_node::{render_node, truthy};
use crate::{Gathering, RunError};

impl Runner<'_> {
    /// Whether the play gathers facts, under the `gathering` setting (Ansible's play
    /// iterator): `explicit` needs `gather_facts: true`, the others only no `false`.
    pub(super) fn gather_facts(&self, ctx: &PlayCtx<'_>) -> Result<bool, RunError> {
        let keyword = match &ctx.play.gather_facts {
            None => None,
            Some(n) => Some(truthy(&render_node(
                &self.shared.templar,
                n,
                &self.shared.extra_vars,
                &Origin::default(),
            )?)),
        };
        Ok(match self.shared.opts.gathering {
            Gathering::Explicit => keyword == Some(true),
            Gathering::Implicit | Gathering::Smart => keyword != Some(false),
        })
    }

    pub(super) fn run_gather_facts(&mut self, ctx: &mut PlayCtx<'_>) -> Result<(), RunError> {
        let task = gather_task(ctx.play);
        // `smart`: hosts whose facts an earlier play gathered are not asked again.
        let only = (self.shared.opts.gathering == Gathering::Smart).then(|| Only {
            hosts: ctx
                .hosts
                .iter()
                .filter(|h| {
                    !self
                        .states
                        .get(*h)
                        .is_some_and(|st| st.facts.contains_key("_ansible_facts_gathered"))
                })
                .cloned()
                .collect(),
            include_failed: false,
        });
        self.run_task_with(ctx, &task, Some("Gathering Facts"), only.as_ref())?;
        // What the gather_facts action adds to the facts setup returned.
        for h in &ctx.hosts {
            if let Some(st) = self.states.get_mut(h) {
                if !st.facts.is_empty() {
                    st.facts
                        .insert("_ansible_facts_gathered".into(), Value::Bool(true));
                }
            }
        }
        Ok(())
    }
}

/// The implicit `Gathering Facts` task (the `setup` module), written where the play is.
fn gather_task(play: &Play) -> Task {
    let span = play.span;
    let module = crate::task::GATHER_FACTS;
    Task {
        span,
        name: None,
        module: module.into(),
        module_key: Node {
            kind: NodeKind::Str(module.into()),
            span,
            style: None,
            untrusted: false,
        },
        args: Node {
            kind: NodeKind::Map(Vec::new()),
            span,
            style: None,
            untrusted: false,
        },
        keywords: TaskKeywords::default(),
        role: None,
        blocks: Vec::new(),
    }
}

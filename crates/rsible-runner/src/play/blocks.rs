//! Task lists and the blocks in them: a block's body on the hosts that enter it, `rescue` on
//! those that failed there, `always` on all of them.

use std::sync::Arc;

use rsible_parser::{BlockScope, Task};

use super::{Only, PlayCtx, Runner};
use crate::host_state::HostState;
use crate::RunError;

impl Runner<'_> {
    /// Runs a task list, descending into blocks at `depth`; false when no host is left.
    pub(super) fn run_list(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        tasks: &[&Task],
        depth: usize,
        only: Option<&Only>,
    ) -> Result<bool, RunError> {
        let mut i = 0;
        while i < tasks.len() {
            if let Some(scope) = tasks[i].blocks.get(depth) {
                // The block's body: the tasks from here that name the same block.
                let mut j = i;
                while tasks
                    .get(j)
                    .is_some_and(|t| t.blocks.get(depth).is_some_and(|s| Arc::ptr_eq(s, scope)))
                {
                    j += 1;
                }
                let scope = Arc::clone(scope);
                if !self.run_block(ctx, &scope, &tasks[i..j], depth + 1, only)? {
                    return Ok(false);
                }
                i = j;
            } else {
                if !self.run_task_with(ctx, tasks[i], None, only)? {
                    return Ok(false);
                }
                i += 1;
            }
        }
        Ok(true)
    }

    /// A block with `rescue`/`always`: the body on the hosts that enter it, `rescue` on those
    /// that failed there (they are no longer failed), then `always` on all of them.
    fn run_block(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        scope: &Arc<BlockScope>,
        body: &[&Task],
        depth: usize,
        only: Option<&Only>,
    ) -> Result<bool, RunError> {
        let entered = self.task_hosts(ctx, only);
        if entered.is_empty() {
            return Ok(only.is_some());
        }
        let inner = Only {
            hosts: entered.clone(),
            include_failed: false,
        };
        self.rescuable.push(!scope.rescue.is_empty());
        let body_result = self.run_list(ctx, body, depth, Some(&inner));
        self.rescuable.pop();
        body_result?;
        // Hosts taken out of the play meanwhile (`end_host`, a `run_once` failure) stay failed.
        let failed: Vec<String> = entered
            .iter()
            .filter(|h| {
                ctx.hosts.contains(h)
                    && self
                        .states
                        .get(*h)
                        .is_some_and(|s| s.failed && !s.unreachable)
            })
            .cloned()
            .collect();
        if !scope.rescue.is_empty() && !failed.is_empty() {
            for h in &failed {
                if let Some(st) = self.states.get_mut(h) {
                    st.failed = false;
                }
            }
            let rescue: Vec<&Task> = scope.rescue.iter().collect();
            let only = Only {
                hosts: failed,
                include_failed: false,
            };
            self.run_list(ctx, &rescue, 0, Some(&only))?;
        }
        if !scope.always.is_empty() {
            let always: Vec<&Task> = scope.always.iter().collect();
            let only = Only {
                hosts: entered,
                include_failed: true,
            };
            self.run_list(ctx, &always, 0, Some(&only))?;
        }
        let left = self.task_hosts(ctx, only);
        Ok(!left.is_empty() || only.is_some())
    }

    /// The hosts a task runs on: the play's active hosts, or the block's.
    pub(super) fn task_hosts(&self, ctx: &PlayCtx<'_>, only: Option<&Only>) -> Vec<String> {
        match only {
            // A host the play ended for (`meta: end_host`) leaves its blocks too.
            Some(o) => o
                .hosts
                .iter()
                .filter(|h| {
                    ctx.hosts.contains(h)
                        && self
                            .states
                            .get(*h)
                            .is_some_and(|s| !s.unreachable && (o.include_failed || !s.failed))
                })
                .cloned()
                .collect(),
            None => ctx
                .hosts
                .iter()
                .filter(|h| self.states.get(*h).is_some_and(HostState::is_active))
                .cloned()
                .collect(),
        }
    }
}

//! Handlers: notified by a changed task (by name, `role : name`, or a `listen` topic), run at
//! the end of each section or at `meta: flush_handlers`, in the order they are written.

use rsible_parser::Task;

use super::listing::task_display_name;
use super::{PlayCtx, Runner};
use crate::template_node::python_str;
use crate::RunError;

impl Runner<'_> {
    /// Runs every notified handler on the hosts that notified it and are still in the play,
    /// until none is left (a handler may notify another).
    pub(super) fn flush_handlers(&mut self, ctx: &mut PlayCtx<'_>) -> Result<(), RunError> {
        self.flush_handlers_of(ctx, None)
    }

    /// [`Self::flush_handlers`] for the notifications of `only` these hosts; the others'
    /// wait for the next flush.
    pub(super) fn flush_handlers_of(
        &mut self,
        ctx: &mut PlayCtx<'_>,
        only: Option<&[String]>,
    ) -> Result<(), RunError> {
        let chosen = |h: &String| only.is_none_or(|o| o.contains(h));
        // Notifications of hosts that failed keep waiting: a later flush under
        // `force_handlers` runs them (ansible-core keeps a handler's notified hosts).
        let mut waiting_failed: Vec<(usize, String)> = Vec::new();
        loop {
            let Some(idx) = (0..ctx.handlers.len())
                .find(|i| ctx.notified.get(i).is_some_and(|hs| hs.iter().any(chosen)))
            else {
                for (idx, host) in waiting_failed {
                    let list = ctx.notified.entry(idx).or_default();
                    if !list.contains(&host) {
                        list.push(host);
                    }
                }
                ctx.notified.sort_keys();
                return Ok(());
            };
            let notified = ctx.notified.shift_remove(&idx).unwrap_or_default();
            let (hosts, waiting): (Vec<String>, Vec<String>) =
                notified.into_iter().partition(|h| chosen(h));
            if !waiting.is_empty() {
                ctx.notified.insert(idx, waiting);
                ctx.notified.sort_keys();
            }
            // In the play's host order; hosts that failed or were ended since they notified
            // run no handlers, unless `force_handlers` keeps those that failed.
            let runs = |h: &String| {
                self.states
                    .get(h)
                    .is_some_and(|s| s.is_active() || (ctx.forced.contains(h) && !s.unreachable))
            };
            waiting_failed.extend(
                hosts
                    .iter()
                    .filter(|h| {
                        ctx.hosts.contains(h)
                            && !runs(h)
                            && self.states.get(*h).is_some_and(|s| !s.unreachable)
                    })
                    .map(|h| (idx, h.clone())),
            );
            let hosts: Vec<String> = ctx
                .hosts
                .iter()
                .filter(|h| hosts.contains(h) && runs(h))
                .cloned()
                .collect();
            if hosts.is_empty() {
                continue;
            }
            let handler = std::sync::Arc::clone(&ctx.handlers[idx]);
            let display =
                task_display_name(&self.shared, &handler, &self.task_level_vars(ctx, &handler));
            let outer = std::mem::replace(&mut self.in_handlers, true);
            let ran = self.run_on_hosts(ctx, &handler, display, hosts, true);
            self.in_handlers = outer;
            ran?;
        }
    }
}

/// Notes the handlers a changed task notifies on `host`: by name, the last handler loaded with
/// that name (one `import_role` after another may bring the same one); by `listen` topic, every
/// handler listening, one per name (ansible-core's `search_handlers_by_notification`).
pub(super) fn notify(ctx: &mut PlayCtx<'_>, task: &Task, host: &str) {
    for n in &task.keywords.notify {
        let name = python_str(&n.to_value());
        let mut chosen: Vec<usize> = Vec::new();
        if let Some(i) = (0..ctx.handlers.len())
            .rev()
            .find(|i| name_matches(&ctx.handlers[*i], &name))
        {
            chosen.push(i);
        }
        let mut seen: Vec<String> = Vec::new();
        for i in (0..ctx.handlers.len()).rev() {
            let h = &ctx.handlers[i];
            if !h
                .keywords
                .listen
                .iter()
                .any(|l| python_str(&l.to_value()) == name)
            {
                continue;
            }
            if let Some(own) = h.name.as_ref().map(|n| python_str(&n.to_value())) {
                if seen.contains(&own) {
                    continue;
                }
                seen.push(own);
            }
            chosen.push(i);
        }
        for i in chosen {
            let list = ctx.notified.entry(i).or_default();
            if !list.iter().any(|x| x == host) {
                list.push(host.to_owned());
            }
        }
    }
}

fn name_matches(handler: &Task, name: &str) -> bool {
    let own = handler.name.as_ref().map(|n| python_str(&n.to_value()));
    if own.as_deref() == Some(name) {
        return true;
    }
    if let (Some(role), Some(own)) = (&handler.role, &own) {
        if format!("{} : {own}", role.name) == name
            || format!("{} : {own}", role.display_name()) == name
        {
            return true;
        }
    }
    false
}

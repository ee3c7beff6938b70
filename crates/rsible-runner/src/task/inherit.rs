//! Keyword inheritance: a task's keyword, else its block's, its role's, its play's. The parser
//! already folds blocks and `import_tasks` statements into each task's own keywords, so three
//! levels are left to look at here. Each keyword says which levels it reads: those Ansible
//! applies and rsible has (roles refuse all but `become` at parse time).

use rsible_parser::{Node, Play, Task};

use crate::template_node::truthy;

/// Where one task's keywords come from.
#[derive(Clone, Copy)]
pub(crate) struct Inherited<'a> {
    task: &'a Task,
    play: &'a Play,
}

impl<'a> Inherited<'a> {
    pub(crate) fn new(task: &'a Task, play: &'a Play) -> Self {
        Self { task, play }
    }

    /// `become`: the task, its role, the play.
    pub(crate) fn become_(&self) -> Option<&'a Node> {
        let role = self.task.role.as_ref().and_then(|r| r.become_.as_ref());
        self.task
            .keywords
            .become_
            .as_ref()
            .or(role)
            .or(self.play.become_.as_ref())
    }

    /// `become_user`: the task, the play.
    pub(crate) fn become_user(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.become_user.as_ref().or(self.play.become_user.as_ref())
    }

    /// `become_method`: the task, the play.
    pub(crate) fn become_method(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.become_method
            .as_ref()
            .or(self.play.become_method.as_ref())
    }

    /// `become_flags`: the task, the play.
    pub(crate) fn become_flags(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.become_flags.as_ref().or(self.play.become_flags.as_ref())
    }

    /// `module_defaults`: the play's, then the blocks' and the task's (later ones win).
    pub(crate) fn module_defaults(&self) -> impl Iterator<Item = &'a Node> {
        self.play
            .module_defaults
            .iter()
            .chain(&self.task.keywords.module_defaults)
    }

    /// `environment`: the play's, then the task's (which wins name by name).
    pub(crate) fn environments(&self) -> impl Iterator<Item = &'a Node> {
        [
            self.play.environment.as_ref(),
            self.task.keywords.environment.as_ref(),
        ]
        .into_iter()
        .flatten()
    }

    /// `connection`: the task's, else the play's (the task's is taken as written, the play's
    /// is templated — see `connect.rs`).
    pub(crate) fn connection(&self) -> Connection<'a> {
        match (&self.task.keywords.connection, &self.play.connection) {
            (Some(n), _) => Connection::Task(n),
            (None, Some(n)) => Connection::Play(n),
            (None, None) => Connection::Unset,
        }
    }

    /// `remote_user`: the task, the play.
    pub(crate) fn remote_user(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.remote_user.as_ref().or(self.play.remote_user.as_ref())
    }

    /// `any_errors_fatal`: the task, the play (as written, not templated); `None` leaves it to
    /// the configuration.
    pub(crate) fn any_errors_fatal(&self) -> Option<bool> {
        let kw = &self.task.keywords;
        kw.any_errors_fatal
            .as_ref()
            .or(self.play.any_errors_fatal.as_ref())
            .map(|n| truthy(&n.to_value()))
    }

    /// `throttle`: the task (with its blocks), the play.
    pub(crate) fn throttle(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.throttle.as_ref().or(self.play.throttle.as_ref())
    }

    /// `check_mode`: the task, the play.
    pub(crate) fn check_mode(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.check_mode.as_ref().or(self.play.check_mode.as_ref())
    }

    /// `ignore_errors`: the task, the play.
    pub(crate) fn ignore_errors(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.ignore_errors
            .as_ref()
            .or(self.play.ignore_errors.as_ref())
    }

    /// `ignore_unreachable`: the task (with its blocks), the play.
    pub(crate) fn ignore_unreachable(&self) -> Option<&'a Node> {
        let kw = &self.task.keywords;
        kw.ignore_unreachable
            .as_ref()
            .or(self.play.ignore_unreachable.as_ref())
    }

    /// `run_once`: the task, the play; as written.
    pub(crate) fn run_once(&self) -> bool {
        let kw = &self.task.keywords;
        kw.run_once
            .as_ref()
            .or(self.play.run_once.as_ref())
            .is_some_and(|n| truthy(&n.to_value()))
    }

    /// `no_log`: the task, the play; as written.
    pub(crate) fn no_log(&self) -> bool {
        let kw = &self.task.keywords;
        kw.no_log
            .as_ref()
            .or(self.play.no_log.as_ref())
            .is_some_and(|n| truthy(&n.to_value()))
    }

    /// `diff`: the task, the play; as written; `None` leaves it to `--diff`.
    pub(crate) fn diff(&self) -> Option<bool> {
        let kw = &self.task.keywords;
        kw.diff
            .as_ref()
            .or(self.play.diff.as_ref())
            .map(|n| truthy(&n.to_value()))
    }
}

/// Where a `connection:` keyword was written.
pub(crate) enum Connection<'a> {
    Task(&'a Node),
    Play(&'a Node),
    Unset,
}

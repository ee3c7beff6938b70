use std::path::PathBuf;
use std::sync::Arc;

use rsible_source::Span;

use crate::Node;

/// A parsed playbook file: a list of plays.
#[derive(Clone, Debug)]
pub struct Playbook {
    /// Absolute path of the playbook file.
    pub path: PathBuf,
    /// Absolute directory of the playbook (`playbook_dir`).
    pub dir: PathBuf,
    pub plays: Vec<Play>,
}

/// One play. Keyword values stay as nodes: the runner templates them when it needs them.
#[derive(Clone, Debug)]
pub struct Play {
    pub span: Span,
    pub name: Option<Node>,
    /// String (`a:b`), or list of patterns.
    pub hosts: Node,
    pub connection: Option<Node>,
    pub gather_facts: Option<Node>,
    /// `vars:` in order.
    pub vars: Vec<(String, Node)>,
    /// `vars_files:` entries (a lone string is a one-element list). An entry that is itself a
    /// list means "the first of these files that exists".
    pub vars_files: Vec<Node>,
    pub roles: Vec<Arc<Role>>,
    /// Roles `import_role` brought in (public ones, as Ansible adds them to `play.roles` at
    /// load time): their handlers join the play's, their defaults and vars are seen by every
    /// task. Their tasks are inlined where the import stands.
    pub imported_roles: Vec<Arc<Role>>,
    pub pre_tasks: Vec<Task>,
    pub tasks: Vec<Task>,
    pub post_tasks: Vec<Task>,
    pub handlers: Vec<Task>,
    pub environment: Option<Node>,
    /// `module_defaults:`, checked to be a mapping or a list of mappings.
    pub module_defaults: Option<Node>,
    pub become_: Option<Node>,
    pub become_user: Option<Node>,
    pub become_method: Option<Node>,
    pub remote_user: Option<Node>,
    pub tags: Vec<String>,
    pub check_mode: Option<Node>,
    pub ignore_errors: Option<Node>,
    pub serial: Option<Node>,
    pub any_errors_fatal: Option<Node>,
    /// `strategy:` (`linear`, `free`, …).
    pub strategy: Option<Node>,
    pub gather_subset: Option<Node>,
    pub gather_timeout: Option<Node>,
    pub force_handlers: Option<Node>,
    pub max_fail_percentage: Option<Node>,
    /// `order:` (`inventory`, `sorted`, `reverse_inventory`, …).
    pub order: Option<Node>,
    pub no_log: Option<Node>,
    pub diff: Option<Node>,
    pub run_once: Option<Node>,
    pub become_flags: Option<Node>,
    pub ignore_unreachable: Option<Node>,
    pub port: Option<Node>,
    pub throttle: Option<Node>,
    pub timeout: Option<Node>,
}

/// A role as loaded from `roles/<name>/`.
#[derive(Clone, Debug)]
pub struct Role {
    pub name: String,
    /// `namespace.collection` of a role found in a collection (`ns.coll.role`).
    pub collection: Option<String>,
    /// Absolute path of the role directory (`role_path`).
    pub path: PathBuf,
    /// Where `roles: [x]` named it.
    pub span: Span,
    /// `defaults/main.yml`, in order.
    pub defaults: Vec<(String, Node)>,
    /// `vars/main.yml`, in order.
    pub vars: Vec<(String, Node)>,
    /// `vars:` given where the role is listed in the play (`- role: x` + `vars:` or extra keys).
    pub params: Vec<(String, Node)>,
    pub tasks: Vec<Task>,
    pub handlers: Vec<Task>,
    pub tags: Vec<String>,
    pub when: Vec<Node>,
    pub become_: Option<Node>,
    /// Its defaults and vars are seen by the play's other tasks (`roles:`, `import_role`; an
    /// `include_role` with `public: true`).
    pub public: bool,
    /// For a role that does not allow duplicates: its identity (`Role._get_hash_dict`). A
    /// task of it is skipped on a host where an equal role has already run a task.
    pub dedup: Option<String>,
    /// Brought in by another role's `meta/main.yml` dependencies.
    pub dependency: bool,
    /// The directories of the roles above it, innermost first: the role that lists it as a
    /// dependency or runs `include_role`/`import_role` for it, that role's own, and so on
    /// (they come first in `ansible_search_path`).
    pub parents: Vec<PathBuf>,
}

impl TaskKeywords {
    /// Puts `outer` (the module_defaults of what surrounds the task) before its own, which
    /// win.
    pub fn under_module_defaults<'a>(&mut self, outer: impl IntoIterator<Item = &'a Node>) {
        let mut all: Vec<Node> = outer.into_iter().cloned().collect();
        all.append(&mut self.module_defaults);
        self.module_defaults = all;
    }
}

impl Role {
    /// Its own directory, then those of the roles above it: the [`Self::parents`] of a role
    /// it brings in.
    pub fn lineage(&self) -> Vec<PathBuf> {
        std::iter::once(self.path.clone())
            .chain(self.parents.iter().cloned())
            .collect()
    }

    /// The name Ansible shows before a task's (`Role.get_name()`): with its collection.
    pub fn display_name(&self) -> String {
        match &self.collection {
            Some(c) => format!("{c}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The `*_from` options of `include_role`/`import_role`: which file of `tasks/`, `vars/`,
/// `defaults/`, `handlers/` to load instead of `main`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FromFiles {
    pub tasks: Option<String>,
    pub vars: Option<String>,
    pub defaults: Option<String>,
    pub handlers: Option<String>,
}

/// Which loop keyword a task used.
#[derive(Clone, Debug, PartialEq)]
pub enum LoopKind {
    /// `loop:`
    Loop,
    /// `with_<lookup>:` (`with_items`, `with_file`, …): the lookup name.
    With(String),
}

/// Task keywords other than the module and its arguments.
#[derive(Clone, Debug, Default)]
pub struct TaskKeywords {
    pub register: Option<Node>,
    /// Each entry is one bare expression; a list means all must hold.
    pub when: Vec<Node>,
    pub loop_: Option<(LoopKind, Node)>,
    pub loop_control: Option<Node>,
    pub until: Option<Node>,
    pub retries: Option<Node>,
    pub delay: Option<Node>,
    pub ignore_errors: Option<Node>,
    pub changed_when: Vec<Node>,
    pub failed_when: Vec<Node>,
    pub delegate_to: Option<Node>,
    pub run_once: Option<Node>,
    pub become_: Option<Node>,
    pub become_user: Option<Node>,
    pub become_method: Option<Node>,
    pub become_flags: Option<Node>,
    pub environment: Option<Node>,
    pub async_: Option<Node>,
    pub poll: Option<Node>,
    pub tags: Vec<String>,
    pub notify: Vec<Node>,
    pub no_log: Option<Node>,
    pub vars: Vec<(String, Node)>,
    pub check_mode: Option<Node>,
    pub diff: Option<Node>,
    pub connection: Option<Node>,
    pub remote_user: Option<Node>,
    /// For handlers: `listen:` topics.
    pub listen: Vec<Node>,
    pub ignore_unreachable: Option<Node>,
    pub delegate_facts: Option<Node>,
    pub any_errors_fatal: Option<Node>,
    pub throttle: Option<Node>,
    pub timeout: Option<Node>,
    pub port: Option<Node>,
    /// `module_defaults:` of the blocks around the task (outermost first), then its own: later
    /// entries win, action by action.
    pub module_defaults: Vec<Node>,
}

/// A `block:` that has `rescue:` or `always:` sections. Its body tasks stay inline in the task
/// list they belong to, each naming the block in [`Task::blocks`]; the sections live here.
#[derive(Debug)]
pub struct BlockScope {
    /// The block's mapping.
    pub span: Span,
    /// Runs for the hosts that failed in the body.
    pub rescue: Vec<Task>,
    /// Runs afterwards for every host that entered the body.
    pub always: Vec<Task>,
}

/// One task (or handler).
#[derive(Clone, Debug)]
pub struct Task {
    /// The whole task mapping.
    pub span: Span,
    pub name: Option<Node>,
    /// Canonical short module name (`ansible.builtin.copy` → `copy`).
    pub module: String,
    /// The module key as written, for messages and its position.
    pub module_key: Node,
    /// Module arguments as one map node: dict form, `k=v` pairs and `args:` merged; free-form
    /// text goes under `_raw_params`. Positions point at where each value was written.
    pub args: Node,
    pub keywords: TaskKeywords,
    /// The role this task came from, if any.
    pub role: Option<Arc<Role>>,
    /// Blocks with `rescue`/`always` this task is in, outermost first, counted within the task
    /// list that holds it (the tasks of a `rescue:` list start over from there).
    pub blocks: Vec<Arc<BlockScope>>,
}

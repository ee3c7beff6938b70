use indexmap::IndexMap;
use rsible_modules::ResultMap;
use rsible_source::{Diagnostic, Span};
use serde_json::Value;

/// A play as the callback sees it.
#[derive(Clone, Debug)]
pub struct PlayInfo {
    /// The play's name, templated; when unset, Ansible shows the `hosts:` pattern joined by `,`.
    pub name: String,
    pub check_mode: bool,
    /// Where the play is written (the json callback's `path`).
    pub span: Option<rsible_source::Span>,
    /// The play runs the `free` (or `host_pinned`) strategy: a task's banner is shown before
    /// a result of it that follows another task's, not when the task starts.
    pub free: bool,
}

/// A task as the callback sees it.
#[derive(Clone, Debug)]
pub struct TaskInfo {
    /// The name as Ansible shows it: `role : name`, or the module name when unnamed
    /// (`command`, `ansible.builtin.debug` — as written).
    pub name: String,
    /// The `name:` alone, untemplated-then-templated, without role prefix (for retry lines).
    pub plain_name: String,
    pub is_handler: bool,
    pub check_mode: bool,
    pub no_log: bool,
    /// The module's canonical name.
    pub module: String,
    /// `loop_control.loop_var`, `item` by default.
    pub loop_var: String,
    /// `loop_control.label`, already templated per item by the runner if set.
    pub has_label: bool,
    /// Diffs are shown for this task (`--diff` or the task's `diff:` keyword).
    pub diff: bool,
    /// Where the task is written (`task path:` at `-vv`).
    pub span: Option<rsible_source::Span>,
}

/// One result: for a host, or for one item of a loop.
#[derive(Clone, Debug)]
pub struct ResultEvent<'a> {
    pub host: &'a str,
    /// `delegate_to` target, shown as `[host -> target]`.
    pub delegated_to: Option<&'a str>,
    /// The result dict (for item events: the item's result, which holds `item` or `_ansible_item_label`).
    pub result: &'a ResultMap,
    /// For failures: whether `ignore_errors` applies (`...ignoring`); for an unreachable
    /// host's result (not its items'), whether `ignore_unreachable` does.
    pub ignore_errors: bool,
    /// For item events: the item (or its label).
    pub item: Option<&'a Value>,
    /// For failures caused by an error rather than a module's verdict (undefined variable,
    /// unsupported parameter, …): the chain Ansible 2.19 prints as an `[ERROR]:` block before
    /// `fatal:` — the outer error first (with the task's position), then each `<<< caused by >>>`.
    pub error: Option<&'a [ErrorLink]>,
}

/// One link of an error chain: a message and where it came from.
#[derive(Clone, Debug)]
pub struct ErrorLink {
    pub message: String,
    pub origin: Option<Span>,
    /// Shown in a section of its own even where the link before it has the same origin:
    /// Ansible keeps an error apart when it has a cause of its own (a keyword's conversion
    /// error under "Error processing keyword").
    pub keep_apart: bool,
    /// Ansible's help text for the error, printed after the whole chain.
    pub help: Option<String>,
}

/// Per-host counters for the recap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostStats {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

impl std::ops::AddAssign<&HostStats> for HostStats {
    fn add_assign(&mut self, s: &HostStats) {
        self.ok += s.ok;
        self.changed += s.changed;
        self.unreachable += s.unreachable;
        self.failed += s.failed;
        self.skipped += s.skipped;
        self.rescued += s.rescued;
        self.ignored += s.ignored;
    }
}

/// The recap: hosts in the order Ansible prints them (sorted by name).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub hosts: IndexMap<String, HostStats>,
}

/// The event stream, shaped like Ansible's callback plugins (`v2_runner_on_ok`, …). Every method
/// has an empty default so a renderer implements only what it shows.
pub trait Callback: Send + Sync {
    fn playbook_on_start(&self, _playbook: &std::path::Path) {}
    fn playbook_on_play_start(&self, _play: &PlayInfo) {}
    fn playbook_on_task_start(&self, _task: &TaskInfo) {}
    fn playbook_on_handler_task_start(&self, _task: &TaskInfo) {}
    fn playbook_on_no_hosts_matched(&self) {}
    /// An `include_tasks` file was included for `hosts` (once per loop item: `item`, shown
    /// through `loop_var`).
    fn playbook_on_include(
        &self,
        _file: &std::path::Path,
        _hosts: &[String],
        _item: Option<&Value>,
    ) {
    }
    fn playbook_on_no_hosts_remaining(&self) {}
    /// A host finished a task: ok or changed (see `result["changed"]`).
    fn runner_on_ok(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    /// An include's ok result (its files are announced after, with `playbook_on_include`).
    fn runner_on_include_ok(&self, _task: &TaskInfo) {}
    /// An ok/changed result that carries a `diff` (before `runner_on_ok`), when diffs are shown.
    fn on_file_diff(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    fn runner_on_failed(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    fn runner_on_skipped(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    fn runner_on_unreachable(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    fn runner_item_on_ok(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    fn runner_item_on_failed(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    fn runner_item_on_skipped(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    /// An `until` attempt failed and another follows; `result` holds `attempts` and `retries`.
    fn runner_retry(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    /// An async job was polled and is still running (`ASYNC POLL on h: jid=… started=… finished=…`).
    fn runner_on_async_poll(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    /// An async job finished (`ASYNC OK on h: jid=…`).
    fn runner_on_async_ok(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    /// An async job failed or ran out of time (`ASYNC FAILED on h: jid=…`).
    fn runner_on_async_failed(&self, _task: &TaskInfo, _ev: &ResultEvent<'_>) {}
    /// A line an action prints as it runs (`display.display`: stdout in the default callback).
    fn display(&self, _msg: &str) {}
    /// A `[WARNING]:` line (stderr in the default callback).
    fn warning(&self, _msg: &str) {}
    /// A message Ansible prints with `display.v()`…`display.vvvvvv()`: shown when the run has at
    /// least `level` `-v` (`display.vv` is level 2), as `<host> msg` when a host is given.
    fn verbose(&self, _level: u8, _host: Option<&str>, _msg: &str) {}
    /// A positioned error or note for the user (stderr), in addition to the Ansible-shaped result.
    fn diagnostic(&self, _d: &Diagnostic) {}
    fn playbook_on_stats(&self, _stats: &Stats) {}
}

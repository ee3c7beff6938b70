//! The `default` stdout callback (`ansible/plugins/callback/default.py` with
//! `callback/__init__.py`), reproduced byte for byte.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rsible_runner::{Callback, PlayInfo, ResultEvent, Stats, TaskInfo};
use rsible_source::Diagnostic;
use serde_json::Value;

use super::color::{colorize, stringc, Color};
use super::display::{Display, Sinks};
use super::error_block::{display_path, format_error_chain};
use super::file_diff::render_diff;
use super::result_view::{
    callback_view, clean_results, dump_results, get_item_label, is_debug, py_truthy, run_is_verbose,
};
use super::DisplayOptions;

/// Identifies a task between its start and its results (Ansible uses the task's uuid).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct TaskKey {
    name: String,
    module: String,
    is_handler: bool,
    /// Two unnamed tasks of one module are told apart where the `free` strategy interleaves
    /// them.
    span: Option<rsible_source::Span>,
}

impl TaskKey {
    fn of(task: &TaskInfo) -> Self {
        Self {
            name: task.name.clone(),
            module: task.module.clone(),
            is_handler: task.is_handler,
            span: task.span,
        }
    }
}

struct State {
    display: Display,
    last_task_banner: Option<TaskKey>,
    last_task_name: Option<String>,
    task_type_cache: HashMap<TaskKey, &'static str>,
    /// The play runs the `free` strategy (`_task_start` prints no banner then).
    free: bool,
}

/// Ansible's default screen output.
pub struct DefaultCallback {
    opts: DisplayOptions,
    state: Mutex<State>,
}

impl DefaultCallback {
    pub fn new(opts: DisplayOptions, sinks: Sinks) -> Self {
        let display = Display::new(sinks, opts.color, opts.columns);
        Self {
            opts,
            state: Mutex::new(State {
                display,
                last_task_banner: None,
                last_task_name: None,
                task_type_cache: HashMap::new(),
                free: false,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A message of the CLI itself (`No config file found; using defaults`, …) on stdout.
    pub fn display_plain(&self, msg: &str) {
        self.state().display.display(msg, None, false);
    }

    /// An `[ERROR]:` line of the CLI itself, on stderr.
    pub fn error(&self, msg: &str) {
        let formatted = super::display::format_plain(msg);
        self.state().display.error(&formatted, true);
    }

    fn task_start(&self, task: &TaskInfo, prefix: &'static str) {
        let mut st = self.state();
        st.task_type_cache.insert(TaskKey::of(task), prefix);
        if st.free {
            // Hosts interleave their tasks: each result names its own task.
            st.last_task_name = None;
            return;
        }
        st.last_task_name = Some(task.name.trim().to_owned());
        if self.opts.display_skipped_hosts && self.opts.display_ok_hosts {
            self.print_task_banner(&mut st, task);
        }
    }

    fn print_task_banner(&self, st: &mut State, task: &TaskInfo) {
        let key = TaskKey::of(task);
        let prefix = st.task_type_cache.get(&key).copied().unwrap_or("TASK");
        let name = st
            .last_task_name
            .clone()
            .unwrap_or_else(|| task.name.trim().to_owned());
        let check = if task.check_mode && self.opts.check_mode_markers {
            " [CHECK MODE]"
        } else {
            ""
        };
        st.display.banner(&format!("{prefix} [{name}]{check}"));
        if self.opts.verbosity >= 2 {
            print_task_path(st, task);
        }
        st.last_task_banner = Some(key);
    }

    fn banner_if_needed(&self, st: &mut State, task: &TaskInfo) {
        if st.last_task_banner.as_ref() != Some(&TaskKey::of(task)) {
            self.print_task_banner(st, task);
        }
    }

    /// `_handle_warnings_and_exception`: warnings on stderr, then the error chain on stdout.
    fn warnings_and_error(
        &self,
        st: &mut State,
        view: &serde_json::Map<String, Value>,
        ev: &ResultEvent<'_>,
    ) {
        if let Some(Value::Array(warnings)) = view.get("warnings") {
            for w in warnings {
                st.display.warning(&super::python::py_str(w));
            }
        }
        if let Some(Value::Array(deprecations)) = view.get("deprecations") {
            for d in deprecations {
                let msg = match d {
                    Value::Object(m) => m.get("msg").map(super::python::py_str).unwrap_or_default(),
                    other => super::python::py_str(other),
                };
                st.display.deprecation(&msg);
            }
        }
        if let Some(chain) = ev.error.filter(|c| !c.is_empty()) {
            let text = format_error_chain(chain);
            st.display.error(&text, self.opts.display_failed_stderr);
        }
    }

    fn dump(&self, view: &serde_json::Map<String, Value>) -> String {
        dump_results(view, self.opts.verbosity)
    }
}

/// `_print_task_path`: the file the task is written in and the line it starts on.
fn print_task_path(st: &mut State, task: &TaskInfo) {
    if let Some(span) = task.span {
        let path = display_path(&rsible_source::SourceMap::path(span.source));
        let line = span.start.line.max(1);
        let msg = format!("task path: {}:{line}", path.display());
        st.display.display(&msg, Some(Color::Debug), false);
    }
}

/// The results whose `diff` `v2_on_file_diff` shows: each item of a loop's summary, else the
/// result itself. Every item result of a loop names `ansible_loop_var`, which tells a summary
/// from a module that happens to return `results`.
fn diff_results(
    view: &serde_json::Map<String, Value>,
    ev: &ResultEvent<'_>,
) -> Vec<serde_json::Map<String, Value>> {
    let items = match view.get("results") {
        Some(Value::Array(items)) if ev.item.is_none() => items,
        _ => return vec![view.clone()],
    };
    let is_loop = items.iter().any(|i| {
        i.as_object()
            .is_some_and(|m| m.contains_key("ansible_loop_var"))
    });
    if !is_loop {
        return vec![view.clone()];
    }
    items
        .iter()
        .filter_map(|i| i.as_object().cloned())
        .collect()
}

/// `host_label`: the host, and the delegate when it differs.
fn host_label(ev: &ResultEvent<'_>) -> String {
    match ev.delegated_to {
        Some(d) if d != ev.host => format!("{} -> {d}", ev.host),
        _ => ev.host.to_owned(),
    }
}

fn is_loop_summary(view: &serde_json::Map<String, Value>, ev: &ResultEvent<'_>) -> bool {
    ev.item.is_none() && matches!(view.get("results"), Some(Value::Array(_)))
}

fn changed(view: &serde_json::Map<String, Value>) -> bool {
    view.get("changed").is_some_and(py_truthy)
}

impl Callback for DefaultCallback {
    fn playbook_on_start(&self, playbook: &Path) {
        let mut st = self.state();
        if self.opts.verbosity > 1 {
            let base = playbook
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            st.display.banner(&format!("PLAYBOOK: {base}"));
        }
        if self.opts.check && self.opts.check_mode_markers {
            st.display.banner("DRY RUN");
        }
    }

    fn playbook_on_play_start(&self, play: &PlayInfo) {
        let mut st = self.state();
        st.free = play.free;
        let name = play.name.trim();
        let check = if play.check_mode && self.opts.check_mode_markers {
            " [CHECK MODE]"
        } else {
            ""
        };
        let msg = if name.is_empty() {
            format!("PLAY{check}")
        } else {
            format!("PLAY [{name}]{check}")
        };
        st.display.banner(&msg);
    }

    fn playbook_on_task_start(&self, task: &TaskInfo) {
        self.task_start(task, "TASK");
    }

    fn playbook_on_handler_task_start(&self, task: &TaskInfo) {
        self.task_start(task, "RUNNING HANDLER");
    }

    fn runner_on_include_ok(&self, task: &TaskInfo) {
        // `v2_runner_on_ok` of an include: only the banner, when another task's came last.
        let mut st = self.state();
        self.banner_if_needed(&mut st, task);
    }

    fn playbook_on_no_hosts_matched(&self) {
        self.state()
            .display
            .display("skipping: no hosts matched", Some(Color::Skip), false);
    }

    fn playbook_on_include(&self, file: &Path, hosts: &[String], item: Option<&Value>) {
        let mut msg = format!("included: {} for {}", file.display(), hosts.join(", "));
        if let Some(item) = item {
            msg.push_str(" => (item=");
            msg.push_str(&super::python::py_str(item));
            msg.push(')');
        }
        self.state().display.display(&msg, Some(Color::Skip), false);
    }

    fn runner_on_async_poll(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        let get = |k: &str| {
            ev.result
                .get(k)
                .map_or_else(|| "None".to_owned(), super::python::py_str)
        };
        let msg = format!(
            "ASYNC POLL on {}: jid={} started={} finished={}",
            ev.host,
            get("ansible_job_id"),
            get("started"),
            get("finished")
        );
        self.state()
            .display
            .display(&msg, Some(Color::Debug), false);
    }

    fn runner_on_async_ok(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        let jid = ev
            .result
            .get("ansible_job_id")
            .map_or_else(|| "None".to_owned(), super::python::py_str);
        let msg = format!("ASYNC OK on {}: jid={jid}", ev.host);
        self.state()
            .display
            .display(&msg, Some(Color::Debug), false);
    }

    fn runner_on_async_failed(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        let jid = ev
            .result
            .get("ansible_job_id")
            .or_else(|| {
                ev.result
                    .get("async_result")
                    .and_then(|r| r.get("ansible_job_id"))
            })
            .map_or_else(|| "None".to_owned(), super::python::py_str);
        let msg = format!("ASYNC FAILED on {}: jid={jid}", ev.host);
        self.state()
            .display
            .display(&msg, Some(Color::Debug), false);
    }

    fn playbook_on_no_hosts_remaining(&self) {
        self.state().display.banner("NO MORE HOSTS LEFT");
    }

    fn runner_on_ok(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let mut view = callback_view(task, ev.result);
        let label = host_label(ev);
        let mut st = self.state();
        let (mut msg, color) = if changed(&view) {
            (format!("changed: [{label}]"), Color::Changed)
        } else {
            if !self.opts.display_ok_hosts {
                return;
            }
            (format!("ok: [{label}]"), Color::Ok)
        };
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        if is_loop_summary(&view, ev) {
            return;
        }
        clean_results(&mut view, &task.module);
        if run_is_verbose(&view, self.opts.verbosity, 0) {
            msg.push_str(" => ");
            msg.push_str(&self.dump(&view));
        }
        st.display.display(&msg, Some(color), false);
    }

    fn on_file_diff(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let view = callback_view(task, ev.result);
        for res in diff_results(&view, ev) {
            let Some(diff) = res.get("diff").filter(|d| py_truthy(d)) else {
                continue;
            };
            if !changed(&res) {
                continue;
            }
            let text = render_diff(diff, self.opts.color, self.opts.diff_context);
            if text.is_empty() {
                continue;
            }
            let mut st = self.state();
            self.banner_if_needed(&mut st, task);
            st.display.display(&text, None, false);
        }
    }

    fn runner_on_failed(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let mut view = callback_view(task, ev.result);
        let label = host_label(ev);
        let mut st = self.state();
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        clean_results(&mut view, &task.module);
        if !is_loop_summary(&view, ev) {
            if self.opts.verbosity < 2 && self.opts.show_task_path_on_failure {
                print_task_path(&mut st, task);
            }
            let msg = format!("fatal: [{label}]: FAILED! => {}", self.dump(&view));
            st.display
                .display(&msg, Some(Color::Error), self.opts.display_failed_stderr);
        }
        if ev.ignore_errors {
            st.display.display("...ignoring", Some(Color::Skip), false);
        }
    }

    fn runner_on_skipped(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        if !self.opts.display_skipped_hosts {
            return;
        }
        let mut view = callback_view(task, ev.result);
        clean_results(&mut view, &task.module);
        let mut st = self.state();
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        if is_loop_summary(&view, ev) {
            view.shift_remove("results");
        }
        let mut msg = format!("skipping: [{}]", ev.host);
        if run_is_verbose(&view, self.opts.verbosity, 0) {
            msg.push_str(" => ");
            msg.push_str(&self.dump(&view));
        }
        st.display.display(&msg, Some(Color::Skip), false);
    }

    fn runner_on_unreachable(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let view = callback_view(task, ev.result);
        let label = host_label(ev);
        let mut st = self.state();
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        let msg = format!("fatal: [{label}]: UNREACHABLE! => {}", self.dump(&view));
        st.display.display(
            &msg,
            Some(Color::Unreachable),
            self.opts.display_failed_stderr,
        );
        // Here the flag is `ignore_unreachable` (`ignore_errors` does not cover unreachable).
        if ev.ignore_errors {
            st.display.display("...ignoring", Some(Color::Skip), false);
        }
    }

    fn runner_item_on_ok(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let mut view = callback_view(task, ev.result);
        let label = host_label(ev);
        let mut st = self.state();
        let (status, color) = if changed(&view) {
            ("changed", Color::Changed)
        } else {
            if !self.opts.display_ok_hosts {
                return;
            }
            ("ok", Color::Ok)
        };
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        let item = get_item_label(task, &view, ev.item);
        let mut msg = format!("{status}: [{label}] => (item={item})");
        clean_results(&mut view, &task.module);
        if run_is_verbose(&view, self.opts.verbosity, 0) {
            msg.push_str(" => ");
            msg.push_str(&self.dump(&view));
        }
        st.display.display(&msg, Some(color), false);
    }

    fn runner_item_on_failed(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let mut view = callback_view(task, ev.result);
        let label = host_label(ev);
        let mut st = self.state();
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        let item = get_item_label(task, &view, ev.item);
        clean_results(&mut view, &task.module);
        let msg = format!("failed: [{label}] (item={item}) => {}", self.dump(&view));
        st.display
            .display(&msg, Some(Color::Error), self.opts.display_failed_stderr);
    }

    fn runner_item_on_skipped(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        if !self.opts.display_skipped_hosts {
            return;
        }
        let mut view = callback_view(task, ev.result);
        let mut st = self.state();
        self.banner_if_needed(&mut st, task);
        self.warnings_and_error(&mut st, &view, ev);
        clean_results(&mut view, &task.module);
        let item = get_item_label(task, &view, ev.item);
        // The trailing space after `)` is Ansible's.
        let mut msg = format!("skipping: [{}] => (item={item}) ", ev.host);
        if run_is_verbose(&view, self.opts.verbosity, 0) {
            msg.push_str(" => ");
            msg.push_str(&self.dump(&view));
        }
        st.display.display(&msg, Some(Color::Skip), false);
    }

    fn runner_retry(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        let view = callback_view(task, ev.result);
        let label = host_label(ev);
        let task_name = if task.plain_name.is_empty() {
            format!("TASK: {}", task.name)
        } else {
            task.plain_name.clone()
        };
        let num = |k: &str| view.get(k).and_then(Value::as_i64).unwrap_or(0);
        let left = num("retries") - num("attempts");
        let mut msg = format!("FAILED - RETRYING: [{label}]: {task_name} ({left} retries left).");
        if run_is_verbose(&view, self.opts.verbosity, 2) {
            msg.push_str("Result was: ");
            msg.push_str(&self.dump(&view));
        }
        self.state()
            .display
            .display(&msg, Some(Color::Debug), false);
    }

    fn display(&self, msg: &str) {
        self.state().display.display(msg, None, false);
    }

    fn warning(&self, msg: &str) {
        self.state().display.warning(msg);
    }

    fn verbose(&self, level: u8, host: Option<&str>, msg: &str) {
        if self.opts.verbosity < level {
            return;
        }
        let text = match host {
            Some(h) => format!("<{h}> {msg}"),
            None => msg.to_owned(),
        };
        self.state()
            .display
            .display(&text, Some(Color::Verbose), false);
    }

    fn diagnostic(&self, d: &Diagnostic) {
        let text = d.render(self.opts.color);
        let mut st = self.state();
        st.display.display(&text, None, true);
    }

    fn playbook_on_stats(&self, stats: &Stats) {
        let mut st = self.state();
        st.display.banner("PLAY RECAP");
        let color = self.opts.color;
        let mut hosts: Vec<_> = stats.hosts.iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(b.0));
        for (host, t) in hosts {
            let host_col = if color {
                let c = if t.failed != 0 || t.unreachable != 0 {
                    Color::Error
                } else if t.changed != 0 {
                    Color::Changed
                } else {
                    Color::Ok
                };
                format!("{:<37}", stringc(host, c, true))
            } else {
                format!("{host:<26}")
            };
            let line = format!(
                "{host_col} : {} {} {} {} {} {} {}",
                colorize("ok", t.ok, Some(Color::Ok), color),
                colorize("changed", t.changed, Some(Color::Changed), color),
                colorize(
                    "unreachable",
                    t.unreachable,
                    Some(Color::Unreachable),
                    color
                ),
                colorize("failed", t.failed, Some(Color::Error), color),
                colorize("skipped", t.skipped, Some(Color::Skip), color),
                colorize("rescued", t.rescued, Some(Color::Ok), color),
                colorize("ignored", t.ignored, Some(Color::Warn), color),
            );
            st.display.display(&line, None, false);
        }
        st.display.display("", None, false);
        if self.opts.check && self.opts.check_mode_markers {
            st.display.banner("DRY RUN");
        }
    }
}

/// Whether `task` is Ansible's `debug` action under any of its names.
pub fn task_is_debug(task: &TaskInfo) -> bool {
    is_debug(&task.module)
}

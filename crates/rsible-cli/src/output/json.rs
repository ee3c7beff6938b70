//! The `json` stdout callback (`ansible.posix.json`): everything collected, one JSON document
//! printed at the end.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use rsible_runner::{Callback, PlayInfo, ResultEvent, Stats, TaskInfo};
use serde_json::{json, Map, Value};

use super::display::Sinks;
use super::python::json_dumps;

struct State {
    sinks: Sinks,
    plays: Vec<Value>,
    next_id: u64,
}

/// Collects plays, tasks and per-host results, and prints them with the recap at the end.
pub struct JsonCallback {
    indent: Option<usize>,
    /// `-v` count: Ansible's display prints verbose lines whatever the stdout callback.
    verbosity: u8,
    state: Mutex<State>,
}

/// `path:line` of a play or task, as Ansible's `get_path()`.
fn span_path(span: Option<rsible_source::Span>) -> String {
    span.map(|s| {
        let path = super::error_block::display_path(&rsible_source::SourceMap::path(s.source));
        format!("{}:{}", path.display(), s.start.line.max(1))
    })
    .unwrap_or_default()
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

impl JsonCallback {
    /// `indent`: `ANSIBLE_JSON_INDENT` (default 4; 0 or less means compact).
    pub fn new(indent: Option<usize>, sinks: Sinks) -> Self {
        Self {
            indent,
            verbosity: 0,
            state: Mutex::new(State {
                sinks,
                plays: Vec::new(),
                next_id: 0,
            }),
        }
    }

    /// Shows verbose messages up to `verbosity` (`-v` count).
    #[must_use]
    pub fn with_verbosity(mut self, verbosity: u8) -> Self {
        self.verbosity = verbosity;
        self
    }

    fn new_id(st: &mut State) -> String {
        st.next_id += 1;
        format!(
            "{:08x}-0000-0000-0000-{:012x}",
            std::process::id(),
            st.next_id
        )
    }

    fn task_start(&self, task: &TaskInfo) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let id = Self::new_id(&mut st);
        let entry = json!({
            "task": {"name": task.name, "id": id, "path": span_path(task.span), "duration": {"start": now()}},
            "hosts": {},
        });
        if let Some(Value::Array(tasks)) = st.plays.last_mut().and_then(|p| p.get_mut("tasks")) {
            tasks.push(entry);
        }
    }

    fn record(&self, task: &TaskInfo, ev: &ResultEvent<'_>, status: Option<&str>) {
        // The json callback stores the callback's view of the result: statuses dropped, the
        // internal keys callbacks need kept.
        let mut result: Map<String, Value> = super::result_view::callback_view(task, ev.result);
        if !result.contains_key("_ansible_no_log") {
            result.insert("_ansible_no_log".to_owned(), Value::Bool(task.no_log));
        }
        if let Some(s) = status {
            result.insert(s.to_owned(), Value::Bool(true));
        }
        // 2.19 keeps the normalised error of a failure under `exception`; rsible has no
        // Python traceback to show, which is what Ansible says when it has none either.
        if status == Some("failed") && !result.contains_key("exception") {
            result.insert(
                "exception".to_owned(),
                Value::String("(traceback unavailable)".to_owned()),
            );
        }
        result.insert("action".to_owned(), Value::String(task.module.clone()));
        let end = now();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(play) = st.plays.last_mut() else {
            return;
        };
        if let Some(Value::Object(last)) = play
            .get_mut("tasks")
            .and_then(Value::as_array_mut)
            .and_then(|t| t.last_mut())
        {
            if let Some(Value::Object(hosts)) = last.get_mut("hosts") {
                hosts.insert(ev.host.to_owned(), Value::Object(result));
            }
            if let Some(Value::Object(d)) = last.get_mut("task").and_then(|t| t.get_mut("duration"))
            {
                d.insert("end".to_owned(), Value::String(end.clone()));
            }
        }
        if let Some(Value::Object(d)) = play.get_mut("play").and_then(|p| p.get_mut("duration")) {
            d.insert("end".to_owned(), Value::String(end));
        }
    }
}

impl Callback for JsonCallback {
    fn playbook_on_play_start(&self, play: &PlayInfo) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let id = Self::new_id(&mut st);
        st.plays.push(json!({
            "play": {"name": play.name, "id": id, "path": span_path(play.span), "duration": {"start": now()}},
            "tasks": [],
        }));
    }

    fn playbook_on_task_start(&self, task: &TaskInfo) {
        self.task_start(task);
    }

    fn playbook_on_handler_task_start(&self, task: &TaskInfo) {
        self.task_start(task);
    }

    fn runner_on_ok(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.record(task, ev, None);
    }

    fn runner_on_failed(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.record(task, ev, Some("failed"));
    }

    fn runner_on_skipped(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.record(task, ev, Some("skipped"));
    }

    fn runner_on_unreachable(&self, task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.record(task, ev, None);
    }

    fn warning(&self, msg: &str) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = writeln!(st.sinks.stderr, "[WARNING]: {}", msg.trim());
    }

    fn verbose(&self, level: u8, host: Option<&str>, msg: &str) {
        if self.verbosity < level {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = match host {
            Some(h) => writeln!(st.sinks.stdout, "<{h}> {msg}"),
            None => writeln!(st.sinks.stdout, "{msg}"),
        };
        let _ = st.sinks.stdout.flush();
    }

    fn playbook_on_stats(&self, stats: &Stats) {
        let mut summary = Map::new();
        let mut hosts: Vec<_> = stats.hosts.iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(b.0));
        for (h, s) in hosts {
            summary.insert(
                h.clone(),
                json!({
                    "changed": s.changed, "failures": s.failed, "ignored": s.ignored, "ok": s.ok,
                    "rescued": s.rescued, "skipped": s.skipped, "unreachable": s.unreachable,
                }),
            );
        }
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let output = json!({
            "custom_stats": {},
            "global_custom_stats": {},
            "plays": std::mem::take(&mut st.plays),
            "stats": summary,
        });
        let text = json_dumps(&output, self.indent);
        let _ = writeln!(st.sinks.stdout, "{text}");
        let _ = st.sinks.stdout.flush();
    }
}

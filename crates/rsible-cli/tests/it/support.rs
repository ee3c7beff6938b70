//! Builds the runner's events by hand and captures what the renderer prints.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rsible_cli::output::{DefaultCallback, DisplayOptions, Sinks};
use rsible_runner::{Callback, ErrorLink, HostStats, PlayInfo, ResultEvent, Stats, TaskInfo};
use rsible_source::{Position, SourceId, SourceMap, Span};
use serde_json::{Map, Value};

#[derive(Clone, Default)]
pub struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// A renderer over in-memory sinks plus the playbook it pretends to run.
pub struct Harness {
    pub cb: DefaultCallback,
    pub out: Buf,
    pub err: Buf,
    pub source: SourceId,
}

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/render")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Harness {
    /// `playbook` is registered under the path Ansible ran it from (`/tmp/rsible-fx/…`), so
    /// `Origin:` lines match the captured output.
    pub fn new(playbook: &str, opts: DisplayOptions) -> Self {
        let out = Buf::default();
        let err = Buf::default();
        let cb = DefaultCallback::new(
            opts,
            Sinks {
                stdout: Box::new(out.clone()),
                stderr: Box::new(err.clone()),
            },
        );
        let source = SourceMap::add(format!("/tmp/rsible-fx/{playbook}"), fixture(playbook));
        Self {
            cb,
            out,
            err,
            source,
        }
    }

    pub fn at(&self, line: u32, column: u32) -> Span {
        Span::point(self.source, Position::new(line, column))
    }

    pub fn play(&self, name: &str) {
        self.cb.playbook_on_play_start(&PlayInfo {
            name: name.to_owned(),
            check_mode: false,
            span: None,
            free: false,
        });
    }

    pub fn task(&self, name: &str, module: &str) -> TaskInfo {
        let t = task_info(name, module);
        self.cb.playbook_on_task_start(&t);
        t
    }

    /// A task written at `line` of the playbook (`task path:` at `-vv`).
    pub fn task_at(&self, name: &str, module: &str, line: u32) -> TaskInfo {
        let mut t = task_info(name, module);
        t.span = Some(self.at(line, 7));
        self.cb.playbook_on_task_start(&t);
        t
    }

    pub fn handler(&self, name: &str, module: &str) -> TaskInfo {
        let mut t = task_info(name, module);
        t.is_handler = true;
        self.cb.playbook_on_handler_task_start(&t);
        t
    }

    pub fn recap(&self, hosts: &[(&str, [u32; 7])]) {
        let mut stats = Stats::default();
        for (h, [ok, changed, unreachable, failed, skipped, rescued, ignored]) in hosts {
            stats.hosts.insert(
                (*h).to_owned(),
                HostStats {
                    ok: *ok,
                    changed: *changed,
                    unreachable: *unreachable,
                    failed: *failed,
                    skipped: *skipped,
                    rescued: *rescued,
                    ignored: *ignored,
                },
            );
        }
        self.cb.playbook_on_stats(&stats);
    }
}

pub fn task_info(name: &str, module: &str) -> TaskInfo {
    TaskInfo {
        name: name.to_owned(),
        plain_name: name.to_owned(),
        is_handler: false,
        check_mode: false,
        no_log: false,
        module: module.to_owned(),
        loop_var: "item".to_owned(),
        has_label: false,
        diff: false,
        span: None,
    }
}

pub fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// An event for `host` with nothing else set.
pub fn ev<'a>(host: &'a str, result: &'a Map<String, Value>) -> ResultEvent<'a> {
    ResultEvent {
        host,
        delegated_to: None,
        result,
        ignore_errors: false,
        item: None,
        error: None,
    }
}

/// The chain the runner sends for a module's or action's own failure.
pub fn task_failed(task_span: Span, kind: &str, msg: &str) -> Vec<ErrorLink> {
    vec![
        ErrorLink {
            message: "Task failed.".to_owned(),
            origin: Some(task_span),
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: format!("{kind} failed."),
            origin: None,
            keep_apart: false,
            help: None,
        },
        ErrorLink {
            message: msg.to_owned(),
            origin: None,
            keep_apart: false,
            help: None,
        },
    ]
}

/// The JSON after the last ` => ` of the first result line under `TASK [task]` in the fixture
/// `capture` (colour codes around it dropped); empty when that task shows none.
pub fn captured_json(capture: &str, task: &str) -> Map<String, Value> {
    let text = fixture(capture);
    let banner = format!("TASK [{task}] ");
    let line = text
        .lines()
        .skip_while(|l| !l.starts_with(&banner))
        .skip(1)
        .take_while(|l| !l.starts_with("TASK [") && !l.starts_with("PLAY RECAP"))
        .find(|l| l.contains(" => {"))
        .unwrap_or_default();
    let json_text = line
        .rsplit_once(" => ")
        .map(|(_, j)| j.trim_end_matches("\x1b[0m"))
        .unwrap_or_default();
    match serde_json::from_str(json_text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Asserts line by line first, so a mismatch shows where it starts.
#[track_caller]
pub fn assert_same(actual: &str, expected: &str) {
    for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
        assert_eq!(a, e, "line {} differs", i + 1);
    }
    assert_eq!(actual, expected);
}

//! The play builder every test uses: a playbook and an inventory written to a temp dir, hosts
//! answered by scripted fake connections through the runner's `Connector` seam, and the
//! callback events recorded in a compact text form for the snapshot.
//!
//! With `RSIBLE_PLAYS_ORACLE=<dir>` set, each case is also written to `<dir>/<name>/` as a
//! playbook ansible-playbook runs against localhost (`oracle.py` compares the two); the plays
//! are written so that the commands they run answer on a real host as the fakes do here.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rsible_connection::testing::ScriptedConnection;
use rsible_connection::{Connection, ExecRequest};
use rsible_runner::{
    Callback, Connector, PlayInfo, ResultEvent, RunOptions, RunOutcome, Stats, Target, TaskInfo,
};
use serde_json::Value;

/// A play to run: `play(name, yaml)`, then the builder methods, then [`Case::run`].
pub struct Case {
    name: &'static str,
    playbook: String,
    inventory: String,
    files: Vec<(String, String)>,
    hosts: BTreeMap<String, ScriptedConnection>,
    /// Hosts that cannot be reached at all.
    down: Vec<String>,
    opts: RunOptions,
    /// Written for `oracle.py` (see the module's docs).
    oracle: bool,
}

/// A case named `name` (its snapshot's name) running `playbook` on the hosts `web1` and `web2`.
pub fn play(name: &'static str, playbook: &str) -> Case {
    Case {
        name,
        playbook: playbook.to_owned(),
        inventory: "web1\nweb2\n".to_owned(),
        files: Vec::new(),
        hosts: BTreeMap::new(),
        down: Vec::new(),
        // One fork: hosts report in inventory order, so the event stream is deterministic.
        opts: RunOptions {
            forks: 1,
            ..RunOptions::default()
        },
        oracle: true,
    }
}

impl Case {
    /// The inventory, in INI form.
    pub fn inventory(mut self, ini: &str) -> Self {
        ini.clone_into(&mut self.inventory);
        self
    }

    /// A file beside the playbook (an included task file).
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.push((path.to_owned(), text.to_owned()));
        self
    }

    /// How `host` answers (hosts without one answer rc 0, no output).
    pub fn host(mut self, name: &str, conn: ScriptedConnection) -> Self {
        self.hosts.insert(name.to_owned(), conn);
        self
    }

    /// `host` cannot be reached.
    pub fn unreachable(mut self, name: &str) -> Self {
        let conn = ScriptedConnection::unreachable(
            name,
            &format!("Failed to connect to the host via ssh: {name}: Connection refused"),
        );
        self.down.push(name.to_owned());
        self.host(name, conn)
    }

    pub fn extra_vars(mut self, vars: Value) -> Self {
        if let Value::Object(map) = vars {
            self.opts.extra_vars.push(map);
        }
        self
    }

    pub fn check(mut self) -> Self {
        self.opts.check = true;
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.opts.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    pub fn skip_tags(mut self, tags: &[&str]) -> Self {
        self.opts.skip_tags = tags.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// The case cannot be reproduced with ansible-playbook on localhost (a host that goes away
    /// midway): its snapshot is checked by reading.
    pub fn no_oracle(mut self) -> Self {
        self.oracle = false;
        self
    }

    /// Runs the play; panics when the playbook does not load or the run errs.
    pub fn run(self) -> Ran {
        self.write_oracle();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("site.yml");
        std::fs::write(&path, &self.playbook).expect("playbook");
        std::fs::write(dir.path().join("hosts"), &self.inventory).expect("inventory");
        for (file, text) in &self.files {
            std::fs::write(dir.path().join(file), text).expect("file");
        }
        let opts = rsible_runner::parse_options();
        let playbook = rsible_parser::load_playbook(&path, &opts)
            .unwrap_or_else(|e| panic!("{}: {}", self.name, e.diagnostic()));
        let inventory =
            rsible_parser::load_inventory(&dir.path().join("hosts").display().to_string())
                .unwrap_or_else(|e| panic!("{}: {}", self.name, e.diagnostic()));
        let connector = FakeConnector {
            hosts: Mutex::new(
                self.hosts
                    .into_iter()
                    .map(|(name, conn)| (name, Arc::new(conn)))
                    .collect(),
            ),
        };
        let recorder = Recorder::default();
        let outcome = rsible_runner::run_playbook_with(
            &playbook, &inventory, &self.opts, &recorder, &connector,
        )
        .unwrap_or_else(|e| panic!("{}: {}", self.name, e.diagnostic()));
        let events = lock(&recorder.out).clone();
        Ran {
            name: self.name,
            events,
            outcome,
            connector,
            _dir: dir,
        }
    }

    /// The case as a playbook for ansible-playbook on localhost (see the module's docs).
    fn write_oracle(&self) {
        let Some(root) = std::env::var_os("RSIBLE_PLAYS_ORACLE").filter(|_| self.oracle) else {
            return;
        };
        let dir = Path::new(&root).join(self.name);
        std::fs::create_dir_all(&dir).expect("oracle dir");
        std::fs::write(dir.join("site.yml"), &self.playbook).expect("oracle playbook");
        std::fs::write(
            dir.join("hosts"),
            oracle_inventory(&self.inventory, &self.down),
        )
        .expect("oracle inventory");
        for (file, text) in &self.files {
            std::fs::write(dir.join(file), text).expect("oracle file");
        }
        let mut args = Vec::new();
        for ev in &self.opts.extra_vars {
            args.push("-e".to_owned());
            args.push(Value::Object(ev.clone()).to_string());
        }
        if self.opts.check {
            args.push("--check".to_owned());
        }
        if !self.opts.tags.is_empty() {
            args.push(format!("--tags={}", self.opts.tags.join(",")));
        }
        if !self.opts.skip_tags.is_empty() {
            args.push(format!("--skip-tags={}", self.opts.skip_tags.join(",")));
        }
        std::fs::write(dir.join("args"), args.join("\n")).expect("oracle args");
    }
}

/// The inventory with every host reached locally, except those that are down (a closed port).
fn oracle_inventory(ini: &str, down: &[String]) -> String {
    let mut out = String::new();
    let mut vars_section = false;
    for line in ini.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            vars_section = t.ends_with(":vars]");
        }
        if t.is_empty() || t.starts_with('[') || t.starts_with('#') || vars_section {
            let _ = writeln!(out, "{line}");
            continue;
        }
        let host = t.split_whitespace().next().unwrap_or(t);
        let how = if down.iter().any(|d| d == host) {
            "ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=9"
        } else {
            "ansible_connection=local ansible_python_interpreter=/usr/bin/python3"
        };
        let _ = writeln!(out, "{line} {how}");
    }
    out
}

/// What a run did.
pub struct Ran {
    name: &'static str,
    /// The recorded events, one line each.
    pub events: String,
    pub outcome: RunOutcome,
    connector: FakeConnector,
    _dir: tempfile::TempDir,
}

impl Ran {
    /// Compares the events with the snapshot `snapshots/<name>.snap`.
    pub fn snapshot(&self) -> &Self {
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(self.name, self.events);
        });
        self
    }

    /// The requests `host` received (as the target, or as a delegate).
    pub fn requests(&self, host: &str) -> Vec<ExecRequest> {
        lock(&self.connector.hosts)
            .get(host)
            .map(|c| lock(&c.execs).clone())
            .unwrap_or_default()
    }

    /// The shell lines of the requests `host` received.
    pub fn lines(&self, host: &str) -> Vec<String> {
        self.requests(host)
            .iter()
            .map(ExecRequest::to_shell_line)
            .collect()
    }
}

/// Hands out one scripted connection per target host, made on first use when the case gave
/// none.
struct FakeConnector {
    hosts: Mutex<BTreeMap<String, Arc<ScriptedConnection>>>,
}

impl Connector for FakeConnector {
    fn connect(&self, target: &Target<'_>) -> Result<Arc<dyn Connection>, String> {
        let mut hosts = lock(&self.hosts);
        let conn = hosts
            .entry(target.host.to_owned())
            .or_insert_with(|| Arc::new(ScriptedConnection::new(target.host)));
        Ok(Arc::clone(conn) as Arc<dyn Connection>)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes each event as one line: banners as Ansible shows them, results as
/// `<status>: [host] key=value …` with the keys that say what happened.
#[derive(Default)]
struct Recorder {
    out: Mutex<String>,
}

impl Recorder {
    fn line(&self, text: &str) {
        let mut out = lock(&self.out);
        out.push_str(text);
        out.push('\n');
    }

    fn result(&self, status: &str, ev: &ResultEvent<'_>) {
        let mut line = format!("{status}: [{}", ev.host);
        // As Ansible shows it: not when the task is delegated to its own host.
        if let Some(d) = ev.delegated_to.filter(|d| *d != ev.host) {
            let _ = write!(line, " -> {d}");
        }
        line.push(']');
        if let Some(item) = ev.item {
            let shown = ev.result.get("_ansible_item_label").unwrap_or(item);
            let _ = write!(line, " (item={shown})");
        }
        line.push_str(&interesting(ev.result));
        if ev.ignore_errors && status.starts_with("failed") {
            line.push_str(" ...ignoring");
        }
        self.line(&line);
    }
}

/// Keys that only repeat the status, vary from run to run, or restate the loop item.
const DULL: &[&str] = &[
    "changed",
    "failed",
    "skipped",
    "unreachable",
    "start",
    "end",
    "delta",
    "cmd",
    "stdout_lines",
    "stderr_lines",
    "exception",
    "invocation",
    "results",
    "item",
    "ansible_loop_var",
    "ansible_index_var",
    "skip_reason",
];

/// ` key=value` for each key of `result` worth seeing, sorted, values as compact JSON.
fn interesting(result: &serde_json::Map<String, Value>) -> String {
    let loop_var = result.get("ansible_loop_var").and_then(Value::as_str);
    let mut keys: Vec<&String> = result
        .keys()
        .filter(|k| {
            !DULL.contains(&k.as_str()) && !k.starts_with('_') && Some(k.as_str()) != loop_var
        })
        .filter(|k| result[k.as_str()] != Value::String(String::new()))
        .collect();
    keys.sort();
    keys.iter()
        .map(|k| format!(" {k}={}", result[k.as_str()]))
        .collect()
}

fn status_of(ev: &ResultEvent<'_>) -> &'static str {
    if ev.result.get("changed").and_then(Value::as_bool) == Some(true) {
        "changed"
    } else {
        "ok"
    }
}

impl Callback for Recorder {
    fn playbook_on_play_start(&self, play: &PlayInfo) {
        self.line(&format!("PLAY [{}]", play.name));
    }
    fn playbook_on_task_start(&self, task: &TaskInfo) {
        self.line(&format!("TASK [{}]", task.name));
    }
    fn playbook_on_handler_task_start(&self, task: &TaskInfo) {
        self.line(&format!("HANDLER [{}]", task.name));
    }
    fn playbook_on_no_hosts_matched(&self) {
        self.line("skipping: no hosts matched");
    }
    fn playbook_on_include(&self, file: &Path, hosts: &[String], item: Option<&Value>) {
        let name = file.file_name().map(|f| f.to_string_lossy().into_owned());
        let mut line = format!(
            "included: {} for {}",
            name.unwrap_or_default(),
            hosts.join(", ")
        );
        if let Some(item) = item {
            let _ = write!(line, " (item={item})");
        }
        self.line(&line);
    }
    fn playbook_on_no_hosts_remaining(&self) {
        self.line("NO MORE HOSTS LEFT");
    }
    fn runner_on_ok(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result(status_of(ev), ev);
    }
    fn runner_on_failed(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result("failed", ev);
    }
    fn runner_on_skipped(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result("skipping", ev);
    }
    fn runner_on_unreachable(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result("unreachable", ev);
    }
    fn runner_item_on_ok(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result(&format!("  {} item", status_of(ev)), ev);
    }
    fn runner_item_on_failed(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result("  failed item", ev);
    }
    fn runner_item_on_skipped(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result("  skipping item", ev);
    }
    fn runner_retry(&self, _task: &TaskInfo, ev: &ResultEvent<'_>) {
        self.result("  retrying", ev);
    }
    fn warning(&self, msg: &str) {
        self.line(&format!("WARNING: {msg}"));
    }
    fn playbook_on_stats(&self, stats: &Stats) {
        for (host, s) in &stats.hosts {
            self.line(&format!(
                "RECAP {host}: ok={} changed={} unreachable={} failed={} skipped={} rescued={} ignored={}",
                s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored
            ));
        }
    }
}

//! One recap for several playbooks: ansible-playbook prints `PLAY RECAP` once, after the last.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rsible_runner::{Callback, PlayInfo, ResultEvent, Stats, TaskInfo};
use rsible_source::Diagnostic;

/// Forwards every event to the renderer except the recap, which it adds up and sends once
/// from [`MergedStats::finish`].
pub struct MergedStats<'a> {
    inner: &'a dyn Callback,
    stats: Mutex<Option<Stats>>,
    /// The recap of the playbook that ended last (for its retry file).
    last: Mutex<Option<Stats>>,
}

impl<'a> MergedStats<'a> {
    pub fn new(inner: &'a dyn Callback) -> Self {
        Self {
            inner,
            stats: Mutex::new(None),
            last: Mutex::new(None),
        }
    }

    /// The recap of the playbook that ended last, once.
    pub fn take_last(&self) -> Option<Stats> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Sends the summed recap, if any playbook produced one.
    pub fn finish(&self) {
        let stats = self
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(s) = stats {
            self.inner.playbook_on_stats(&s);
        }
    }
}

impl Callback for MergedStats<'_> {
    fn playbook_on_start(&self, p: &Path) {
        self.inner.playbook_on_start(p);
    }
    fn playbook_on_play_start(&self, p: &PlayInfo) {
        self.inner.playbook_on_play_start(p);
    }
    fn playbook_on_task_start(&self, t: &TaskInfo) {
        self.inner.playbook_on_task_start(t);
    }
    fn playbook_on_handler_task_start(&self, t: &TaskInfo) {
        self.inner.playbook_on_handler_task_start(t);
    }
    fn playbook_on_no_hosts_matched(&self) {
        self.inner.playbook_on_no_hosts_matched();
    }
    fn playbook_on_no_hosts_remaining(&self) {
        self.inner.playbook_on_no_hosts_remaining();
    }
    fn runner_on_ok(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_ok(t, e);
    }
    fn on_file_diff(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.on_file_diff(t, e);
    }
    fn runner_on_async_poll(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_async_poll(t, e);
    }
    fn runner_on_async_ok(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_async_ok(t, e);
    }
    fn runner_on_async_failed(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_async_failed(t, e);
    }
    fn playbook_on_include(&self, file: &Path, hosts: &[String], item: Option<&serde_json::Value>) {
        self.inner.playbook_on_include(file, hosts, item);
    }
    fn runner_on_failed(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_failed(t, e);
    }
    fn runner_on_include_ok(&self, t: &TaskInfo) {
        self.inner.runner_on_include_ok(t);
    }
    fn runner_on_skipped(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_skipped(t, e);
    }
    fn runner_on_unreachable(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_on_unreachable(t, e);
    }
    fn runner_item_on_ok(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_item_on_ok(t, e);
    }
    fn runner_item_on_failed(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_item_on_failed(t, e);
    }
    fn runner_item_on_skipped(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_item_on_skipped(t, e);
    }
    fn runner_retry(&self, t: &TaskInfo, e: &ResultEvent<'_>) {
        self.inner.runner_retry(t, e);
    }
    fn display(&self, msg: &str) {
        self.inner.display(msg);
    }
    fn warning(&self, msg: &str) {
        self.inner.warning(msg);
    }
    fn verbose(&self, level: u8, host: Option<&str>, msg: &str) {
        self.inner.verbose(level, host, msg);
    }
    fn diagnostic(&self, d: &Diagnostic) {
        self.inner.diagnostic(d);
    }
    fn playbook_on_stats(&self, stats: &Stats) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(stats.clone());
        let mut guard = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let total = guard.get_or_insert_with(Stats::default);
        for (host, s) in &stats.hosts {
            *total.hosts.entry(host.clone()).or_default() += s;
        }
    }
}

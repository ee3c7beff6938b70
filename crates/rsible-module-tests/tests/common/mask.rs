//! Making two faithful runs comparable: masking what legitimately differs (addresses, ports,
//! clocks, temp paths, job ids) and putting each task's per-host results in a fixed order,
//! since both programs print results as hosts finish.

use std::sync::OnceLock;

use regex::Regex;
use rsible_test_support::mask::{
    MaskRule, Masks, CLOCK_FIELDS, DATE, JOB_ID, LOCAL_SCRATCH, REMOTE_SCRATCH,
};

/// Each set has its own /24 (the last octet names the host); the file server's port is the
/// kernel's pick.
const SERVER_PORT: MaskRule = (r"\b(10\.77\.\d{1,3}\.\d{1,3}):\d+", "$1:<PORT>");
const SET_NETWORK: MaskRule = (r"\b10\.77\.\d{1,3}\.(\d{1,3})\b", "10.77.<NET>.$1");
const TESTHOSTS_RUN: MaskRule = (r"/rsible-testhosts-\d+-\d+", "/rsible-testhosts-<RUN>");
const MODULE_CLOCKS: MaskRule = (
    r#""(cache_update_time|elapsed|pid)": \d+"#,
    r#""$1": <MASKED>"#,
);

fn masks() -> &'static Masks {
    static MASKS: OnceLock<Masks> = OnceLock::new();
    MASKS.get_or_init(|| {
        Masks::new(&[
            SERVER_PORT,
            SET_NETWORK,
            TESTHOSTS_RUN,
            CLOCK_FIELDS,
            MODULE_CLOCKS,
            JOB_ID,
            REMOTE_SCRATCH,
            LOCAL_SCRATCH,
            DATE,
        ])
    })
}

/// Masks `text`, drops the lines starting with one of `drop_prefixes` (progress lines whose
/// number depends on timing, e.g. `FAILED - RETRYING` while an async job runs) and sorts the
/// per-host results.
pub fn mask(text: &str, drop_prefixes: &[&str]) -> String {
    let text = masks().apply(text);
    let kept: String = text
        .split_inclusive('\n')
        .filter(|l| !drop_prefixes.iter().any(|p| l.starts_with(p)))
        .collect();
    sort_host_results(&kept)
}

/// Whether `line` starts one host's result (its continuation lines follow it).
fn starts_result(line: &str) -> bool {
    static START: OnceLock<Regex> = OnceLock::new();
    START
        .get_or_init(|| {
            Regex::new(
                r"^(?:(?:ok|changed|failed|fatal|skipping|unreachable|included)\b|\.\.\.ignoring|FAILED - RETRYING|ASYNC \w+ on |\[WARNING\]|\[ERROR\]|\[DEPRECATION WARNING\])",
            )
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .is_match(line)
}

/// Sorts the per-host entries inside each task block (between a `TASK [`/`RUNNING HANDLER [`
/// header and the next header). An `[ERROR]` report belongs to the next `fatal:`/`failed:`
/// line, which other hosts' results may precede.
pub fn sort_host_results(text: &str) -> String {
    let mut out = String::new();
    let mut entries: Vec<String> = Vec::new();
    let mut in_task = false;
    let mut open_error: Option<usize> = None;
    let mut current: Option<usize> = None;
    // The blank line closing a task block sticks to whichever entry came last; it is put
    // back after the sorted entries.
    let flush = |entries: &mut Vec<String>, out: &mut String| {
        let mut blank = 0;
        for e in entries.iter_mut() {
            let trimmed = e.trim_end_matches('\n').len();
            blank = blank.max(e.len() - trimmed - 1);
            e.truncate(trimmed);
            e.push('\n');
        }
        entries.sort();
        for e in entries.drain(..) {
            out.push_str(&e);
        }
        out.push_str(&"\n".repeat(blank));
    };
    for line in text.split_inclusive('\n') {
        let header = line.starts_with("TASK [")
            || line.starts_with("RUNNING HANDLER [")
            || line.starts_with("PLAY [")
            || line.starts_with("PLAY RECAP");
        if header {
            flush(&mut entries, &mut out);
            out.push_str(line);
            in_task = line.starts_with("TASK [") || line.starts_with("RUNNING HANDLER [");
            open_error = None;
            current = None;
            continue;
        }
        if !in_task {
            out.push_str(line);
            continue;
        }
        if !starts_result(line) {
            match current {
                Some(i) => entries[i].push_str(line),
                None => out.push_str(line),
            }
            continue;
        }
        let failure = line.starts_with("fatal:") || line.starts_with("failed:");
        match open_error {
            Some(i) if failure => {
                entries[i].push_str(line);
                open_error = None;
                current = Some(i);
            }
            _ => {
                if line.starts_with("[ERROR]") {
                    open_error = Some(entries.len());
                }
                current = Some(entries.len());
                entries.push(line.to_owned());
            }
        }
    }
    flush(&mut entries, &mut out);
    out
}

/// The recap lines (`host : ok=… changed=…`), sorted.
pub fn recap(stdout: &str) -> Vec<String> {
    let mut lines: Vec<String> = stdout
        .split("PLAY RECAP")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter(|l| l.contains(" : ok="))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

//! Host results printed in completion order, made comparable.

use std::sync::OnceLock;

use regex::Regex;

/// Whether `line` starts one host's result (its continuation lines follow it).
fn starts_result(line: &str) -> bool {
    static START: OnceLock<Regex> = OnceLock::new();
    START
        .get_or_init(|| {
            Regex::new(
                r"^(?:(?:ok|changed|failed|fatal|skipping|unreachable|included)\b|\.\.\.ignoring|FAILED - RETRYING|ASYNC \w+ on |\[WARNING\]|\[ERROR\]|\[DEPRECATION WARNING\]|NOTIFIED HANDLER)",
            )
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .is_match(line)
}

/// Sorts the per-host result entries inside each task block (between a `TASK [` / `RUNNING
/// HANDLER [` header and the next header). Both programs run hosts in parallel and print each
/// result as it arrives, so only the set of entries is meaningful. An `[ERROR]` report (with
/// its source snippet, blank lines included) belongs to the next `fatal:`/`failed:` line, which
/// other hosts' results may precede.
pub fn sort_host_results(text: &str) -> String {
    let mut out = String::new();
    let mut entries: Vec<String> = Vec::new();
    let mut in_task = false;
    // The `[ERROR]` report still waiting for its host's `fatal:`/`failed:` line.
    let mut open_error: Option<usize> = None;
    // Where continuation lines go: the entry whose first line came last.
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
            || line.starts_with("PLAY RECAP")
            || line.starts_with("NO MORE HOSTS LEFT");
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

#[cfg(test)]
mod tests {
    use super::sort_host_results;

    /// `NO MORE HOSTS LEFT` closes the task's results: what precedes it is sorted, and it
    /// stays after them.
    #[test]
    fn no_more_hosts_left_ends_a_task_block() {
        let a =
            "TASK [t] ***\nfatal: [h3]: FAILED! => {}\nchanged: [h4]\n\nNO MORE HOSTS LEFT ***\n";
        let b =
            "TASK [t] ***\nchanged: [h4]\nfatal: [h3]: FAILED! => {}\n\nNO MORE HOSTS LEFT ***\n";
        assert_eq!(sort_host_results(a), sort_host_results(b));
        assert!(sort_host_results(a).ends_with("\n\nNO MORE HOSTS LEFT ***\n"));
    }
}

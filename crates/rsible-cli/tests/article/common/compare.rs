//! Making two faithful runs comparable (masking what legitimately differs) and diffing them.

use std::sync::OnceLock;

use regex::Regex;
use rsible_test_support::mask::{Masks, BACKUP_SUFFIX, CLOCK_FIELDS, DATE, JOB_ID, LOCAL_SCRATCH};

fn masks() -> &'static Masks {
    static MASKS: OnceLock<Masks> = OnceLock::new();
    MASKS.get_or_init(|| {
        Masks::new(&[
            // Addresses of the host set and the file server's port differ per run.
            (r"10\.77\.\d+\.\d+(:\d+)?", "<ADDR>"),
            CLOCK_FIELDS,
            JOB_ID,
            BACKUP_SUFFIX,
            DATE,
            // Each run generates its own key pairs; RSA private keys vary in length.
            (r"(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/=]+", "$1 <KEY>"),
            (r"(/id_rsa -\S+ \S+) \d+", "$1 <SIZE>"),
            LOCAL_SCRATCH,
        ])
    })
}

/// Replaces the scratch directory and everything in [`masks`], then puts the per-host result
/// lines of each task in host order: both programs run hosts in parallel and print results as
/// they come.
pub fn mask(text: &str, scratch: &str) -> String {
    sort_host_results(&masks().apply(&text.replace(scratch, "<TMP>")))
}

fn result_start() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?:(?:ok|changed|fatal|failed|skipping|unreachable|FAILED - RETRYING|included): \[|ASYNC \w+ on )([^\]\s:]+)",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn section_start(line: &str) -> bool {
    ["TASK [", "PLAY [", "PLAY RECAP", "RUNNING HANDLER ["]
        .iter()
        .any(|p| line.starts_with(p))
}

/// Within each task's section, puts the per-host results in host order (a result keeps its
/// continuation lines: its JSON, `...ignoring`) and moves `[ERROR]`/`[WARNING]` blocks, which
/// Ansible prints once, with whichever host came first, to the top of the section.
fn sort_host_results(text: &str) -> String {
    let mut out = String::new();
    let mut head = String::new();
    let mut notes = String::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut in_note = false;
    // Blank lines, held until it is known whether they end the section or sit inside a result.
    let mut blank = String::new();
    let flush = |head: &mut String,
                 notes: &mut String,
                 entries: &mut Vec<(String, String)>,
                 out: &mut String| {
        out.push_str(head);
        out.push_str(notes);
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, text) in entries.drain(..) {
            out.push_str(&text);
        }
        head.clear();
        notes.clear();
    };
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            blank.push_str(line);
            continue;
        }
        if section_start(line) {
            flush(&mut head, &mut notes, &mut entries, &mut out);
            out.push_str(&blank);
            blank.clear();
            in_note = false;
            head.push_str(line);
            continue;
        }
        let held = std::mem::take(&mut blank);
        if in_note {
            notes.push_str(&held);
        } else if let Some(last) = entries.last_mut() {
            last.1.push_str(&held);
        } else {
            head.push_str(&held);
        }
        if let Some(caps) = result_start().captures(line) {
            in_note = false;
            let host = caps.get(1).map_or("", |m| m.as_str()).to_owned();
            entries.push((host, line.to_owned()));
        } else if line.starts_with("[ERROR]") || line.starts_with("[WARNING]") || in_note {
            in_note = true;
            notes.push_str(line);
        } else if let Some(last) = entries.last_mut() {
            last.1.push_str(line);
        } else {
            head.push_str(line);
        }
    }
    flush(&mut head, &mut notes, &mut entries, &mut out);
    out.push_str(&blank);
    out
}

/// A unified diff, or `None` when both texts are equal.
pub fn diff(expected: &str, actual: &str, what: &str) -> Option<String> {
    rsible_test_support::diff(expected, actual, what, 3)
}

/// The article's `Reboot` task (`async: 1`, `poll: 1`, `ignore_errors: true`) races its own
/// time limit: ansible-core's async wrapper kills the job after one second, and on a loaded
/// machine starting the module's Python alone can take that long. It then ends as
/// `ASYNC FAILED … Timeout exceeded … ...ignoring` (and the host does not reboot) instead of
/// `changed` (and a reboot). Both are correct outcomes of the playbook, and which one happens
/// varies between two Ansible runs on this machine, so each host's result is replaced by a
/// marker and its recap counted as for `changed`. Any other result stays as printed. A third
/// outcome, `unreachable` (the host went down while the job was still being polled; Ansible
/// then drops the host), is reported so the caller can run again on fresh hosts.
/// Returns the text and, per host, what happened.
pub fn canonical_reboot(text: &str) -> (String, Vec<(String, &'static str)>) {
    const HEADER: &str = "TASK [kernel_install : Reboot]";
    let Some(start) = text.find(HEADER) else {
        return (text.to_owned(), Vec::new());
    };
    let body_start = text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1);
    let body_end = text[body_start..]
        .match_indices('\n')
        .map(|(i, _)| body_start + i + 1)
        .find(|&i| section_start(&text[i..]))
        .unwrap_or(text.len());
    let body = &text[body_start..body_end];
    let mut outcomes: Vec<(String, &'static str)> = Vec::new();
    for line in body.lines() {
        if let Some(caps) = result_start().captures(line) {
            let host = caps.get(1).map_or("", |m| m.as_str()).to_owned();
            let outcome = if line.starts_with("changed: [") && line.trim_end().ends_with(']') {
                "changed"
            } else if line.starts_with("fatal: [") && line.contains("\"msg\": \"Timeout exceeded\"")
            {
                "async timeout"
            } else if line.starts_with("fatal: [") && line.contains("]: UNREACHABLE!") {
                "unreachable"
            } else if line.starts_with("ASYNC FAILED on ") || line.starts_with("ASYNC OK on ") {
                continue;
            } else {
                "other"
            };
            outcomes.retain(|(h, _)| *h != host);
            outcomes.push((host, outcome));
        }
    }
    if outcomes.is_empty()
        || outcomes
            .iter()
            .any(|(_, o)| *o == "other" || *o == "unreachable")
    {
        return (text.to_owned(), outcomes);
    }
    let mut out = String::from(&text[..body_start]);
    for (host, _) in &outcomes {
        out.push_str(&format!(
            "<reboot result of {host}: changed or async timeout>\n"
        ));
    }
    out.push('\n');
    let mut rest = text[body_end..].to_owned();
    for (host, outcome) in &outcomes {
        if *outcome == "async timeout" {
            rest = recount_recap(&rest, host);
        }
    }
    out.push_str(&rest);
    (out, outcomes)
}

/// `host`'s recap line as it would read had the reboot task reported `changed`.
fn recount_recap(text: &str, host: &str) -> String {
    let re = Regex::new(&format!(
        r"(?m)^({} +: ok=\d+ +)changed=(\d+)( .*? )ignored=(\d+)",
        regex::escape(host)
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    re.replace(text, |caps: &regex::Captures<'_>| {
        let changed: u32 = caps[2].parse().unwrap_or(0);
        let ignored: u32 = caps[4].parse().unwrap_or(0);
        format!(
            "{}changed={}{}ignored={}",
            &caps[1],
            changed + 1,
            &caps[3],
            ignored.saturating_sub(1)
        )
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output of ansible-core 2.19.14 for the article on this machine (step 1, abridged).
    const TIMED_OUT: &str = "TASK [kernel_install : Reboot] *************************************************\n\
ASYNC FAILED on nadu2: jid=j309430949862.339\n\
[ERROR]: Task failed: Module failed: Timeout exceeded\n\
Origin: <TMP>/provisioning/roles/kernel_install/tasks/main.yml:48:3\n\
\n\
48 - name: Reboot\n\
     ^ column 3\n\
\n\
fatal: [nadu2]: FAILED! => {\"changed\": false, \"finished\": true, \"msg\": \"Timeout exceeded\"}\n\
...ignoring\n\
ASYNC FAILED on nadu1: jid=j346604991799.339\n\
fatal: [nadu1]: FAILED! => {\"changed\": false, \"finished\": true, \"msg\": \"Timeout exceeded\"}\n\
...ignoring\n\
\n\
TASK [kernel_install : Wait for system to become reachable again] **************\n\
ok: [nadu2]\n\
ok: [nadu1]\n\
\n\
PLAY RECAP *********************************************************************\n\
nadu1                      : ok=26   changed=20   unreachable=0    failed=1    skipped=0    rescued=0    ignored=1   \n\
nadu2                      : ok=22   changed=17   unreachable=0    failed=1    skipped=0    rescued=0    ignored=1   \n";

    #[test]
    fn results_are_put_in_host_order_with_the_error_block_first() {
        let sorted = sort_host_results(TIMED_OUT);
        let lines: Vec<&str> = sorted.lines().collect();
        assert_eq!(
            lines[1],
            "[ERROR]: Task failed: Module failed: Timeout exceeded"
        );
        assert_eq!(lines[7], "ASYNC FAILED on nadu1: jid=j346604991799.339");
        assert_eq!(lines[10], "ASYNC FAILED on nadu2: jid=j309430949862.339");
        assert!(sorted.contains("ok: [nadu1]\nok: [nadu2]\n\nPLAY RECAP"));
    }

    #[test]
    fn a_timed_out_reboot_reads_like_a_changed_one() {
        let changed = "TASK [kernel_install : Reboot] *************************************************\n\
ASYNC OK on nadu2: jid=j942927462466.342\n\
changed: [nadu2]\n\
ASYNC OK on nadu1: jid=j686138326794.342\n\
changed: [nadu1]\n\
\n\
TASK [kernel_install : Wait for system to become reachable again] **************\n\
ok: [nadu1]\n\
ok: [nadu2]\n\
\n\
PLAY RECAP *********************************************************************\n\
nadu1                      : ok=26   changed=21   unreachable=0    failed=1    skipped=0    rescued=0    ignored=0   \n\
nadu2                      : ok=22   changed=18   unreachable=0    failed=1    skipped=0    rescued=0    ignored=0   \n";
        let (a, how_a) = canonical_reboot(&mask(TIMED_OUT, "/tmp/x"));
        let (b, how_b) = canonical_reboot(&mask(changed, "/tmp/x"));
        assert_eq!(a, b);
        assert_eq!(how_a[0], ("nadu1".to_owned(), "async timeout"));
        assert_eq!(how_b[1], ("nadu2".to_owned(), "changed"));
    }
}

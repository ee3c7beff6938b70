//! Making two faithful runs comparable: masking what legitimately differs (addresses, ports,
//! clocks, temp paths, job ids) and putting each task's per-host results in a fixed order,
//! since both programs print results as hosts finish.

use std::sync::OnceLock;

use rsible_test_support::mask::{
    MaskRule, Masks, CLOCK_FIELDS, DATE, JOB_ID, LOCAL_SCRATCH, REMOTE_SCRATCH,
};
use rsible_test_support::sort_host_results;

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
        .map(sort_included_hosts)
        .collect();
    sort_host_results(&kept)
}

/// `included: <file> for h2, h1`: Ansible lists the hosts in the order their include results
/// arrived, so only the set of hosts is comparable.
fn sort_included_hosts(line: &str) -> std::borrow::Cow<'_, str> {
    let Some((head, hosts)) = line
        .strip_prefix("included: ")
        .and_then(|_| line.rsplit_once(" for "))
    else {
        return line.into();
    };
    let newline = if hosts.ends_with('\n') { "\n" } else { "" };
    let mut names: Vec<&str> = hosts.trim_end_matches('\n').split(", ").collect();
    names.sort_unstable();
    format!("{head} for {}{newline}", names.join(", ")).into()
}

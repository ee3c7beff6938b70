//! Masking what legitimately differs between two faithful runs. Each harness picks its own
//! rules, in its own order (a later rule sees the text earlier ones produced).

use std::path::Path;

use regex::Regex;

/// A regex and its replacement (`$1` refers to a capture group).
pub type MaskRule = (&'static str, &'static str);

/// Timestamps of command results.
pub const CLOCK_FIELDS: MaskRule = (r#""(start|end|delta)": "[^"]*""#, r#""$1": "<MASKED>""#);
/// Times and identities in `stat` results.
pub const STAT_FIELDS: MaskRule = (
    r#""(atime|mtime|ctime|inode|dev)": [0-9.]+"#,
    r#""$1": <MASKED>"#,
);
/// `backup: true` names the copy after the module's pid and the time.
pub const BACKUP_SUFFIX: MaskRule = (
    r"\.\d+\.\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}~",
    ".<PID>.<DATE>~",
);
/// Async job ids.
pub const JOB_ID: MaskRule = (r"\bj\d+\.\d+\b", "<JOB>");
/// Ansible renders templates from a random scratch dir and names it in `--diff`.
pub const LOCAL_SCRATCH: MaskRule = (
    r"ansible-local-\w+/tmp\w+",
    "ansible-local-<RANDOM>/tmp<RANDOM>",
);
/// Ansible's per-task temp dir on the target.
pub const REMOTE_SCRATCH: MaskRule = (r"ansible-tmp-[0-9.]+-\d+-\d+", "ansible-tmp-<RANDOM>");
pub const DATE: MaskRule = (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?", "<DATE>");

/// Compiled rules, applied in order.
#[derive(Debug)]
pub struct Masks(Vec<(Regex, &'static str)>);

impl Masks {
    pub fn new(rules: &[MaskRule]) -> Self {
        Self(
            rules
                .iter()
                .map(|&(pattern, replacement)| {
                    let regex =
                        Regex::new(pattern).unwrap_or_else(|err| panic!("{pattern}: {err}"));
                    (regex, replacement)
                })
                .collect(),
        )
    }

    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (pattern, replacement) in &self.0 {
            text = pattern.replace_all(&text, *replacement).into_owned();
        }
        text
    }
}

/// Replaces `dir`, as given and canonicalized (`/tmp` may be a symlink), with `<TMP>`.
pub fn mask_dir(text: &str, dir: &Path) -> String {
    let mut text = text.replace(&dir.display().to_string(), "<TMP>");
    if let Ok(canonical) = dir.canonicalize() {
        text = text.replace(&canonical.display().to_string(), "<TMP>");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_and_the_dir_is_masked_first() {
        let dir = Path::new("/nonexistent/rsible-sandbox");
        let text = "/nonexistent/rsible-sandbox/case/f.1234.2026-11-27@08:10:23~ \
                    \"start\": \"2026-11-27 08:10:23.1\" j123.45\n";
        let masked =
            Masks::new(&[CLOCK_FIELDS, BACKUP_SUFFIX, JOB_ID, DATE]).apply(&mask_dir(text, dir));
        assert_eq!(
            masked,
            "<TMP>/case/f.<PID>.<DATE>~ \"start\": \"<MASKED>\" <JOB>\n"
        );
    }
}

//! Renderers of the runner's event stream: Ansible's `default` and `json` stdout callbacks.

pub mod color;
pub mod default;
pub mod display;
pub mod error_block;
pub mod file_diff;
pub mod json;
pub mod python;
pub mod result_view;
pub mod sequence_matcher;
pub mod timer;
pub mod unified_diff;

pub use default::DefaultCallback;
pub use display::Sinks;
pub use json::JsonCallback;

/// The callback options of Ansible's `default_callback` fragment that rsible honours, plus the
/// display facts (colour, width).
#[derive(Clone, Debug)]
pub struct DisplayOptions {
    pub verbosity: u8,
    pub color: bool,
    pub columns: usize,
    /// `ANSIBLE_DISPLAY_SKIPPED_HOSTS` (default true).
    pub display_skipped_hosts: bool,
    /// `ANSIBLE_DISPLAY_OK_HOSTS` (default true).
    pub display_ok_hosts: bool,
    /// `ANSIBLE_DISPLAY_FAILED_STDERR` (default false).
    pub display_failed_stderr: bool,
    /// `ANSIBLE_CHECK_MODE_MARKERS` (default false).
    pub check_mode_markers: bool,
    /// `--check` was given (for the `DRY RUN` banners).
    pub check: bool,
    /// `ANSIBLE_DIFF_CONTEXT` (default 3): unchanged lines around each diff hunk.
    pub diff_context: usize,
    /// `ANSIBLE_SHOW_TASK_PATH_ON_FAILURE` (default false): `task path:` before a failure when
    /// below `-vv` (which shows it for every task anyway).
    pub show_task_path_on_failure: bool,
}

impl Default for DisplayOptions {
    fn default() -> Self {
        Self {
            verbosity: 0,
            color: false,
            columns: 79,
            display_skipped_hosts: true,
            display_ok_hosts: true,
            display_failed_stderr: false,
            check_mode_markers: false,
            check: false,
            diff_context: file_diff::DEFAULT_CONTEXT,
            show_task_path_on_failure: false,
        }
    }
}

impl DisplayOptions {
    /// Reads the callback options from `ANSIBLE_*` variables.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        verbosity: u8,
        check: bool,
        stdout_is_tty: bool,
        terminal_width: Option<usize>,
    ) -> Self {
        let flag =
            |name: &str, default: bool| env(name).map_or(default, |v| crate::env::truthy(&v));
        Self {
            verbosity,
            color: color::color_enabled(env, stdout_is_tty),
            columns: terminal_width.map_or(79, |w| w.saturating_sub(1).max(79)),
            display_skipped_hosts: flag("ANSIBLE_DISPLAY_SKIPPED_HOSTS", true),
            display_ok_hosts: flag("ANSIBLE_DISPLAY_OK_HOSTS", true),
            display_failed_stderr: flag("ANSIBLE_DISPLAY_FAILED_STDERR", false),
            check_mode_markers: flag("ANSIBLE_CHECK_MODE_MARKERS", false),
            check,
            diff_context: env("ANSIBLE_DIFF_CONTEXT")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(file_diff::DEFAULT_CONTEXT),
            show_task_path_on_failure: flag("ANSIBLE_SHOW_TASK_PATH_ON_FAILURE", false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_context_and_task_path_come_from_env() {
        let env = |k: &str| match k {
            "ANSIBLE_DIFF_CONTEXT" => Some("1".to_owned()),
            "ANSIBLE_SHOW_TASK_PATH_ON_FAILURE" => Some("yes".to_owned()),
            _ => None,
        };
        let o = DisplayOptions::from_env(&env, 0, false, false, None);
        assert_eq!(o.diff_context, 1);
        assert!(o.show_task_path_on_failure);
        let o = DisplayOptions::from_env(&|_| None, 0, false, false, None);
        assert_eq!(o.diff_context, 3);
        assert!(!o.show_task_path_on_failure);
    }
}

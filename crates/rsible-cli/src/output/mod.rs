//! Renderers of the runner's event stream: Ansible's `default` and `json` stdout callbacks.

pub mod color;
pub mod default;
pub mod display;
pub mod error_block;
pub mod json;
pub mod python;
pub mod result_view;

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
        }
    }
}

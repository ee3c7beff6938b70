//! `rsible-playbook`: ansible-playbook's command line, output and exit codes over the runner.

pub mod app;
pub mod args;
pub mod config;
pub mod env;
pub mod exit_status;
pub mod extra_vars;
pub mod list;
pub mod options;
pub mod output;
pub mod retry;
pub mod stats_merge;
pub mod term;
pub mod vault;
pub mod version;

pub use exit_status::ExitStatus;

use rsible_source::Diagnostic;

/// What stops the CLI before or instead of a run, by the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Exit 4, shown as the rendered diagnostic.
    Parse(Diagnostic),
    /// Exit 5, shown as `[ERROR]: …`.
    Options(String),
    /// Exit 5 (a bad `ansible.cfg`), shown as the rendered diagnostic.
    Config(Diagnostic),
    /// Exit 1, shown as `[ERROR]: …`.
    Error(String),
    /// Exit 1 (Ansible's plain `AnsibleError`, e.g. a role that is not found), shown as the
    /// rendered diagnostic.
    Failed(Diagnostic),
}

impl CliError {
    pub fn from_run(e: &rsible_runner::RunError) -> Self {
        match ExitStatus::from(e) {
            ExitStatus::ParseError => Self::Parse(e.diagnostic()),
            ExitStatus::OptionsError => Self::Options(e.to_string()),
            _ => Self::Error(e.to_string()),
        }
    }
}

/// Runs `main` for a binary: panics become Ansible's "Unexpected Exception" and exit 250.
pub fn run_catching_panics(body: impl FnOnce() -> ExitStatus + std::panic::UnwindSafe) -> i32 {
    use std::sync::{Mutex, OnceLock};
    static PANIC_INFO: OnceLock<Mutex<String>> = OnceLock::new();
    let info = PANIC_INFO.get_or_init(|| Mutex::new(String::new()));
    std::panic::set_hook(Box::new(|p| {
        let msg = p
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let at = p
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        if let Some(cell) = PANIC_INFO.get() {
            *cell
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = format!("{msg}{at}");
        }
    }));
    match std::panic::catch_unwind(body) {
        Ok(status) => status.code(),
        Err(_) => {
            let detail = info
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            eprintln!("[ERROR]: Unexpected Exception, this is probably a bug: {detail}");
            ExitStatus::Unexpected.code()
        }
    }
}

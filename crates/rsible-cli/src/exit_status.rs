//! ansible-playbook's exit codes (`cli/__init__.py: cli_executor`,
//! `executor/task_queue_manager.py`).

use rsible_runner::RunOutcome;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything ran and no host failed.
    Ok,
    /// An error that is neither a parse nor an options error (`AnsibleError`).
    Error,
    /// One or more hosts failed.
    HostsFailed,
    /// One or more hosts were unreachable (wins over failed).
    HostsUnreachable,
    /// The playbook, a role or a vars file could not be parsed (`AnsibleParserError`).
    ParseError,
    /// Bad or unsupported options (`AnsibleOptionsError`).
    OptionsError,
    /// argparse's own usage error (unknown flag, missing value): Python's argparse exits 2.
    UsageError,
    /// Ctrl-C (`KeyboardInterrupt`).
    Interrupted,
    /// A bug: a panic was caught.
    Unexpected,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Error => 1,
            Self::HostsFailed | Self::UsageError => 2,
            Self::HostsUnreachable | Self::ParseError => 4,
            Self::OptionsError => 5,
            Self::Interrupted => 99,
            Self::Unexpected => 250,
        }
    }
}

impl From<RunOutcome> for ExitStatus {
    fn from(o: RunOutcome) -> Self {
        match o {
            RunOutcome::Ok => Self::Ok,
            RunOutcome::HostsFailed => Self::HostsFailed,
            RunOutcome::HostsUnreachable => Self::HostsUnreachable,
        }
    }
}

impl From<&rsible_runner::RunError> for ExitStatus {
    fn from(e: &rsible_runner::RunError) -> Self {
        match e {
            rsible_runner::RunError::Parse(_) | rsible_runner::RunError::Template(_) => {
                Self::ParseError
            }
            rsible_runner::RunError::Other(_) => Self::Error,
            rsible_runner::RunError::Options(_) => Self::OptionsError,
        }
    }
}

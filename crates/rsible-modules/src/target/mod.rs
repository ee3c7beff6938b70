//! What several modules run on the target: their scripts, and file state probes and changes.

pub(crate) mod accounts;
pub(crate) mod edit;
pub(crate) mod file_attrs;
pub(crate) mod file_state;
pub(crate) mod http;
pub(crate) mod run_command;
pub(crate) mod script;

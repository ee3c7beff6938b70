//! Helpers shared by the integration-test suites of `rsible-cli` (`tests/difftest`, `remote`,
//! `modules`, `facts`, `article`), used only as a dev-dependency. They panic on failure: a
//! broken harness must fail the test that uses it, with a message saying what to fix.

pub mod command;
pub mod diff;
pub mod differences;
pub mod host_results;
pub mod http;
pub mod mask;
pub mod programs;
pub mod run;
pub mod sandbox;
pub mod testhosts;
pub mod tree;

pub use command::{clean_command, CleanEnv, SearchPath};
pub use diff::diff;
pub use differences::{recap, Differences};
pub use host_results::sort_host_results;
pub use http::FileServer;
pub use mask::{mask_dir, MaskRule, Masks};
pub use programs::{ansible_playbook, ansible_playbook_path, repo_root};
pub use run::{run_logged, spawn_logged, wait_logged, Outcome, Running};
pub use sandbox::{Sandbox, SandboxBuilder};
pub use testhosts::{require_testhosts, supported};
pub use tree::{copy_tree, DirModes};

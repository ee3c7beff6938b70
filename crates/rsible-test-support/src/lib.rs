//! Helpers shared by the integration-test crates (difftest, remote, article and facts tests),
//! used only as a dev-dependency. They panic on failure: a broken harness must fail the test
//! that uses it, with a message saying what to fix.

pub mod command;
pub mod diff;
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
pub use host_results::sort_host_results;
pub use http::FileServer;
pub use mask::{mask_dir, MaskRule, Masks};
pub use programs::{ansible_playbook, repo_root, rsible_playbook, rsible_playbook_path};
pub use run::{run_logged, spawn_logged, wait_logged, Outcome, Running};
pub use sandbox::SandboxDirs;
pub use testhosts::{require_testhosts, supported};
pub use tree::{copy_tree, DirModes};

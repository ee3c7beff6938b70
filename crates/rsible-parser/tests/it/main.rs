//! Integration tests of the parser: fixtures checked against what Ansible itself parses,
//! rendered error snapshots, inventories and host patterns, and garbled-input robustness.

mod errors;
mod fuzz;
mod inventory;
mod keyword_docs;
mod playbook;
mod yaml;

use std::path::{Path, PathBuf};

use rsible_parser::ParseOptions;

/// The modules the fixtures use, as the runner would list them.
pub fn options() -> ParseOptions {
    let modules = [
        "apt",
        "assert",
        "command",
        "copy",
        "debug",
        "fail",
        "file",
        "lineinfile",
        "meta",
        "ping",
        "raw",
        "script",
        "service",
        "set_fact",
        "shell",
        "stat",
        "template",
    ];
    ParseOptions {
        modules: modules.iter().map(|m| (*m).to_owned()).collect(),
        ..ParseOptions::default()
    }
}

/// A path under `tests/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

//! Lists the fixture directories of the differential suite (`tests/difftest/main.rs`, cases in
//! the repository's `tests/difftest/cases/` and `tests/errors/`) so that each becomes its own
//! `#[test]`: a new case needs no Rust edit, a failing case shows up by name and
//! `cargo test -p rsible-cli --test difftest <name>` runs just that one. The program itself
//! uses nothing generated here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../../tests");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    generate(
        &root.join("difftest/cases"),
        &out.join("difftest_cases.rs"),
        "difftest_case",
    );
    generate(
        &root.join("errors"),
        &out.join("error_cases.rs"),
        "error_case",
    );
}

fn generate(dir: &Path, out: &Path, macro_name: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().join("site.yml").is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut code = String::new();
    for name in names {
        let ident: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let _ = writeln!(code, "{macro_name}!(case_{ident}, {name:?});");
    }
    if let Err(err) = std::fs::write(out, code) {
        println!("cargo:warning=cannot write {}: {err}", out.display());
    }
}

//! `--version` in ansible-core's shape (`cli/arguments/option_helpers.py: version`): Vagrant reads
//! the first line, `<prog> [core X.Y.Z]`, to pick its inventory dialect.

/// The ansible-core release whose behaviour rsible reproduces.
pub const CORE_VERSION: &str = "2.19.14";

/// The whole `--version` text, ending with a newline, to be written in one go.
pub fn version_text(prog: &str) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| prog.to_owned());
    format!(
        "{prog} [core {CORE_VERSION}]\n  config file = None\n  configured module search path = Default w/o overrides\n  executable location = {exe}\n  rsible version = {}\n",
        env!("CARGO_PKG_VERSION")
    )
}

//! `--version` in ansible-core's shape (`cli/arguments/option_helpers.py: version`): Vagrant reads
//! the first line, `<prog> [core X.Y.Z]`, to pick its inventory dialect.

use std::ffi::OsStr;
use std::path::Path;

/// The ansible-core release whose behaviour rsible reproduces.
pub const CORE_VERSION: &str = "2.19.14";

/// The whole `--version` text, ending with a newline, to be written in one go.
pub fn version_text(prog: &str, config_file: Option<&Path>) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| prog.to_owned());
    let config = config_file.map_or_else(|| "None".to_owned(), |p| p.display().to_string());
    format!(
        "{prog} [core {CORE_VERSION}]\n  config file = {config}\n  configured module search path = Default w/o overrides\n  executable location = {exe}\n  rsible version = {}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The program name as invoked (Ansible prints `basename(argv[0])`), so that rsible-playbook
/// installed as `ansible-playbook` introduces itself under that name.
pub fn prog_name(argv0: Option<&OsStr>, fallback: &str) -> String {
    argv0
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_and_config_file() {
        let text = version_text("ansible-playbook", Some(Path::new("/p/ansible.cfg")));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("ansible-playbook [core 2.19.14]"));
        assert_eq!(lines.next(), Some("  config file = /p/ansible.cfg"));
        assert!(version_text("ansible", None).contains("\n  config file = None\n"));
        assert_eq!(
            prog_name(Some(OsStr::new("/usr/local/bin/ansible-playbook")), "x"),
            "ansible-playbook"
        );
        assert_eq!(prog_name(None, "rsible-playbook"), "rsible-playbook");
    }
}

//! `ansible`: only `--version`, which Vagrant runs to choose its inventory dialect.

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version") {
        let Some(settings) = rsible_cli::app::load_settings(&rsible_cli::env::process_env) else {
            std::process::exit(rsible_cli::ExitStatus::OptionsError.code());
        };
        let mut out = std::io::stdout();
        // One write: Vagrant keeps only the last chunk it reads. The name stays `ansible`
        // whatever the link is called, because Vagrant matches `^ansible\s`.
        let text = rsible_cli::version::version_text("ansible", settings.config_path());
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        std::process::exit(0);
    }
    let _ = writeln!(
        std::io::stderr(),
        "[ERROR]: rsible's `ansible` answers only `ansible --version`; ad-hoc commands are not supported yet (use rsible-playbook)"
    );
    std::process::exit(rsible_cli::ExitStatus::OptionsError.code());
}

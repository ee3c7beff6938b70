fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = rsible_cli::run_catching_panics(move || rsible_cli::app::run(argv));
    std::process::exit(code);
}

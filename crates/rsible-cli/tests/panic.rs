//! A panic inside the run becomes exit 250 (Ansible's "unexpected error"). Its own test binary
//! because the panic hook it installs is process-wide.

#[test]
fn panic_exits_250() {
    let code = rsible_cli::run_catching_panics(|| panic!("boom"));
    assert_eq!(code, 250);
    let code = rsible_cli::run_catching_panics(|| rsible_cli::ExitStatus::HostsFailed);
    assert_eq!(code, 2);
}

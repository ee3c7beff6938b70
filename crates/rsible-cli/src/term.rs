//! The few terminal facts that need the C library: window width, Ctrl-C, password prompts.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Width of the terminal on stdout, if it is one.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    #[expect(unsafe_code, reason = "TIOCGWINSZ has no safe wrapper in std")]
    // SAFETY: fd 1 is open, and `ws` is a valid, writable winsize for the ioctl to fill.
    let rc = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &raw mut ws) };
    (rc == 0 && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}

static INTERRUPT_COLOR: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_sig: libc::c_int) {
    const PLAIN: &[u8] = b"[ERROR]: User interrupted execution\n";
    const RED: &[u8] = b"\x1b[0;31m[ERROR]: User interrupted execution\x1b[0m\n";
    let msg = if INTERRUPT_COLOR.load(Ordering::Relaxed) {
        RED
    } else {
        PLAIN
    };
    #[expect(
        unsafe_code,
        reason = "only async-signal-safe calls are allowed in a handler"
    )]
    // SAFETY: write(2) and _exit(2) are async-signal-safe; `msg` is a static buffer.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(99);
    }
}

/// Ctrl-C prints Ansible's `[ERROR]: User interrupted execution` and exits 99 at once, as
/// ansible-playbook does on `KeyboardInterrupt`.
pub fn install_interrupt_handler(color: bool) {
    INTERRUPT_COLOR.store(color, Ordering::Relaxed);
    let handler = on_sigint as extern "C" fn(libc::c_int);
    #[expect(
        unsafe_code,
        reason = "installing a signal handler has no safe wrapper in std"
    )]
    // SAFETY: the handler only performs async-signal-safe calls.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

/// Asks for a password on the terminal without echo (`getpass`); reads a plain line when stdin
/// is not a terminal.
pub fn prompt_password(prompt: &str) -> std::io::Result<String> {
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    let mut err = std::io::stderr();
    let _ = err.write_all(prompt.as_bytes());
    let _ = err.flush();
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    if tty {
        stty("-echo");
    }
    let mut line = String::new();
    let res = stdin.lock().read_line(&mut line);
    if tty {
        stty("echo");
        let _ = err.write_all(b"\n");
    }
    res?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

//! The harness of the article test: where programs and caches are, whether hosts can exist,
//! running a playbook program with a controlled environment and a time limit.

pub mod compare;
pub mod fixtures;
pub mod hosts;
pub mod http;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rsible_testhosts::{check_support, cleanup_stale};

/// One playbook run: apt installs, builds and a reboot on two hosts take a minute or two;
/// a hung program must not stall CI for its whole budget.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(600);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Slow-to-build inputs kept between runs (the apt repository).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("RSIBLE_ARTICLE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/rsible-article-tests"))
}

/// Whether hosts can be created here. Elsewhere the test prints why and passes, except with
/// `RSIBLE_REQUIRE_TESTHOSTS=1` (CI), where it must run.
pub fn supported() -> bool {
    static CLEANED: OnceLock<()> = OnceLock::new();
    match check_support() {
        Ok(()) => {
            CLEANED.get_or_init(|| {
                // Leftovers of killed test runs would otherwise hold subnets.
                let _ = cleanup_stale();
            });
            true
        }
        Err(e) if std::env::var_os("RSIBLE_REQUIRE_TESTHOSTS").is_some_and(|v| v == "1") => {
            panic!("RSIBLE_REQUIRE_TESTHOSTS=1 but test hosts are unavailable: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: real SSH test hosts are unavailable here: {e}");
            false
        }
    }
}

pub fn ansible_playbook() -> PathBuf {
    let path = std::env::var_os("RSIBLE_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/ansible-venv/bin/ansible-playbook"));
    assert!(
        path.is_file(),
        "ansible-playbook not found at {} (set RSIBLE_ANSIBLE_PLAYBOOK): this test needs real \
         Ansible as the oracle",
        path.display()
    );
    path
}

/// The binary of another crate: Cargo exposes `CARGO_BIN_EXE_*` only within a package, so it
/// is taken from the target directory, where CI's `cargo build --workspace --bins` puts it.
pub fn rsible_playbook() -> PathBuf {
    let path = if let Some(explicit) = std::env::var_os("RSIBLE_PLAYBOOK") {
        PathBuf::from(explicit)
    } else {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        target.join("debug/rsible-playbook")
    };
    assert!(
        path.is_file(),
        "rsible-playbook not found at {}: run `cargo build --workspace --bins` first (or set \
         RSIBLE_PLAYBOOK to the binary)",
        path.display()
    );
    path
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
}

/// The same environment for every run, built from scratch so the caller's Ansible
/// configuration, colours and locale cannot leak in.
pub fn command(program: &Path, cwd: &Path, home: &Path, local_temp: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env("TZ", "UTC")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_HOME", home.join(".ansible"))
        .env("ANSIBLE_LOCAL_TEMP", local_temp)
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        // The hosts have Debian's python3 only; play 1 runs locally with the machine's.
        .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3")
        .stdin(Stdio::null());
    for name in ["USER", "LOGNAME"] {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd
}

/// Runs `cmd` with its output in files under `scratch` (a chatty child cannot block on a full
/// pipe while it is waited for with a timeout).
pub fn run(cmd: &mut Command, scratch: &Path) -> Outcome {
    let out_path = scratch.join("stdout.txt");
    let err_path = scratch.join("stderr.txt");
    let open = |path: &Path| {
        fs::File::create(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    };
    cmd.stdout(open(&out_path)).stderr(open(&err_path));
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{:?} did not finish within {RUN_TIMEOUT:?}; its output so far:\n{}",
                    cmd.get_program(),
                    fs::read_to_string(&out_path).unwrap_or_default()
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(err) => panic!("waiting for {:?}: {err}", cmd.get_program()),
        }
    };
    let wall = started.elapsed();
    let read =
        |path: &Path| String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned();
    Outcome {
        rc: status.code().unwrap_or(-1),
        stdout: read(&out_path),
        stderr: read(&err_path),
        wall,
    }
}

/// Runs a helper command that must succeed (tar, the repository builder, key generation).
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} failed ({}):\n{}{}",
        cmd,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies a directory tree keeping modes and symlinks.
pub fn copy_tree(src: &Path, dst: &Path) {
    run_ok(Command::new("cp").arg("-a").arg(src).arg(dst));
}

//! The harness shared by the remote acceptance tests: starting host sets (or skipping/failing
//! where hosts cannot exist), running one playbook program against a set with a controlled
//! environment, masking what legitimately differs between two faithful runs, and reading the
//! end state of hosts.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;
use rsible_testhosts::{check_support, cleanup_stale, HostSet, Tier};
use similar::TextDiff;
use tempfile::TempDir;

/// Long enough for a slow Ansible run on a loaded machine, short enough that a hung rsible does
/// not stall CI.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Whether hosts can be created here. Elsewhere the tests print why and pass, except with
/// `RSIBLE_REQUIRE_TESTHOSTS=1` (CI), where they must run.
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

pub fn start(count: usize, tier: Tier, prefix: &str) -> HostSet {
    HostSet::builder()
        .count(count)
        .tier(tier)
        .name_prefix(prefix)
        .start()
        .unwrap_or_else(|e| panic!("starting {count} {tier:?} host(s): {e}"))
}

pub fn ansible_playbook() -> PathBuf {
    let path = std::env::var_os("RSIBLE_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/ansible-venv/bin/ansible-playbook"));
    assert!(
        path.is_file(),
        "ansible-playbook not found at {} (set RSIBLE_ANSIBLE_PLAYBOOK): these tests need real \
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
}

/// A throw-away directory: a copy of the case (`case/`), the client files of the host set
/// (`hosts/`), the HOME of the run (`home/`). Both programs run in sandboxes laid out alike, so
/// masking the sandbox root makes their paths comparable.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new(case_src: Option<&Path>) -> Self {
        let root = tempfile::Builder::new()
            .prefix("rsible-remote-")
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot create a temp dir: {err}"));
        let sandbox = Self { root };
        match case_src {
            Some(src) => copy_tree(src, &sandbox.case()),
            None => mkdir(&sandbox.case()),
        }
        mkdir(&sandbox.home());
        mkdir(&sandbox.root().join("ansible-local"));
        sandbox
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn case(&self) -> PathBuf {
        self.root().join("case")
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// Writes the set's client files to `hosts/` and returns its inventory lines (one per host,
    /// referring to the key and known_hosts in `hosts/`).
    pub fn host_files(&self, set: &HostSet) -> String {
        let dir = self.root().join("hosts");
        set.write_files(&dir)
            .unwrap_or_else(|e| panic!("writing the host set's client files: {e}"));
        fs::read_to_string(dir.join("inventory"))
            .unwrap_or_else(|e| panic!("reading the generated inventory: {e}"))
    }

    /// The same environment for both programs, built from scratch so the caller's Ansible
    /// configuration, colours and locale cannot leak in.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.case())
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", self.home())
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env("TZ", "UTC")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_HOME", self.home().join(".ansible"))
            .env("ANSIBLE_LOCAL_TEMP", self.root().join("ansible-local"))
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            // Tier-1b hosts have only Debian's python; tier 1 shares the machine's.
            .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3")
            .stdin(Stdio::null());
        for name in ["USER", "LOGNAME"] {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd
    }

    /// Output goes to files rather than pipes so a chatty child cannot block on a full pipe
    /// while it is waited for with a timeout.
    pub fn run(&self, cmd: &mut Command) -> Outcome {
        let child = self.spawn(cmd);
        self.wait(cmd, child)
    }

    pub fn spawn(&self, cmd: &mut Command) -> std::process::Child {
        let open = |path: &Path| {
            fs::File::create(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        };
        cmd.stdout(open(&self.root().join("stdout.txt")))
            .stderr(open(&self.root().join("stderr.txt")));
        cmd.spawn()
            .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()))
    }

    pub fn wait(&self, cmd: &Command, mut child: std::process::Child) -> Outcome {
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "{:?} {:?} did not finish within {RUN_TIMEOUT:?}",
                        cmd.get_program(),
                        cmd.get_args().collect::<Vec<_>>()
                    );
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(err) => panic!("waiting for {:?}: {err}", cmd.get_program()),
            }
        };
        let read = |name: &str| {
            let path = self.root().join(name);
            let text = String::from_utf8_lossy(&fs::read(&path).unwrap_or_default()).into_owned();
            let _ = fs::remove_file(&path);
            text
        };
        Outcome {
            rc: status.code().unwrap_or(-1),
            stdout: read("stdout.txt"),
            stderr: read("stderr.txt"),
        }
    }

    /// Replaces what differs between two faithful runs on two host sets: the sandbox path, the
    /// sets' subnets and run directories, clocks, Ansible's remote temp dirs, job ids, backup
    /// suffixes; and puts each task's per-host results in a fixed order, since both programs
    /// print them as hosts finish.
    pub fn mask(&self, text: &str) -> String {
        let mut text = text.replace(&self.root().display().to_string(), "<TMP>");
        if let Ok(canonical) = self.root().canonicalize() {
            text = text.replace(&canonical.display().to_string(), "<TMP>");
        }
        for (pattern, replacement) in masks() {
            text = pattern.replace_all(&text, *replacement).into_owned();
        }
        sort_host_results(&text)
    }
}

fn masks() -> &'static [(Regex, &'static str)] {
    static MASKS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    MASKS.get_or_init(|| {
        [
            // Each set has its own /24; the last octet names the host within it.
            (r"\b10\.77\.\d{1,3}\.(\d{1,3})\b", "10.77.<NET>.$1"),
            (r"/rsible-testhosts-\d+-\d+", "/rsible-testhosts-<RUN>"),
            (r#""(start|end|delta)": "[^"]*""#, r#""$1": "<MASKED>""#),
            (
                r#""(atime|mtime|ctime|inode|dev)": [0-9.]+"#,
                r#""$1": <MASKED>"#,
            ),
            (
                r"\.\d+\.\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}~",
                ".<PID>.<DATE>~",
            ),
            (r"\bj\d+\.\d+\b", "<JOB>"),
            (r"ansible-tmp-[0-9.]+-\d+-\d+", "ansible-tmp-<RANDOM>"),
            (
                r"ansible-local-\w+/tmp\w+",
                "ansible-local-<RANDOM>/tmp<RANDOM>",
            ),
            (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?", "<DATE>"),
        ]
        .into_iter()
        .map(|(pattern, replacement)| {
            let regex = Regex::new(pattern).unwrap_or_else(|err| panic!("{pattern}: {err}"));
            (regex, replacement)
        })
        .collect()
    })
}

/// Whether `line` starts one host's result (its continuation lines follow it).
fn starts_result(line: &str) -> bool {
    static START: OnceLock<Regex> = OnceLock::new();
    START
        .get_or_init(|| {
            Regex::new(
                r"^(?:(?:ok|changed|failed|fatal|skipping|unreachable|included)\b|\.\.\.ignoring|FAILED - RETRYING|\[WARNING\]|\[ERROR\]|\[DEPRECATION WARNING\]|NOTIFIED HANDLER)",
            )
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .is_match(line)
}

/// Sorts the per-host result entries inside each task block (between a `TASK [` / `RUNNING
/// HANDLER [` header and the next header). Both programs run hosts in parallel and print each
/// result as it arrives, so only the set of entries is meaningful. An `[ERROR]` report (with
/// its source snippet, blank lines included) belongs to the next `fatal:`/`failed:` line, which
/// other hosts' results may precede.
pub fn sort_host_results(text: &str) -> String {
    let mut out = String::new();
    let mut entries: Vec<String> = Vec::new();
    let mut in_task = false;
    // The `[ERROR]` report still waiting for its host's `fatal:`/`failed:` line.
    let mut open_error: Option<usize> = None;
    // Where continuation lines go: the entry whose first line came last.
    let mut current: Option<usize> = None;
    // The blank line closing a task block sticks to whichever entry came last; it is put
    // back after the sorted entries.
    let flush = |entries: &mut Vec<String>, out: &mut String| {
        let mut blank = 0;
        for e in entries.iter_mut() {
            let trimmed = e.trim_end_matches('\n').len();
            blank = blank.max(e.len() - trimmed - 1);
            e.truncate(trimmed);
            e.push('\n');
        }
        entries.sort();
        for e in entries.drain(..) {
            out.push_str(&e);
        }
        out.push_str(&"\n".repeat(blank));
    };
    for line in text.split_inclusive('\n') {
        let header = line.starts_with("TASK [")
            || line.starts_with("RUNNING HANDLER [")
            || line.starts_with("PLAY [")
            || line.starts_with("PLAY RECAP");
        if header {
            flush(&mut entries, &mut out);
            out.push_str(line);
            in_task = line.starts_with("TASK [") || line.starts_with("RUNNING HANDLER [");
            open_error = None;
            current = None;
            continue;
        }
        if !in_task {
            out.push_str(line);
            continue;
        }
        if !starts_result(line) {
            match current {
                Some(i) => entries[i].push_str(line),
                None => out.push_str(line),
            }
            continue;
        }
        let failure = line.starts_with("fatal:") || line.starts_with("failed:");
        match open_error {
            Some(i) if failure => {
                entries[i].push_str(line);
                open_error = None;
                current = Some(i);
            }
            _ => {
                if line.starts_with("[ERROR]") {
                    open_error = Some(entries.len());
                }
                current = Some(entries.len());
                entries.push(line.to_owned());
            }
        }
    }
    flush(&mut entries, &mut out);
    out
}

/// The recap lines (`host : ok=… changed=…`), by host.
pub fn recap(stdout: &str) -> Vec<String> {
    let mut lines: Vec<String> = stdout
        .split("PLAY RECAP")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter(|l| l.contains(" : ok="))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

/// A unified diff, or `None` when both texts are equal.
pub fn diff(expected: &str, actual: &str, what: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    Some(
        TextDiff::from_lines(expected, actual)
            .unified_diff()
            .context_radius(4)
            .header(
                &format!("{what} (ansible-playbook)"),
                &format!("{what} (rsible-playbook)"),
            )
            .to_string(),
    )
}

/// A listing of `paths` on `host`: kind, mode, owner, and content (files), entries
/// (directories) or target (links), read as root inside the host without SSH.
pub fn host_state(set: &HostSet, host_name: &str, paths: &[String]) -> String {
    let host = set
        .host(host_name)
        .unwrap_or_else(|| panic!("no host {host_name} in the set"));
    let mut listing = String::new();
    for path in paths {
        let script = format!(
            "p={}\n\
             if [ -L \"$p\" ]; then echo \"link -> $(readlink \"$p\") $(stat -c '%U:%G' \"$p\")\";\n\
             elif [ -d \"$p\" ]; then echo \"dir $(stat -c '%a %U:%G' \"$p\")\"; ls -A1 \"$p\" | LC_ALL=C sort;\n\
             elif [ -f \"$p\" ]; then echo \"file $(stat -c '%a %U:%G %s' \"$p\")\"; cat \"$p\"; echo '<EOF>';\n\
             elif [ -e \"$p\" ]; then echo other; else echo absent; fi",
            sh_quote(path)
        );
        let out = set
            .exec_on(host, &script)
            .unwrap_or_else(|e| panic!("reading {path} on {host_name}: {e}"));
        let _ = writeln!(
            listing,
            "[{host_name}] {path}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    listing
}

/// Runs `cmd` as root on `host` and insists on success.
#[track_caller]
pub fn exec_ok(set: &HostSet, host_name: &str, cmd: &str) -> String {
    let host = set
        .host(host_name)
        .unwrap_or_else(|| panic!("no host {host_name} in the set"));
    let out = set
        .exec_on(host, cmd)
        .unwrap_or_else(|e| panic!("exec_on {host_name}: {e}"));
    assert!(
        out.status.success(),
        "exec_on {host_name} {cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn mkdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
}

/// Copies a directory tree keeping symlinks, which fixtures rely on.
pub fn copy_tree(src: &Path, dst: &Path) {
    mkdir(dst);
    let entries = fs::read_dir(src).unwrap_or_else(|err| panic!("{}: {err}", src.display()));
    for entry in entries.flatten() {
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let meta =
            fs::symlink_metadata(&from).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
        if meta.file_type().is_symlink() {
            let target =
                fs::read_link(&from).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
            symlink(&target, &to).unwrap_or_else(|err| panic!("{}: {err}", to.display()));
        } else if meta.is_dir() {
            copy_tree(&from, &to);
        } else {
            fs::copy(&from, &to).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
        }
    }
}

/// A small random token for marker file names, so parallel runs never share one.
pub fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

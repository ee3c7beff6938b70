//! The harness shared by the differential tests: fresh sandboxes, running a playbook program in
//! one with a controlled environment, masking what legitimately differs between two runs, and
//! comparing outcomes with a readable diff.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;
use similar::TextDiff;
use tempfile::TempDir;

/// Long enough for the slowest case (gather_facts, retries with delays), short enough that a
/// hung rsible does not stall CI for its whole budget.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn ansible_playbook() -> PathBuf {
    let path = std::env::var_os("RSIBLE_ANSIBLE_PLAYBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/ansible-venv/bin/ansible-playbook"));
    assert!(
        path.is_file(),
        "ansible-playbook not found at {} (set RSIBLE_ANSIBLE_PLAYBOOK): the differential tests \
         need real Ansible as the oracle",
        path.display()
    );
    path
}

/// The binary of another crate: Cargo only exposes `CARGO_BIN_EXE_*` within a package, so it is
/// located in the target directory and must have been built first (`cargo build -p rsible-cli`).
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
        "rsible-playbook not found at {}: run `cargo build -p rsible-cli` first (or set \
         RSIBLE_PLAYBOOK to the binary)",
        path.display()
    );
    path
}

/// `RSIBLE_DIFFTEST_FILTER=name` runs only the cases whose directory name contains `name`.
pub fn filtered_out(case: &str) -> bool {
    match std::env::var("RSIBLE_DIFFTEST_FILTER") {
        Ok(filter) if !filter.is_empty() => !case.contains(&filter),
        _ => false,
    }
}

/// A throw-away directory holding a copy of a case (`case/`) and the HOME of the run (`home/`).
/// Both programs run in sandboxes laid out identically, so masking the sandbox root makes their
/// paths comparable.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new(case_src: &Path) -> Self {
        let root = tempfile::Builder::new()
            .prefix("rsible-difftest-")
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot create a temp dir: {err}"));
        let sandbox = Self { root };
        copy_tree(case_src, &sandbox.case());
        for dir in [sandbox.home(), sandbox.root().join("ansible-local")] {
            fs::create_dir_all(&dir)
                .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        }
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
            .env(
                "ANSIBLE_PYTHON_INTERPRETER",
                "/opt/ansible-venv/bin/python3",
            )
            .env("RSIBLE_DIFFTEST", "1")
            .stdin(Stdio::null());
        for name in ["USER", "LOGNAME"] {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd
    }

    /// Runs the case's `setup.sh`, if any, to create inputs that git cannot hold (modes,
    /// symlinks, files outside the case directory).
    pub fn setup(&self) {
        if !self.case().join("setup.sh").is_file() {
            return;
        }
        let outcome = self.run_command(self.command(Path::new("/bin/sh")).arg("setup.sh"));
        assert_eq!(
            outcome.rc, 0,
            "setup.sh failed:\n{}{}",
            outcome.stdout, outcome.stderr
        );
        let _ = fs::remove_file(self.case().join("setup.sh"));
    }

    /// Runs `program [-i inventory] <args> site.yml`.
    pub fn run_playbook(&self, program: &Path, extra_args: &[String]) -> Outcome {
        self.run_playbook_file(program, extra_args, "site.yml")
    }

    /// Runs `program [-i inventory] <args> <playbook>` in the case copy.
    pub fn run_playbook_file(
        &self,
        program: &Path,
        extra_args: &[String],
        playbook: &str,
    ) -> Outcome {
        let mut cmd = self.command(program);
        if self.case().join("inventory").is_file() {
            cmd.arg("-i").arg("inventory");
        }
        cmd.args(extra_args).arg(playbook);
        self.run_command(&mut cmd)
    }

    /// Output goes to files rather than pipes so a chatty child cannot block on a full pipe
    /// while we wait for it with a timeout.
    pub fn run_command(&self, cmd: &mut Command) -> Outcome {
        let out_path = self.root().join("stdout.txt");
        let err_path = self.root().join("stderr.txt");
        let open = |path: &Path| {
            fs::File::create(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        };
        cmd.stdout(open(&out_path)).stderr(open(&err_path));
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {:?}: {err}", cmd.get_program()));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "{:?} did not finish within {RUN_TIMEOUT:?}",
                        cmd.get_program()
                    );
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(err) => panic!("waiting for {:?}: {err}", cmd.get_program()),
            }
        };
        let read =
            |path: &Path| String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned();
        let outcome = Outcome {
            rc: status.code().unwrap_or(-1),
            stdout: read(&out_path),
            stderr: read(&err_path),
        };
        let _ = fs::remove_file(&out_path);
        let _ = fs::remove_file(&err_path);
        outcome
    }

    /// Replaces everything that differs between two faithful runs: the sandbox path, clocks,
    /// process ids and async job ids.
    pub fn mask(&self, text: &str) -> String {
        let mut text = text.replace(&self.root().display().to_string(), "<TMP>");
        if let Ok(canonical) = self.root().canonicalize() {
            text = text.replace(&canonical.display().to_string(), "<TMP>");
        }
        for (pattern, replacement) in masks() {
            text = pattern.replace_all(&text, *replacement).into_owned();
        }
        sort_listed_hosts(&text)
    }

    /// A listing of the files a run left behind in the case copy and in HOME: path, kind, mode and
    /// content, one entry a line, so that two listings can be diffed.
    pub fn tree(&self) -> String {
        let mut listing = String::new();
        for (label, dir) in [("case", self.case()), ("home", self.home())] {
            list_tree(&dir, &dir, label, &mut listing);
        }
        self.mask(&listing)
    }
}

fn masks() -> &'static [(Regex, &'static str)] {
    static MASKS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    MASKS.get_or_init(|| {
        [
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
            // Ansible renders templates from a random scratch dir and names it in `--diff`.
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

/// `--list-hosts` prints each play's hosts from a Python set, whose order changes from run to
/// run; the lines below each `hosts (N):` are sorted so that only their membership is compared.
fn sort_listed_hosts(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut in_block = false;
    let flush = |block: &mut Vec<String>, out: &mut Vec<String>| {
        block.sort();
        out.append(block);
    };
    for line in text.split_inclusive('\n') {
        if in_block && line.starts_with("      ") {
            block.push(line.to_owned());
            continue;
        }
        flush(&mut block, &mut out);
        in_block = line.trim_start().starts_with("hosts (") && line.trim_end().ends_with("):");
        out.push(line.to_owned());
    }
    flush(&mut block, &mut out);
    out.concat()
}

/// Ansible's scratch directories, async job files and retry files are implementation details of Ansible.
fn ignored(name: &str) -> bool {
    name == ".ansible" || name == ".ansible_async" || name.ends_with(".retry")
}

fn list_tree(base: &Path, dir: &Path, label: &str, out: &mut String) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ignored(&name) {
            continue;
        }
        let path = entry.path();
        let rel = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap_or_default();
            out.push_str(&format!("{label}/{rel} -> {}\n", target.display()));
        } else if meta.is_dir() {
            out.push_str(&format!("{label}/{rel}/ {mode:04o}\n"));
            list_tree(base, &path, label, out);
        } else {
            let bytes = fs::read(&path).unwrap_or_default();
            let content = String::from_utf8_lossy(&bytes);
            out.push_str(&format!("{label}/{rel} {mode:04o} {} bytes\n", bytes.len()));
            for line in content.lines() {
                out.push_str(&format!("    | {line}\n"));
            }
        }
    }
}

/// Copies a directory tree keeping modes and symlinks, which fixtures rely on.
pub fn copy_tree(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap_or_else(|err| panic!("{}: {err}", dst.display()));
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
            let _ = fs::set_permissions(&to, meta.permissions());
        } else {
            fs::copy(&from, &to).unwrap_or_else(|err| panic!("{}: {err}", from.display()));
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A unified diff, or `None` when both texts are equal.
pub fn diff(expected: &str, actual: &str, what: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let diff = TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(4)
        .header(
            &format!("{what} (ansible-playbook)"),
            &format!("{what} (rsible-playbook)"),
        )
        .to_string();
    Some(diff)
}

/// The extra command-line arguments of a case: one argument a line, blank lines ignored.
pub fn case_args(case_dir: &Path) -> Vec<String> {
    fs::read_to_string(case_dir.join("args"))
        .map(|text| {
            text.lines()
                .filter(|line| !line.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Runs one fixture under both programs in twin sandboxes and compares exit code, masked
/// stdout and the files left behind. Panics with every difference at once.
pub fn compare_case(case_dir: &Path, args: &[String]) -> Vec<String> {
    let ansible = Sandbox::new(case_dir);
    let rsible = Sandbox::new(case_dir);
    ansible.setup();
    rsible.setup();
    let expected = ansible.run_playbook(&ansible_playbook(), args);
    let actual = rsible.run_playbook(&rsible_playbook(), args);

    let mut problems = Vec::new();
    if let Ok(text) = fs::read_to_string(case_dir.join("expect_rc")) {
        let wanted: i32 = text.trim().parse().unwrap_or(-1);
        if expected.rc != wanted {
            problems.push(format!(
                "fixture is stale: ansible-playbook exited {} but expect_rc says {wanted}\n\
                 ansible stdout:\n{}\nansible stderr:\n{}",
                expected.rc, expected.stdout, expected.stderr
            ));
        }
    }
    if expected.rc != actual.rc {
        problems.push(format!(
            "exit code: ansible-playbook {} vs rsible-playbook {}",
            expected.rc, actual.rc
        ));
    }
    if let Some(d) = diff(
        &ansible.mask(&expected.stdout),
        &rsible.mask(&actual.stdout),
        "stdout",
    ) {
        problems.push(d);
    }
    if let Some(d) = diff(&ansible.tree(), &rsible.tree(), "files") {
        problems.push(d);
    }
    // Stderr is not compared, but it usually says why rsible went another way.
    if !problems.is_empty() && !actual.stderr.is_empty() {
        problems.push(format!("rsible stderr:\n{}", rsible.mask(&actual.stderr)));
    }
    problems
}

pub fn assert_no_problems(name: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "case {name}: rsible-playbook differs from ansible-playbook\n\n{}",
        problems.join("\n")
    );
}

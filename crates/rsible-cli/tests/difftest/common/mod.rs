//! The harness shared by the differential tests: fresh sandboxes, running a playbook program in
//! one with a controlled environment, masking what legitimately differs between two runs, and
//! comparing outcomes with a readable diff.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rsible_test_support::mask::{
    Masks, BACKUP_SUFFIX, CLOCK_FIELDS, DATE, JOB_ID, LOCAL_SCRATCH, STAT_FIELDS,
};
use rsible_test_support::{mask_dir, Differences, DirModes};
use walkdir::WalkDir;

pub use rsible_test_support::{repo_root, Outcome};

/// Long enough for the slowest case (gather_facts, retries with delays), short enough that a
/// hung rsible does not stall CI for its whole budget.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

pub fn ansible_playbook() -> PathBuf {
    rsible_test_support::ansible_playbook("the differential tests need")
}

pub fn rsible_playbook() -> PathBuf {
    rsible_test_support::rsible_playbook!()
}

/// `RSIBLE_DIFFTEST_FILTER=name` runs only the cases whose directory name contains `name`.
pub fn filtered_out(case: &str) -> bool {
    match std::env::var("RSIBLE_DIFFTEST_FILTER") {
        Ok(filter) if !filter.is_empty() => !case.contains(&filter),
        _ => false,
    }
}

/// The shared sandbox ([`rsible_test_support::Sandbox`]) holding a copy of a case, with what
/// this suite adds: the case's `setup.sh`, `inventory`, `env` and `args`, its masks and the
/// listing of the files a run left behind.
pub struct Sandbox(rsible_test_support::Sandbox);

impl std::ops::Deref for Sandbox {
    type Target = rsible_test_support::Sandbox;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Sandbox {
    pub fn new(case_src: &Path) -> Self {
        Self(
            rsible_test_support::Sandbox::builder("rsible-difftest-")
                .case(case_src)
                .dir_modes(DirModes::Keep)
                .python("/opt/ansible-venv/bin/python3")
                .env("RSIBLE_DIFFTEST", "1")
                .timeout(RUN_TIMEOUT)
                .build(),
        )
    }

    /// Runs the case's `setup.sh`, if any, to create inputs that git cannot hold (modes,
    /// symlinks, files outside the case directory).
    pub fn setup(&self) {
        if !self.case().join("setup.sh").is_file() {
            return;
        }
        let outcome = self.run(self.command(Path::new("/bin/sh")).arg("setup.sh"));
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
        for change in case_env(&self.case()) {
            match change {
                EnvChange::Set(name, value) => cmd.env(name, value),
                EnvChange::Unset(name) => cmd.env_remove(name),
            };
        }
        cmd.args(extra_args).arg(playbook);
        self.run(&mut cmd)
    }

    /// Replaces everything that differs between two faithful runs: the sandbox path, clocks,
    /// process ids and async job ids.
    pub fn mask(&self, text: &str) -> String {
        sort_listed_hosts(&masks().apply(&mask_dir(text, self.root())))
    }

    /// A listing of the files a run left behind in the case copy and in HOME: path, kind, mode and
    /// content, one entry a line, so that two listings can be diffed.
    pub fn tree(&self) -> String {
        let mut listing = String::new();
        for (label, dir) in [("case", self.case()), ("home", self.home())] {
            list_tree(&dir, label, &mut listing);
        }
        self.mask(&listing)
    }
}

fn masks() -> &'static Masks {
    static MASKS: OnceLock<Masks> = OnceLock::new();
    MASKS.get_or_init(|| {
        Masks::new(&[
            CLOCK_FIELDS,
            STAT_FIELDS,
            BACKUP_SUFFIX,
            JOB_ID,
            LOCAL_SCRATCH,
            DATE,
            JSON_CALLBACK_ID,
            VV_VERSION,
            VV_SKIPPED_CALLBACKS,
        ])
    })
}

/// The json callback's play and task ids: Ansible's carry random bits.
const JSON_CALLBACK_ID: rsible_test_support::mask::MaskRule = (
    r#""id": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}""#,
    r#""id": "<ID>""#,
);

/// At `-vv` ansible-playbook starts with its version block (Python's and Jinja's versions and
/// paths, which rsible has no counterpart for); rsible does not print it.
const VV_VERSION: rsible_test_support::mask::MaskRule =
    (r"(?m)^ansible-playbook \[core [^\]\n]*\]\n(?:  .*\n)*", "");

/// At `-vv` ansible-playbook names the Python callback plugins it loads and passes over.
const VV_SKIPPED_CALLBACKS: rsible_test_support::mask::MaskRule = (
    r"(?m)^Skipping callback '[^'\n]*', as we already have a stdout callback\.\n",
    "",
);

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

fn list_tree(base: &Path, label: &str, out: &mut String) {
    let entries = WalkDir::new(base)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !ignored(&entry.file_name().to_string_lossy()))
        .flatten();
    for entry in entries {
        let path = entry.path();
        let rel = path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(meta) = fs::symlink_metadata(path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(path).unwrap_or_default();
            out.push_str(&format!("{label}/{rel} -> {}\n", target.display()));
        } else if meta.is_dir() {
            out.push_str(&format!("{label}/{rel}/ {mode:04o}\n"));
        } else {
            let bytes = fs::read(path).unwrap_or_default();
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
    rsible_test_support::copy_tree(src, dst, DirModes::Keep);
}

/// Lines of context around each change in a diff of two runs.
pub const DIFF_CONTEXT: usize = 4;

/// A change a case makes to the clean environment of both programs.
pub enum EnvChange {
    Set(String, String),
    Unset(String),
}

/// The case's `env` file: `NAME=value` sets a variable (the value is the rest of the line,
/// verbatim), `-NAME` removes one the harness sets; blank lines and `#` lines are ignored.
pub fn case_env(case_dir: &Path) -> Vec<EnvChange> {
    let Ok(text) = fs::read_to_string(case_dir.join("env")) else {
        return Vec::new();
    };
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| match line.strip_prefix('-') {
            Some(name) => EnvChange::Unset(name.trim().to_owned()),
            None => {
                let (name, value) = line.split_once('=').unwrap_or_else(|| {
                    panic!(
                        "{}: env line `{line}` is not NAME=value or -NAME",
                        case_dir.display()
                    )
                });
                EnvChange::Set(name.trim().to_owned(), value.to_owned())
            }
        })
        .collect()
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
/// stdout and the files left behind.
pub fn compare_case(case_dir: &Path, args: &[String]) -> Differences {
    let ansible = Sandbox::new(case_dir);
    let rsible = Sandbox::new(case_dir);
    ansible.setup();
    rsible.setup();
    let expected = ansible.run_playbook(&ansible_playbook(), args);
    let actual = rsible.run_playbook(&rsible_playbook(), args);

    let mut differences = Differences::new(DIFF_CONTEXT);
    if let Ok(text) = fs::read_to_string(case_dir.join("expect_rc")) {
        let wanted: i32 = text.trim().parse().unwrap_or(-1);
        if expected.rc != wanted {
            differences.push(format!(
                "fixture is stale: ansible-playbook exited {} but expect_rc says {wanted}\n\
                 ansible stdout:\n{}\nansible stderr:\n{}",
                expected.rc, expected.stdout, expected.stderr
            ));
        }
    }
    differences.exit_codes("", &expected, &actual);
    differences.text(
        "",
        "stdout",
        &ansible.mask(&expected.stdout),
        &rsible.mask(&actual.stdout),
    );
    differences.text("", "files", &ansible.tree(), &rsible.tree());
    differences.explain_with_stderr("", &rsible.mask(&actual.stderr));
    differences
}

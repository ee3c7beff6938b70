//! The role corpus (`tests/roles-corpus/`): popular public roles, unchanged, each wrapped in a
//! one-play playbook and run twice by each program on fresh Debian 12 hosts that install
//! packages from a local repository. Exit codes, masked output (PLAY RECAP included) and the
//! hosts' end state (packages, files, users, running services) must match.
//!
//! The roles are fetched, not copied into this repository: `RSIBLE_ROLES_CORPUS` names a
//! directory of `<owner>+<repo>/` git directories (bare, as `<owner>+<repo>/repo`, or a
//! checkout's `.git`) holding the commits `corpus.yml` records. Without it the test says so and
//! does nothing. `RSIBLE_CORPUS_FILTER` keeps the roles whose name contains one of its comma-separated parts. Every role's
//! result goes to `target/roles-corpus.md`; the test fails when a role differs unless the
//! manifest records why (`known:`).

use std::fmt::Write as _;
use std::fs;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rsible_testhosts::Tier;

use super::common::{self, differential};
use super::{case, roles::role_files};

/// Installing a role's packages under ansible-core on a loaded machine takes minutes.
const CORPUS_RUN_TIMEOUT: Duration = Duration::from_secs(900);

#[derive(Debug, Default)]
struct Entry {
    name: String,
    source: String,
    commit: String,
    path: Option<String>,
    tier: String,
    vars: Option<String>,
    expect_rc: i32,
    known: Option<String>,
    prepare: Option<String>,
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `corpus.yml`: a list of flat mappings, one `key: value` per line (its own simple format).
fn manifest() -> Vec<Entry> {
    let file = workspace_dir().join("tests/roles-corpus/corpus.yml");
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut entries: Vec<Entry> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let (item, body) = match trimmed.strip_prefix("- ") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if item {
            entries.push(Entry::default());
        }
        let Some((key, value)) = body.split_once(':') else {
            panic!("{}: not `key: value`: {line}", file.display());
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value)
            .to_owned();
        let entry = entries
            .last_mut()
            .unwrap_or_else(|| panic!("{}: a key before the first entry", file.display()));
        match key {
            "name" => entry.name = value,
            "source" => entry.source = value,
            "commit" => entry.commit = value,
            "path" => entry.path = Some(value),
            "tier" => entry.tier = value,
            "vars" => entry.vars = Some(value),
            "expect_rc" => {
                entry.expect_rc = value
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: expect_rc {value}: {e}", file.display()));
            }
            "known" => entry.known = Some(value),
            "prepare" => entry.prepare = Some(value),
            "packages" | "wheels" => {}
            other => panic!("{}: unknown key {other}", file.display()),
        }
    }
    entries
}

/// The git directory of `owner/repo` under the corpus directory.
fn git_dir(corpus: &Path, source: &str) -> PathBuf {
    let base = corpus.join(source.replace('/', "+"));
    for candidate in [base.join("repo"), base.join(".git"), base.clone()] {
        if candidate.join("HEAD").is_file() {
            return candidate;
        }
    }
    panic!(
        "{source} is not in {} (fetch it: see tests/roles-corpus/README.md)",
        corpus.display()
    )
}

/// The role's files at the recorded commit, as case files under `roles/<name>/`.
fn checkout(corpus: &Path, entry: &Entry, into: &Path) -> Vec<(String, Vec<u8>)> {
    let git = git_dir(corpus, &entry.source);
    let dir = into.join(entry.name.replace('/', "_"));
    common::mkdir(&dir);
    let mut archive = Command::new("git");
    archive
        .arg("--git-dir")
        .arg(&git)
        .args(["archive", "--format=tar", &entry.commit]);
    if let Some(path) = &entry.path {
        archive.arg(path);
    }
    let tar = archive
        .output()
        .unwrap_or_else(|e| panic!("git archive: {e}"));
    assert!(
        tar.status.success(),
        "git archive {} {}: {}",
        entry.source,
        entry.commit,
        String::from_utf8_lossy(&tar.stderr)
    );
    let tarball = into.join(format!("{}.tar", entry.name));
    fs::write(&tarball, &tar.stdout).unwrap_or_else(|e| panic!("{}: {e}", tarball.display()));
    common::run_tool(
        Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dir),
    );
    let role = match &entry.path {
        Some(path) => dir.join(path),
        None => dir,
    };
    role_files(&role, &entry.name)
}

fn site(entry: &Entry) -> String {
    let mut site = format!(
        "- hosts: all\n  become: true\n  roles:\n    - role: {}\n",
        entry.name
    );
    if let Some(vars) = &entry.vars {
        let _ = writeln!(site, "      vars: {vars}");
    }
    site
}

/// The hosts install from the corpus repository only.
const SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/corpus-repo ./' >/etc/apt/sources.list.d/corpus.list
# The standard host keys: roles that harden sshd expect them. The harness's sshd uses its own
# key, which the clients pin; it becomes the standard ed25519 key too, so an sshd that a role
# reconfigures still presents the pinned key.
ssh-keygen -A >/dev/null
cp -p /etc/ssh/rsible_host_ed25519_key /etc/ssh/ssh_host_ed25519_key
cp -p /etc/ssh/rsible_host_ed25519_key.pub /etc/ssh/ssh_host_ed25519_key.pub
printf '[global]\nno-index = true\nfind-links = /srv/corpus-repo/wheels\nbreak-system-packages = true\n' >/etc/pip.conf
apt-get -qq update
";

/// Packages, accounts, every regular file's checksum and every path's mode and owner under the
/// places roles write, and the running services. Left out: what each fresh host has of its own
/// (ssh host keys, the harness's login key, machine-id, its /etc/hosts) and what package
/// scripts generate differently on every install (the snakeoil certificate, postfix's
/// aliases.db, Java's cacerts keystore, Python's bytecode caches that record install times:
/// their checksums differ between two hosts of one set).
const STATE: &str = r#"dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | LC_ALL=C sort
apt-mark showhold | LC_ALL=C sort
getent passwd | LC_ALL=C sort
getent group | LC_ALL=C sort
cd /
find etc usr/local opt srv home root var/spool/cron -xdev \
  \( -path 'etc/ssh/ssh_host_*' -o -path 'etc/ssh/rsible_host_*' -o -path etc/ssh/authorized_keys -o -path etc/machine-id -o -path etc/hosts \
     -o -path 'etc/ssl/*snakeoil*' -o -path 'etc/ssl/certs/*' -o -path 'root/.ansible*' \
     -o -path 'home/vagrant/.ansible*' -o -path etc/ld.so.cache -o -path 'srv/corpus-repo*' \) -prune \
  -o -printf '%M %u %g %p\n' 2>/dev/null | LC_ALL=C sort -k4
find etc usr/local opt home root -xdev -type f \
  ! -path 'etc/ssh/ssh_host_*' ! -path 'etc/ssh/rsible_host_*' ! -path 'etc/ssh/authorized_keys/*' ! -path etc/machine-id ! -path etc/hosts ! -path 'etc/ssl/*snakeoil*' \
  ! -path 'root/.ansible*' ! -path 'home/vagrant/.ansible*' ! -path etc/ld.so.cache \
  ! -path etc/aliases.db ! -path etc/ssl/certs/java/cacerts ! -name '*.pyc' \
  -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 -r md5sum
# crontab(1) heads each table with the temp file and time it was installed from.
for f in $(find var/spool/cron -type f 2>/dev/null | LC_ALL=C sort); do
  echo "== $f"; sed '1,3{/^# /d}' "$f"
done
if [ -d /run/systemd/system ]; then
  systemctl list-units --type=service --state=running --no-legend --plain | awk '{print $1}' | LC_ALL=C sort
fi
"#;

/// Each task's lines as a sorted multiset: with two hosts failing one task, Ansible prints their
/// `[ERROR]` reports and `fatal:` lines in the order the results arrive, which the usual sorting
/// of per-host results cannot undo. Every line still has to be there under both programs.
fn lines_per_task_sorted(text: &str) -> String {
    let mut out = String::new();
    let mut section: Vec<&str> = Vec::new();
    let flush = |section: &mut Vec<&str>, out: &mut String| {
        section.sort_unstable();
        for line in section.drain(..) {
            out.push_str(line);
            out.push('\n');
        }
    };
    for line in text.lines() {
        if line.starts_with("TASK [")
            || line.starts_with("RUNNING HANDLER [")
            || line.starts_with("PLAY ")
        {
            flush(&mut section, &mut out);
            out.push_str(line);
            out.push('\n');
        } else {
            section.push(line);
        }
    }
    flush(&mut section, &mut out);
    out
}

struct Outcome {
    name: String,
    result: String,
    detail: String,
    known: Option<String>,
    seconds: f64,
}

#[test]
fn public_roles_run_like_ansible() {
    let Some(corpus) = std::env::var_os("RSIBLE_ROLES_CORPUS").map(PathBuf::from) else {
        eprintln!(
            "role corpus not run: set RSIBLE_ROLES_CORPUS (tests/roles-corpus/README.md says how)"
        );
        return;
    };
    if !common::supported() {
        return;
    }
    let filter = std::env::var("RSIBLE_CORPUS_FILTER").unwrap_or_default();
    let built = Command::new(workspace_dir().join("tests/roles-corpus/build-repo.sh"))
        .output()
        .unwrap_or_else(|e| panic!("build-repo.sh: {e}"));
    assert!(
        built.status.success(),
        "build-repo.sh failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let repo = PathBuf::from(String::from_utf8_lossy(&built.stdout).trim());
    let repo = repo.as_path();
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let out = workspace_dir().join("target/roles-corpus.md");
    let mut outcomes = Vec::new();
    for entry in manifest()
        .into_iter()
        .filter(|e| filter.split(',').any(|f| e.name.contains(f)))
    {
        let started = Instant::now();
        let files = checkout(&corpus, &entry, work.path());
        let site = site(&entry);
        let mut case = case(&entry.name, &site);
        case.files.extend(files);
        let setup = match &entry.prepare {
            Some(packages) => format!(
                "{SETUP}DEBIAN_FRONTEND=noninteractive apt-get -qq install -y {packages} >/dev/null\n"
            ),
            None => SETUP.to_owned(),
        };
        case.setup = &setup;
        case.state = STATE;
        case.bind = Some((repo, "/srv/corpus-repo"));
        case.expect_rc = entry.expect_rc;
        case.run_timeout = CORPUS_RUN_TIMEOUT;
        case.normalize = Some(lines_per_task_sorted);
        let tier = if entry.tier == "1c" {
            Tier::Systemd
        } else {
            Tier::OwnRoot
        };
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| differential::run_on(&case, tier)));
        let (result, detail) = match run {
            Ok(runs) if runs.differences.is_empty() => {
                let recap = rsible_test_support::recap(&runs.ansible[0].stdout).join("\n");
                (format!("same (ansible rc {})", runs.ansible[0].rc), recap)
            }
            Ok(runs) => ("DIFFERS".to_owned(), runs.differences.as_slice().join("\n")),
            Err(panic) => (
                "HARNESS".to_owned(),
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            ),
        };
        eprintln!("corpus: {}: {result}", entry.name);
        outcomes.push(Outcome {
            name: entry.name,
            result,
            detail,
            known: entry.known,
            seconds: started.elapsed().as_secs_f64(),
        });
        // Written after every role: a run of the whole corpus takes an hour.
        fs::write(&out, report(&outcomes)).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
    eprintln!("{}", report(&outcomes));
    let unexplained: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.result.starts_with("same") && o.known.is_none())
        .map(|o| o.name.as_str())
        .collect();
    assert!(
        unexplained.is_empty(),
        "roles that differ from ansible-core without a recorded reason: {unexplained:?} \
         (details in {})",
        out.display()
    );
}

fn report(outcomes: &[Outcome]) -> String {
    let mut text = String::from(
        "# Role corpus\n\n| role | result | time | known difference |\n|---|---|---|---|\n",
    );
    for o in outcomes {
        let _ = writeln!(
            text,
            "| {} | {} | {:.0} s | {} |",
            o.name,
            o.result,
            o.seconds,
            o.known.as_deref().unwrap_or("")
        );
    }
    for o in outcomes {
        let _ = write!(
            text,
            "\n## {}: {}\n\n```\n{}\n```\n",
            o.name, o.result, o.detail
        );
    }
    text
}

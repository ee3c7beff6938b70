//! Differential tests of single modules and keywords of the article's playbook: each playbook
//! runs twice under ansible-playbook on two fresh tier-1b hosts and under rsible-playbook on two
//! others; exit code, masked stdout and end state must match after each run.

mod common;
mod corpus;
mod network;
mod packages;
pub(crate) mod roles;
mod services;
mod system;
mod textfiles;
mod wait_for_connection;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use common::differential::{self, Case};

pub(crate) fn case<'a>(name: &'a str, site: &str) -> Case<'a> {
    Case {
        name,
        files: vec![("site.yml".to_owned(), site.as_bytes().to_vec())],
        setup: "true",
        state: "true",
        bind: None,
        serve: None,
        expect_rc: 0,
        second_run_unchanged: false,
        drop_prefixes: &[],
        normalize: None,
        run_timeout: common::RUN_TIMEOUT,
    }
}

/// Builds `name_version_all.deb` into `repo` from a directory tree: one data file naming the
/// version and, with `conffile`, `/etc/<name>.conf` declared as a conffile (so `remove` and
/// `purge` leave different end states).
fn build_deb(work: &Path, repo: &Path, name: &str, version: &str, conffile: bool) {
    let root = work.join(format!("{name}-{version}"));
    common::mkdir(&root.join("DEBIAN"));
    common::mkdir(&root.join(format!("usr/share/{name}")));
    let write = |path: &Path, text: &str| {
        fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    };
    write(
        &root.join("DEBIAN/control"),
        &format!(
            "Package: {name}\nVersion: {version}\nArchitecture: all\n\
             Maintainer: rsible tests <tests@example.invalid>\nSection: misc\nPriority: optional\n\
             Description: rsible test package {name}\n"
        ),
    );
    write(
        &root.join(format!("usr/share/{name}/VERSION")),
        &format!("{version}\n"),
    );
    if conffile {
        common::mkdir(&root.join("etc"));
        write(
            &root.join(format!("etc/{name}.conf")),
            &format!("setting={version}\n"),
        );
        write(
            &root.join("DEBIAN/conffiles"),
            &format!("/etc/{name}.conf\n"),
        );
    }
    common::run_tool(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zgzip", "--build"])
            .arg(&root)
            .arg(repo.join(format!("{name}_{version}_all.deb"))),
    );
}

fn build_repo(work: &Path) -> std::path::PathBuf {
    let repo = work.join("repo");
    common::mkdir(&repo);
    build_deb(work, &repo, "rsible-alpha", "1.0", false);
    build_deb(work, &repo, "rsible-beta", "2.3-1", true);
    build_deb(work, &repo, "rsible-gone", "1.0", false);
    build_deb(work, &repo, "rsible-purged", "1.0", true);
    build_deb(work, &repo, "rsible-kept", "1.0", true);
    build_deb(work, &repo, "rsible-hello", "1.0", false);
    build_deb(work, &repo, "rsible-hello", "1.1", false);
    common::run_tool(Command::new("sh").current_dir(&repo).args([
        "-c",
        "dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9nk Packages",
    ]));
    repo
}

const APT_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Install from the local repository
      apt:
        name: [rsible-alpha, rsible-beta]
        update_cache: true
    - name: Remove a package
      apt:
        name: rsible-gone
        state: absent
    - name: Purge a package
      apt:
        name: rsible-purged
        state: absent
        purge: true
    - name: Remove a package with a conffile
      apt:
        name: rsible-kept
        state: absent
    - name: Upgrade to the latest version
      apt:
        name: rsible-hello
        state: latest
    - name: Install what is installed
      apt:
        name: rsible-alpha
        state: present
"#;

const APT_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y install rsible-gone rsible-purged rsible-kept rsible-hello=1.0 >/dev/null
";

const APT_STATE: &str = "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 'rsible-*' 2>&1 | LC_ALL=C sort
for f in /etc/rsible-*.conf /usr/share/rsible-*/VERSION; do [ -e \"$f\" ] && echo \"$f: $(cat \"$f\")\"; done
true";

#[test]
fn apt_install_remove_purge_latest_from_a_local_repository() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = build_repo(work.path());
    let mut case = case("apt", APT_SITE);
    case.setup = APT_SETUP;
    case.state = APT_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    // Guards the fixture: Ansible really did what the playbook says.
    for wanted in [
        "rsible-alpha 1.0 ii",
        "rsible-beta 2.3-1 ii",
        "rsible-hello 1.1 ii",
        "rsible-kept 1.0 rc",
        "/etc/rsible-kept.conf: setting=1.0",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    assert!(!state.contains("rsible-purged.conf"), "{state}");
    runs.assert_same("apt");
}

fn build_archives(dir: &Path) {
    let tree = dir.join("tree");
    for (path, text, mode) in [
        ("bundle/README", "read me\n", 0o644),
        ("bundle/bin/tool", "#!/bin/sh\necho tool\n", 0o755),
        ("bundle/data/values.txt", "1\n2\n3\n", 0o600),
        ("other/file.txt", "other\n", 0o644),
    ] {
        let file = tree.join(path);
        if let Some(parent) = file.parent() {
            common::mkdir(parent);
        }
        fs::write(&file, text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        fs::set_permissions(&file, fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    let served = dir.join("served");
    common::mkdir(&served);
    for (archive, member) in [("bundle.tar.gz", "bundle"), ("other.tar.gz", "other")] {
        common::run_tool(
            Command::new("tar")
                .current_dir(&tree)
                .args([
                    "--owner=0",
                    "--group=0",
                    "--numeric-owner",
                    "--mtime=@1700000000",
                    "-czf",
                ])
                .arg(served.join(archive))
                .arg(member),
        );
    }
    common::run_tool(
        Command::new("zip")
            .current_dir(&tree)
            .args(["-qrX"])
            .arg(served.join("bundle.zip"))
            .arg("bundle"),
    );
}

const UNARCHIVE_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Destination
      file:
        path: /home/vagrant/unpacked
        state: directory
    - name: Unpack a download guarded by creates
      unarchive:
        src: "{{ base_url }}/bundle.tar.gz"
        dest: /home/vagrant/unpacked
        remote_src: yes
        creates: /home/vagrant/unpacked/bundle/README
    - name: Unpack a download compared with what is there
      unarchive:
        src: "{{ base_url }}/other.tar.gz"
        dest: /home/vagrant/unpacked
        remote_src: yes
    - name: Unpack as root into a root-owned directory
      become: true
      unarchive:
        src: "{{ base_url }}/bundle.tar.gz"
        dest: /opt
        remote_src: yes
"#;

const UNARCHIVE_STATE: &str =
    "find /home/vagrant/unpacked /opt -printf '%p %M %u:%g\\n' | LC_ALL=C sort
find /home/vagrant/unpacked /opt -type f -printf '%p %s %Ts\\n' | LC_ALL=C sort
find /home/vagrant/unpacked /opt -type f -exec md5sum {} + | LC_ALL=C sort -k2";

#[test]
fn unarchive_tar_gz_from_a_url() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    build_archives(work.path());
    let served = work.path().join("served");
    let mut case = case("unarchive", UNARCHIVE_SITE);
    case.serve = Some(&served);
    case.state = UNARCHIVE_STATE;
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    assert!(
        runs.ansible_state[0].contains("/opt/bundle/bin/tool -rwxr-xr-x root:root"),
        "{}",
        runs.ansible_state[0]
    );
    assert!(
        runs.rsible.iter().all(|o| o.rc == 0) && !runs.requests.1.is_empty(),
        "rsible's hosts never downloaded anything: {:?}",
        runs.requests
    );
    runs.assert_same("unarchive");
}

/// The hosts' root filesystem has no `unzip`: Ansible fails the task with its handler-search
/// message, which rsible must reproduce. Ansible collects the handlers' reasons in a Python
/// `set`, so their order follows the per-process string hash: it is put in a canonical order in
/// both outputs before comparing, and the random name of the downloaded temp file is masked.
#[test]
fn unarchive_zip_without_unzip_on_the_host() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    build_archives(work.path());
    let served = work.path().join("served");
    let site = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Unpack a zip download
      unarchive:
        src: "{{ base_url }}/bundle.zip"
        dest: /tmp
        remote_src: yes
"#;
    let mut case = case("unarchive-zip", site);
    case.serve = Some(&served);
    case.expect_rc = 2;
    case.state = "ls /tmp | LC_ALL=C sort";
    case.normalize = Some(canonical_handler_reasons);
    let runs = differential::run(&case);
    let first = &runs.ansible[0].stdout;
    for reason in [
        "Unable to find required 'unzip' or 'zipinfo' binary in the path.",
        "Command \"/usr/bin/tar\" could not handle archive: Unable to list files in the archive: tar (child): xz: Cannot exec",
    ] {
        assert!(first.contains(reason), "ansible's output lacks {reason:?}:\n{first}");
    }
    runs.assert_same("unarchive-zip");
}

/// Sorts the reasons of every "Failed to find handler" message (each starts a line with
/// `Command "` or `Unable to find required`), in its plain form and JSON-escaped.
fn canonical_handler_reasons(text: &str) -> String {
    let temp_name = regex::Regex::new(r"(ansible-tmp-<RANDOM>/bundle)\w+\.zip")
        .unwrap_or_else(|e| panic!("{e}"));
    let text = temp_name.replace_all(text, "$1<RANDOM>.zip").into_owned();
    let mut messages = Vec::new();
    for line in text.lines() {
        let Some(json) = line.split_once("FAILED! => ").map(|(_, j)| j) else {
            continue;
        };
        let value: serde_json::Value =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
        if let Some(msg) = value.get("msg").and_then(|m| m.as_str()) {
            messages.push(msg.to_owned());
        }
    }
    let mut out = text;
    for msg in messages {
        let Some((head, rest)) = msg.split_once('\n') else {
            continue;
        };
        let mut reasons: Vec<String> = Vec::new();
        for line in rest.split_inclusive('\n') {
            let starts =
                line.starts_with("Command \"") || line.starts_with("Unable to find required");
            match reasons.last_mut() {
                Some(last) if !starts => last.push_str(line),
                _ => reasons.push(line.to_owned()),
            }
        }
        // The reasons are joined with "\n"; a tar reason ends with tar's own newline.
        let count = reasons.len();
        for (i, r) in reasons.iter_mut().enumerate() {
            if i + 1 < count {
                r.pop();
            }
        }
        reasons.sort();
        let canonical = format!("{head}\n{}", reasons.join("\n"));
        let escaped = |s: &str| serde_json::to_string(s).unwrap_or_default();
        out = out
            .replace(&escaped(&msg), &escaped(&canonical))
            .replace(&msg, &canonical);
    }
    out
}

const SYNC_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Push the tree
      become: true
      synchronize:
        src: src/
        dest: /srv/sync/
        delete: true
        checksum: true
        rsync_opts:
          - --exclude=.git
"#;

#[test]
fn synchronize_push_with_become_delete_checksum_and_excludes() {
    if !common::supported() {
        return;
    }
    let mut case = case("synchronize", SYNC_SITE);
    for (path, text) in [
        ("src/a.txt", "alpha\n"),
        ("src/sub/b.txt", "beta\n"),
        ("src/sub/deeper/c.txt", "gamma\n"),
        ("src/.git/config", "[core]\n"),
        ("src/run.sh", "#!/bin/sh\n"),
    ] {
        case.files.push((path.to_owned(), text.as_bytes().to_vec()));
    }
    case.setup = "set -e
mkdir -p /srv/sync/old /srv/sync/.git /srv/sync/sub
echo stale >/srv/sync/stale.txt
echo old >/srv/sync/old/x
echo kept >/srv/sync/.git/HEAD
echo same-size >/srv/sync/sub/b.txt
chown -R root:root /srv/sync";
    case.state = "find /srv/sync -printf '%p %M %u:%g %s\\n' | LC_ALL=C sort
find /srv/sync -type f -exec md5sum {} + | LC_ALL=C sort -k2";
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains("/srv/sync/.git/HEAD") && !state.contains("stale.txt"),
        "{state}"
    );
    runs.assert_same("synchronize");
}

const ASYNC_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Fire and forget
      shell: sleep 2; echo "done $(hostname)" >/tmp/async-marker; echo finished
      async: 30
      poll: 0
      register: job
    - name: The job was started
      debug:
        msg: "started={{ job.started }} finished={{ job.finished }} id={{ job.ansible_job_id is defined }}"
    - name: Wait for the job
      async_status:
        jid: "{{ job.ansible_job_id }}"
      register: result
      until: result.finished
      retries: 30
      delay: 1
    - name: The job's result
      debug:
        msg: "rc={{ result.rc }} stdout={{ result.stdout }} finished={{ result.finished }} changed={{ result.changed }}"
    - name: Poll every second
      command: echo polled
      async: 10
      poll: 1
      register: polled
    - name: The polled result
      debug:
        msg: "rc={{ polled.rc }} stdout={{ polled.stdout }} finished={{ polled.finished }}"
"#;

#[test]
fn async_fire_and_forget_with_async_status_and_polling() {
    if !common::supported() {
        return;
    }
    let mut case = case("async", ASYNC_SITE);
    case.state = "cat /tmp/async-marker";
    // How many polls happen before the job ends depends on each program's speed.
    case.drop_prefixes = &["FAILED - RETRYING", "ASYNC POLL"];
    let runs = differential::run(&case);
    assert!(
        runs.ansible[0]
            .stdout
            .contains("rc=0 stdout=finished finished=True"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("async");
}

const UNTIL_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Count up until three
      shell: n=$(cat /tmp/counter 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/counter; echo $n
      register: counter
      until: counter.stdout | int >= 3
      retries: 5
      delay: 1
    - name: Attempts
      debug:
        msg: "attempts={{ counter.attempts }} value={{ counter.stdout }}"
"#;

#[test]
fn until_retries_delay_on_a_remote_counter() {
    if !common::supported() {
        return;
    }
    let mut case = case("until", UNTIL_SITE);
    case.state = "cat /tmp/counter";
    let runs = differential::run(&case);
    assert!(
        runs.ansible[0].stdout.contains("attempts=3 value=3")
            && runs.ansible[1].stdout.contains("attempts=1 value=4"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("until");
}

// One host: two hosts' `[ERROR]:` blocks come in whichever order the hosts finish, which
// the host-line sorting of the comparison cannot reorder as whole blocks.
const UNTIL_EXHAUSTED_SITE: &str = r#"- hosts: h1
  gather_facts: false
  tasks:
    - name: Give up after two retries
      shell: n=$(cat /tmp/counter 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/counter; echo $n
      register: never
      until: never.stdout == 'never'
      retries: 2
      delay: 1
      ignore_errors: true
    - name: Failed attempts
      debug:
        msg: "attempts={{ never.attempts }} failed={{ never.failed }}"
"#;

#[test]
fn until_exhausted_retries_fail_the_task() {
    if !common::supported() {
        return;
    }
    let mut case = case("until-exhausted", UNTIL_EXHAUSTED_SITE);
    case.state = "cat /tmp/counter 2>/dev/null || echo no counter";
    let runs = differential::run(&case);
    assert!(
        runs.ansible[0].stdout.contains("attempts=2 failed=True"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("until-exhausted");
}

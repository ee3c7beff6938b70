//! Public multi-platform roles, unchanged, wrapped in a one-line playbook and run on Debian
//! hosts: their tasks for other OS families are guarded by `when:` and must be skipped exactly
//! as Ansible skips them.
//!
//! The roles come from the collections of the `ansible` package that `scripts/deps.sh` installs
//! beside ansible-core (so no role is copied into this repository, and the test needs no network
//! beyond what CI already reaches): each is read from the installed collection at test time and
//! given to both programs as a plain role.

use std::fs;
use std::path::{Path, PathBuf};

use super::common::differential;
use super::{build_deb, case, common};

/// `ansible_collections/<namespace>/<name>` in the ansible-core venv.
fn collection_dir(namespace: &str, name: &str) -> PathBuf {
    let lib = Path::new("/opt/ansible-venv/lib");
    let found = fs::read_dir(lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .filter_map(Result::ok)
        .map(|e| {
            e.path()
                .join("site-packages/ansible_collections")
                .join(namespace)
                .join(name)
        })
        .find(|p| p.is_dir());
    found.unwrap_or_else(|| {
        panic!(
            "collection {namespace}.{name} is not installed in /opt/ansible-venv (scripts/deps.sh)"
        )
    })
}

/// Every file of the role except its molecule scenarios, as case files under `roles/<as_name>/`.
pub(crate) fn role_files(role: &Path, as_name: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(role)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = entry
            .path()
            .strip_prefix(role)
            .unwrap_or_else(|e| panic!("{e}"));
        let top = rel.components().next().map(|c| c.as_os_str().to_owned());
        if !entry.file_type().is_file()
            || top.as_deref() == Some("molecule".as_ref())
            || rel.extension().is_some_and(|e| e == "pyc")
        {
            continue;
        }
        let data =
            fs::read(entry.path()).unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        files.push((format!("roles/{as_name}/{}", rel.display()), data));
    }
    files
}

const MONGODB_SITE: &str = "- hosts: all
  become: true
  roles:
    - role: mongodb_install
      mongodb_hold_packages: HOLD
";

const MONGODB_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
";

const MONGODB_STATE: &str = "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 'mongodb-*' 2>&1 | LC_ALL=C sort
apt-mark showhold | LC_ALL=C sort
ls /root/mongo_version_lock.success 2>&1
";

/// community.mongodb's `mongodb_install`: an OpenSSL probe, then `package` with tasks for
/// RedHat and Debian under `when:`, and a `script` holding the packages. The MongoDB packages
/// are stand-ins of the same names in a local repository (the hosts have no network).
#[test]
fn community_mongodb_install_on_debian() {
    if !common::supported() {
        return;
    }
    let collection = collection_dir("community", "mongodb");
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = work.path().join("repo");
    common::mkdir(&repo);
    for name in [
        "mongodb-org",
        "mongodb-org-server",
        "mongodb-mongosh-shared-openssl3",
        "mongodb-org-mongos",
        "mongodb-org-tools",
    ] {
        build_deb(work.path(), &repo, name, "7.0.14", false);
    }
    common::run_tool(std::process::Command::new("sh").current_dir(&repo).args([
        "-c",
        "dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9nk Packages",
    ]));
    let mut case = case("mongodb_install", MONGODB_SITE);
    case.files.extend(role_files(
        &collection.join("roles/mongodb_install"),
        "mongodb_install",
    ));
    case.setup = MONGODB_SETUP;
    case.state = MONGODB_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    // Guards the fixture: the Debian path ran under Ansible, the others were skipped.
    for wanted in [
        "mongodb-org 7.0.14 hi",
        "mongodb-mongosh-shared-openssl3 7.0.14 ii",
        "/root/mongo_version_lock.success",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}\n{}",
            runs.ansible[0].stdout
        );
    }
    assert!(
        runs.ansible[0]
            .stdout
            .contains("TASK [mongodb_install : Install MongoDB Packages (Specific version)]"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("mongodb_install");
}

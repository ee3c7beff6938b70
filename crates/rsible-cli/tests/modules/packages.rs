//! Package and repository modules: `package`, `package_facts`, `apt_repository`,
//! `deb822_repository`, `apt_key`, `pip`, `git`, each against packages, keys and repositories
//! built or served on the machine (the hosts have no internet).
//!
//! Tasks that fail or show a diff run in plays on `h1` only: the two hosts' `[ERROR]` reports,
//! diffs and result lines interleave in any order, which the per-host sorting of the comparison
//! cannot undo.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::differential;

/// A flat repository of test packages, `/srv/repo` on the hosts.
fn test_repo(work: &Path) -> std::path::PathBuf {
    let repo = work.join("repo");
    common::mkdir(&repo);
    super::build_deb(work, &repo, "rsible-alpha", "1.0", false);
    super::build_deb(work, &repo, "rsible-beta", "2.3-1", true);
    super::build_deb(work, &repo, "rsible-gone", "1.0", false);
    super::build_deb(work, &repo, "rsible-hello", "1.0", false);
    super::build_deb(work, &repo, "rsible-hello", "1.1", false);
    scan(&repo);
    repo
}

fn scan(repo: &Path) {
    common::run_tool(Command::new("sh").current_dir(repo).args([
        "-c",
        "dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9nkf Packages",
    ]));
}

const LOCAL_REPO_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y install rsible-gone rsible-hello=1.0 >/dev/null
";

const PKG_STATE: &str = "dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 'rsible-*' 2>&1 | LC_ALL=C sort";

const PACKAGE_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Install without facts (the manager is discovered)
      package:
        name: rsible-alpha
        state: present
    - name: Upgrade through an explicit manager
      package:
        name: rsible-hello
        state: latest
        use: apt
    - name: Package facts
      package_facts:
      register: pf
    - name: Show two packages and the result's keys
      debug:
        msg: "{{ ansible_facts.packages['rsible-alpha'] }} {{ ansible_facts.packages['rsible-hello'] }} {{ pf.keys() | list }}"
    - name: Package facts from apt, every manager, in check mode
      package_facts:
        manager: [apk, apt]
        strategy: all
      check_mode: true
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Install in check mode
      package:
        name: rsible-beta
      check_mode: true
    - name: Remove with diff
      package:
        name: rsible-gone
        state: absent
      diff: true
    - name: A parameter apt does not know
      package:
        name: rsible-alpha
        bogus: 1
      ignore_errors: true
    - name: A manager Ansible does not know
      package:
        name: rsible-alpha
        use: nonexist
      ignore_errors: true
    - name: A package apt does not know
      package:
        name: rsible-nowhere
      ignore_errors: true
    - name: A manager package_facts does not know
      package_facts:
        manager: bogus
      ignore_errors: true
    - name: A bad strategy
      package_facts:
        strategy: bogus
      ignore_errors: true
- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Minimal facts give pkg_mgr
      setup:
        gather_subset: "!all"
    - name: Install with the gathered manager
      package:
        name: [rsible-alpha, rsible-beta]
    - name: Whether rsible-gone is still there
      debug:
        msg: "{{ 'rsible-gone' in ansible_facts.packages }}"
"#;

#[test]
fn package_and_package_facts_on_a_local_repository() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = test_repo(work.path());
    let mut case = super::case("package", PACKAGE_SITE);
    case.setup = LOCAL_REPO_SETUP;
    case.state = PKG_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "rsible-alpha 1.0 ii",
        "rsible-beta 2.3-1 ii",
        "rsible-hello 1.1 ii",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    // Removed on h1 only, by the play of diff and failing tasks.
    assert!(
        state.contains("## h1\nrsible-alpha 1.0 ii \nrsible-beta 2.3-1 ii \nrsible-hello"),
        "{state}"
    );
    let out = &runs.ansible[0].stdout;
    assert!(
        out.contains("'origin': '', 'source': 'apt'}]"),
        "package_facts fixture: {out}"
    );
    runs.assert_same("package");
}

const SOURCES_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
printf '#deb http://example.invalid/debian bookworm main\n\n#deb http://old.invalid/debian bookworm main # kept\n' >/etc/apt/sources.list.d/commented.list
echo 'deb http://gone.invalid/debian bookworm main' >/etc/apt/sources.list.d/gone.list
";

const SOURCES_STATE: &str = "for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -e \"$f\" ] && stat -c '%n %a %U:%G' \"$f\" && cat \"$f\"; done
ls /var/lib/apt/lists | grep -c srv_repo || true";

const APT_REPOSITORY_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Remove an enabled source (its file goes)
      apt_repository:
        repo: deb http://gone.invalid/debian bookworm main
        state: absent
        update_cache: false
    - name: Add the local repository (file name derived), updating the cache
      apt_repository:
        repo: deb [trusted=yes] file:/srv/repo ./
    - name: Add it again
      apt_repository:
        repo: deb [trusted=yes] file:/srv/repo ./
      register: again
    - name: Show the result
      debug:
        var: again
    - name: A named file with a mode
      apt_repository:
        repo: deb http://user:pw@example.invalid:8080/debian bookworm main
        filename: extra
        mode: "0600"
        update_cache: false
    - name: Enable a commented-out source
      apt_repository:
        repo: deb http://example.invalid/debian bookworm main
        update_cache: false
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Add in check mode with diff
      apt_repository:
        repo: deb http://new.invalid/debian bookworm main
      check_mode: true
      diff: true
      register: added
    - name: Show the check-mode result
      debug:
        var: added
    - name: Remove in check mode with diff
      apt_repository:
        repo: deb [trusted=yes] file:/srv/repo ./
        state: absent
      check_mode: true
      diff: true
    - name: An invalid line
      apt_repository:
        repo: foo bar
      ignore_errors: true
    - name: A bad parameter
      apt_repository:
        repo: deb http://x.invalid/ y main
        bogus: 1
      ignore_errors: true
    - name: A bad state
      apt_repository:
        repo: deb http://x.invalid/ y main
        state: bogus
      ignore_errors: true
"#;

#[test]
fn apt_repository_adds_enables_and_removes_sources() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = test_repo(work.path());
    let mut case = super::case("apt_repository", APT_REPOSITORY_SITE);
    case.setup = SOURCES_SETUP;
    case.state = SOURCES_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    // The check-mode tasks report a change on every run.
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "/etc/apt/sources.list.d/file_srv_repo.list 644 root:root\ndeb [trusted=yes] file:/srv/repo ./",
        "deb http://example.invalid/debian bookworm main\n\n# deb http://old.invalid/debian bookworm main # kept",
        "/etc/apt/sources.list.d/extra.list 600 root:root",
    ] {
        assert!(state.contains(wanted), "ansible's end state lacks {wanted:?}:\n{state}");
    }
    runs.assert_same("apt_repository");
}

/// Real Debian packages for the hosts (bookworm, as the machine): `apt-get download` into a
/// cache kept between runs, then copied into `repo` (scan it afterwards).
fn debian_debs(repo: &Path, packages: &[&str]) {
    let cache = Path::new("/var/cache/rsible-tests/debs");
    common::mkdir(cache);
    let have = |p: &str| {
        fs::read_dir(cache).is_ok_and(|d| {
            d.flatten().any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{p}_"))
            })
        })
    };
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !have(p)).collect();
    if !missing.is_empty() {
        common::run_tool(
            Command::new("apt-get")
                .current_dir(cache)
                .args(["-q", "-o", "APT::Sandbox::User=root", "download"])
                .args(&missing),
        );
    }
    for e in fs::read_dir(cache)
        .unwrap_or_else(|e| panic!("{}: {e}", cache.display()))
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if packages.iter().any(|p| name.starts_with(&format!("{p}_"))) {
            fs::copy(e.path(), repo.join(&name)).unwrap_or_else(|err| panic!("{name}: {err}"));
        }
    }
}

/// A key pair made with gpg on the machine: `key.asc` (armored) and `key.gpg` in `dir`, and
/// the fingerprint.
fn test_key(dir: &Path) -> String {
    let home = dir.join("gnupg");
    common::mkdir(&home);
    fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .unwrap_or_else(|e| panic!("{e}"));
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet", "--no-tty"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("gpg: {e}"));
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "rsible test <test@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    fs::write(dir.join("key.asc"), gpg(&["--armor", "--export"])).unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.join("key.gpg"), gpg(&["--export"])).unwrap_or_else(|e| panic!("{e}"));
    let list = String::from_utf8_lossy(&gpg(&["--list-keys", "--with-colons"])).into_owned();
    list.lines()
        .find_map(|l| l.strip_prefix("fpr:::::::::"))
        .map(|f| f.trim_end_matches(':').to_owned())
        .unwrap_or_else(|| panic!("no fingerprint in {list}"))
}

const DEB822_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y install python3-debian >/dev/null
rm -f /etc/apt/sources.list.d/local.list
";

const DEB822_STATE: &str = "for f in /etc/apt/sources.list.d/* /etc/apt/keyrings /etc/apt/keyrings/*; do [ -e \"$f\" ] && stat -c '%n %a %U:%G %s' \"$f\"; done
cat /etc/apt/sources.list.d/*.sources 2>/dev/null; true";

const DEB822_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: A repository with options
      deb822_repository:
        name: Local Repo_1
        uris: file:/srv/repo
        suites: ./
        trusted: true
        architectures: amd64,all
        check_valid_until: false
        date_max_future: 10
      register: local
    - name: Show it
      debug:
        var: local
    - name: An inline key, several URIs and suites
      deb822_repository:
        name: inline
        uris: [http://a.invalid/debian, http://b.invalid/debian]
        suites: [bookworm, bookworm-updates]
        components: [main, contrib]
        types: [deb, deb-src]
        signed_by: "{{ lookup('file', 'key.asc') }}"
    - name: A key from a URL
      deb822_repository:
        name: fromurl
        uris: http://a.invalid/debian
        suites: [bookworm]
        components: main
        signed_by: "{{ base_url }}/key.asc"
        mode: "0600"
      register: fromurl
    - name: Show the URL result
      debug:
        var: fromurl
    - name: A key file on the host
      deb822_repository:
        name: fromfile
        uris: http://a.invalid/debian
        suites: [bookworm]
        signed_by: /etc/apt/keyrings/fromurl.asc
        enabled: false
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A binary key in check mode
      deb822_repository:
        name: binkey
        uris: http://a.invalid/debian
        suites: [bookworm]
        signed_by: "{{ base_url }}/key.gpg"
      check_mode: true
      register: binkey
    - name: Show the check-mode result
      debug:
        var: binkey
    - name: Remove in check mode
      deb822_repository:
        name: inline
        state: absent
      check_mode: true
    - name: A bad type
      deb822_repository:
        name: x
        types: [deb, rpm]
      ignore_errors: true
    - name: Without a name
      deb822_repository:
        uris: http://a.invalid/debian
      ignore_errors: true
    - name: A key URL that is not there
      deb822_repository:
        name: bad
        signed_by: "{{ base_url }}/missing.asc"
      ignore_errors: true
- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Remove one with its key
      deb822_repository:
        name: fromurl
        state: absent
      register: removed
    - name: Show the removal
      debug:
        var: removed
"#;

#[test]
fn deb822_repository_with_inline_url_and_file_keys() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = work.path().join("repo");
    common::mkdir(&repo);
    debian_debs(
        &repo,
        &["python3-debian", "python3-chardet", "python3-pkg-resources"],
    );
    scan(&repo);
    let served = work.path().join("served");
    common::mkdir(&served);
    test_key(&served);
    let mut case = super::case("deb822_repository", DEB822_SITE);
    case.files.push((
        "key.asc".to_owned(),
        fs::read(served.join("key.asc")).unwrap_or_else(|e| panic!("{e}")),
    ));
    case.setup = DEB822_SETUP;
    case.state = DEB822_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    case.serve = Some(&served);
    // The check-mode tasks, and the removal of a source the first task of the next run adds
    // again, change something on every run.
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "X-Repolib-Name: Local Repo_1\nSuites: ./\nTrusted: yes\nTypes: deb\nURIs: file:/srv/repo",
        "/etc/apt/keyrings 755 root:root",
        "Signed-By: /etc/apt/keyrings/fromurl.asc",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("deb822_repository");
}

/// gpg for `apt-key add` (which starts gpg-agent) on h2 only: h1 shows the failure without it.
const APT_KEY_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
if [ \"$(hostname)\" = h2 ]; then
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y install gpg gpg-agent >/dev/null
rm -f /etc/apt/sources.list.d/local.list
fi
";

const APT_KEY_STATE: &str = "ls -l /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/rsible.gpg 2>&1 | awk '{print $1, $NF}'
command -v gpg >/dev/null && gpg --no-default-keyring --keyring /etc/apt/trusted.gpg --list-keys --with-colons 2>/dev/null | grep ^fpr; true";

const APT_KEY_SITE: &str = r#"- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Without gpg
      apt_key:
        url: "{{ base_url }}/key.asc"
      ignore_errors: true
- hosts: h2
  gather_facts: false
  become: true
  tasks:
    - name: Add from a URL in check mode
      apt_key:
        url: "{{ base_url }}/key.asc"
      check_mode: true
      register: checked
    - name: Show the check-mode result
      debug:
        var: checked
    - name: Add from a URL
      apt_key:
        url: "{{ base_url }}/key.asc"
      register: added
    - name: Show it
      debug:
        var: added
    - name: Add the same key as data
      apt_key:
        data: "{{ lookup('file', 'key.asc') }}"
    - name: Copy the binary key to the host
      copy:
        src: key.gpg
        dest: /tmp/key.gpg
    - name: A file into its own keyring, by short id
      apt_key:
        id: "{{ fingerprint[-8:] }}"
        file: /tmp/key.gpg
        keyring: /etc/apt/trusted.gpg.d/rsible.gpg
      register: own
    - name: Show the keyring result
      debug:
        var: own
    - name: Remove it from the own keyring
      apt_key:
        id: "{{ fingerprint }}"
        keyring: /etc/apt/trusted.gpg.d/rsible.gpg
        state: absent
      diff: true
    - name: An invalid id
      apt_key:
        id: "123"
      ignore_errors: true
    - name: A keyserver without id
      apt_key:
        keyserver: keyserver.invalid
      ignore_errors: true
    - name: A key URL that is not there
      apt_key:
        url: "{{ base_url }}/missing.asc"
      ignore_errors: true
    - name: Mutually exclusive sources
      apt_key:
        data: x
        file: /tmp/key.gpg
      ignore_errors: true
"#;

#[test]
fn apt_key_from_url_data_and_file_with_keyrings() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = work.path().join("repo");
    common::mkdir(&repo);
    debian_debs(
        &repo,
        &[
            "gpg",
            "gpgconf",
            "libassuan0",
            "install-info",
            "gpg-agent",
            "pinentry-curses",
            "libnpth0",
        ],
    );
    scan(&repo);
    let served = work.path().join("served");
    common::mkdir(&served);
    let fingerprint = test_key(&served);
    let mut case = super::case("apt_key", APT_KEY_SITE);
    for name in ["key.asc", "key.gpg"] {
        case.files.push((
            name.to_owned(),
            fs::read(served.join(name)).unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    case.files.push((
        "group_vars/all.yml".to_owned(),
        format!("fingerprint: {fingerprint}\n").into_bytes(),
    ));
    case.setup = APT_KEY_SETUP;
    case.state = APT_KEY_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    case.serve = Some(&served);
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains(&format!("fpr:::::::::{fingerprint}:")),
        "ansible's end state lacks the key:\n{state}"
    );
    runs.assert_same("apt_key");
}

/// git and what it needs on a minbase bookworm host (perl, libcurl3-gnutls and theirs).
const GIT_DEBS: &[&str] = &[
    "perl-base",
    "perl-modules-5.36",
    "libgdbm6",
    "libgdbm-compat4",
    "libperl5.36",
    "perl",
    "libbrotli1",
    "libsasl2-modules-db",
    "libsasl2-2",
    "libldap-2.5-0",
    "libnghttp2-14",
    "libpsl5",
    "librtmp1",
    "libssh2-1",
    "libcurl3-gnutls",
    "liberror-perl",
    "git-man",
    "git",
];

/// git from the local repository, then `/srv/git/app.git` with two branches, a lightweight
/// and an annotated tag and a submodule (`lib.git`), made with fixed names and dates so both
/// sets of hosts hold the same commit ids. `protocol.file.allow` lets submodules come from
/// file:// URLs (git refuses them by default since 2.38.1).
const GIT_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y --no-install-recommends install git >/dev/null
rm -f /etc/apt/sources.list.d/local.list
git config --system protocol.file.allow always
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@example.invalid GIT_AUTHOR_DATE=2024-01-01T00:00:00Z
export GIT_COMMITTER_DATE=2024-01-01T00:00:00Z HOME=/root
mkdir -p /srv/git && cd /srv/git
git init -q --bare -b main lib.git
git init -q --bare -b main app.git
git init -q -b main /tmp/lib && cd /tmp/lib
echo lib >lib.txt && git add lib.txt && git commit -qm lib && git push -q /srv/git/lib.git main
git init -q -b main /tmp/app && cd /tmp/app
echo one >a.txt && git add a.txt && git commit -qm one && git tag v1
git submodule -q add file:///srv/git/lib.git lib
echo two >>a.txt && git commit -qam two && git tag -a v2 -m annotated
git checkout -qb dev && echo dev >d.txt && git add d.txt && git commit -qm dev
git push -q /srv/git/app.git main dev v1 v2
rm -rf /tmp/lib /tmp/app
chown -R vagrant: /srv/git
";

const GIT_STATE: &str = "for d in /srv/co /srv/co/lib /home/vagrant/mine; do [ -d $d ] && echo \"$d $(git -C $d rev-parse HEAD) $(git -C $d status --porcelain | tr '\\n' ' ')\"; done
find /srv/co /home/vagrant/mine -maxdepth 1 -printf '%m %U %G %p\\n' 2>&1 | LC_ALL=C sort
cat /srv/co/a.txt /srv/co/lib/lib.txt 2>&1; true";

const GIT_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Clone with its submodule
      git:
        repo: /srv/git/app.git
        dest: /srv/co
      register: cloned
    - name: Show the clone
      debug:
        var: cloned
    - name: To a tag
      git:
        repo: file:///srv/git/app.git
        dest: /srv/co
        version: v1
    - name: As the login user, into its home
      git:
        repo: /srv/git/app.git
        dest: ~/mine
        version: dev
        depth: 1
      become: false
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Without git on the target the module says so
      git:
        repo: /srv/git/app.git
        dest: /srv/none
        executable: /usr/bin/no-git
      ignore_errors: true
    - name: An annotated tag in check mode, with diff
      git:
        repo: /srv/git/app.git
        dest: /srv/co
        version: v2
      check_mode: true
      diff: true
      register: checked
    - name: Show the check
      debug:
        var: checked
    - name: Local changes
      shell: echo local >>/srv/co/a.txt
      changed_when: false
    - name: Local changes stop the update
      git:
        repo: /srv/git/app.git
        dest: /srv/co
        version: v2
      ignore_errors: true
    - name: A branch, forced, with diff
      git:
        repo: /srv/git/app.git
        dest: /srv/co
        version: dev
        force: true
      diff: true
      register: forced
    - name: Show it
      debug:
        var: forced
    - name: Back to the tag
      git:
        repo: /srv/git/app.git
        dest: /srv/co
        version: v1
    - name: A bad parameter
      git:
        repo: /srv/git/app.git
        dest: /srv/co
        bogus: 1
      ignore_errors: true
    - name: A bad umask
      git:
        repo: /srv/git/app.git
        dest: /srv/co
        umask: "99"
      ignore_errors: true
"#;

#[test]
fn git_clones_and_updates_from_a_local_repository() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = work.path().join("repo");
    common::mkdir(&repo);
    debian_debs(&repo, GIT_DEBS);
    scan(&repo);
    let mut case = super::case("git", GIT_SITE);
    case.setup = GIT_SETUP;
    case.state = GIT_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    // The h1 play moves its checkout to a branch and back on every run.
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains("/srv/co/lib ") && state.contains("lib\n"),
        "ansible's end state lacks the submodule:\n{state}"
    );
    runs.assert_same("git");
}

/// python3-pip and python3-venv and what they need on a minbase bookworm host.
const PIP_DEBS: &[&str] = &[
    "python3.11",
    "libpython3.11-stdlib",
    "python3.11-minimal",
    "libpython3.11-minimal",
    "python3-lib2to3",
    "python3-distutils",
    "python3-pkg-resources",
    "python3-setuptools",
    "python3-wheel",
    "python3-pip",
    "python3-pip-whl",
    "python3-setuptools-whl",
    "python3.11-venv",
    "python3-venv",
];

/// Pure-Python wheels written by hand (zip, METADATA, WHEEL, RECORD with fixed dates):
/// rsible-demo 1.0 and 1.1, rsible-dep 2.0, and rsible-top 0.1 which requires rsible-dep.
const MAKE_WHEELS: &str = r#"
import base64, hashlib, sys, zipfile
def wheel(out, name, version, deps=()):
    mod = name.replace('-', '_')
    di = f"{mod}-{version}.dist-info"
    files = {
        f"{mod}/__init__.py": f"VERSION = {version!r}\n",
        f"{di}/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s"
            % (name, version, "".join(f"Requires-Dist: {d}\n" for d in deps)),
        f"{di}/WHEEL": "Wheel-Version: 1.0\nGenerator: rsible-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(f"{out}/{mod}-{version}-py3-none-any.whl", "w") as z:
        for n, t in files.items():
            data = t.encode()
            h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{n},sha256={h},{len(data)}")
            z.writestr(zipfile.ZipInfo(n, (2024, 1, 1, 0, 0, 0)), data)
        record.append(f"{di}/RECORD,,")
        z.writestr(zipfile.ZipInfo(f"{di}/RECORD", (2024, 1, 1, 0, 0, 0)), "\n".join(record) + "\n")
out = sys.argv[1]
wheel(out, "rsible-demo", "1.0")
wheel(out, "rsible-demo", "1.1")
wheel(out, "rsible-dep", "2.0")
wheel(out, "rsible-top", "0.1", ["rsible-dep>=2"])
"#;

const PIP_SETUP: &str = "set -e
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/rsible-unsafe-io
echo 'deb [trusted=yes] file:/srv/repo ./' >/etc/apt/sources.list.d/local.list
apt-get -qq update
DEBIAN_FRONTEND=noninteractive apt-get -qq -y --no-install-recommends install python3-pip python3-venv >/dev/null
rm -f /etc/apt/sources.list.d/local.list
";

const PIP_STATE: &str = "for v in /srv/venv /srv/venv2; do echo \"## $v\"; [ -x $v/bin/pip ] && $v/bin/pip list --format=freeze 2>&1 | grep -v '^\\(pip\\|setuptools\\)=='; done
echo '## system'; pip3 list --format=freeze 2>/dev/null | grep rsible; true";

const PIP_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  vars:
    idx: --no-index --find-links /srv/repo/wheels
  tasks:
    - name: A virtualenv with a pinned package
      pip:
        name: rsible-demo
        version: "1.0"
        virtualenv: /srv/venv
        virtualenv_command: python3 -m venv
        extra_args: "{{ idx }}"
      register: venv
    - name: Show it
      debug:
        var: venv
    - name: The latest of another, with its dependency
      pip:
        name: ["rsible-top>=0.1"]
        state: latest
        virtualenv: /srv/venv
        extra_args: "{{ idx }}"
    - name: Remove the dependency
      pip:
        name: rsible-dep
        state: absent
        virtualenv: /srv/venv
      register: removed
    - name: Show the removal
      debug:
        var: removed
    - name: A requirements file
      copy:
        content: "rsible-demo>=1.1\nrsible-dep\n"
        dest: /srv/requirements.txt
    - name: Install it into a second virtualenv
      pip:
        requirements: /srv/requirements.txt
        virtualenv: /srv/venv2
        virtualenv_command: /usr/bin/python3 -m venv
        extra_args: "{{ idx }}"
        chdir: /srv
        umask: "0022"
    - name: System-wide, breaking system packages
      pip:
        name: rsible-demo==1.1
        break_system_packages: true
        extra_args: "{{ idx }}"
- hosts: h1
  gather_facts: false
  become: true
  vars:
    idx: --no-index --find-links /srv/repo/wheels
  tasks:
    - name: Check mode against the freeze list
      pip:
        name: ["rsible-demo==1.0", rsible-top]
        virtualenv: /srv/venv
      check_mode: true
      register: checked
    - name: Show the check
      debug:
        var: checked
    - name: Check mode of a removal, with diff
      pip:
        name: rsible-top
        state: absent
        virtualenv: /srv/venv
      check_mode: true
      diff: true
    - name: Check mode of a new virtualenv
      pip:
        name: rsible-demo
        virtualenv: /srv/venv3
      check_mode: true
    - name: System-wide without breaking system packages
      pip:
        name: rsible-dep
        extra_args: "{{ idx }}"
      ignore_errors: true
    - name: A package that is nowhere
      pip:
        name: rsible-nowhere
        virtualenv: /srv/venv
        extra_args: "{{ idx }}"
      ignore_errors: true
    - name: A version with latest
      pip:
        name: rsible-demo
        version: "1.0"
        state: latest
      ignore_errors: true
    - name: Name and requirements
      pip:
        name: rsible-demo
        requirements: /srv/requirements.txt
      ignore_errors: true
    - name: A pip that is not there
      pip:
        name: rsible-demo
        executable: pip2
      ignore_errors: true
"#;

#[test]
fn pip_installs_from_a_local_wheel_directory() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let repo = work.path().join("repo");
    common::mkdir(&repo.join("wheels"));
    debian_debs(&repo, PIP_DEBS);
    scan(&repo);
    common::run_tool(
        Command::new("/usr/bin/python3")
            .args(["-c", MAKE_WHEELS])
            .arg(repo.join("wheels")),
    );
    let mut case = super::case("pip", PIP_SITE);
    case.setup = PIP_SETUP;
    case.state = PIP_STATE;
    case.bind = Some((&repo, "/srv/repo"));
    // The removed dependency comes back with the next run's upgrade.
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "## /srv/venv\nrsible-demo==1.0\nrsible-top==0.1",
        "## /srv/venv2\nrsible-demo==1.1\nrsible-dep==2.0",
        "## system\nrsible-demo==1.1",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("pip");
}

//! `get_url`, `uri`, `wait_for` and `fetch` on tier-1b hosts.
//!
//! The requests of get_url and uri come from the target, as Ansible's do: through the
//! target's curl, or, on hosts without curl (Debian minbase has neither curl nor wget), from
//! the controller. Both paths are compared with Ansible: the plain hosts, and hosts given curl
//! from real Debian packages (`apt-get download` on the machine, cached under
//! `/var/cache/rsible-testhosts/curl-debs`, installed with `dpkg -i`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::case;
use super::common::{self, differential};

const PAYLOAD: &str = "hello from the server\n";

fn served(dir: &Path) -> PathBuf {
    let served = dir.join("served");
    common::mkdir(&served);
    let write = |name: &str, text: &str| {
        let p = served.join(name);
        fs::write(&p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    };
    write("payload.txt", PAYLOAD);
    write(
        "SHA256SUMS",
        "401427ad2e655c65a931a770602842977762844af15ff9bd5da557910393a742  payload.txt\n\
         0000000000000000000000000000000000000000000000000000000000000000  other.txt\n",
    );
    served
}

const HTTP_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Download a file
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/payload.txt
        mode: "0640"
      register: dl
    - name: What the download said
      debug:
        msg: "{{ dl.msg }} {{ dl.status_code }} {{ dl.checksum_src }} {{ dl.md5sum }} {{ dl.mode }} {{ dl.url | replace(base_url, 'BASE') }}"
    - name: Download into a directory
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/
      register: intodir
    - name: The name taken from the URL
      debug:
        var: intodir.dest
    - name: Download guarded by a checksum file
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/summed.txt
        checksum: "sha256:{{ base_url }}/SHA256SUMS"
    - name: Download as root, owned by vagrant, with a backup
      become: true
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /opt/payload.txt
        owner: vagrant
        mode: "0600"
        backup: true
    - name: Check mode download
      check_mode: true
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/never.txt
    - name: Diff mode download
      diff: true
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/payload.txt
        mode: "0640"
    - name: A missing file
      get_url:
        url: "{{ base_url }}/missing.txt"
        dest: /home/vagrant/missing.txt
      ignore_errors: true
    - name: A checksum that does not match
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/bad.txt
        checksum: "sha1:0000000000000000000000000000000000000000"
      ignore_errors: true
    - name: Nothing listens there
      get_url:
        url: "http://127.0.0.1:9/x"
        dest: /home/vagrant/x
      ignore_errors: true
    - name: A bad argument
      get_url:
        url: "{{ base_url }}/payload.txt"
        dest: /home/vagrant/x
        bogus: 1
      ignore_errors: true

    - name: JSON from an API
      uri:
        url: "{{ base_url }}/api/json"
      register: j
    - name: What uri returned
      debug:
        msg: "{{ j.json }} {{ j.x_api_version }} {{ j.content_type }} {{ j.msg }} {{ j.redirected }} {{ j.status }} {{ j.cookies }}"
    - name: A redirect followed
      uri:
        url: "{{ base_url }}/api/redirect"
        return_content: true
      register: r
    - name: Where it ended
      debug:
        msg: "{{ r.redirected }} {{ r.url | replace(base_url, 'BASE') }} {{ r.content }}"
    - name: A redirect not followed
      uri:
        url: "{{ base_url }}/api/redirect"
        follow_redirects: none
        status_code: 302
      register: nr
    - name: Its location
      debug:
        msg: "{{ nr.location | replace(base_url, 'BASE') }} {{ nr.msg }}"
    - name: POST a JSON body
      uri:
        url: "{{ base_url }}/api/echo"
        method: POST
        body_format: json
        body: { name: rsible, list: [1, "two"] }
        status_code: [200, 201]
        return_content: true
      register: post
    - name: What the server saw
      debug:
        var: post.content
    - name: PUT a form
      uri:
        url: "{{ base_url }}/api/echo"
        method: PUT
        body_format: form-urlencoded
        body: { "a key": "a&b", many: [1, 2] }
        status_code: 201
        return_content: true
      register: form
    - name: The form as sent
      debug:
        var: form.content
    - name: Basic auth after the challenge
      uri:
        url: "{{ base_url }}/api/secret"
        url_username: user
        url_password: secret
        return_content: true
      register: auth
    - name: Basic auth sent at once
      uri:
        url: "{{ base_url }}/api/secret"
        user: user
        password: secret
        force_basic_auth: true
      register: forced
    - name: Both authenticated
      debug:
        msg: "{{ auth.content }} {{ forced.status }}"
    - name: Cookies
      uri:
        url: "{{ base_url }}/api/cookie"
      register: c
    - name: The cookies
      debug:
        msg: "{{ c.cookies }} / {{ c.cookies_string }} / {{ c.set_cookie }}"
    - name: Save a response, once
      uri:
        url: "{{ base_url }}/api/json"
        dest: /home/vagrant/api.json
        creates: /home/vagrant/api.json
        mode: "0600"
    - name: An unexpected status
      uri:
        url: "{{ base_url }}/api/status/404"
      ignore_errors: true
    - name: An expected error status keeps its body
      uri:
        url: "{{ base_url }}/api/status/409"
        status_code: 409
      register: conflict
    - name: The body
      debug:
        msg: "{{ conflict.body }} {{ conflict.msg }}"
    - name: Check mode skips uri
      check_mode: true
      uri:
        url: "{{ base_url }}/api/json"
    - name: Nothing listens there either
      uri:
        url: "http://127.0.0.1:9/x"
      ignore_errors: true
    - name: A bad argument
      uri:
        url: "{{ base_url }}/api/json"
        body_format: yaml
      ignore_errors: true
"#;

const HTTP_STATE: &str = "find /home/vagrant /opt -maxdepth 1 -type f ! -name '.*' -printf '%p %M %u:%g %s\\n' | sed 's/[0-9-]*@[0-9:]*~/<DATE>~/; s/\\.[0-9]*\\.<DATE>/.<PID>.<DATE>/' | LC_ALL=C sort
find /home/vagrant /opt -maxdepth 1 -type f ! -name '.*' -exec md5sum {} + | sed 's/[0-9-]*@[0-9:]*~/<DATE>~/; s/\\.[0-9]*\\.<DATE>/.<PID>.<DATE>/' | LC_ALL=C sort -k2
ls -a /home/vagrant/.ansible/tmp 2>/dev/null | wc -l";

fn http_case(name: &str, work: &Path, curl: Option<&Path>) {
    let served = served(work);
    let mut case = case(name, HTTP_SITE);
    case.normalize = Some(temp_file_names);
    one_fork(&mut case);
    case.serve = Some(&served);
    case.state = HTTP_STATE;
    // The check-mode download reports `changed` on every run (a HEAD to a missing file), so
    // the second run's recap shows exactly one change per host: see the assertion below.
    if let Some(debs) = curl {
        case.bind = Some((debs, "/srv/curl"));
        case.setup = "dpkg -i /srv/curl/*.deb >/dev/null 2>&1 && command -v curl >/dev/null";
    } else {
        case.setup = "! command -v curl && ! command -v wget";
    }
    let runs = differential::run(&case);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "OK (22 bytes) 200",
        "/home/vagrant/payload.txt",
        "'name': 'rsible'",
        "POST application/json {\\\"name\\\": \\\"rsible\\\", \\\"list\\\": [1, \\\"two\\\"]}",
        "welcome 200",
        "HTTP Error 404: Not Found",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    assert!(
        !runs.requests.1.is_empty(),
        "rsible's hosts never sent a request"
    );
    assert!(
        runs.ansible[1].stdout.contains("changed=1 "),
        "the second run changes only the check-mode task:\n{}",
        runs.ansible[1].stdout
    );
    runs.assert_same(name);
}

/// Both hosts fail the same tasks with the same error report; with one fork each program
/// prints them in host order, so the reports pair with their hosts the same way.
fn one_fork(case: &mut differential::Case<'_>) {
    case.files.push((
        "ansible.cfg".to_owned(),
        b"[defaults]\nforks = 1\n".to_vec(),
    ));
}

/// get_url names its download with `tempfile.mkstemp` (`tmp` and 8 random characters), which
/// failure messages show.
fn temp_file_names(text: &str) -> String {
    let re = regex::Regex::new(r"(ansible-tmp-<RANDOM>/)tmp[a-z0-9_]{8}\b")
        .unwrap_or_else(|e| panic!("{e}"));
    re.replace_all(text, "${1}tmp<RANDOM>").into_owned()
}

#[test]
fn get_url_and_uri_from_the_controller_without_curl() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    http_case("http-no-curl", work.path(), None);
}

/// curl and the libraries Debian minbase lacks for it.
const CURL_DEBS: &[&str] = &[
    "curl",
    "libbrotli1",
    "libcurl4",
    "libldap-2.5-0",
    "libnghttp2-14",
    "libpsl5",
    "librtmp1",
    "libsasl2-2",
    "libsasl2-modules-db",
    "libssh2-1",
];

/// The curl packages, downloaded once with the machine's apt (bookworm, as the hosts).
fn curl_debs() -> PathBuf {
    let dir = PathBuf::from("/var/cache/rsible-testhosts/curl-debs");
    let complete = dir.join(".complete");
    if !complete.exists() {
        let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
        common::mkdir(&tmp);
        common::run_tool(
            Command::new("apt-get")
                .current_dir(&tmp)
                .arg("download")
                .args(CURL_DEBS),
        );
        fs::write(tmp.join(".complete"), "").unwrap_or_else(|e| panic!("{e}"));
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&tmp, &dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    dir
}

#[test]
fn get_url_and_uri_through_the_targets_curl() {
    if !common::supported() {
        return;
    }
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let debs = curl_debs();
    http_case("http-curl", work.path(), Some(&debs));
}

const FETCH_WAIT_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: A file only root reads
      become: true
      copy:
        content: "secret of {{ inventory_hostname }}\n"
        dest: /root/secret.txt
        mode: "0600"
    - name: Fetch a file per host
      fetch:
        src: /etc/hostname
        dest: fetched
    - name: Fetch flat
      fetch:
        src: /etc/hostname
        dest: "flat/{{ inventory_hostname }}.name"
        flat: true
      register: flat
    - name: What fetch said
      debug:
        msg: "{{ flat.checksum }} {{ flat.md5sum }} {{ flat.dest | basename }}"
    - name: Fetch what only root reads
      become: true
      fetch:
        src: /root/secret.txt
        dest: fetched
    - name: Fetch a missing file, tolerated
      fetch:
        src: /nonexistent
        dest: fetched
        fail_on_missing: false
    - name: Fetch a missing file
      fetch:
        src: /nonexistent
        dest: fetched
      ignore_errors: true
    - name: Fetch a directory
      fetch:
        src: /etc
        dest: fetched
      ignore_errors: true
    - name: Check mode skips fetch
      check_mode: true
      fetch:
        src: /etc/hostname
        dest: never
    - name: Fetch without dest
      fetch:
        src: /etc/hostname
      ignore_errors: true

    - name: A log line to wait for
      copy:
        content: "starting\nlistening on port 8080 (worker 3)\n"
        dest: /home/vagrant/app.log
    - name: Wait for the line
      wait_for:
        path: /home/vagrant/app.log
        search_regex: "listening on port (?P<port>\\d+) \\(worker (\\d+)\\)"
        timeout: 5
      register: line
    - name: The groups
      debug:
        msg: "{{ line.match_groups }} {{ line.match_groupdict }} {{ line.state }} {{ line.path }}"
    - name: Wait for sshd
      wait_for:
        port: 22
        host: "{{ ansible_host }}"
        timeout: 5
      register: ssh
    - name: Wait for sshd's banner
      wait_for:
        port: 22
        host: "{{ ansible_host }}"
        search_regex: OpenSSH
        timeout: 5
    - name: A closed port is stopped
      wait_for:
        port: 9
        state: stopped
        timeout: 5
    - name: A missing file is absent
      wait_for:
        path: /home/vagrant/nothing
        state: absent
        timeout: 5
    - name: Nothing drains a port without connections
      wait_for:
        port: 9
        state: drained
        timeout: 5
    - name: A file that never comes
      wait_for:
        path: /home/vagrant/never
        timeout: 1
      ignore_errors: true
    - name: A port that never opens
      wait_for:
        port: 9
        timeout: 1
        msg: port 9 stayed closed
      ignore_errors: true
    - name: Check mode skips wait_for
      check_mode: true
      wait_for:
        path: /home/vagrant/app.log
        timeout: 2
    - name: A bad argument
      wait_for:
        port: 22
        path: /etc/hostname
      ignore_errors: true
"#;

#[test]
fn fetch_and_wait_for() {
    if !common::supported() {
        return;
    }
    let mut case = case("fetch-wait-for", FETCH_WAIT_SITE);
    one_fork(&mut case);
    case.expect_rc = 0;
    case.state = "ls -l /home/vagrant/app.log | cut -d' ' -f1,3,4";
    case.second_run_unchanged = false;
    let runs = differential::run(&case);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "['8080', '3'] {'port': '8080'} file /home/vagrant/app.log",
        "the remote file does not exist, not transferring, ignored",
        "port 9 stayed closed",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    runs.assert_same("fetch-wait-for");
}

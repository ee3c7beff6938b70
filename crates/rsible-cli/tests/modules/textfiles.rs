//! The text-file modules (`lineinfile`, …) on real hosts: files of root and of the login user,
//! ownership and modes, backups, validation, check and diff mode.

use super::common;
use super::common::differential;

/// One play per host, h1's in diff mode: two hosts' diff and `[ERROR]:` blocks come in whichever
/// order the hosts finish, which the comparison cannot reorder as whole blocks.
const TWO_PLAYS: &str = "- hosts: h1
  gather_facts: false
  diff: true
  tasks:
    - import_tasks: tasks.yml
- hosts: h2
  gather_facts: false
  tasks:
    - import_tasks: tasks.yml
";

fn two_plays<'a>(name: &'a str, tasks: &str) -> differential::Case<'a> {
    let mut case = super::case(name, TWO_PLAYS);
    case.files
        .push(("tasks.yml".to_owned(), tasks.as_bytes().to_vec()));
    case.second_run_unchanged = true;
    case
}

const LINEINFILE_TASKS: &str = r#"
- name: Check mode first (a later task makes it true)
  become: true
  lineinfile:
    path: /etc/rsible-sshd.conf
    regexp: '^#?PermitRootLogin'
    line: PermitRootLogin no
  check_mode: true
  diff: true
- name: Replace a root file's line with a backup
  become: true
  lineinfile:
    path: /etc/rsible-sshd.conf
    regexp: '^#?PermitRootLogin'
    line: PermitRootLogin no
    backup: true
    validate: grep -q '^Port' %s
  register: replaced
- name: The backup is beside it
  debug:
    msg: "{{ replaced.backup | regex_replace('[.][0-9]+[.][0-9-]+@[0-9:]+~$', '.BACKUP') }}"
- name: Create a file for the login user, owned by root
  become: true
  lineinfile:
    path: /home/vagrant/conf.d/app.conf
    line: "key = value"
    create: true
    owner: root
    group: vagrant
    mode: "0640"
- name: Ownership only
  become: true
  lineinfile:
    path: /etc/rsible-hosts
    line: 127.0.0.1 localhost
    owner: vagrant
- name: As the login user, insert before a match
  lineinfile:
    path: /home/vagrant/profile
    line: export EDITOR=vi
    insertbefore: '^# end'
- name: Remove lines
  lineinfile:
    path: /home/vagrant/profile
    regexp: '^alias '
    state: absent
- name: The login user's file in a directory only root may write, in place
  lineinfile:
    path: /etc/rsible-user.conf
    line: added in place
    unsafe_writes: true
- name: A bad argument
  lineinfile:
    path: /home/vagrant/profile
    line: x
    state: maybe
  ignore_errors: true
"#;

const LINEINFILE_SETUP: &str = "set -e
printf '# sshd\\n#PermitRootLogin yes\\nPort 22\\n' >/etc/rsible-sshd.conf
printf '127.0.0.1 localhost\\n' >/etc/rsible-hosts
printf 'alias ll=\"ls -l\"\\nPATH=$PATH\\n# end\\nalias la=\"ls -a\"\\n' >/home/vagrant/profile
chown vagrant:vagrant /home/vagrant/profile
printf 'user line\\n' >/etc/rsible-user.conf
chown vagrant:vagrant /etc/rsible-user.conf";

const LINEINFILE_STATE: &str = "for f in /etc/rsible-sshd.conf /etc/rsible-user.conf /etc/rsible-hosts /home/vagrant/conf.d/app.conf /home/vagrant/profile; do
  stat -c '%n %A %U:%G' \"$f\"; cat \"$f\"
done
ls /etc | grep -c '^rsible-sshd.conf[.][0-9]*[.].*~$'
ls -ld /home/vagrant/conf.d | cut -d' ' -f1,3,4";

#[test]
fn lineinfile_root_and_user_files() {
    if !common::supported() {
        return;
    }
    let mut case = two_plays("lineinfile", LINEINFILE_TASKS);
    case.setup = LINEINFILE_SETUP;
    case.state = LINEINFILE_STATE;
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "PermitRootLogin no",
        "/home/vagrant/conf.d/app.conf -rw-r----- root:vagrant",
        "/etc/rsible-hosts -rw-r--r-- vagrant:root",
        "export EDITOR=vi\n# end",
        "user line\nadded in place",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("lineinfile");
}

const REPLACE_TASKS: &str = r#"
- name: Check mode first
  become: true
  replace:
    path: /etc/rsible-hosts
    regexp: '(\s+)old\.example(\s+.*)?$'
    replace: '\1new.example\2'
  check_mode: true
- name: A root file, with a backup and a new owner
  become: true
  replace:
    path: /etc/rsible-hosts
    regexp: '(\s+)old\.example(\s+.*)?$'
    replace: '\1new.example\2'
    backup: true
    owner: vagrant
    mode: "0600"
  register: replaced
- name: The backup is beside it
  debug:
    msg: "{{ (replaced.backup_file | default('none')) | regex_replace('[.][0-9]+[.][0-9-]+@[0-9:]+~$', '.BACKUP') }}"
- name: As the login user, between markers
  replace:
    path: /home/vagrant/app.ini
    after: '\[db\]'
    before: '\[log\]'
    regexp: '^host = .*$'
    replace: 'host = db.internal'
- name: A root file the login user may not write, unchanged
  replace:
    path: /etc/rsible-hosts
    regexp: 'nothing matches'
- name: A missing regexp
  replace:
    path: /home/vagrant/app.ini
  ignore_errors: true
"#;

const REPLACE_SETUP: &str = "set -e
printf '127.0.0.1 localhost\\n10.0.0.1 old.example old\\n' >/etc/rsible-hosts
printf '[web]\\nhost = web\\n[db]\\nhost = localhost\\n[log]\\nhost = logs\\n' >/home/vagrant/app.ini
chown vagrant:vagrant /home/vagrant/app.ini";

const REPLACE_STATE: &str = "for f in /etc/rsible-hosts /home/vagrant/app.ini; do
  stat -c '%n %A %U:%G' \"$f\"; cat \"$f\"
done
ls /etc | grep -c '^rsible-hosts[.][0-9]*[.].*~$'";

#[test]
fn replace_root_and_user_files() {
    if !common::supported() {
        return;
    }
    let mut case = two_plays("replace", REPLACE_TASKS);
    case.setup = REPLACE_SETUP;
    case.state = REPLACE_STATE;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "/etc/rsible-hosts -rw------- vagrant:root",
        "10.0.0.1 new.example old",
        "[db]\nhost = db.internal\n[log]\nhost = logs",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("replace");
}

const BLOCKINFILE_TASKS: &str = r#"
- name: Check mode first
  become: true
  blockinfile:
    path: /etc/rsible-sshd.conf
    block: |
      Match User deploy
        PasswordAuthentication no
  check_mode: true
- name: A root file, with a backup, validated
  become: true
  blockinfile:
    path: /etc/rsible-sshd.conf
    insertbefore: '^# end'
    block: |
      Match User deploy
        PasswordAuthentication no
    backup: true
    validate: grep -q '^Port' %s
  register: inserted
- name: The backup is beside it
  debug:
    msg: "{{ (inserted.backup_file | default('none')) | regex_replace('[.][0-9]+[.][0-9-]+@[0-9:]+~$', '.BACKUP') }}"
- name: Create a root file in a new directory, owned by the login user
  become: true
  blockinfile:
    path: /etc/rsible.d/app.conf
    create: true
    marker: "; {mark} rsible"
    block: "key = value"
    owner: vagrant
    mode: "0640"
- name: As the login user, remove a block
  blockinfile:
    path: /home/vagrant/profile
    state: absent
- name: Mutually exclusive
  blockinfile:
    path: /home/vagrant/profile
    insertafter: a
    insertbefore: b
  ignore_errors: true
"#;

const BLOCKINFILE_SETUP: &str = "set -e
printf 'Port 22\\n# end\\n' >/etc/rsible-sshd.conf
printf 'PATH=$PATH\\n# BEGIN ANSIBLE MANAGED BLOCK\\nalias ll=ls\\n# END ANSIBLE MANAGED BLOCK\\n' >/home/vagrant/profile
chown vagrant:vagrant /home/vagrant/profile";

const BLOCKINFILE_STATE: &str =
    "for f in /etc/rsible-sshd.conf /etc/rsible.d/app.conf /home/vagrant/profile; do
  stat -c '%n %A %U:%G' \"$f\"; cat \"$f\"
done
ls /etc | grep -c '^rsible-sshd.conf[.][0-9]*[.].*~$'";

#[test]
fn blockinfile_root_and_user_files() {
    if !common::supported() {
        return;
    }
    let mut case = two_plays("blockinfile", BLOCKINFILE_TASKS);
    case.setup = BLOCKINFILE_SETUP;
    case.state = BLOCKINFILE_STATE;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "# END ANSIBLE MANAGED BLOCK\n# end",
        "/etc/rsible.d/app.conf -rw-r----- vagrant:root",
        "/home/vagrant/profile -rw-r--r-- vagrant:vagrant\nPATH=$PATH\n1\n",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("blockinfile");
}

const INI_FILE_TASKS: &str = r#"
- name: Check mode first
  become: true
  community.general.ini_file:
    path: /etc/rsible-app.ini
    section: db
    option: host
    value: db.internal
  check_mode: true
- name: A root file, with a backup and a new mode
  become: true
  community.general.ini_file:
    path: /etc/rsible-app.ini
    section: db
    option: host
    value: db.internal
    backup: true
    mode: "0600"
  register: changed_ini
- name: The backup is beside it
  debug:
    msg: "{{ (changed_ini.backup_file | default('none')) | regex_replace('[.][0-9]+[.][0-9-]+@[0-9:]+~$', '.BACKUP') }}"
- name: Create a root file in a new directory, owned by the login user
  become: true
  community.general.ini_file:
    path: /etc/rsible.d/new.ini
    section: main
    option: enabled
    value: "true"
    owner: vagrant
    group: vagrant
- name: As the login user, values of an option
  community.general.ini_file:
    path: /home/vagrant/app.ini
    section: log
    option: target
    values: [file, syslog]
- name: As the login user, remove a section
  community.general.ini_file:
    path: /home/vagrant/app.ini
    section: old
    state: absent
- name: A root file the login user may not read
  community.general.ini_file:
    path: /etc/rsible-secret.ini
    section: s
    option: a
    value: b
  ignore_errors: true
- name: Not created
  community.general.ini_file:
    path: /home/vagrant/none.ini
    option: a
    value: b
    create: false
  ignore_errors: true
"#;

const INI_FILE_SETUP: &str = "set -e
printf '[db]\\n# host = localhost\\nport = 5432\\n' >/etc/rsible-app.ini
printf '[s]\\na = c\\n' >/etc/rsible-secret.ini
chmod 0600 /etc/rsible-secret.ini
printf '[log]\\ntarget = file\\n[old]\\nx = 1\\n' >/home/vagrant/app.ini
chown vagrant:vagrant /home/vagrant/app.ini";

const INI_FILE_STATE: &str =
    "for f in /etc/rsible-app.ini /etc/rsible.d/new.ini /home/vagrant/app.ini /etc/rsible-secret.ini; do
  stat -c '%n %A %U:%G' \"$f\"; cat \"$f\"
done
ls /etc | grep -c '^rsible-app.ini[.][0-9]*[.].*~$'";

#[test]
fn ini_file_root_and_user_files() {
    if !common::supported() {
        return;
    }
    let mut case = two_plays("ini_file", INI_FILE_TASKS);
    case.setup = INI_FILE_SETUP;
    case.state = INI_FILE_STATE;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    for wanted in [
        "/etc/rsible-app.ini -rw------- root:root\n[db]\nhost = db.internal\nport = 5432",
        "/etc/rsible.d/new.ini -rw-r--r-- vagrant:vagrant\n\n[main]\nenabled = true",
        "[log]\ntarget = file\ntarget = syslog\n/etc",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("ini_file");
}

const TEMPFILE_TASKS: &str = r#"
- name: Check mode is not supported
  tempfile:
  check_mode: true
- name: A file of the login user in the default directory
  tempfile:
    suffix: .txt
  register: user_file
- name: A root directory under /root
  become: true
  tempfile:
    state: directory
    path: /root
    prefix: build.
  register: root_dir
- name: The login user may not write there
  tempfile:
    path: /root
  register: denied
  ignore_errors: true
- name: Where they are, what they are
  debug:
    msg:
      - "{{ user_file.path | regex_replace('[a-z0-9_]{8}[.]txt$', 'RANDOM.txt') }}"
      - "{{ user_file.mode }} {{ user_file.owner }}:{{ user_file.group }} {{ user_file.state }}"
      - "{{ root_dir.path | regex_replace('[a-z0-9_]{8}$', 'RANDOM') }}"
      - "{{ root_dir.mode }} {{ root_dir.owner }}:{{ root_dir.group }} {{ root_dir.state }}"
      - "{{ denied.msg | regex_replace('[.][a-z0-9_]{8}', '.RANDOM') }}"
- name: A bad prefix
  tempfile:
    prefix: ../x
  ignore_errors: true
"#;

const TEMPFILE_STATE: &str = "ls -l /tmp | grep -c ' vagrant vagrant .*ansible[.][a-z0-9_]*[.]txt$'
ls -ld /root/build.* | cut -d' ' -f1,3,4";

/// The names `tempfile` draws at random (eight of `[a-z0-9_]` after the prefix) in the failure
/// message Ansible prints as it is.
fn random_temp_names(text: &str) -> String {
    regex::Regex::new(r"/root/ansible[.][a-z0-9_]{8}")
        .unwrap()
        .replace_all(text, "/root/ansible.RANDOM")
        .into_owned()
}

#[test]
fn tempfile_as_root_and_user() {
    if !common::supported() {
        return;
    }
    let mut case = two_plays("tempfile", TEMPFILE_TASKS);
    case.second_run_unchanged = false;
    case.state = TEMPFILE_STATE;
    case.normalize = Some(random_temp_names);
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains("drwx------ root root"),
        "ansible's end state:\n{state}"
    );
    runs.assert_same("tempfile");
}

const FIND_TASKS: &str = r#"
- name: As the login user, a directory it may not read
  find:
    paths: /srv/rsible
    recurse: true
  register: as_user
- name: As root
  become: true
  find:
    paths: /srv/rsible
    recurse: true
    contains: secret
    get_checksum: true
  register: as_root
- name: In check mode, with a missing path
  find:
    paths: [/srv/rsible/open, /nonexistent]
    file_type: any
  check_mode: true
  register: checked
- name: What they found
  debug:
    msg:
      - "{{ as_user.files | map(attribute='path') | list }} {{ as_user.examined }} {{ as_user.skipped_paths }}"
      - "{{ as_root.files | map(attribute='path') | list }} {{ as_root.files | map(attribute='checksum') | list }}"
      - "{{ as_root.files | map(attribute='pw_name') | list }} {{ as_root.files | map(attribute='mode') | list }}"
      - "{{ checked.files | map(attribute='path') | list }} {{ checked.msg }} {{ checked.skipped_paths }}"
- name: A bad age
  find:
    paths: /srv
    age: 3y
  ignore_errors: true
"#;

const FIND_SETUP: &str = "set -e
mkdir -p /srv/rsible/open /srv/rsible/closed
printf 'public\\n' >/srv/rsible/open/a.txt
printf 'secret\\n' >/srv/rsible/closed/b.txt
chown vagrant:vagrant /srv/rsible/open/a.txt
chmod 0700 /srv/rsible/closed";

#[test]
fn find_as_root_and_user() {
    if !common::supported() {
        return;
    }
    let mut case = two_plays("find", FIND_TASKS);
    case.setup = FIND_SETUP;
    let runs = differential::run(&case);
    runs.assert_same("find");
}

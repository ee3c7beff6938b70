//! System modules on tier-1b hosts (accounts, cron, locales, sysctl files, fstab,
//! alternatives, debconf): each playbook runs under ansible-playbook and rsible-playbook on
//! fresh hosts of their own; output, exit codes and the end state must match.

use crate::common;
use crate::common::differential;

/// Guards a fixture whose second run is idempotent but for `check_mode` tasks (which report
/// what they would change every time): each host's recap says `changed=<n>`.
#[track_caller]
fn assert_check_mode_only(stdout: &str, n: usize) {
    let recaps: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        !recaps.is_empty() && recaps.iter().all(|l| l.contains(&format!(" changed={n} "))),
        "the second run must change only the {n} check-mode tasks:\n{stdout}"
    );
}

/// A crypt(3) SHA-512 hash (of "secret").
const HASH: &str =
    "$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.";

const USER_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Create a user with groups, a hash and password ageing
      user:
        name: alice
        uid: 1500
        comment: Alice A
        groups: [sudo, adm]
        append: true
        shell: /bin/bash
        password: "@HASH@"
        password_expire_max: 90
        password_expire_warn: 10
      register: alice
    - debug: var=alice
    - name: Append a group
      user:
        name: alice
        groups: staff
        append: true
      register: appended
    - debug: var=appended
    - name: Create in check mode
      user:
        name: carol
      check_mode: true
      register: carol
    - debug: var=carol
    - name: Modify in check mode
      user:
        name: alice
        shell: /bin/sh
      check_mode: true
    - name: A system user without a home
      user:
        name: svc
        system: true
        create_home: false
        shell: /usr/sbin/nologin
    - name: A home whose parents are missing, locked, expiring
      user:
        name: bob
        home: /srv/people/bob
        expires: 1700000000
        password: "@HASH@"
        password_lock: true
      register: bob
    - debug: var=bob
    - name: An ssh key
      user:
        name: alice
        generate_ssh_key: true
        ssh_key_type: ed25519
        ssh_key_comment: alice@test
      register: key
    - debug:
        msg: "{{ key.ssh_key_file }} {{ key.ssh_fingerprint is match('256 SHA256:') }} {{ key.ssh_public_key is match('ssh-ed25519 ') }}"
    - name: Modify in diff mode
      user:
        name: svc
        comment: Service
        password: plain
        update_password: on_create
      diff: true
    - name: Remove a user and its home
      user:
        name: olduser
        state: absent
        remove: true
      register: removed
    - debug: var=removed
    - name: Remove what is not there
      user:
        name: ghost
        state: absent

# Failures on one host: both programs print results as hosts finish.
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A type error
      user:
        name: alice
        uid: abc
      ignore_errors: true
    - name: A group that does not exist
      user:
        name: alice
        groups: [nope]
      ignore_errors: true
    - name: Libuser is not installed
      user:
        name: dave
        local: true
      ignore_errors: true
"#;

const USER_STATE: &str =
    "for u in alice bob svc olduser carol dave; do getent passwd $u || echo \"no $u\"; done
for u in alice bob svc; do getent shadow $u | cut -d: -f1,2,4-; id $u; done
find /home /srv -path /home/vagrant -prune -o -printf '%p %M %u:%g\\n' | LC_ALL=C sort
ssh-keygen -l -f /home/alice/.ssh/id_ed25519 | cut -d' ' -f1,3-";

#[test]
fn user_create_modify_keys_and_remove() {
    if !common::supported() {
        return;
    }
    let site = USER_SITE.replace("@HASH@", HASH);
    let mut case = super::case("user", &site);
    case.setup = "useradd -m olduser";
    case.state = USER_STATE;
    let runs = differential::run(&case);
    // The second run changes only what the check-mode tasks would change.
    assert_check_mode_only(&runs.ansible[1].stdout, 2);
    let state = &runs.ansible_state[0];
    for wanted in [
        "alice:x:1500:1500:Alice A:/home/alice:/bin/bash",
        "/srv/people/bob drwxr-xr-x bob:bob",
        "/home/alice/.ssh drwx------ alice:alice",
        "no olduser",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("user");
}

const GROUP_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Create a group with a gid
      group:
        name: team
        gid: 2000
      register: team
    - debug: var=team
    - name: A system group
      group:
        name: daemons
        system: true
      register: daemons
    - debug: var=daemons
    - name: Change a gid
      group:
        name: oldgid
        gid: 2100
      register: moved
    - debug: var=moved
    - name: Create in check mode
      group:
        name: later
      check_mode: true
    - name: Change in check mode
      group:
        name: team
        gid: 2001
      check_mode: true
      register: would
    - debug: var=would
    - name: Unchanged in diff mode
      group:
        name: team
      diff: true
    - name: Remove a group
      group:
        name: gone
        state: absent
      register: gone
    - debug: var=gone

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: non_unique without gid
      group:
        name: g
        non_unique: true
      ignore_errors: true
    - name: A gid that is taken
      group:
        name: dup
        gid: 2000
      ignore_errors: true
    - name: A primary group cannot go
      group:
        name: vagrant
        state: absent
      ignore_errors: true
"#;

#[test]
fn group_create_change_and_remove() {
    if !common::supported() {
        return;
    }
    let mut case = super::case("group", GROUP_SITE);
    case.setup = "groupadd -g 2050 oldgid && groupadd gone";
    case.state = "for g in team daemons oldgid later gone dup vagrant; do getent group $g || echo \"no $g\"; done";
    let runs = differential::run(&case);
    assert_check_mode_only(&runs.ansible[1].stdout, 2);
    let state = &runs.ansible_state[0];
    for wanted in ["team:x:2000:", "oldgid:x:2100:", "no gone", "no later"] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("group");
}

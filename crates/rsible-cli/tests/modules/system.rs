//! System modules on tier-1b hosts (accounts, cron, locales, sysctl files, fstab,
//! alternatives, debconf): each playbook runs under ansible-playbook and rsible-playbook on
//! fresh hosts of their own; output, exit codes and the end state must match.

use crate::common;
use crate::common::differential;

/// Guards a fixture whose second run is idempotent but for `check_mode` tasks (which report
/// what they would change every time): each host's recap says `changed=<n>`.
#[track_caller]
fn assert_check_mode_only(stdout: &str, hosts: &[(&str, usize)]) {
    for (host, n) in hosts {
        let recap = stdout
            .lines()
            .skip_while(|l| !l.starts_with("PLAY RECAP"))
            .find(|l| l.starts_with(&format!("{host} ")));
        assert!(
            recap.is_some_and(|l| l.contains(&format!(" changed={n} "))),
            "the second run must change only the {n} check-mode tasks of {host}:\n{stdout}"
        );
    }
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
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 2), ("h2", 2)]);
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
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 2), ("h2", 2)]);
    let state = &runs.ansible_state[0];
    for wanted in ["team:x:2000:", "oldgid:x:2100:", "no gone", "no later"] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    runs.assert_same("group");
}

/// Real Debian packages for the hosts (whose root has none of them), fetched by the machine's
/// apt into `dir`, bound read-only at `/srv/debs` by the cases that install them.
fn debian_debs(dir: &std::path::Path, packages: &[&str]) {
    common::run_tool(
        std::process::Command::new("apt-get")
            .current_dir(dir)
            .args(["-qq", "download"])
            .args(packages),
    );
}

const CRON_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: A job in root's crontab
      cron:
        name: backup
        minute: "30"
        hour: "2"
        job: /usr/local/bin/backup
      register: backup
    - debug: var=backup
    - name: A variable at the top
      cron:
        name: MAILTO
        env: true
        job: admin@example.com
    - name: A variable after it
      cron:
        name: PATH
        env: true
        value: /usr/bin:/bin
        insertafter: MAILTO
      register: path
    - debug: var=path
    - name: A disabled job in a cron file, with a backup
      cron:
        name: rotate
        cron_file: rsible-rotate
        user: root
        minute: "0"
        dow: "1"
        job: /usr/sbin/logrotate /etc/logrotate.conf
        disabled: true
        backup: true
      register: rotate
    - debug:
        msg: "{{ rotate.jobs }} {{ rotate.cron_file }} {{ rotate.backup_file is defined }}"
    - name: Remove the last job of a cron file
      cron:
        name: only
        cron_file: rsible-only
        state: absent
      register: only
    - debug: var=only

# Diffs and failures on one host: both programs print results as hosts finish.
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Another user's crontab, a special time, in diff mode
      cron:
        name: cleanup
        user: vagrant
        special_time: daily
        job: rm -rf /tmp/scratch
      diff: true
    - name: A change in check and diff mode
      cron:
        name: backup
        minute: "45"
        hour: "2"
        job: /usr/local/bin/backup
      check_mode: true
      diff: true
    - name: Remove a job
      cron:
        name: old
        state: absent
      diff: true
    - name: special_time with a minute
      cron:
        name: bad
        special_time: hourly
        minute: "5"
        job: /bin/true
      ignore_errors: true
    - name: cron_file without user
      cron:
        name: bad
        cron_file: rsible-bad
        job: /bin/true
      ignore_errors: true
    - name: Both insert positions
      cron:
        name: X
        env: true
        job: "1"
        insertafter: A
        insertbefore: B
      ignore_errors: true
    - name: Inserting after a variable that is not there
      cron:
        name: Y
        env: true
        job: "1"
        insertafter: NOPE
      ignore_errors: true
"#;

const CRON_SETUP: &str = "set -e
export DEBIAN_FRONTEND=noninteractive
dpkg -i /srv/debs/cron-daemon-common_*.deb >/dev/null 2>&1
dpkg -i /srv/debs/cron_*.deb >/dev/null 2>&1
printf '#Ansible: old\\n* * * * * /bin/true\\n' | crontab -
printf '#Ansible: only\\n* * * * * root /bin/true\\n' >/etc/cron.d/rsible-only";

const CRON_STATE: &str = "echo '# root'; crontab -l
echo '# vagrant'; crontab -u vagrant -l
ls -l /etc/cron.d | tail -n +2 | cut -d' ' -f1,3,4,9-
for f in /etc/cron.d/rsible-*; do echo \"# $f\"; cat \"$f\"; done
echo \"backups: $(ls /tmp | grep -c '^crontab')\"";

#[test]
fn cron_jobs_variables_and_cron_files() {
    if !common::supported() {
        return;
    }
    let debs = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    debian_debs(debs.path(), &["cron", "cron-daemon-common"]);
    let mut case = super::case("cron", CRON_SITE);
    case.bind = Some((debs.path(), "/srv/debs"));
    case.setup = CRON_SETUP;
    case.state = CRON_STATE;
    let runs = differential::run(&case);
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 1), ("h2", 0)]);
    let state = &runs.ansible_state[0];
    for wanted in [
        "MAILTO=\"admin@example.com\"\nPATH=\"/usr/bin:/bin\"\n",
        "#Ansible: backup\n30 2 * * * /usr/local/bin/backup",
        "#Ansible: cleanup\n@daily rm -rf /tmp/scratch",
        "#Ansible: rotate\n#0 * * * 1 root /usr/sbin/logrotate",
        "backups: 1",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    assert!(!state.contains("rsible-only"), "{state}");
    runs.assert_same("cron");
}

/// The hosts' root has no `crontab`: the module requires it even for `cron_file`.
#[test]
fn cron_without_crontab_on_the_host() {
    if !common::supported() {
        return;
    }
    // One host: both programs print failures as hosts finish.
    let site = r#"- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A cron file
      cron:
        name: x
        cron_file: rsible-x
        user: root
        job: /bin/true
"#;
    let mut case = super::case("cron-missing", site);
    case.expect_rc = 2;
    case.state = "ls /etc/cron.d";
    let runs = differential::run(&case);
    assert!(
        runs.ansible[0]
            .stdout
            .contains("Failed to find required executable \\\"crontab\\\""),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("cron-missing");
}

const LOCALE_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Enable a locale, in diff mode
      community.general.locale_gen:
        name: de_CH.UTF-8
      diff: true
      register: de
    - debug: var=de
    - name: Enabled already
      community.general.locale_gen:
        name: [de_CH.UTF-8, C.UTF-8]
      register: again
    - debug: var=again
    - name: Check mode never generates
      community.general.locale_gen:
        name: fr_FR.UTF-8
      check_mode: true
      register: fr
    - debug: var=fr
    - name: Disable a locale
      community.general.locale_gen:
        name: en_US.UTF-8
        state: absent
      register: en
    - debug: var=en

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A locale the system does not know
      community.general.locale_gen:
        name: [xx_YY.UTF-8, de_CH.UTF-8]
      ignore_errors: true
    - name: A bad state
      community.general.locale_gen:
        name: de_CH.UTF-8
        state: bogus
      ignore_errors: true
"#;

#[test]
fn locale_gen_enable_and_disable() {
    if !common::supported() {
        return;
    }
    let debs = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    debian_debs(debs.path(), &["locales", "libc-l10n"]);
    let mut case = super::case("locale_gen", LOCALE_SITE);
    case.bind = Some((debs.path(), "/srv/debs"));
    case.setup = "set -e
export DEBIAN_FRONTEND=noninteractive
dpkg -i /srv/debs/libc-l10n_*.deb /srv/debs/locales_*.deb >/dev/null 2>&1
sed -i 's/^# en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen
locale-gen >/dev/null";
    case.state = "locale -a; grep -v '^#' /etc/locale.gen | grep .";
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains("de_CH.utf8") && !state.contains("en_US") && !state.contains("fr_FR"),
        "{state}"
    );
    runs.assert_same("locale_gen");
}

/// Without the `locales` package the module says so.
#[test]
fn locale_gen_without_locales() {
    if !common::supported() {
        return;
    }
    // One host: both programs print failures as hosts finish.
    let site = "- hosts: h1\n  gather_facts: false\n  become: true\n  tasks:\n    - community.general.locale_gen:\n        name: de_CH.UTF-8\n";
    let mut case = super::case("locale_gen-missing", site);
    case.expect_rc = 2;
    let runs = differential::run(&case);
    assert!(
        runs.ansible[0]
            .stdout
            .contains("Is the package \\\"locales\\\" installed?"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("locale_gen-missing");
}

/// The hosts share the machine's kernel and their `/proc/sys` is writable: every task writes
/// only files (`sysctl_set: false`, `reload: false`), except those on `kernel.ostype`, which
/// the kernel never lets anyone change (`sysctl -w` fails with "Invalid argument"): they
/// reach the module's `sysctl -w` and `sysctl -p` failures without changing anything.
const SYSCTL_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: A value in a file of its own
      ansible.posix.sysctl:
        name: vm.swappiness
        value: "5"
        sysctl_file: /etc/sysctl.d/60-rsible.conf
        reload: false
      register: swappiness
    - debug: var=swappiness
    - name: Several words, replacing the file's entry and its duplicate
      sysctl:
        name: net.ipv4.tcp_rmem
        value: " 4096 87380 6291456 "
        sysctl_file: /etc/sysctl.d/60-rsible.conf
        reload: false
    - name: A boolean value by its aliases
      sysctl:
        key: kernel.sysrq
        val: yes
        sysctl_file: /etc/sysctl.d/60-rsible.conf
        reload: false
    - name: Removed from the file
      sysctl:
        name: vm.overcommit_memory
        state: absent
        sysctl_file: /etc/sysctl.d/60-rsible.conf
        reload: false
    - name: A change in check and diff mode
      sysctl:
        name: vm.swappiness
        value: "10"
        sysctl_file: /etc/sysctl.d/60-rsible.conf
        reload: false
      check_mode: true
      diff: true
    - name: Already in the file and the kernel, with the default reload
      sysctl:
        name: kernel.ostype
        value: Linux
        sysctl_file: /etc/sysctl.d/61-rsible-ro.conf

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A value the kernel refuses to set
      sysctl:
        name: kernel.ostype
        value: Plan9
        sysctl_set: true
        sysctl_file: /etc/sysctl.d/62-rsible-ro.conf
        reload: false
      ignore_errors: true
    - name: A reload the kernel refuses
      sysctl:
        name: kernel.ostype
        value: Linux
        sysctl_file: /etc/sysctl.d/63-rsible-ro.conf
      ignore_errors: true
    - name: No value
      sysctl:
        name: vm.swappiness
      ignore_errors: true
    - name: A blank value
      sysctl:
        name: vm.swappiness
        value: ""
      ignore_errors: true
"#;

#[test]
fn sysctl_files_without_touching_the_kernel() {
    if !common::supported() {
        return;
    }
    let mut case = super::case("sysctl", SYSCTL_SITE);
    case.setup = "printf '# rsible\\nnet.ipv4.tcp_rmem = 1 2 3\\nvm.overcommit_memory=1\\nnet.ipv4.tcp_rmem=4 5 6\\n' >/etc/sysctl.d/60-rsible.conf
echo kernel.ostype=Linux >/etc/sysctl.d/61-rsible-ro.conf";
    case.state = "for f in /etc/sysctl.d/6*-rsible*; do echo \"# $f\"; cat \"$f\"; done; cat /proc/sys/kernel/ostype";
    let runs = differential::run(&case);
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 1), ("h2", 1)]);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains(
            "# rsible\nnet.ipv4.tcp_rmem=4096 87380 6291456\nvm.swappiness=5\nkernel.sysrq=1\n"
        ),
        "{state}"
    );
    for wanted in [
        "setting kernel.ostype failed: sysctl: setting key",
        "Failed to reload sysctl: ",
    ] {
        assert!(
            runs.ansible[0].stdout.contains(wanted),
            "{}",
            runs.ansible[0].stdout
        );
    }
    runs.assert_same("sysctl");
}

/// Mounts happen in the host's own mount namespace, whose mounts are all `private` (boot.sh
/// of rsible-testhosts): nothing propagates to the machine, and they end with the host.
const MOUNT_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: An fstab entry only, not mounted at boot
      ansible.posix.mount:
        src: 192.0.2.1:/export
        path: /mnt/nfs
        fstype: nfs
        opts: ro,soft
        boot: false
        state: present
        backup: true
      register: nfs
    - debug:
        msg: "{{ nfs | dict2items | rejectattr('key', 'eq', 'backup_file') | items2dict }} {{ nfs.backup_file is match('/etc/fstab[.]') }}"
    - name: A tmpfs mounted and in fstab
      mount:
        src: tmpfs
        path: /srv/cache/tmp
        fstype: tmpfs
        opts: size=1m,mode=0750
        state: mounted
      register: cache
    - debug: var=cache
    - name: A bind mount
      mount:
        src: /srv/data
        path: /mnt/bind
        fstype: none
        opts: bind
        state: mounted
    - name: Unmount what setup mounted, keep its entry
      mount:
        path: /mnt/old
        state: unmounted
    - name: Remove an entry, its mount and its directory
      mount:
        path: /mnt/gone
        state: absent
      register: gone
    - debug: var=gone
    - name: Remove an entry from fstab only
      mount:
        path: /mnt/kept
        state: absent_from_fstab
    - name: An entry of four fields is not removed
      mount:
        path: /mnt/short
        state: absent_from_fstab
    - name: Mount in check mode
      mount:
        src: tmpfs
        path: /mnt/check
        fstype: tmpfs
        state: mounted
      check_mode: true
    - name: An ephemeral mount (remounted when it is there)
      mount:
        src: tmpfs
        path: /mnt/eph
        fstype: tmpfs
        opts: size=2m
        state: ephemeral
    - name: Remount (always a change)
      mount:
        path: /srv/cache/tmp
        state: remounted

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A filesystem type the kernel does not know
      mount:
        src: none
        path: /mnt/bad/deeper
        fstype: bogusfs
        state: mounted
      ignore_errors: true
    - name: No fstype
      mount:
        src: tmpfs
        path: /mnt/x
        state: mounted
      ignore_errors: true
    - name: No state
      mount:
        path: /mnt/x
      ignore_errors: true
"#;

#[test]
fn mount_fstab_and_mounts_inside_the_host() {
    if !common::supported() {
        return;
    }
    let mut case = super::case("mount", MOUNT_SITE);
    case.setup = "set -e
mkdir -p /srv/data /mnt/old /mnt/gone /mnt/kept
echo data >/srv/data/file
printf 'tmpfs /mnt/old tmpfs defaults 0 0\\ntmpfs /mnt/gone tmpfs defaults 0 0\\ntmpfs /mnt/kept tmpfs size=1m 0 0\\ntmpfs /mnt/short tmpfs size=1m\\n' >>/etc/fstab
mount /mnt/old; mount /mnt/gone";
    case.state = "cat /etc/fstab
findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | grep -E '^/(srv|mnt)' | sed 's/,lowerdir=.*//' | LC_ALL=C sort
find /mnt /srv/cache -maxdepth 1 -printf '%p %M %u:%g\\n' | LC_ALL=C sort
echo \"backups: $(ls /etc | grep -c '^fstab[.].*~$')\"";
    let runs = differential::run(&case);
    // The second run changes only the check-mode, ephemeral and remount tasks.
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 3), ("h2", 3)]);
    let state = &runs.ansible_state[0];
    for wanted in [
        "192.0.2.1:/export /mnt/nfs nfs ro,soft,noauto 0 0",
        "tmpfs /srv/cache/tmp tmpfs size=1m,mode=0750 0 0",
        "/srv/cache/tmp tmpfs tmpfs",
        "/mnt/bind",
        "/mnt/eph tmpfs tmpfs",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    assert!(
        !state.contains("/mnt/gone") && !state.contains("tmpfs /mnt/kept"),
        "{state}"
    );
    // Four fields: not an entry the removal reads.
    assert!(
        state.contains("tmpfs /mnt/short tmpfs size=1m\n"),
        "{state}"
    );
    assert!(
        runs.ansible[0]
            .stdout
            .contains("Error mounting /mnt/bad/deeper"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("mount");
}

// `serial: 1`: the diffs come host after host in both programs.
const ALTERNATIVES_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  serial: 1
  tasks:
    - name: Install an alternative with a follower, in diff mode
      community.general.alternatives:
        name: rsible-tool
        link: /usr/local/bin/rsible-tool
        path: /usr/local/lib/rsible/tool-a
        priority: 10
        state: present
        subcommands:
          - name: rsible-tool.1
            link: /usr/local/share/man/man1/rsible-tool.1
            path: /usr/local/share/rsible/a.1
      diff: true
      register: a
    - debug: var=a
    - name: A second one with a higher priority
      community.general.alternatives:
        name: rsible-tool
        link: /usr/local/bin/rsible-tool
        path: /usr/local/lib/rsible/tool-b
        priority: 20
        state: present
        slaves:
          - name: rsible-tool.1
            link: /usr/local/share/man/man1/rsible-tool.1
            path: /usr/local/share/rsible/b.1
    - name: Select the first, in diff mode
      community.general.alternatives:
        name: rsible-tool
        path: /usr/local/lib/rsible/tool-a
      diff: true
      register: selected
    - debug: var=selected
    - name: Back to auto in check mode
      community.general.alternatives:
        name: rsible-tool
        path: /usr/local/lib/rsible/tool-a
        state: auto
      check_mode: true
      register: auto
    - debug: var=auto
    - name: Remove one that setup installed
      community.general.alternatives:
        name: rsible-tool
        path: /usr/local/lib/rsible/tool-c
        state: absent
      register: removed
    - debug: var=removed

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Neither path nor family
      community.general.alternatives:
        name: rsible-tool
      ignore_errors: true
    - name: A path that does not exist
      community.general.alternatives:
        name: rsible-tool
        link: /usr/local/bin/rsible-tool
        path: /usr/local/lib/rsible/nope
      ignore_errors: true
    - name: A follower without its link
      community.general.alternatives:
        name: rsible-tool
        path: /usr/local/lib/rsible/tool-a
        subcommands:
          - name: x
            path: /y
      ignore_errors: true
"#;

#[test]
fn alternatives_install_select_and_remove() {
    if !common::supported() {
        return;
    }
    let mut case = super::case("alternatives", ALTERNATIVES_SITE);
    case.setup = "set -e
mkdir -p /usr/local/lib/rsible /usr/local/share/rsible /usr/local/share/man/man1
for t in a b c; do printf '#!/bin/sh\\necho %s\\n' $t >/usr/local/lib/rsible/tool-$t; chmod 755 /usr/local/lib/rsible/tool-$t; echo $t >/usr/local/share/rsible/$t.1; done
update-alternatives --install /usr/local/bin/rsible-tool rsible-tool /usr/local/lib/rsible/tool-c 5 >/dev/null";
    case.state = "update-alternatives --display rsible-tool
readlink -f /usr/local/bin/rsible-tool /usr/local/share/man/man1/rsible-tool.1";
    let runs = differential::run(&case);
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 1), ("h2", 1)]);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains("manual mode") && state.contains("points to /usr/local/lib/rsible/tool-a"),
        "{state}"
    );
    assert!(!state.contains("tool-c"), "{state}");
    runs.assert_same("alternatives");
}

const DEBCONF_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Read a package's answers
      debconf:
        name: debconf
      register: answers
    - debug: var=answers
    - name: A new answer
      debconf:
        name: rsible-pkg
        question: rsible-pkg/greeting
        vtype: string
        value: hello world
      register: greeting
    - debug: var=greeting
    - name: A boolean
      debconf:
        pkg: rsible-pkg
        setting: rsible-pkg/enable
        vtype: boolean
        answer: true
    - name: A multiselect list
      debconf:
        name: rsible-pkg
        question: rsible-pkg/pick
        vtype: multiselect
        value: [beta, alpha]
        unseen: true
      register: pick
    - debug: var=pick

# Diffs and failures on one host: both programs print results as hosts finish.
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A change in check and diff mode
      debconf:
        name: rsible-pkg
        question: rsible-pkg/greeting
        vtype: string
        value: bye
      check_mode: true
      diff: true
      register: bye
    - debug: var=bye
    - name: A password needs debconf-get-selections (debconf-utils)
      debconf:
        name: rsible-pkg
        question: rsible-pkg/secret
        vtype: password
        value: other
      ignore_errors: true
    - name: A question without its type
      debconf:
        name: rsible-pkg
        question: rsible-pkg/greeting
        value: x
      ignore_errors: true
    - name: A type debconf does not have
      debconf:
        name: rsible-pkg
        question: rsible-pkg/greeting
        vtype: number
        value: "1"
      ignore_errors: true
"#;

#[test]
fn debconf_answers() {
    if !common::supported() {
        return;
    }
    let mut case = super::case("debconf", DEBCONF_SITE);
    case.setup = "echo 'rsible-pkg rsible-pkg/secret password s3cret' | debconf-set-selections";
    case.state = "debconf-show rsible-pkg | LC_ALL=C sort; debconf-show debconf | LC_ALL=C sort";
    let runs = differential::run(&case);
    assert_check_mode_only(&runs.ansible[1].stdout, &[("h1", 1), ("h2", 0)]);
    let state = &runs.ansible_state[0];
    assert!(
        state.contains("rsible-pkg/greeting: hello world"),
        "{state}"
    );
    assert!(
        runs.ansible[0].stdout.contains("debconf-get-selections"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("debconf");
}

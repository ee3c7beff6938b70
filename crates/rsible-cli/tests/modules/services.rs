//! Service modules on tier-1c hosts (systemd as PID 1): `systemd`/`systemd_service` and the
//! `service` action that delegates to it.

use rsible_testhosts::Tier;

use super::case;
use super::common::{self, differential};

/// Three units of the case: one to start and enable, one running and enabled to stop and
/// disable, one to mask.
const UNITS_SETUP: &str = "set -e
for u in web worker masked; do
  printf '[Unit]\\nDescription=rsible %s\\n[Service]\\nExecStart=/bin/sleep infinity\\nExecReload=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n' $u >/usr/lib/systemd/system/rsible-$u.service
done
systemctl daemon-reload
systemctl enable --now rsible-worker.service 2>/dev/null";

const UNITS_STATE: &str = "for u in web worker masked nosuch; do
  echo \"rsible-$u: $(systemctl is-active rsible-$u.service) $(systemctl is-enabled rsible-$u.service 2>&1)\"
done";

const SYSTEMD_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Start and enable
      systemd:
        name: rsible-web
        state: started
        enabled: true
      register: web
    - name: What the module saw
      debug:
        msg: "{{ web.name }} {{ web.state }} {{ web.enabled }} {{ web.changed }} {{ web.status.ActiveState }} {{ web.status.LoadState }} {{ web.status.UnitFileState }}"
    - name: Stop and disable under the other name
      systemd_service:
        name: rsible-worker.service
        state: stopped
        enabled: false
      register: worker
    - name: Its result
      debug:
        msg: "{{ worker.state }} {{ worker.enabled }} {{ worker.changed }} {{ worker.status.SubState }}"
    - name: Mask
      systemd:
        unit: rsible-masked
        masked: true
    - name: Reload the manager
      systemd:
        daemon_reload: true
      register: reloaded
    - name: Without a unit
      debug:
        msg: "{{ reloaded.name }} {{ reloaded.status }} {{ reloaded.changed }}"
    - name: Start in check mode
      systemd:
        name: rsible-worker
        state: started
      check_mode: true
    - name: Diff mode (systemd has no diff)
      systemd:
        name: rsible-web
        state: started
      diff: true
    - name: Restart through service
      service:
        name: rsible-web
        state: restarted
      register: restarted
    - name: What service returned
      debug:
        msg: "{{ restarted.state }} {{ restarted.changed }} {{ restarted.status.ActiveState }}"
    - name: Parameters systemd does not use
      service:
        name: rsible-web
        enabled: true
        sleep: 2
        use: systemd

# One host: two hosts' `[ERROR]:` reports come in whichever order the hosts finish.
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A unit that does not exist
      systemd:
        name: rsible-nosuch
        state: started
      ignore_errors: true
    - name: A bad state
      systemd:
        name: rsible-web
        state: running
      ignore_errors: true
    - name: A parameter systemd does not have, through service
      service:
        name: rsible-web
        state: started
        bogus: 1
      ignore_errors: true
    - name: A glob
      systemd:
        name: rsible-*
        state: started
      ignore_errors: true
"#;

#[test]
fn systemd_and_service_start_stop_enable_mask_on_systemd_hosts() {
    if !common::supported() {
        return;
    }
    let mut case = case("systemd", SYSTEMD_SITE);
    case.setup = UNITS_SETUP;
    case.state = UNITS_STATE;
    let runs = differential::run_on(&case, Tier::Systemd);
    let state = &runs.ansible_state[0];
    for wanted in [
        "rsible-web: active enabled",
        "rsible-worker: inactive disabled",
        "rsible-masked: inactive masked",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    assert!(
        runs.ansible[0]
            .stdout
            .contains("rsible-web started True True inactive loaded disabled"),
        "{}",
        runs.ansible[0].stdout
    );
    runs.assert_same("systemd");
}

/// Reboots as a role does them, then Ansible's failures. `/run` is emptied by a reboot and the
/// boot id changes; `/var/tmp` keeps a file across it.
const REBOOT_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Reboot
      reboot:
      register: rebooted
    - name: What reboot returned
      debug:
        msg: "{{ rebooted.rebooted }} {{ rebooted.changed }} {{ rebooted.elapsed is number }} {{ rebooted.failed }}"
    - name: Mark this boot
      command: touch /run/rsible-this-boot
    - name: Reboot with every timing option
      reboot:
        msg: "Rebooting for the rsible test's sake"
        pre_reboot_delay: 1
        post_reboot_delay: 1
        reboot_timeout: 120
        test_command: test -e /var/tmp/rsible-kept
        boot_time_command: cat /proc/sys/kernel/random/boot_id
        search_paths: /nonexistent,/usr/sbin
    - name: Reboot in check mode
      reboot:
      check_mode: true
      register: checked
    - name: Check mode's result
      debug:
        var: checked
    - name: Reboot in diff mode
      reboot:
        reboot_command: shutdown -r now
      diff: true

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: An option reboot does not have
      reboot:
        bogus: 1
      ignore_errors: true
    - name: A shutdown command that is nowhere
      reboot:
        search_paths: [/nonexistent, /usr/bin]
      ignore_errors: true
    - name: A reboot command that fails
      reboot:
        reboot_command: false now
      ignore_errors: true
    - name: A boot time command that fails, the action written in full
      ansible.builtin.reboot:
        boot_time_command: cat /nonexistent
      ignore_errors: true
    - name: A reboot command that is not a string
      reboot:
        reboot_command: [shutdown]
      ignore_errors: true
"#;

const REBOOT_SETUP: &str = "touch /run/rsible-before /var/tmp/rsible-kept";

const REBOOT_STATE: &str =
    "for f in /run/rsible-before /run/rsible-this-boot /var/tmp/rsible-kept; do
  if [ -e \"$f\" ]; then echo \"$f: present\"; else echo \"$f: absent\"; fi
done";

fn reboot_case(tier: Tier) {
    let mut case = case("reboot", REBOOT_SITE);
    case.setup = REBOOT_SETUP;
    case.state = REBOOT_STATE;
    let runs = differential::run_on(&case, tier);
    let state = &runs.ansible_state[0];
    for wanted in [
        "/run/rsible-before: absent",
        "/run/rsible-this-boot: absent",
        "/var/tmp/rsible-kept: present",
    ] {
        assert!(
            state.contains(wanted),
            "ansible's end state lacks {wanted:?}:\n{state}"
        );
    }
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "True True True False",
        "Reboot command failed. Error was: ', Shared connection to",
        "ansible.builtin.reboot: failed to get host boot time info, rc: 1",
        "Unable to find command \\\"shutdown\\\" in search paths: ['/nonexistent', '/usr/bin']",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    runs.assert_same("reboot");
}

/// Tier 1b: the stand-in `shutdown` ends the host's PID 1 and its supervisor boots it again.
#[test]
fn reboot_on_hosts_without_systemd() {
    if !common::supported() {
        return;
    }
    reboot_case(Tier::OwnRoot);
}

/// Tier 1c: systemd stops its units and reboots the container.
#[test]
fn reboot_on_systemd_hosts() {
    if !common::supported() {
        return;
    }
    reboot_case(Tier::Systemd);
}

const SERVICE_FACTS_SITE: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Gather as root
      service_facts:
      become: true
      register: as_root
    - name: What root sees
      debug:
        msg: "{{ as_root.ansible_facts.services | dict2items | selectattr('key', 'match', 'rsible|ssh|dbus|procps|sudo|getty@|systemd-journald') | list }}"
    - name: How many
      debug:
        msg: "{{ as_root.ansible_facts.services | length }} {{ as_root.changed }} {{ as_root.warnings | default([]) }}"
    - name: The facts are set
      debug:
        var: ansible_facts.services['ssh']
    - name: Gather as the login user
      service_facts:
      register: as_user
    - name: What the login user sees
      debug:
        msg: "{{ as_user.ansible_facts.services | dict2items | selectattr('key', 'match', 'rsible|ssh|dbus|procps|sudo') | list }} {{ as_user.ansible_facts.services | length }}"
    - name: Check mode
      service_facts:
      check_mode: true
    - name: Diff mode
      service_facts:
      diff: true

- hosts: h1
  gather_facts: false
  tasks:
    - name: A parameter service_facts does not have
      service_facts:
        name: ssh
      ignore_errors: true
"#;

/// A unit that failed, one running, one masked and a template, next to the SysV scripts.
const SERVICE_FACTS_UNITS: &str = "set -e
printf '[Service]\\nExecStart=/bin/false\\n' >/usr/lib/systemd/system/rsible-broken.service
printf '[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' >/usr/lib/systemd/system/rsible-up.service
printf '[Service]\\nExecStart=/bin/sleep infinity\\n' >/usr/lib/systemd/system/rsible-masked.service
printf '[Service]\\nExecStart=/bin/echo %i\\n' >/usr/lib/systemd/system/rsible-tpl@.service
systemctl daemon-reload
systemctl enable --now rsible-up.service 2>/dev/null
systemctl mask rsible-masked.service 2>/dev/null
systemctl start rsible-broken.service || true";

#[test]
fn service_facts_on_hosts_without_systemd() {
    if !common::supported() {
        return;
    }
    let mut case = case("service-facts", SERVICE_FACTS_SITE);
    case.second_run_unchanged = true;
    let runs = differential::run(&case);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "{'name': 'ssh', 'state': 'running', 'source': 'sysv'}",
        "\"msg\": \"4 False []\"",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    runs.assert_same("service-facts");
}

#[test]
fn service_facts_on_systemd_hosts() {
    if !common::supported() {
        return;
    }
    let mut case = case("service-facts", SERVICE_FACTS_SITE);
    case.setup = SERVICE_FACTS_UNITS;
    case.second_run_unchanged = true;
    let runs = differential::run_on(&case, Tier::Systemd);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "{'name': 'rsible-broken.service', 'state': 'stopped', 'status': 'failed', 'source': 'systemd'}",
        "{'name': 'rsible-masked.service', 'state': 'inactive', 'status': 'masked', 'source': 'systemd'}",
        "{'name': 'rsible-tpl@.service', 'state': 'unknown', 'status': 'static', 'source': 'systemd'}",
        "{'name': 'rsible-up.service', 'state': 'running', 'status': 'enabled', 'source': 'systemd'}",
    ] {
        assert!(first.contains(wanted), "ansible's output lacks {wanted:?}:\n{first}");
    }
    runs.assert_same("service-facts-systemd");
}

const HOSTNAME_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Set the name
      hostname:
        name: "web-{{ inventory_hostname }}.example.org"
      register: named
    - name: What hostname returned
      debug:
        var: named
    - name: The facts it set
      debug:
        msg: "{{ ansible_hostname }} {{ ansible_nodename }} {{ ansible_fqdn }} {{ ansible_domain }}"
    - name: Another name in check mode
      hostname:
        name: other
      check_mode: true

# Diffs and errors of one host: two hosts' diffs come in whichever order the hosts finish.
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Diff mode
      hostname:
        name: diff.example.org
      diff: true
    - name: Check and diff mode
      hostname:
        name: "web-{{ inventory_hostname }}.example.org"
      check_mode: true
      diff: true
    - name: The Debian strategy (hostnamectl)
      hostname:
        name: "web-{{ inventory_hostname }}.example.org"
        use: debian
      ignore_errors: true
    - name: No name
      hostname:
      ignore_errors: true
    - name: A strategy that does not exist
      hostname:
        name: x
        use: bogus
      ignore_errors: true
    - name: The Red Hat strategy without its file
      hostname:
        name: x
        use: redhat
      ignore_errors: true
    - name: The OpenRC strategy without its directory
      hostname:
        name: x
        use: openrc
      ignore_errors: true
    - name: A name too long for systemd
      hostname:
        name: "{{ 'a' * 65 }}"
        use: systemd
      ignore_errors: true
"#;

const HOSTNAME_STATE: &str = "echo \"running: $(hostname)\"; echo \"file: $(cat /etc/hostname)\"
ls /etc/conf.d /etc/sysconfig 2>&1; true";

fn hostname_case(tier: Tier) -> differential::Runs {
    let mut case = case("hostname", HOSTNAME_SITE);
    case.state = HOSTNAME_STATE;
    let runs = differential::run_on(&case, tier);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "+hostname = diff.example.org",
        "value of use must be one of: alpine, debian, freebsd, generic, macos, macosx, darwin, openbsd, openrc, redhat, sles, solaris, systemd, got: bogus",
        "missing required arguments: name",
    ] {
        assert!(first.contains(wanted), "ansible's output lacks {wanted:?}:\n{first}");
    }
    runs
}

/// Tier 1b: Debian without systemd writes /etc/hostname and leaves the running name alone
/// (each host has its own UTS namespace).
#[test]
fn hostname_on_hosts_without_systemd() {
    if !common::supported() {
        return;
    }
    let runs = hostname_case(Tier::OwnRoot);
    assert!(
        runs.ansible_state[0].contains("running: h1\nfile: diff.example.org"),
        "{}",
        runs.ansible_state[0]
    );
    runs.assert_same("hostname");
}

/// Tier 1c: hostnamectl sets the static and the running name.
#[test]
fn hostname_on_systemd_hosts() {
    if !common::supported() {
        return;
    }
    let runs = hostname_case(Tier::Systemd);
    assert!(
        runs.ansible_state[0].contains("running: web-h1.example.org\nfile: web-h1.example.org"),
        "{}",
        runs.ansible_state[0]
    );
    runs.assert_same("hostname-systemd");
}

const TIMEZONE_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Set the zone
      community.general.timezone:
        name: Asia/Tokyo
      register: zoned
    - name: What timezone returned
      debug:
        var: zoned
    - name: Another zone and the hardware clock in check mode
      community.general.timezone:
        name: Europe/Paris
        hwclock: local
      check_mode: true
      register: checked
    - name: What check mode returned
      debug:
        var: checked

# Diffs and errors of one host: two hosts' diffs come in whichever order the hosts finish.
- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: Diff mode
      community.general.timezone:
        name: Europe/Paris
      diff: true
    - name: A zone that does not exist
      community.general.timezone:
        name: Nowhere/City
      ignore_errors: true
    - name: Nothing to set
      community.general.timezone:
      ignore_errors: true
    - name: A bad hardware clock
      community.general.timezone:
        hwclock: bogus
      ignore_errors: true
    - name: A parameter timezone does not have
      community.general.timezone:
        rtc: UTC
        foo: 1
      ignore_errors: true
"#;

/// Only on systemd hosts: `timedatectl set-local-rtc` writes /etc/adjtime there (the container
/// has no RTC). Without systemd the module would run `hwclock --systohc`, which must not run
/// on a test host.
const TIMEZONE_HWCLOCK_TASKS: &str = r#"    - name: The hardware clock in local time
      community.general.timezone:
        hwclock: local
      diff: true
      register: rtc
    - name: What it ran
      debug:
        var: rtc.msg
    - name: Back to UTC under its alias
      community.general.timezone:
        rtc: UTC
        name: Etc/UTC
"#;

const TIMEZONE_STATE: &str = "echo \"localtime: $(readlink /etc/localtime)\"
echo \"timezone: $(cat /etc/timezone)\"
cat /etc/adjtime 2>/dev/null; true";

#[test]
fn timezone_on_hosts_without_systemd() {
    if !common::supported() {
        return;
    }
    let mut case = case("timezone", TIMEZONE_SITE);
    case.state = TIMEZONE_STATE;
    let runs = differential::run(&case);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "Added 1 line and deleted 1 line(s) on /etc/timezone",
        "given timezone \\\"Nowhere/City\\\" is not available",
        "\"hwclock\": \"n/a\"",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    assert!(
        runs.ansible_state[0].contains("localtime: /usr/share/zoneinfo/Europe/Paris"),
        "{}",
        runs.ansible_state[0]
    );
    runs.assert_same("timezone");
}

#[test]
fn timezone_on_systemd_hosts() {
    if !common::supported() {
        return;
    }
    let site = format!("{TIMEZONE_SITE}{TIMEZONE_HWCLOCK_TASKS}");
    let mut case = case("timezone", &site);
    case.state = TIMEZONE_STATE;
    let runs = differential::run_on(&case, Tier::Systemd);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "executed `/usr/bin/timedatectl set-timezone Asia/Tokyo`",
        "executed `/usr/bin/timedatectl set-local-rtc yes`",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    assert!(
        runs.ansible_state[0].contains("zoneinfo/Etc/UTC"),
        "{}",
        runs.ansible_state[0]
    );
    runs.assert_same("timezone-systemd");
}

/// The `service` action on tier-1b hosts (no systemd: their PID 1 is the test init): Ansible
/// runs its generic `service` module, which drives the SysV scripts of /etc/init.d.
const SYSV_SERVICE_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Start a SysV service
      service:
        name: rsync
        state: started
      register: started
    - name: What service returned
      debug:
        var: started
    - name: Running and enabled already
      service:
        name: ssh
        state: started
        enabled: true
      register: ssh
    - name: Its result
      debug:
        var: ssh
    - name: Disable
      service:
        name: rsync
        enabled: false
      register: disabled
    - name: The disable result
      debug:
        var: disabled
    - name: Stop in check mode
      service:
        name: ssh
        state: stopped
      check_mode: true
      register: checked
    - name: Check mode's result
      debug:
        var: checked
    - name: Restart with a pause
      service:
        name: rsync
        state: restarted
        sleep: 1
    - name: Diff mode (service has no diff)
      service:
        name: ssh
        state: started
      diff: true
    - name: Enable again under the script's name
      service:
        name: rsync
        enabled: true
        use: service

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A service that does not exist
      service:
        name: nosuch
        state: started
      ignore_errors: true
    - name: Neither state nor enabled
      service:
        name: rsync
      ignore_errors: true
    - name: A parameter service does not have
      service:
        name: rsync
        state: started
        bogus: 1
      ignore_errors: true
    - name: A bad state
      service:
        name: rsync
        state: running
      ignore_errors: true
"#;

const SYSV_SERVICE_STATE: &str = "ls /etc/rc2.d /etc/rc3.d /etc/rc6.d
/usr/sbin/service rsync status; /usr/sbin/service ssh status; true";

#[test]
fn service_drives_sysv_scripts_on_hosts_without_systemd() {
    if !common::supported() {
        return;
    }
    let mut case = case("service-sysv", SYSV_SERVICE_SITE);
    case.state = SYSV_SERVICE_STATE;
    let runs = differential::run(&case);
    let first = &runs.ansible[0].stdout;
    for wanted in [
        "Could not find the requested service nosuch: host",
        "one of the following is required: state, enabled",
        "\"msg\": \"service state changed\"",
    ] {
        assert!(
            first.contains(wanted),
            "ansible's output lacks {wanted:?}:\n{first}"
        );
    }
    assert!(
        runs.ansible_state[0].contains("S01rsync"),
        "{}",
        runs.ansible_state[0]
    );
    runs.assert_same("service-sysv");
}

/// `use: service` on systemd hosts: ansible-core's generic module with its systemd branch
/// (its own reading of `systemctl show` and `is-enabled`), not the systemd module.
const GENERIC_SERVICE_SYSTEMD_SITE: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Stop
      service:
        name: rsible-up
        state: stopped
        use: service
      register: stopped
    - name: What it returned
      debug:
        var: stopped
    - name: Disable and start
      service:
        name: rsible-up
        enabled: false
        state: started
        use: service
      register: both
    - name: Their result
      debug:
        var: both
    - name: Enable in check mode
      service:
        name: rsible-up
        enabled: true
        use: service
      check_mode: true
      register: checked
    - name: Check mode ends with changed only
      debug:
        var: checked
    - name: Restart with a pause
      service:
        name: rsible-up
        state: restarted
        sleep: 1
        use: service
    - name: Stop a failed unit
      service:
        name: rsible-broken
        state: stopped
        use: service
      register: broken
    - name: A failed unit is not running
      debug:
        var: broken

- hosts: h1
  gather_facts: false
  become: true
  tasks:
    - name: A unit that does not exist
      service:
        name: rsible-nosuch
        state: started
        use: service
      ignore_errors: true
"#;

#[test]
fn service_generic_module_on_systemd_hosts() {
    if !common::supported() {
        return;
    }
    let mut case = case("service-generic-systemd", GENERIC_SERVICE_SYSTEMD_SITE);
    case.setup = SERVICE_FACTS_UNITS;
    case.state = "for u in up broken; do echo \"rsible-$u: $(systemctl is-active rsible-$u.service) $(systemctl is-enabled rsible-$u.service)\"; done";
    let runs = differential::run_on(&case, Tier::Systemd);
    let first = &runs.ansible[0].stdout;
    assert!(
        first.contains("systemd could not find the requested service \\\"'rsible-nosuch'\\\": "),
        "{first}"
    );
    assert!(
        runs.ansible_state[0].contains("rsible-up: active disabled"),
        "{}",
        runs.ansible_state[0]
    );
    runs.assert_same("service-generic-systemd");
}

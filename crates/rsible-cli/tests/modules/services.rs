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

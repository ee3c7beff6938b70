#!/usr/bin/env bash
# Vagrant smoke test, run by .ci/run: two VMs from the cached Debian 12 box, provisioned by
# Vagrant's ansible provisioner running rsible, three ways:
#   1. `vagrant up`: the Vagrantfile sets `ansible.playbook_command = "rsible-playbook"` and
#      rsible's `ansible` is on PATH;
#   2. `vagrant provision`: nothing set in the Vagrantfile; `ansible`/`ansible-playbook` on PATH
#      are rsible's, installed by scripts/install.sh --as-ansible;
#   3. `vagrant provision` with no `ansible` on PATH at all: Vagrant falls back to compatibility
#      mode 1.8 (ansible_ssh_* inventory names) and runs rsible-playbook by absolute path.
# The playbook (tests/e2e/smoke/provisioning/smoke.yml): become, copy, template, apt from the
# local repository, modprobe, reboot + wait_for_connection, async + async_status.
# A VM that cannot be created fails the test: it never skips. Needs root.
#
#   tests/e2e/vagrant-smoke.sh             # the test
#   tests/e2e/vagrant-smoke.sh --prepare   # only install the Vagrant stack and build the box
#                                          # (scripts/test.sh runs this while cargo builds)
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$E2E_DIR/lib/box.sh"
source "$E2E_DIR/lib/vagrant.sh"
source "$E2E_DIR/lib/provision.sh"

RSIBLE_PROFILE="${RSIBLE_PROFILE:-debug}"
PROJECT="$E2E_CACHE/smoke-project"
inventory="$PROJECT/.vagrant/provisioners/ansible/inventory/vagrant_ansible_inventory"
failed=0

check() {
    local what=$1; shift
    if "$@"; then log "ok: $what"; else log "FAILED: $what"; failed=1; fi
}

step_setup() {
    install_rsible_as_ansible
    start_vagrant_stack
    build_box smoke
    add_box "$BOX_NAME" "$BOX_FILE"
    local http="$E2E_CACHE/http-smoke"
    rm -rf "$http"
    mkdir -p "$http"
    ln -s "$APT_REPO_DIR" "$http/repo"
    serve_http "$http"
    destroy_project "$PROJECT"
    mkdir -p "$PROJECT"
    cp -a "$E2E_DIR/smoke/Vagrantfile" "$E2E_DIR/smoke/provisioning" "$PROJECT/"
    E2E_CLEANUP+=("destroy_project '$PROJECT'")
    export RSIBLE_E2E_BOX="$BOX_NAME"
}

both_hosts_ok() { recap_ok "$LAST_OUTPUT" nadu1 && recap_ok "$LAST_OUTPUT" nadu2; }
ran_in_mode_2() { grep -q " ansible_host=" "$inventory" && ! grep -q "compatibility mode '1.8'" "$LAST_OUTPUT"; }
ran_in_mode_1_8() { grep -q " ansible_ssh_host=" "$inventory" && grep -q "compatibility mode '1.8'" "$LAST_OUTPUT"; }

# 1. playbook_command = "rsible-playbook", rsible's `ansible` on PATH.
step_up() {
    favour_vms
    RSIBLE_E2E_PLAYBOOK_COMMAND=rsible-playbook PATH="$RSIBLE_BIN_DIR:$PATH" \
        vagrant_logged "$PROJECT" up --no-parallel
}

# 2. Nothing in the Vagrantfile: `ansible-playbook` on PATH is rsible.
step_as_ansible() {
    local found
    found=$(PATH="$RSIBLE_AS_ANSIBLE_DIR:$PATH" ansible-playbook --version)
    grep -q 'rsible' <<<"$found" || { log "ansible-playbook on PATH is not rsible: $found"; return 1; }
    PATH="$RSIBLE_AS_ANSIBLE_DIR:$PATH" vagrant_logged "$PROJECT" provision
}

# 3. No `ansible` anywhere on PATH: compatibility mode 1.8.
step_compat_1_8() {
    local path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    if PATH=$path command -v ansible >/dev/null; then
        log "an ansible is on the system PATH ($(PATH=$path command -v ansible)); cannot test mode 1.8"
        return 1
    fi
    RSIBLE_E2E_PLAYBOOK_COMMAND="$RSIBLE_BIN_DIR/rsible-playbook" PATH=$path \
        vagrant_logged "$PROJECT" provision
}

# The whole run is one function, parsed before any of it runs (editing this file during a run
# cannot change what that run does).
main() {
    if [ "${1:-}" = --prepare ]; then
        E2E_LOG=/dev/null
        start_vagrant_stack_packages
        build_box smoke
        return 0
    fi

    stamp=$(date +%Y%m%d-%H%M%S)
    mkdir -p "$E2E_CACHE/logs"
    E2E_LOG="$E2E_CACHE/logs/vagrant-smoke-$stamp.log"
    E2E_TIMINGS="$E2E_CACHE/logs/vagrant-smoke-$stamp.timings"
    : >"$E2E_TIMINGS"
    exec 2> >(tee -a "$E2E_LOG" >&2)
    log "log: $E2E_LOG"

    timed setup step_setup || die "setup"

    timed up_playbook_command step_up
    check "vagrant up (playbook_command) provisioned both VMs" both_hosts_ok
    check "inventory in compatibility mode 2.0" ran_in_mode_2
    provision_seconds "$LAST_OUTPUT" >>"$E2E_TIMINGS"
    recap_of "$LAST_OUTPUT" >&2
    first_recap=$(recap_counts "$LAST_OUTPUT")

    timed provision_as_ansible step_as_ansible
    check "vagrant provision (rsible as ansible-playbook) provisioned both VMs" both_hosts_ok
    check "inventory in compatibility mode 2.0" ran_in_mode_2
    recap_of "$LAST_OUTPUT" >&2
    second=$LAST_OUTPUT
    check "the second run changed less than the first" \
        test "$(recap_counts "$LAST_OUTPUT")" != "$first_recap"

    timed provision_compat_1_8 step_compat_1_8
    check "vagrant provision (no ansible on PATH, mode 1.8) provisioned both VMs" both_hosts_ok
    check "inventory in compatibility mode 1.8 (ansible_ssh_* names)" ran_in_mode_1_8
    recap_of "$LAST_OUTPUT" >&2
    check "runs 2 and 3 give the same counts" same_counts "$second" "$LAST_OUTPUT"

    timed destroy destroy_project "$PROJECT"
    echo "== vagrant smoke test (log: $E2E_LOG)"
    echo "timings (s):"; sed 's/^/  /' "$E2E_TIMINGS"
    [ $failed = 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
    return $failed
}

main "$@"; exit $?

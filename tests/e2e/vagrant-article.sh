#!/usr/bin/env bash
# The article end to end on real Vagrant VMs provisioned by rsible (docs/vagrant.md).
#
#   tests/e2e/vagrant-article.sh           # the whole run; cleans up after itself
#   tests/e2e/vagrant-article.sh --keep    # leave the VMs (and libvirtd) running afterwards
#   tests/e2e/vagrant-article.sh --destroy # remove what a --keep run left
#   tests/e2e/vagrant-article.sh --fresh   # first drop the cached kernel tree, box and sources,
#                                          # as on a machine that never ran it
#
# Builds a real kernel on the host and a Debian 12 box (both cached in $RSIBLE_E2E_CACHE,
# default /var/cache/rsible-e2e), starts libvirt in a network namespace, runs `vagrant up` on
# the article's Vagrantfile with Vagrant's ansible provisioner running rsible (installed as
# `ansible`/`ansible-playbook` by scripts/install.sh --as-ansible), checks the article's result,
# then provisions the same VMs again with rsible and with ansible-core and compares the recaps.
# Needs root. Takes about an hour on 2 cores. Everything goes to a log file; the terminal gets
# the steps and a summary.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$E2E_DIR/lib/kernel.sh"
source "$E2E_DIR/lib/box.sh"
source "$E2E_DIR/lib/vagrant.sh"
source "$E2E_DIR/lib/provision.sh"

step_tools() {
    "$REPO_DIR/scripts/deps.sh" >>"$E2E_LOG" 2>&1 || die "scripts/deps.sh failed"
    install_rsible_as_ansible
    start_vagrant_stack
    if [ -n "${fresh:-}" ]; then
        # vagrant-libvirt would reuse the image it uploaded for a box of the same name.
        local vol
        for vol in $(virsh vol-list "$E2E_POOL" | awk '$1 ~ /^rsible-debian12-/ {print $1}'); do
            virsh -q vol-delete --pool "$E2E_POOL" "$vol" >/dev/null
        done
    fi
}

step_sources() {
    (cd "$REPO_DIR/../shared/e2e-sources" && sha256sum --quiet -c SHA256SUMS) \
        || die "../shared/e2e-sources does not match its SHA256SUMS"
    SRC_DIR="$E2E_CACHE/src"
    if [ ! -f "$SRC_DIR/rdma-core-44.0/CMakeLists.txt" ]; then
        rm -rf "$SRC_DIR/rdma-core-44.0"
        mkdir -p "$SRC_DIR"
        tar -C "$SRC_DIR" -xzf "$REPO_DIR/../shared/e2e-sources/rdma-core-44.0.tar.gz" || die "unpacking rdma-core"
    fi
    HTTP_DIR="$E2E_CACHE/http-article"
    rm -rf "$HTTP_DIR"
    mkdir -p "$HTTP_DIR"
    ln -s "$APT_REPO_DIR" "$HTTP_DIR/repo"
    ln -s "$(cd "$REPO_DIR/../shared/e2e-sources" && pwd)"/*.tar.gz "$HTTP_DIR/"
    serve_http "$HTTP_DIR"
}

step_project() {
    destroy_project "$PROJECT"
    mkdir -p "$PROJECT"
    cp -a "$REPO_DIR/provisioning" "$PROJECT/"
    rm -rf "$PROJECT/provisioning/roles/kernel_install/files/kernel" \
        "$PROJECT/provisioning/roles/kernel_install/files/ssh/id_rsa"*
    check_provisioning_unchanged "$PROJECT"
    "$REPO_DIR/scripts/gen-article-keys.sh" "$PROJECT/provisioning/roles/kernel_install/files/ssh" >/dev/null
    # The article's reader does `mkdir -p $INSTALL_PATH` before `make install`.
    mkdir -p "$PROJECT/provisioning/roles/kernel_install/files/kernel/boot"
    local http="http://$E2E_HTTP_ADDR:$E2E_HTTP_PORT"
    local extra
    extra=$(printf '{"kernel_src" => "%s", "rdma_core_src" => "%s", "iproute2_url" => "%s", "perftest_url" => "%s"}' \
        "$KERNEL_TREE" "$SRC_DIR/rdma-core-44.0" "$http/iproute2-5.9.0.tar.gz" "$http/perftest-4.4-0.32.tar.gz")
    sed -e "s|@BOX@|$BOX_NAME|" -e "s|@EXTRA_VARS@|$extra|" "$E2E_DIR/article/Vagrantfile.in" >"$PROJECT/Vagrantfile"
    E2E_CLEANUP+=("[ \"\$mode\" = keep ] || destroy_project '$PROJECT'")
}

step_up() {
    favour_vms
    PATH="$RSIBLE_AS_ANSIBLE_DIR:$PATH" vagrant_logged "$PROJECT" up --no-parallel \
        || die "vagrant up failed (log: $E2E_LOG)"
}

step_check_article() {
    local release ok=0 h
    release=$(cd "$KERNEL_TREE" && make -s kernelrelease)
    for h in nadu1 nadu2; do
        recap_ok "$LAST_OUTPUT" "$h" || { log "recap of $h is not failed=0 unreachable=0"; ok=1; }
        local running
        running=$(in_vm "$h" uname -r)
        log "$h runs kernel $running (built: $release)"
        [ "$running" = "$release" ] || ok=1
        local links
        links=$(in_vm "$h" /usr/sbin/rdma link)
        printf '%s rdma link:\n%s\n' "$h" "$links" >>"$E2E_LOG"
        grep -q '^link rxe0/1 ' <<<"$links" || { log "$h has no rxe0"; ok=1; }
    done
    # The server job's record, as async_status read it: rc and ib_send_bw's report.
    local job
    job=$(in_vm nadu1 sh -c 'cat "$(ls -t ~/.ansible_async/* | head -1)"')
    printf 'ib_send_bw server job on nadu1:\n%s\n' "$job" >>"$E2E_LOG"
    python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j.get("stdout","")); sys.exit(0 if j.get("rc")==0 else 1)' "$job" >>"$E2E_LOG" \
        || { log "the ib_send_bw server job did not finish with rc 0"; ok=1; }
    grep -q 'BW average' <<<"$job" || { log "no ib_send_bw report in the server job"; ok=1; }
    return $ok
}

# The mtime of each VM's rdma-core tree, and of the host's: `synchronize` reports a change when
# they differ (the first provisioning's `Create build directory` changes the VM's). Recorded
# before each provisioning, so a difference between two runs can be traced to the state it met.
rdma_core_mtimes() {
    local h
    printf 'host\t%s\n' "$(stat -c %Y "$SRC_DIR/rdma-core-44.0")"
    for h in nadu1 nadu2; do
        printf '%s\t%s\n' "$h" "$(in_vm "$h" stat -c %Y /home/vagrant/rdma-core/)"
    done
}

# Each VM's boot id: recorded before and after each provisioning, it tells whether that run
# rebooted the VM (the playbook's `Reboot` is an async job that ansible-core's wrapper can kill
# under TCG before `shutdown` runs; state a reboot resets then differs between the runs).
boot_ids() {
    local h
    for h in nadu1 nadu2; do
        printf 'boot-%s\t%s\n' "$h" "$(in_vm "$h" cat /proc/sys/kernel/random/boot_id)"
    done
}

rebooted() {
    local before=$1 after=$2 h=$3
    [ "$(awk -v k="boot-$h" '$1 == k {print $2}' "$before")" != "$(awk -v k="boot-$h" '$1 == k {print $2}' "$after")" ]
}

# Writes the differences between the two runs that the recorded states explain.
explained_by_state() {
    local a=$1 b=$2 host_a host_b h va vb ra rb
    host_a=$(awk '$1 == "host" {print $2}' "$a")
    host_b=$(awk '$1 == "host" {print $2}' "$b")
    for h in nadu1 nadu2; do
        va=$(awk -v h="$h" '$1 == h {print $2}' "$a")
        vb=$(awk -v h="$h" '$1 == h {print $2}' "$b")
        if { [ "$va" = "$host_a" ] && [ "$vb" != "$host_b" ]; } || { [ "$va" != "$host_a" ] && [ "$vb" = "$host_b" ]; }; then
            printf 'rdma_install : Sync rdma-core repo\t%s\tthe VM tree mtime matched the host in one run only (%s/%s vs %s/%s)\n' \
                "$h" "$va" "$host_a" "$vb" "$host_b"
        fi
        ra=no rb=no
        rebooted "$a" "$a.after" "$h" && ra=yes
        rebooted "$b" "$b.after" "$h" && rb=yes
        if [ "$ra" != "$rb" ]; then
            # A reboot unloads the SoftRoCE modules, so modprobe loads them again (changed)
            # only in the run that rebooted.
            printf 'rdma_install : Load drivers\t%s\tthe VM rebooted during one run only (rebooted: %s/%s)\n' \
                "$h" "$ra" "$rb"
        fi
    done
}

step_reprovision() {
    local who=$1 dir
    case "$who" in
        rsible) dir=$RSIBLE_AS_ANSIBLE_DIR ;;
        ansible-core) dir=$(ansible_core_bin_dir) ;;
    esac
    local state="$E2E_CACHE/logs/vagrant-article-$stamp.state-$who"
    { rdma_core_mtimes; boot_ids; } >"$state"
    log "state before provisioning with $who: $(tr '\t\n' '= ' <"$state")"
    # ansible-core's interpreter discovery on the controller (the first play is local) can pick
    # a pyenv shim here; both the controller and the box have Debian's python3.
    PATH="$dir:$PATH" ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
        vagrant_logged "$PROJECT" provision || log "vagrant provision with $who failed"
    boot_ids >"$state.after"
    log "VMs rebooted during the provisioning with $who: $(for h in nadu1 nadu2; do rebooted "$state" "$state.after" "$h" && printf '%s ' "$h"; done)"
    printf '### `vagrant provision` again, with %s\n\n```\n%s\n```\n\n' "$who" "$(recap_of "$LAST_OUTPUT")" >>"$RESULTS"
    cp "$LAST_OUTPUT" "$E2E_CACHE/logs/vagrant-article-$stamp.provision-$who.out"
}

# The whole run is one function, parsed before any of it runs: editing this file while a run
# is under way cannot change what that run does.
main() {
    mode=run
    case "${1:-}" in
        "") ;;
        --keep) mode=keep ;;
        --destroy) mode=destroy ;;
        --fresh) mode=fresh ;;
        *) echo "usage: $0 [--keep|--destroy|--fresh]" >&2; exit 2 ;;
    esac

    PROJECT="$E2E_CACHE/article-project"
    stamp=$(date +%Y%m%d-%H%M%S)
    mkdir -p "$E2E_CACHE/logs"
    E2E_LOG="$E2E_CACHE/logs/vagrant-article-$stamp.log"
    E2E_TIMINGS="$E2E_CACHE/logs/vagrant-article-$stamp.timings"
    RESULTS="$E2E_CACHE/logs/vagrant-article-$stamp.results.md"
    : >"$E2E_TIMINGS"
    exec 2> >(tee -a "$E2E_LOG" >&2)
    log "log: $E2E_LOG"

    if [ "$mode" = destroy ]; then
        start_vagrant_stack
        destroy_project "$PROJECT"
        return 0
    fi
    if [ "$mode" = fresh ]; then
        log "dropping the cached kernel tree, boxes and sources"
        rm -rf --one-file-system "$E2E_CACHE/kernel" "$E2E_CACHE/box" "$E2E_CACHE/src" "$VAGRANT_HOME/boxes"
        fresh=1
        mode=run
    fi

    failed=0
    timed tools step_tools || die "tools"
    timed kernel_build eval 'KERNEL_TREE=$(build_kernel)' || die "kernel build"
    [ -n "${KERNEL_TREE:-}" ] || KERNEL_TREE="$E2E_CACHE/kernel/linux-source-6.1"
    timed box_build build_box article || die "box build"
    add_box "$BOX_NAME" "$BOX_FILE"
    timed sources step_sources || die "sources"
    timed project step_project || die "project"
    timed vagrant_up step_up
    provision_seconds "$LAST_OUTPUT" >>"$E2E_TIMINGS"
    printf '### `vagrant up` (first provisioning, rsible)\n\n```\n%s\n```\n\n' "$(recap_of "$LAST_OUTPUT")" >>"$RESULTS"
    timed check step_check_article || failed=1
    timed reprovision_rsible step_reprovision rsible
    timed reprovision_ansible_core step_reprovision ansible-core
    local cmp verdict explained="$E2E_CACHE/logs/vagrant-article-$stamp.explained"
    explained_by_state "$E2E_CACHE/logs/vagrant-article-$stamp.state-rsible" \
        "$E2E_CACHE/logs/vagrant-article-$stamp.state-ansible-core" >"$explained"
    cmp=$(compare_runs "$E2E_CACHE/logs/vagrant-article-$stamp.provision-rsible.out" \
        "$E2E_CACHE/logs/vagrant-article-$stamp.provision-ansible-core.out" "$explained" 2>&1)
    case $? in
        0) verdict="the same result for every task on every host" ;;
        2) verdict="the same result for every task on every host, except where the measured state or ansible-core's 1-second async limit under TCG explains it (listed)" ;;
        *) verdict="DIFFERENT results"; failed=1 ;;
    esac
    printf '%s\n' "$cmp" >&2
    printf '### rsible vs ansible-core, task by task\n\n%s\n\n```\n%s\n```\n\n' "$verdict" "$cmp" >>"$RESULTS"

    {
        echo "== summary (log: $E2E_LOG)"
        echo "timings (s):"; sed 's/^/  /' "$E2E_TIMINGS"
        cat "$RESULTS"
        [ $failed = 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
    } | tee -a "$E2E_LOG"
    if [ "$mode" = keep ]; then
        trap - EXIT
        echo "VMs kept: cd $PROJECT && ip netns exec $E2E_NETNS vagrant ssh nadu1 (VAGRANT_HOME=$VAGRANT_HOME);" \
            "remove them with $0 --destroy"
    fi
    return $failed
}

main "$@"; exit $?

# shellcheck shell=bash
# Vagrant with vagrant-libvirt on a machine whose PID 1 is not systemd and where KVM does not
# work: libvirtd and virtlogd are started by hand inside a network namespace of their own, so the
# libvirt bridges, dnsmasq and every VM address exist only there; every vagrant command runs in
# that namespace (vg). qemu runs in TCG mode (libvirt.driver = "qemu" in the Vagrantfiles).
# Sourced; defines start_vagrant_stack, vg, serve_http and destroy_project.

VAGRANT_PKGS=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
    qemu-system-x86 qemu-utils/bookworm dnsmasq-base ebtables iptables tini rsync openssh-client
    python3)

E2E_NETNS="${E2E_NETNS:-rsible-vagrant}"
E2E_POOL="home"   # the storage pool name the article's Vagrantfile asks for
E2E_POOL_DIR="$E2E_CACHE/libvirt-images"
# Vagrant's own state (boxes, the insecure key) is kept apart from the user's ~/.vagrant.d.
export VAGRANT_HOME="$E2E_CACHE/vagrant.d"
export VAGRANT_DEFAULT_PROVIDER=libvirt
export VAGRANT_CHECKPOINT_DISABLE=1
export VAGRANT_NO_COLOR=1
export LIBVIRT_DEFAULT_URI=qemu:///system

vg() { ip netns exec "$E2E_NETNS" "$@"; }

_libvirtd_running() { virsh -c qemu:///system version >/dev/null 2>&1; }

start_vagrant_stack_packages() {
    [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, libvirtd)"
    apt_ensure "${VAGRANT_PKGS[@]}"
}

start_vagrant_stack() {
    start_vagrant_stack_packages
    if _libvirtd_running; then
        # A libvirtd outside our namespace would put the VMs on the machine's own network.
        local pid ns
        pid=$(pgrep -xo libvirtd) || die "libvirt answers but no libvirtd process found"
        ns=$(ip netns identify "$pid" 2>/dev/null)
        [ "$ns" = "$E2E_NETNS" ] || die "a libvirtd (pid $pid) already runs outside namespace $E2E_NETNS; stop it first"
        log "libvirtd already running in $E2E_NETNS"
    else
        ip netns list | grep -w "$E2E_NETNS" >/dev/null || ip netns add "$E2E_NETNS"
        ip -n "$E2E_NETNS" link set lo up
        mkdir -p /run/libvirt "$E2E_CACHE/logs"
        vg virtlogd -d || die "virtlogd did not start"
        # tini reaps the qemu processes libvirtd leaves behind; without it `vagrant up` hangs.
        vg setsid tini -s -- libvirtd >>"$E2E_CACHE/logs/libvirtd.log" 2>&1 </dev/null &
        for _ in $(seq 1 60); do
            _libvirtd_running && break
            sleep 0.5
        done
        _libvirtd_running || die "libvirtd did not start (log: $E2E_CACHE/logs/libvirtd.log)"
        E2E_CLEANUP+=("stop_vagrant_stack")
        log "libvirtd started in network namespace $E2E_NETNS"
    fi
    if ! virsh pool-info "$E2E_POOL" >/dev/null 2>&1; then
        mkdir -p "$E2E_POOL_DIR"
        chmod 0711 "$E2E_POOL_DIR"
        virsh -q pool-define-as --name "$E2E_POOL" --type dir --target "$E2E_POOL_DIR" >/dev/null
    fi
    virsh pool-info "$E2E_POOL" | grep 'State:.*running' >/dev/null || virsh -q pool-start "$E2E_POOL" >/dev/null
    vagrant plugin list 2>/dev/null | grep vagrant-libvirt >/dev/null || die "vagrant-libvirt plugin not found"
}

stop_vagrant_stack() {
    local n
    for n in $(virsh net-list --name 2>/dev/null); do
        case "$n" in vagrant-*) virsh -q net-destroy "$n" >/dev/null 2>&1; virsh -q net-undefine "$n" >/dev/null 2>&1 ;; esac
    done
    pkill -x libvirtd; pkill -x virtlogd
    sleep 1
    pkill -9 -x libvirtd; pkill -9 -x virtlogd
    ip netns del "$E2E_NETNS" 2>/dev/null
    log "libvirtd stopped, namespace $E2E_NETNS removed"
    return 0
}

# Adds the box to Vagrant under its recipe-hash name, once; older boxes of its flavour and their
# images in the storage pool are removed.
add_box() {
    local name=$1 file=$2 old vol prefix=${1%-*}-
    if ! vagrant box list 2>/dev/null | grep "^$name " >/dev/null; then
        log "vagrant box add $name"
        vagrant box add --force --name "$name" "$file" >/dev/null || die "vagrant box add failed"
    fi
    for old in $(vagrant box list 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 {print $1}'); do
        [ "$old" = "$name" ] || vagrant box remove --force "$old" >/dev/null 2>&1
    done
    for vol in $(virsh vol-list "$E2E_POOL" 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 {print $1}'); do
        case "$vol" in "${name}_"*) ;; *) virsh -q vol-delete --pool "$E2E_POOL" "$vol" >/dev/null 2>&1 ;; esac
    done
    return 0
}

# Serves a directory over HTTP inside the namespace, where the VMs reach it at
# http://$E2E_HTTP_ADDR:$E2E_HTTP_PORT/.
serve_http() {
    local dir=$1
    # Not through `vg`: a backgrounded function is a subshell, and killing it would leave the
    # server running; `ip netns exec` execs in place, so $! is the server itself.
    ip netns exec "$E2E_NETNS" python3 -m http.server "$E2E_HTTP_PORT" --bind 0.0.0.0 \
        --directory "$dir" >>"$E2E_CACHE/logs/http.log" 2>&1 </dev/null &
    local pid=$!
    E2E_CLEANUP+=("kill $pid")
    for _ in $(seq 1 40); do
        vg bash -c "exec 3<>/dev/tcp/127.0.0.1/$E2E_HTTP_PORT" 2>/dev/null && return 0
        sleep 0.25
    done
    die "HTTP server on port $E2E_HTTP_PORT did not start"
}

# Gives the VMs the CPU before anything else on the machine. With autogroup scheduling (on by
# default) `nice` only ranks processes within one session, and libvirt starts each qemu in a
# session of its own: a niced build in another session still takes half the CPU from the VMs.
# Raising the qemu sessions' autogroup priority does what `nice` cannot. Runs until cleanup.
favour_vms() {
    [ -w /proc/self/autogroup ] || return 0
    (
        while sleep 15; do
            for pid in $(pgrep -f '^/usr/bin/qemu-system' || true); do
                echo -10 >"/proc/$pid/autogroup" 2>/dev/null || true
            done
        done
    ) </dev/null >/dev/null 2>&1 &
    E2E_CLEANUP+=("kill $!")
}

# Destroys a Vagrant project's VMs and removes the project directory.
destroy_project() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -d "$dir/.vagrant" ]; then
        (cd "$dir" && vg vagrant destroy -f >>"${E2E_LOG:-/dev/null}" 2>&1) || log "vagrant destroy in $dir failed"
    fi
    rm -rf --one-file-system "$dir"
}

#!/bin/sh
# Runs a tier-1c host: systemd as PID 1 under systemd-nspawn, in the host's network namespace and
# on an overlay of the shared root. Started by the harness under `unshare --mount`, so the overlay
# lives only in this process's mount namespace. nspawn exits with 133 when the host reboots
# itself: it is booted again (files kept, new boot_id). Any other end stops the host.
# usage: supervise-systemd.sh NETNS NAME LOWER HOSTDIR BINDS CGROUP_DIR...
# BINDS: a file of `SOURCE TARGET` lines, each bind-mounted read-only at TARGET at every boot.
ns=$1 name=$2 lower=$3 hostdir=$4 binds=$5
shift 5
# The host's own cgroups (see cgroup.rs): nspawn --keep-unit nests the container below them.
for cg; do
  echo $$ >"$cg/cgroup.procs" || exit 1
done
root=$hostdir/root
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$hostdir/upper,workdir=$hostdir/work" "$root" ||
  exit 1
set --
while read -r src dst; do
  [ -n "$src" ] && set -- "$@" "--bind-ro=$src:$dst"
done <"$binds"
boots=0
while :; do
  boots=$((boots + 1))
  echo "$boots" >"$hostdir/boots"
  # --register=no --keep-unit: no machined or systemd on the machine is asked for anything.
  # --link-journal=no, --resolv-conf=off, --timezone=off: nothing of the machine is copied in
  # or linked out (the timezone module's tests own /etc/localtime).
  SYSTEMD_COLORS=0 systemd-nspawn --quiet --boot --directory="$root" --machine="$name" \
    --register=no --keep-unit --network-namespace-path="/run/netns/$ns" \
    --link-journal=no --resolv-conf=off --timezone=off --console=read-only "$@" \
    </dev/null >>"$hostdir/boot.log" 2>&1
  rc=$?
  echo "boot $boots ended with status $rc" >>"$hostdir/boot.log"
  [ "$rc" -eq 133 ] || exit "$rc"
done

#!/bin/sh
# Runs a tier-1b host and boots it again after an in-host reboot(2): the kernel then ends the
# host's PID 1 with SIGHUP, which unshare passes on (status 129). Any other end stops the host.
# usage: supervise.sh NETNS NAME LOWER HOSTDIR BOOT_SCRIPT [BINDS]
ns=$1 name=$2 lower=$3 hostdir=$4 boot=$5 binds=${6:-/dev/null}
boots=0
while :; do
  boots=$((boots + 1))
  echo "$boots" > "$hostdir/boots"
  ip netns exec "$ns" unshare --mount --uts --ipc --pid --fork --kill-child -- \
    /bin/sh "$boot" "$name" "$lower" "$hostdir" "$binds" >>"$hostdir/boot.log" 2>&1
  rc=$?
  echo "boot $boots ended with status $rc" >>"$hostdir/boot.log"
  [ "$rc" -eq 129 ] || exit "$rc"
done

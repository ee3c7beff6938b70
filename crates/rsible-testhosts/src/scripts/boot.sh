#!/bin/sh
# PID 1 of a tier-1b host before it enters its root: every mount below lives only in this host's
# mount namespace, so nothing is left to unmount on the machine when the host ends.
# usage: boot.sh NAME LOWER HOSTDIR [BINDS]
# BINDS: a file of `SOURCE TARGET` lines, each bind-mounted read-only at TARGET in the root.
set -eu
name=$1 lower=$2 hostdir=$3 binds=${4:-/dev/null}
root=$hostdir/root
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$hostdir/upper,workdir=$hostdir/work" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t tmpfs -o nosuid,mode=0755,size=4m dev "$root/dev"
for d in null zero full random urandom tty; do
  : >"$root/dev/$d"
  mount --bind "/dev/$d" "$root/dev/$d"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=0755,size=64m run "$root/run"
mkdir -m 0755 "$root/run/sshd"
# boot_id is kernel-wide; a fresh one per boot is what tools (ansible's reboot module) look at.
cat /proc/sys/kernel/random/uuid >"$root/run/.rsible-boot_id"
mount --bind "$root/run/.rsible-boot_id" "$root/proc/sys/kernel/random/boot_id"
while read -r src dst; do
  [ -n "$src" ] || continue
  if [ -d "$src" ]; then mkdir -p "$root$dst"; else mkdir -p "$root${dst%/*}"; : >>"$root$dst"; fi
  mount --bind "$src" "$root$dst"
  mount -o remount,bind,ro "$root$dst"
done <"$binds"
hostname "$name"
cd "$root"
exec chroot "$root" /usr/local/sbin/rsible-init

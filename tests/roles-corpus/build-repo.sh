#!/bin/bash
# Builds the local Debian repository the role corpus installs from (the test hosts have no
# network): every package the corpus roles install on Debian 12, with its dependencies, as
# apt resolves them against the test hosts' own root filesystem.
#
# Usage: tests/roles-corpus/build-repo.sh [OUT]
# OUT defaults to /var/cache/rsible-testhosts/corpus-repo-<hash of the names>, so adding a
# package to corpus.yml builds a new repository. Prints the repository's path on stdout.
# Needs root, the tier-1c root filesystem (`rsible-testhosts up --tier 1c` builds it once) and
# deb.debian.org. apt runs inside a throw-away copy of that root (chroot), never on the machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=/var/cache/rsible-testhosts/rootfs-bookworm-systemd-v1
[[ -d $root ]] || { echo "no $root: run rsible-testhosts up --tier 1c once" >&2; exit 1; }

# The package names, from the manifest's `packages:` and `prepare:` lines; the Python
# distributions from its `wheels:` lines.
names() { sed -n "s/^ *\($1\): *//p" "$here/corpus.yml" | tr -d '"' | tr ' ' '\n' | sed '/^$/d' | sort -u; }
mapfile -t packages < <(names 'packages\|prepare')
mapfile -t wheels < <(names wheels)
hash=$(printf '%s\n' "${packages[@]}" -- "${wheels[@]}" | sha256sum | cut -c1-12)
out=${1:-/var/cache/rsible-testhosts/corpus-repo-$hash}
[[ -f $out/Packages.gz ]] && { echo "$out"; exit 0; }
exec 3>&1 1>&2

work=$(mktemp -d /var/tmp/corpus-repo.XXXXXX)
cleanup() {
  umount "$work/root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -a "$root" "$work/root"
cp /etc/resolv.conf "$work/root/etc/resolv.conf"
mount -t proc proc "$work/root/proc"
chroot "$work/root" apt-get -q update
chroot "$work/root" apt-get -q -y --download-only install "${packages[@]}"
rm -rf "$out.tmp"
mkdir -p "$out.tmp/wheels"
cp "$work/root/var/cache/apt/archives/"*.deb "$out.tmp/"
# With recommends, as apt on the hosts installs them. The root's own packages too: a role may ask apt to reinstall or upgrade one of them.
cp /var/cache/rsible-testhosts/debootstrap-bookworm-systemd-v1/var/cache/apt/archives/*.deb "$out.tmp/" 2>/dev/null || true
if ((${#wheels[@]})); then
  # For pip on the hosts (their /etc/pip.conf points at this directory, no index).
  /opt/ansible-venv/bin/pip download -q --only-binary=:all: --python-version 3.11 \
    --platform manylinux2014_x86_64 -d "$out.tmp/wheels" "${wheels[@]}"
fi
(cd "$out.tmp" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9nk Packages)
mv "$out.tmp" "$out"
debs=("$out"/*.deb)
echo "built $out (${#debs[@]} packages)"
echo "$out" >&3

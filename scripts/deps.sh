#!/usr/bin/env bash
# Installs what rsible's build and tests need on a Debian machine: a few apt packages and
# ansible-core (the oracle of the differential tests) in a venv. Idempotent; run as root.
set -euo pipefail

venv="${RSIBLE_ANSIBLE_VENV:-/opt/ansible-venv}"
apt_pkgs=(make rsync openssh-client openssh-server sudo iproute2 debootstrap file e2fsprogs python3-venv shellcheck systemd-container)

missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

version=$("$venv/bin/ansible-playbook" --version 2>/dev/null || true)
if ! grep -q 'core 2\.19' <<<"$version"; then
    echo "deps: installing ansible-core<2.20 and ansible 12.x into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'ansible-core<2.20' 'ansible>=12,<13'
fi
version=$("$venv/bin/ansible-playbook" --version)
echo "${version%%$'\n'*}"

command -v cargo >/dev/null || { echo "deps: cargo is required (rustup)" >&2; exit 1; }

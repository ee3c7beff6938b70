#!/usr/bin/env bash
# Generates the key pair the article's kernel_install role copies into the VMs
# (provisioning/roles/kernel_install/files/ssh/id_rsa{,.pub}). Never committed: .gitignore keeps it out.
set -euo pipefail
dir="${1:-$(dirname "$0")/../provisioning/roles/kernel_install/files/ssh}"
if [ ! -f "$dir/id_rsa" ]; then
    ssh-keygen -q -t rsa -b 3072 -N '' -C rsible-article -f "$dir/id_rsa"
fi
echo "$dir/id_rsa.pub"

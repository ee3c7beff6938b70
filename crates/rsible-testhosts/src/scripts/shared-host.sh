#!/bin/sh
# Runs COMMAND as part of a tier-1 host: called inside the host's network namespace with a
# private UTS and mount namespace, it sets the hostname, hides root's ~/.bashrc and execs COMMAND
# (the host's sshd, or a command of `HostSet::exec_on`).
# usage: shared-host.sh NAME BASHRC COMMAND...
set -eu
name=$1 bashrc=$2
shift 2
hostname "$name"
# root's own ~/.bashrc may run slow tools (pyenv init) on every ssh command: hide it from this host.
if [ -f /root/.bashrc ] && [ ! -L /root/.bashrc ]; then
  mount --bind "$bashrc" /root/.bashrc
fi
mkdir -p /run/sshd
exec "$@"

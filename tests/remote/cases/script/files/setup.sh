#!/bin/sh
echo "as $(id -un) in $(pwd) with $# args: $*"
echo "${MARK:-no mark}" > "${OUT:-/home/vagrant/out.txt}"
echo warn >&2

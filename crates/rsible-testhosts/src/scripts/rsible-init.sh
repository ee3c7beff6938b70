#!/bin/sh
# PID 1 of a tier-1b test host: starts sshd and reaps orphaned processes (`wait` reaps any child).
mkdir -p /var/log/rsible-testhosts
/usr/sbin/sshd -D -E /var/log/rsible-testhosts/sshd.log &
while :; do
  sleep 2147483647 &
  wait
done

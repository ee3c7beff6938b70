#!/bin/sh
# Stand-in for shutdown/reboot/poweroff/halt in a tier-1b test host (minbase has no init system).
# It returns at once and calls reboot(2) shortly after: inside the host's own PID namespace that
# ends only the host (the machine's supervisor then boots it again after a reboot).
prog=${0##*/}
action=poweroff
delay=1
case $prog in
  reboot) action=reboot ;;
esac
if [ "$prog" = shutdown ]; then
  for arg; do
    case $arg in
      -r | --reboot) action=reboot ;;
      -h | -P | -H | --halt | --poweroff) action=poweroff ;;
      -c) echo "shutdown: cancelling is not supported in a test host" >&2; exit 1 ;;
      now | +0 | 0) delay=1 ;;
      +[0-9]*) delay=$((${arg#+} * 60)) ;;
      [0-9]*) case $arg in *:*) ;; *) delay=$((arg * 60)) ;; esac ;;
    esac
  done
fi
if [ "$(id -u)" != 0 ]; then
  echo "$prog: must be root" >&2
  exit 1
fi
# Refuse outside a booted test host: reboot(2) in the machine's own PID namespace is a real reboot.
if [ ! -e /run/.rsible-boot_id ] || ! tr '\0' ' ' </proc/1/cmdline | grep -q rsible-init; then
  echo "$prog: not running inside an rsible test host, refusing" >&2
  exit 1
fi
case $action in
  reboot) how=0x01234567 ;;
  *) how=0x4321fedc ;;
esac
# With /etc/rsible-testhosts/reboot-on-reconnect present, a reboot waits until the controller
# reconnects (a new TCP connection to sshd, or none left; at most 60 s): playbooks that poll an
# async `shutdown -r` then see the host go down when they reconnect, not in the middle of a poll.
if [ "$action" = reboot ] && [ -e /etc/rsible-testhosts/reboot-on-reconnect ]; then
  setsid /usr/bin/python3 -c '
import ctypes, sys, time
def ssh_peers():
    peers = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "01" and f[1].rsplit(":", 1)[1] == "0016":
                peers.add(f[2])
    return peers
first = ssh_peers()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    time.sleep(0.05)
    now = ssh_peers()
    if not now or now - first:
        break
ctypes.CDLL(None).reboot(int(sys.argv[1], 0))
' $how </dev/null >/dev/null 2>&1 &
  exit 0
fi
setsid /bin/sh -c "sleep $delay; exec /usr/bin/python3 -c 'import ctypes, sys; ctypes.CDLL(None).reboot(int(sys.argv[1], 0))' $how" \
  </dev/null >/dev/null 2>&1 &
exit 0

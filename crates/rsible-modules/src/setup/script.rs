//! The one shell script `setup` runs on the target, and the splitting of its output.
//!
//! The script prints raw sources (files under /proc, /sys, /etc and command output) in sections;
//! all of Ansible's interpretation happens on the controller, so the script stays POSIX sh with
//! no parsing of its own. Each section starts with a line `@@RSIBLE@@ <name>`. The environment
//! comes last, NUL-separated, so values holding newlines survive.

/// Starts every section header line.
pub(crate) const MARK: &str = "@@RSIBLE@@ ";

/// Every exec costs the target a millisecond or two, and on a busy host far more, so what a
/// builtin can do is done by one: `R` reads a one-line file with `read`, `uname` runs once and
/// the shell splits its fields (POSIX fixes their order), the ids come from
/// `/proc/self/status`, and one `date -f -` prints the time and the zone in January and July.
/// `ip addr show` runs twice for all interfaces (primary, then secondary addresses), not twice
/// for each as Ansible does; the controller cuts the output into interfaces.
/// `python`: `-I -S` and finding `_ssl` without importing `ssl` cost a quarter of a plain
/// start (the slowest part of the script); a Python without them (2.x) gets the plain one.
/// `get_bin_path` looks in `PATH` and the sbin directories; a subshell keeps the environment
/// printed at the end untouched.
pub(crate) const SCRIPT: &str = r#"S() { printf '\n@@RSIBLE@@ %s\n' "$1"; }
bin() ( PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"; command -v "$1" 2>/dev/null )
F() { [ -r "$1" ] && cat "$1" 2>/dev/null; }
R() { [ -r "$1" ] || return 1; _v=; { IFS= read -r _v <"$1"; } 2>/dev/null || [ -n "$_v" ] || return 1; printf '%s\n' "$_v"; }
u=$(uname -s -n -r -v -m); set -f; set -- $u; set +f; eval "m=\${$#}"
S system; printf '%s\n' "$1"
S kernel; printf '%s\n' "$3"
S kernel_version; v=${u#"$1 $2 $3 "}; printf '%s\n' "${v%" $m"}"
S machine; printf '%s\n' "$m"
S nodename; n=$2; printf '%s\n' "$n"
S long_bit; getconf LONG_BIT 2>/dev/null || case $(od -An -tu1 -j4 -N1 /bin/sh 2>/dev/null) in *2*) echo 64 ;; *1*) echo 32 ;; esac
S fqdn; a=$(getent ahosts "$n" 2>/dev/null); set -f; set -- $a; set +f
[ -n "${1:-}" ] && h=$(getent hosts "$1" 2>/dev/null) && [ -n "$h" ] && printf '%s\n' "${h%%
*}"
gu="${LOGNAME:-${USER:-${LNAME:-${USERNAME:-}}}}"
S getuser; printf '%s\n' "$gu"
S ids; ru=; if [ -r /proc/self/status ]; then while read -r k a b _r; do case $k in Uid:) ru=$a eu=$b ;; Gid:) rg=$a; break ;; esac; done </proc/self/status; fi
if [ -n "$ru" ]; then printf '%s\n' "$eu" "$ru" "$rg"; else id -u; ru=$(id -ru); printf '%s\n' "$ru"; id -rg; fi
[ -n "$gu" ] || id -un
S pw_name; pw=; [ -n "$gu" ] && pw=$(getent passwd "$gu" 2>/dev/null) && printf '%s\n' "$pw"
S pw_uid; [ -n "$pw" ] || getent passwd "$ru" 2>/dev/null
S os_release; F /etc/os-release || F /usr/lib/os-release
S debian_version; R /etc/debian_version
S lsb_bin; l=$(bin lsb_release) && "$l" -a 2>/dev/null
S lsb_file; F /etc/lsb-release
S date; df='+%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%Y-%m-%d|%H:%M:%S|%Y%m%dT%H%M%S|%Z|%z|%N'
date -f - "$df" 2>/dev/null <<'E' || { date "$df"; y=$(date +%Y); for md in 01-01 07-01; do date -d "$y-$md 12:00" "$df" 2>/dev/null; done; }
now
jan 1 12:00
jul 1 12:00
E
S meminfo; F /proc/meminfo
S cpuinfo; F /proc/cpuinfo
S nproc; nproc 2>/dev/null
S dmi; dm=/sys/devices/virtual/dmi/id
if [ -e $dm/product_name ]; then echo sys; for f in bios_date bios_vendor bios_version board_asset_tag board_name board_serial board_vendor board_version chassis_asset_tag chassis_serial chassis_vendor chassis_version chassis_type product_name product_serial product_uuid product_version sys_vendor; do [ -r $dm/$f ] && { v=; { IFS= read -r v <$dm/$f; } 2>/dev/null; printf '%s=%s\n' "$f" "$v"; }; done
else d=$(bin dmidecode) && { echo bin; for k in bios-release-date bios-vendor bios-version baseboard-asset-tag baseboard-product-name baseboard-serial-number baseboard-manufacturer baseboard-version chassis-asset-tag chassis-serial-number chassis-manufacturer chassis-version chassis-type system-product-name system-serial-number system-uuid system-version system-manufacturer; do v=$("$d" -s "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$(printf '%s\n' "$v" | grep -v '^#' | tr -d '\n')"; done; }; fi
S xen; [ -e /proc/xen ] && echo xen; R /sys/hypervisor/type
S uptime; R /proc/uptime
S loadavg; R /proc/loadavg
S cmdline; R /proc/cmdline
S fips; R /proc/sys/crypto/fips_enabled
S machine_id; R /var/lib/dbus/machine-id || R /etc/machine-id
S paths; for p in /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf-3 /usr/bin/dnf5 /usr/bin/apt-get /usr/bin/zypper /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /usr/pkg/bin/pkgin /opt/local/bin/pkgin /opt/tools/bin/pkgin /opt/local/bin/port /usr/local/bin/brew /opt/homebrew/bin/brew /sbin/apk /usr/sbin/pkg /usr/sbin/swlist /usr/bin/emerge /usr/sbin/pkgadd /usr/bin/pkg /usr/bin/xbps-install /usr/local/sbin/pkg /usr/bin/swupd /usr/sbin/sorcery /usr/bin/installp /usr/bin/rpm /run/ostree-booted /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/ /etc/init/ /sbin/openrc /etc/init.d/ /etc/dinit.d/ /sys/kernel/security/apparmor /etc/resolv.conf; do [ -e "$p" ] && printf '%s\n' "$p"; done
[ -e /usr/bin/rpm ] && /usr/bin/rpm -q --whatprovides /usr/bin/apt-get >/dev/null 2>&1 && echo apt_rpm
for p in /usr/bin/dnf /usr/bin/microdnf; do [ -e "$p" ] && printf 'real %s %s\n' "$p" "$(readlink -f "$p")"; done
[ -L /sbin/init ] && printf 'init %s\n' "$(readlink /sbin/init)"
bin systemctl >/dev/null && echo systemctl
bin initctl >/dev/null && echo initctl
S proc1; if [ -r /proc/1/comm ]; then R /proc/1/comm; else printf 'ps:'; ps -p 1 -o comm 2>/dev/null | tail -n 1; fi
S selinux; R /sys/fs/selinux/enforce
S caps; c=$(bin capsh) && o=$("$c" --print 2>/dev/null) && printf 'ok\n%s\n' "$o"
for k in /etc/ssh /etc/openssh /etc; do for a in dsa rsa ecdsa ed25519; do f=$k/ssh_host_${a}_key.pub; [ -r "$f" ] && { S "sshkey $k $a"; R "$f"; }; done; done
S chroot; [ -n "${debian_chroot:-}" ] && echo env; c=$(stat -c '%d %i' / /proc/1/root/. 2>/dev/null) && printf '%s\n' "$c" || { printf '%s\nfail\n' "${c%%
*}"; stat -f --format=%T / 2>/dev/null; }
S resolv; F /etc/resolv.conf
S python; [ -n "$py" ] && { "$py" -I -S -c 'import sys
from importlib.machinery import PathFinder
c = "_ssl" in sys.builtin_module_names or PathFinder.find_spec("_ssl") is not None
print(sys.executable)
print(" ".join(str(v) for v in sys.version_info))
print(sys.implementation.name)
print(c)' 2>/dev/null || "$py" -c 'import sys
try:
    import ssl
    c = hasattr(ssl, "SSLContext")
except Exception:
    c = False
print(sys.executable)
print(" ".join(str(v) for v in sys.version_info))
print(getattr(getattr(sys, "implementation", None), "name", None) or "")
print(c)' 2>/dev/null; }
ip=$(bin ip)
if [ -n "$ip" ]; then
S route4; "$ip" -4 route get 8.8.8.8 2>/dev/null
S route6; "$ip" -6 route get 2404:6800:400a:800::1012 2>/dev/null
S local4; "$ip" -4 route show table local 2>/dev/null
S local6; "$ip" -6 route show table local 2>/dev/null
for d in $(ls -f /sys/class/net 2>/dev/null); do
  p=/sys/class/net/$d
  case $d in .*) continue ;; esac
  [ -d "$p" ] || continue
  S "if $d"
  for f in address mtu operstate type flags speed; do [ -e "$p/$f" ] && { v=; { IFS= read -r v <"$p/$f"; } 2>/dev/null; printf '%s=%s\n' "$f" "$v"; }; done
  [ -e "$p/device/driver/module" ] && v=$(readlink -f "$p/device/driver/module") && printf 'module=%s\n' "${v##*/}"
  [ -e "$p/device" ] && v=$(readlink "$p/device") && printf 'pciid=%s\n' "${v##*/}"
  if [ -e "$p/bridge" ]; then
    printf 'bridge=%s\n' "$(ls -f "$p/brif" 2>/dev/null | grep -v '^\.' | tr '\n' ' ')"
    [ -e "$p/bridge/bridge_id" ] && printf 'bridge_id=%s\n' "$(cat "$p/bridge/bridge_id")"
    [ -e "$p/bridge/stp_state" ] && printf 'stp_state=%s\n' "$(cat "$p/bridge/stp_state")"
  fi
  if [ -e "$p/bonding" ]; then
    for f in slaves mode miimon lacp_rate primary all_slaves_active; do printf 'bond_%s=%s\n' "$f" "$(cat "$p/bonding/$f" 2>/dev/null)"; done
  fi
  [ -e "$p/bonding_slave" ] && printf 'perm_hwaddr=%s\n' "$(cat "$p/bonding_slave/perm_hwaddr" 2>/dev/null)"
done
S addr_primary; "$ip" addr show primary 2>/dev/null || { S addr_all; "$ip" addr show 2>/dev/null; }
S addr_secondary; "$ip" addr show secondary 2>/dev/null
fi
"#;

/// Printed last: the environment, NUL-separated when `env -0` works.
pub(crate) const ENV_TAIL: &str = "S env\nenv -0 2>/dev/null || env\n";

/// The script's sections in output order, as `(name, content)`.
pub(crate) fn sections(stdout: &[u8]) -> Vec<(String, Vec<u8>)> {
    let marker = format!("\n{MARK}");
    let mut out = Vec::new();
    let mut rest = stdout;
    let Some(first) = find(rest, marker.as_bytes()) else {
        return out;
    };
    rest = &rest[first + marker.len()..];
    loop {
        let name_end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let name = String::from_utf8_lossy(&rest[..name_end]).into_owned();
        let body_start = (name_end + 1).min(rest.len());
        let body = &rest[body_start..];
        // The environment is last and may contain anything, so it is never split further.
        let next = if name == "env" {
            None
        } else {
            find(body, marker.as_bytes())
        };
        match next {
            Some(i) => {
                out.push((name, body[..i].to_vec()));
                rest = &body[i + marker.len()..];
            }
            None => {
                out.push((name, body.to_vec()));
                return out;
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

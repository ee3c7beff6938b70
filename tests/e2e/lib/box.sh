# shellcheck shell=bash
# A Debian 12 Vagrant box for vagrant-libvirt, built from Debian's packages (no box can be
# downloaded here), plus the local apt repository the VMs install from. Sourced; defines
# build_box, which leaves the box file, its name and the repository in BOX_FILE, BOX_NAME and
# APT_REPO_DIR. Everything is cached in $E2E_CACHE/box and rebuilt only when this recipe changes.
#
# What the box carries, and why:
# - the generic kernel (the cloud flavour has no rdma_rxe) with an initramfs, GRUB 2 on an MBR
#   disk and `net.ifnames=0` kept in /etc/default/grub, so NICs stay eth0/eth1 across update-grub;
# - systemd, dbus (Vagrant's Debian guest code calls hostnamectl), systemd-networkd with DHCP on
#   eth0, an empty machine-id (else both VMs ask DHCP for the same lease);
# - user vagrant with NOPASSWD sudo and Vagrant's insecure public key (Vagrant replaces it on the
#   first `vagrant up`), no serial console (nobody reads vagrant-libvirt's pty: a console there
#   blocks boot);
# - python3 and python3-apt, so ansible-core can provision the same VMs as the oracle; rsync for
#   synchronize;
# - what the article's playbook assumes its box already has: a compiler toolchain, cmake,
#   pkg-config, autotools, bison/flex, libpci-dev and rdma-core's other build dependencies.
#   The packages the playbook installs itself are not in the box: they come from the local apt
#   repository (the only apt source), served to the VMs over HTTP by the e2e scripts.

BOX_BASE_PKGS=(systemd-sysv dbus udev kmod iproute2 iputils-ping netbase openssh-server sudo
    grub-pc linux-image-amd64 initramfs-tools rsync python3 python3-apt ca-certificates procps
    less)
BOX_BUILD_PKGS=(build-essential cmake pkg-config autoconf automake libtool bison flex libpci-dev
    libudev-dev libsystemd-dev libnl-3-dev python3-docutils)
# Installed by the VMs from the local repository: the article's apt task, and the smoke test's.
ARTICLE_REPO_PKGS=(libnl-route-3-dev pandoc docutils-common iproute2 libmnl-dev lldb strace ltrace hello)
SMOKE_REPO_PKGS=(hello)

BOX_DEPS=(debootstrap qemu-utils/bookworm e2fsprogs fdisk dpkg-dev python3)

# The address of the host on vagrant-libvirt's management network, where the VMs find the
# local apt repository and the article's source tarballs.
E2E_HTTP_ADDR="${E2E_HTTP_ADDR:-192.168.121.1}"
E2E_HTTP_PORT="${E2E_HTTP_PORT:-8088}"

# Runs a command in the box's root filesystem with /proc, /sys and /dev mounted, and no
# daemon started by package scripts.
_in_root() {
    local root=$1; shift
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

# Only /proc: debootstrap made the device nodes, and nothing here needs the machine's /dev or
# /sys (a bind mount of them would put the machine's /dev under a tree that is later deleted).
_mount_chroot() {
    mount -t proc proc "$1/proc"
}

_umount_chroot() {
    if mountpoint -q "$1/proc"; then umount "$1/proc"; fi
    return 0
}

_box_recipe_hash() {
    { cat "${BASH_SOURCE[0]}"; printf '%s\n' "$BOX_FLAVOUR" "${BOX_PKGS[@]}" "${REPO_PKGS[@]}"
      printf '%s:%s\n' "$E2E_HTTP_ADDR" "$E2E_HTTP_PORT"; } | sha256sum | cut -c1-10
}

# apt-get update in the box against the local repository at the very address the VMs use, so
# the box knows the repository's packages as the article's box knows its mirror's (the
# playbook's apt task does not update the cache). The address lives in a
# network namespace of its own (on its loopback), for the length of the update.
_apt_update_from_repo() {
    local root=$1 repo=$2 ns="rsible-boxbuild-$$" pid rc
    ip netns add "$ns" || die "ip netns add $ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$E2E_HTTP_ADDR/32" dev lo
    local served
    served=$(mktemp -d)
    ln -s "$repo" "$served/repo"
    ip netns exec "$ns" python3 -m http.server "$E2E_HTTP_PORT" --bind "$E2E_HTTP_ADDR" \
        --directory "$served" >/dev/null 2>&1 &
    pid=$!
    sleep 1
    ip netns exec "$ns" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C apt-get update -qq >/dev/null
    rc=$?
    kill "$pid"
    wait "$pid" 2>/dev/null
    rm -rf "$served"
    ip netns del "$ns"
    [ $rc = 0 ] || die "apt-get update against the local repository failed"
}

# The root filesystem: debootstrap, the box's packages, the configuration above.
_build_rootfs() {
    local root=$1 repo=$2
    log "debootstrap bookworm (with the box's packages)"
    local include
    include=$(IFS=,; echo "${BOX_PKGS[*]}")
    debootstrap --variant=minbase --include="$include" bookworm "$root" http://deb.debian.org/debian \
        >"$root.debootstrap.log" 2>&1 || { tail -20 "$root.debootstrap.log" >&2; die "debootstrap failed"; }
    _mount_chroot "$root"

    # The article's packages and their dependencies, exactly what this box lacks: downloaded by
    # the box's own apt, then the box forgets them.
    log "downloading the VMs' apt repository: ${REPO_PKGS[*]}"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    _in_root "$root" apt-get install -y -qq --download-only --no-install-recommends "${REPO_PKGS[@]}" >/dev/null \
        || die "apt-get --download-only in the box failed"
    mkdir -p "$repo"
    cp "$root"/var/cache/apt/archives/*.deb "$repo/"
    _in_root "$root" apt-get clean
    (cd "$repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9nkf Packages) \
        || die "dpkg-scanpackages failed"

    log "configuring the box"
    # The local repository is the only apt source: the VMs reach nothing else.
    echo "deb [trusted=yes] http://$E2E_HTTP_ADDR:$E2E_HTTP_PORT/repo ./" >"$root/etc/apt/sources.list"
    _apt_update_from_repo "$root" "$repo"
    echo "nameserver $E2E_HTTP_ADDR" >"$root/etc/resolv.conf"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    echo debian12 >"$root/etc/hostname"
    : >"$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id"
    echo '/dev/vda1 / ext4 errors=remount-ro 0 1' >"$root/etc/fstab"

    mkdir -p "$root/etc/systemd/network"
    # The lease follows the MAC, as with ifupdown's dhclient in the usual Vagrant boxes (networkd's
    # default client id changes with the kernel, and a VM rebooted into the article's kernel
    # would come back on another address). The address stays until the end of a shutdown, so
    # sshd's sessions close cleanly instead of leaving the controller a dead TCP connection.
    cat >"$root/etc/systemd/network/10-eth0.network" <<'NET'
[Match]
Name=eth0

[Network]
DHCP=ipv4
KeepConfiguration=dhcp-on-stop

[DHCPv4]
ClientIdentifier=mac
NET
    _in_root "$root" systemctl enable systemd-networkd.service ssh.service >/dev/null 2>&1 \
        || die "systemctl enable failed"
    _in_root "$root" systemctl mask serial-getty@ttyS0.service >/dev/null 2>&1 || true

    _in_root "$root" useradd -m -s /bin/bash vagrant
    # sshd refuses key logins to a locked account when PAM is off; Vagrant's boxes use this password.
    echo 'vagrant:vagrant' | _in_root "$root" chpasswd
    echo 'root:vagrant' | _in_root "$root" chpasswd
    echo 'vagrant ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/vagrant"
    chmod 0440 "$root/etc/sudoers.d/vagrant"
    install -d -m 0700 "$root/home/vagrant/.ssh"
    install -m 0600 "$VAGRANT_INSECURE_PUB" "$root/home/vagrant/.ssh/authorized_keys"
    _in_root "$root" chown -R vagrant:vagrant /home/vagrant/.ssh
    printf 'UseDNS no\n' >"$root/etc/ssh/sshd_config.d/vagrant.conf"
    # Each VM makes its own host keys on first boot.
    rm -f "$root"/etc/ssh/ssh_host_*
    cat >"$root/etc/systemd/system/ssh-host-keys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
    _in_root "$root" systemctl enable ssh-host-keys.service >/dev/null 2>&1 || die "enable ssh-host-keys"

    # GRUB reads its modules and grub.cfg from /boot/grub; the first grub.cfg is written here,
    # every later one by update-grub inside the VM from /etc/default/grub.
    cat >"$root/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="net.ifnames=0 biosdevname=0"
GRUB_TERMINAL=console
GRUB_DISABLE_OS_PROBER=true
GRUB
    mkdir -p "$root/boot/grub/i386-pc"
    cp "$root"/usr/lib/grub/i386-pc/*.mod "$root"/usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
    local vmlinuz initrd
    vmlinuz=$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -1)
    initrd="initrd.img-${vmlinuz#vmlinuz-}"
    [ -f "$root/boot/$initrd" ] || die "no $initrd in the box"
    cat >"$root/boot/grub/grub.cfg" <<CFG
set timeout=0
insmod part_msdos
insmod ext2
menuentry 'Debian GNU/Linux' {
    set root=(hd0,msdos1)
    linux /boot/$vmlinuz root=/dev/vda1 ro net.ifnames=0 biosdevname=0 quiet
    initrd /boot/$initrd
}
CFG
    _in_root "$root" grub-mkimage -O i386-pc -p '(hd0,msdos1)/boot/grub' -o /boot/grub/core.img \
        biosdisk part_msdos ext2 || die "grub-mkimage failed"
    _umount_chroot "$root"
}

# An MBR disk with one ext4 partition made straight from the root filesystem (mke2fs -d: no
# loop device needed), GRUB's boot.img in the MBR and core.img in the gap after it.
_build_disk() {
    local root=$1 disk=$2 size_gb=$3
    local part="$disk.part" offset_mb=1
    log "making the ${size_gb} GiB disk"
    rm -f "$disk" "$part"
    truncate -s "${size_gb}G" "$disk"
    printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$disk" || die "sfdisk failed"
    truncate -s $(( size_gb * 1024 - offset_mb ))M "$part"
    # GRUB 2.06 cannot read ext4's metadata_csum_seed and orphan_file features.
    mkfs.ext4 -q -F -L rootfs -O ^metadata_csum_seed,^orphan_file -d "$root" "$part" \
        || die "mkfs.ext4 -d failed"
    dd if="$part" of="$disk" bs=1M seek=$offset_mb conv=notrunc,sparse status=none
    rm -f "$part"
    dd if="$root/usr/lib/grub/i386-pc/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
    local core_bytes
    core_bytes=$(stat -c %s "$root/boot/grub/core.img")
    [ "$core_bytes" -lt $(( (2048 - 1) * 512 )) ] || die "core.img does not fit before the partition"
    dd if="$root/boot/grub/core.img" of="$disk" bs=512 seek=1 conv=notrunc status=none
}

build_box() {
    BOX_FLAVOUR=$1
    case "$BOX_FLAVOUR" in
        article) BOX_PKGS=("${BOX_BASE_PKGS[@]}" "${BOX_BUILD_PKGS[@]}"); REPO_PKGS=("${ARTICLE_REPO_PKGS[@]}") ;;
        smoke) BOX_PKGS=("${BOX_BASE_PKGS[@]}"); REPO_PKGS=("${SMOKE_REPO_PKGS[@]}") ;;
        *) die "unknown box flavour $BOX_FLAVOUR" ;;
    esac
    apt_ensure "${BOX_DEPS[@]}"
    VAGRANT_INSECURE_PUB=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -1)
    [ -n "$VAGRANT_INSECURE_PUB" ] || die "Vagrant's insecure public key not found (is vagrant installed?)"
    local hash dir
    hash=$(_box_recipe_hash)
    dir="$E2E_CACHE/box"
    BOX_NAME="rsible-debian12-$BOX_FLAVOUR-$hash"
    BOX_FILE="$dir/$BOX_NAME.box"
    APT_REPO_DIR="$dir/$BOX_NAME.repo"
    if [ -f "$BOX_FILE" ] && [ -f "$APT_REPO_DIR/Packages.gz" ]; then
        log "box $BOX_NAME is cached"
        return 0
    fi
    mkdir -p "$dir"
    local work="$dir/work-$hash"
    _umount_chroot "$work/root"
    rm -rf --one-file-system "$work" "$APT_REPO_DIR"
    E2E_CLEANUP+=("_umount_chroot '$work/root'")
    mkdir -p "$work"
    _build_rootfs "$work/root" "$APT_REPO_DIR"
    _build_disk "$work/root" "$work/disk.raw" 8
    log "converting to qcow2 and packing $BOX_FILE"
    qemu-img convert -O qcow2 "$work/disk.raw" "$work/box.img" || die "qemu-img convert failed"
    printf '{"provider":"libvirt","format":"qcow2","virtual_size":8}\n' >"$work/metadata.json"
    printf 'Vagrant.configure("2") do |config|\n  config.vm.provider :libvirt do |libvirt|\n    libvirt.driver = "qemu"\n  end\nend\n' >"$work/Vagrantfile"
    tar -C "$work" -cf "$BOX_FILE.tmp" metadata.json Vagrantfile box.img || die "tar failed"
    mv "$BOX_FILE.tmp" "$BOX_FILE"
    rm -rf --one-file-system "$work"
    # Older boxes of this recipe are of no further use.
    find "$dir" -maxdepth 1 -name "rsible-debian12-$BOX_FLAVOUR-*.box" ! -name "$BOX_NAME.box" -delete
    find "$dir" -maxdepth 1 -name "rsible-debian12-$BOX_FLAVOUR-*.repo" ! -name "$BOX_NAME.repo" \
        -exec rm -rf {} +
    log "box $BOX_NAME built ($(du -h "$BOX_FILE" | cut -f1))"
}

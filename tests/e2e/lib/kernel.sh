# shellcheck shell=bash
# The host side of the article: a real Linux kernel tree, configured to boot the VMs without an
# initramfs and to carry SoftRoCE, built once on the host (~11 minutes on 2 cores) and kept in the
# cache. The article's first play then runs `make install`, `modules_install`, `headers_install`
# in it. Sourced; defines build_kernel, which prints the tree's path.

KERNEL_BUILD_DEPS=(linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils)

build_kernel() {
    apt_ensure "${KERNEL_BUILD_DEPS[@]}"
    local tarball tree fragments stamp
    tarball=$(ls /usr/src/linux-source-6.1.tar.xz) || die "linux-source-6.1 has no tarball"
    tree="$E2E_CACHE/kernel/linux-source-6.1"
    fragments=("$E2E_DIR/kernel/trim.config" "$E2E_DIR/kernel/vm.config")
    # The tree is rebuilt from scratch when the source package or a fragment changes.
    stamp=$(cat "$tarball.stamp" 2>/dev/null; stat -c '%s %Y' "$tarball"; cat "${fragments[@]}" | sha256sum)
    if [ ! -f "$tree/.rsible-stamp" ] || [ "$(cat "$tree/.rsible-stamp")" != "$stamp" ]; then
        log "unpacking $tarball"
        rm -rf "$E2E_CACHE/kernel"
        mkdir -p "$E2E_CACHE/kernel"
        tar -C "$E2E_CACHE/kernel" -xf "$tarball"
        (
            cd "$tree"
            make -s defconfig
            make -s kvm_guest.config
            scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" >/dev/null
            make -s olddefconfig
        ) || die "kernel configuration failed"
        for opt in CONFIG_RDMA_RXE=m CONFIG_VIRTIO_BLK=y CONFIG_EXT4_FS=y CONFIG_DEVTMPFS_MOUNT=y; do
            grep -qx "$opt" "$tree/.config" || die "kernel .config lacks $opt after olddefconfig"
        done
        printf '%s' "$stamp" >"$tree/.rsible-stamp"
    fi
    log "make -j$(nproc) in $tree"
    (cd "$tree" && make -s -j"$(nproc)" >"$E2E_CACHE/kernel/build.log" 2>&1) \
        || { tail -30 "$E2E_CACHE/kernel/build.log" >&2; die "kernel build failed (log: $E2E_CACHE/kernel/build.log)"; }
    log "built $(cd "$tree" && make -s kernelrelease)"
    printf '%s\n' "$tree"
}

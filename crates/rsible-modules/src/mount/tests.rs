use super::fstab::{escape, linux_mounts, set_mount, unset_mount, Entry};

fn entry(src: &str, name: &str, fstype: &str, opts: &str) -> Entry {
    Entry {
        src: src.into(),
        name: name.into(),
        fstype: fstype.into(),
        opts: opts.into(),
        dump: "0".into(),
        passno: "0".into(),
    }
}

const FSTAB: &str = "# /etc/fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/sdb1 /data xfs defaults\n/swapfile none swap sw 0 0\n";

#[test]
fn entries_are_added_and_updated_in_place() {
    let (text, changed) = set_mount(
        FSTAB,
        &entry("tmpfs", "/mnt/my space", "tmpfs", "size=1m"),
        true,
    );
    assert!(changed);
    assert!(
        text.ends_with("/swapfile none swap sw 0 0\ntmpfs /mnt/my\\040space tmpfs size=1m 0 0\n")
    );
    // A line without dump and passno is rewritten with them.
    let (text, changed) = set_mount(FSTAB, &entry("/dev/sdb1", "/data", "xfs", "defaults"), true);
    assert!(changed);
    assert!(
        text.contains("\n/dev/sdb1 /data xfs defaults 0 0\n"),
        "{text}"
    );
    let same = "/dev/sdb1 /data xfs defaults 0 0\n";
    assert_eq!(
        set_mount(same, &entry("/dev/sdb1", "/data", "xfs", "defaults"), true),
        (same.to_owned(), false)
    );
    // Without a final newline the line gets one.
    let (text, _) = set_mount("a /b c d 0 0", &entry("x", "/y", "z", "defaults"), true);
    assert_eq!(text, "a /b c d 0 0\nx /y z defaults 0 0\n");
}

#[test]
fn entries_are_removed_by_mount_point_or_swap_source() {
    let (text, changed) = unset_mount(FSTAB, &entry("None", "/", "None", "defaults"), false);
    assert!(changed);
    assert!(!text.contains("UUID=1"));
    // Five fields: not a line the removal reads.
    assert!(!unset_mount(FSTAB, &entry("", "/data", "", ""), false).1);
    let (_, changed) = unset_mount(FSTAB, &entry("/other", "none", "swap", ""), true);
    assert!(!changed);
    assert_eq!(escape("a\\b&c d"), "a\\134b\\046c\\040d");
}

#[test]
fn mountinfo_gives_bind_sources() {
    let info = "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
                30 20 0:40 / /mnt/t rw - tmpfs tmpfs rw\n\
                31 20 8:1 /srv/data /mnt/bind rw - ext4 /dev/sda1 rw\n";
    let m = linux_mounts(info);
    assert_eq!(m["/"].src, "/dev/sda1");
    assert_eq!(m["/mnt/t"].src, "/");
    assert_eq!(m["/mnt/bind"].src, "/srv/data");
}

//! The cached root filesystem of tier-1b hosts: a Debian bookworm `debootstrap` (built once) and,
//! from a copy of it, the prepared root that every host mounts read-only as its overlay's lower
//! layer. Both are built under a temporary name and renamed when complete, so a build that crashed
//! half-way is never used.

use std::os::unix::fs::{symlink, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::error::Error;
use crate::process;

/// Where the bootstrapped and prepared roots are kept between runs.
pub const DEFAULT_CACHE_DIR: &str = "/var/cache/rsible-testhosts";

const SUITE: &str = "bookworm";
const MIRROR: &str = "http://deb.debian.org/debian";

/// What one kind of cached root is made of.
struct Recipe {
    /// Part of the cache directory names: `debootstrap-<name>-v<n>`, `rootfs-<name>-v<n>`.
    name: &'static str,
    /// `debootstrap --include=…`.
    packages: &'static str,
    /// Bump whenever `packages` changes, so an older bootstrap is not reused.
    bootstrap_version: u32,
    /// Bump whenever `prepare` or `packages` changes, so older prepared roots are not reused.
    prepared_version: u32,
    /// Boots systemd (tier 1c) rather than the harness's own init and power stand-ins (tier 1b).
    systemd: bool,
}

/// Tier 1b. `rsync` is what `synchronize` runs on the target, `make` what build tasks run,
/// `python3-apt` what ansible-core's `apt` module imports (it would otherwise install it itself,
/// so hosts would differ after an Ansible run and after an rsible run).
const OWN_ROOT: Recipe = Recipe {
    name: SUITE,
    packages: "openssh-server,sudo,python3,iproute2,procps,ca-certificates,rsync,make,python3-apt",
    bootstrap_version: 2,
    prepared_version: 3,
    systemd: false,
};

/// Tier 1c: tier 1b's packages plus systemd as init and D-Bus (`hostnamectl`, `timedatectl`).
const SYSTEMD: Recipe = Recipe {
    name: "bookworm-systemd",
    packages: "systemd,systemd-sysv,dbus,openssh-server,sudo,python3,iproute2,procps,\
               ca-certificates,rsync,make,python3-apt",
    bootstrap_version: 1,
    prepared_version: 1,
    systemd: true,
};

/// Units of a stock Debian root that a test host does not want: timers that would run apt or
/// touch filesystems during a test, and gettys on a console nobody reads.
const MASKED_UNITS: &[&str] = &[
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "dpkg-db-backup.timer",
    "e2scrub_all.timer",
    "e2scrub_reap.service",
    "fstrim.timer",
    "console-getty.service",
    "getty@tty1.service",
    "systemd-pstore.service",
];

/// Password of the `vagrant` user, as in Vagrant boxes.
pub(crate) const VAGRANT_PASSWORD: &str = "vagrant";

pub(crate) const COMMAND_WRAPPER: &str = "/usr/local/lib/rsible-testhosts/command-wrapper";
pub(crate) const COMMAND_LOG: &str = "var/log/rsible-testhosts/commands.log";
pub(crate) const HOST_KEY: &str = "etc/ssh/rsible_host_ed25519_key";
pub(crate) const AUTHORIZED_KEYS_DIR: &str = "etc/ssh/authorized_keys";

static BUILD: Mutex<()> = Mutex::new(());

/// Returns the prepared tier-1b root in `cache`, building what is missing first (about a minute).
pub fn ensure_rootfs(cache: &Path) -> Result<PathBuf, Error> {
    ensure(cache, &OWN_ROOT)
}

/// Returns the prepared tier-1c root (systemd as init) in `cache`, building what is missing
/// first (about a minute).
pub fn ensure_systemd_rootfs(cache: &Path) -> Result<PathBuf, Error> {
    ensure(cache, &SYSTEMD)
}

fn ensure(cache: &Path, recipe: &Recipe) -> Result<PathBuf, Error> {
    // One build per process at a time; other processes race harmlessly (the loser's rename fails).
    let _guard = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    fs_err::create_dir_all(cache)?;
    let bootstrapped = cache.join(format!(
        "debootstrap-{}-v{}",
        recipe.name, recipe.bootstrap_version
    ));
    if !bootstrapped.is_dir() {
        build_then_rename(&bootstrapped, |tmp| {
            process::run(
                Command::new("debootstrap")
                    .arg("--variant=minbase")
                    .arg(format!("--include={}", recipe.packages))
                    .arg(SUITE)
                    .arg(tmp)
                    .arg(MIRROR),
            )
            .map(drop)
        })?;
    }
    let prepared = cache.join(format!(
        "rootfs-{}-v{}",
        recipe.name, recipe.prepared_version
    ));
    if !prepared.is_dir() {
        build_then_rename(&prepared, |tmp| {
            fs_err::remove_dir(tmp)?;
            process::run(Command::new("cp").arg("-a").arg(&bootstrapped).arg(tmp))?;
            prepare(tmp, recipe)
        })?;
    }
    Ok(prepared)
}

/// Suffix of unfinished builds: `.tmp-<pid>-<start time>`, so `cleanup_stale` can spot dead ones.
pub(crate) fn tmp_suffix() -> String {
    let pid = std::process::id();
    format!(".tmp-{pid}-{}", process::start_time(pid).unwrap_or(0))
}

fn build_then_rename(
    target: &Path,
    build: impl FnOnce(&Path) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(tmp_suffix());
    let tmp = PathBuf::from(tmp);
    if tmp.exists() {
        fs_err::remove_dir_all(&tmp)?;
    }
    fs_err::create_dir(&tmp)?;
    let result = build(&tmp).and_then(|()| {
        if let Err(e) = fs_err::rename(&tmp, target) {
            // Another process finished the same build first: use theirs.
            if !target.is_dir() {
                return Err(e.into());
            }
            fs_err::remove_dir_all(&tmp)?;
        }
        Ok(())
    });
    if result.is_err() && tmp.exists() {
        let _ = fs_err::remove_dir_all(&tmp);
    }
    result
}

/// Turns a plain bootstrap into a test host root: `vagrant` user, sshd config, command log; for
/// tier 1b the harness's init and power stand-ins, for tier 1c masked units and no machine-id.
fn prepare(root: &Path, recipe: &Recipe) -> Result<(), Error> {
    write(
        root,
        "etc/hosts",
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        0o644,
    )?;
    write(root, "etc/hostname", "localhost\n", 0o644)?;
    // With `UsePAM no`, sshd refuses even key logins to an account whose password is locked.
    process::run(
        Command::new("chroot")
            .arg(root)
            .args([
                "/usr/sbin/useradd",
                "--create-home",
                "--shell",
                "/bin/bash",
                "--user-group",
            ])
            .args(["--groups", "sudo", "vagrant"]),
    )?;
    process::run(Command::new("chroot").arg(root).args([
        "/bin/sh",
        "-c",
        &format!("echo vagrant:{VAGRANT_PASSWORD} | /usr/sbin/chpasswd"),
    ]))?;
    write(
        root,
        "etc/sudoers.d/vagrant",
        "vagrant ALL=(ALL) NOPASSWD: ALL\n",
        0o440,
    )?;
    write(
        root,
        COMMAND_WRAPPER.trim_start_matches('/'),
        include_str!("scripts/command-wrapper.sh"),
        0o755,
    )?;
    if recipe.systemd {
        prepare_systemd(root)?;
    } else {
        prepare_own_init(root)?;
    }
    for entry in fs_err::read_dir(root.join("etc/ssh"))? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with("ssh_host_") {
            fs_err::remove_file(entry.path())?;
        }
    }
    write(root, "etc/ssh/sshd_config", &own_root_sshd_config(), 0o644)?;
    fs_err::create_dir_all(root.join(AUTHORIZED_KEYS_DIR))?;
    write(root, COMMAND_LOG, "", 0o666)?;
    write(
        root,
        "etc/rsible-testhosts-rootfs",
        &format!("{}-v{}\n", recipe.name, recipe.prepared_version),
        0o644,
    )?;
    Ok(())
}

/// Tier 1b: the harness's PID 1 and the stand-ins for shutdown/reboot/poweroff/halt.
fn prepare_own_init(root: &Path) -> Result<(), Error> {
    write(
        root,
        "usr/local/sbin/rsible-init",
        include_str!("scripts/rsible-init.sh"),
        0o755,
    )?;
    let power = "usr/local/lib/rsible-testhosts/power";
    write(root, power, include_str!("scripts/power.sh"), 0o755)?;
    for name in ["shutdown", "reboot", "poweroff", "halt"] {
        let link = root.join("usr/sbin").join(name);
        if link.symlink_metadata().is_err() {
            symlink(format!("/{power}"), &link).map_err(|e| fs_err_io(e, &link))?;
        }
    }
    Ok(())
}

/// Tier 1c: systemd boots the root. Each host gets its own `/etc/machine-id` in its overlay, so
/// the shared one is emptied; units a test host does not want are masked.
fn prepare_systemd(root: &Path) -> Result<(), Error> {
    write(root, "etc/machine-id", "", 0o444)?;
    // D-Bus reads the host's id through this link, as in newer Debian releases.
    let dbus_id = root.join("var/lib/dbus/machine-id");
    if dbus_id.symlink_metadata().is_ok() {
        fs_err::remove_file(&dbus_id)?;
    }
    symlink("/etc/machine-id", &dbus_id).map_err(|e| fs_err_io(e, &dbus_id))?;
    for unit in MASKED_UNITS {
        let link = root.join("etc/systemd/system").join(unit);
        if link.symlink_metadata().is_ok() {
            fs_err::remove_file(&link)?;
        }
        symlink("/dev/null", &link).map_err(|e| fs_err_io(e, &link))?;
    }
    Ok(())
}

fn own_root_sshd_config() -> String {
    format!(
        "# Written by rsible-testhosts.\n\
         Port 22\n\
         HostKey /{HOST_KEY}\n\
         PidFile /run/sshd.pid\n\
         AuthorizedKeysFile /{AUTHORIZED_KEYS_DIR}/%u .ssh/authorized_keys\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication yes\n\
         KbdInteractiveAuthentication no\n\
         {}\
         ForceCommand {COMMAND_WRAPPER} /{COMMAND_LOG}\n",
        crate::sshd::COMMON_CONFIG
    )
}

/// Writes `content` to `root/rel` with `mode`, creating parent directories (mode 0755).
pub(crate) fn write(root: &Path, rel: &str, content: &str, mode: u32) -> Result<(), Error> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    fs_err::write(&path, content)?;
    fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn fs_err_io(e: std::io::Error, path: &Path) -> Error {
    Error::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    ))
}

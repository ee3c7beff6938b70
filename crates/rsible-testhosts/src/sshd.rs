//! sshd configuration and keys shared by both tiers.

use std::path::Path;
use std::process::Command;

use crate::error::Error;
use crate::process;

/// Settings every test host's sshd gets: no PAM or DNS (fast, no login records), room for many
/// parallel clients (benchmarks run 50 hosts with many forks), and the stock sftp server so file
/// transfers pass through the command log's ForceCommand like any other command.
pub(crate) const COMMON_CONFIG: &str = "UsePAM no\n\
UseDNS no\n\
StrictModes no\n\
MaxStartups 256\n\
MaxSessions 256\n\
PrintMotd no\n\
PrintLastLog no\n\
AcceptEnv LANG LC_*\n\
Subsystem sftp /usr/lib/openssh/sftp-server\n";

/// Generates an ed25519 key pair at `path` and `path.pub`; returns the public key line.
pub(crate) fn keygen(path: &Path, comment: &str) -> Result<String, Error> {
    process::run(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
            .arg(path),
    )?;
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    Ok(fs_err::read_to_string(public)?.trim().to_owned())
}

/// The config of a tier-1 host's sshd: every path lives in the set's run directory.
pub(crate) fn shared_config(
    address: std::net::Ipv4Addr,
    host_key: &Path,
    authorized_keys: &Path,
    wrapper: &Path,
    command_log: &Path,
) -> String {
    format!(
        "# Written by rsible-testhosts.\n\
         ListenAddress {address}:22\n\
         HostKey {}\n\
         PidFile none\n\
         AuthorizedKeysFile {}\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         {COMMON_CONFIG}\
         ForceCommand {} {}\n",
        host_key.display(),
        authorized_keys.display(),
        wrapper.display(),
        command_log.display(),
    )
}

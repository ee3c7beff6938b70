//! The argv that starts a host's ControlMaster, built in the order Ansible's ssh plugin uses.
//!
//! We start the master ourselves instead of through `openssh::SessionBuilder`: the builder has
//! no way to pass arbitrary `-o` options, and it rewrites ssh's error text, while Ansible's
//! UNREACHABLE message quotes ssh's stderr verbatim. Since ssh keeps the *first* value it sees
//! for an option, our master controls go first, then the user's arguments in Ansible's order,
//! and `~/.ssh/config` is still read by ssh itself (it comes after the command line).

use std::path::Path;
use std::time::Duration;

use super::SshSettings;

/// Ansible's default `ssh_args` (`ANSIBLE_SSH_ARGS`).
pub(super) const DEFAULT_SSH_ARGS: &str = "-C -o ControlMaster=auto -o ControlPersist=60s";

/// How long an idle master outlives its last command. Long enough for any gap between tasks of
/// one run; short enough that a master left behind by a crashed controller goes away by itself.
const CONTROL_PERSIST: &str = "ControlPersist=300";

/// Flags that would take the master away from us (another control socket, a second `-M`
/// turning it into `ask`, a log file we do not read, a non-shell session).
const REJECTED_FLAGS: &str = "EGMNOQSVWfs";

/// ssh flags that take a value, attached (`-p22`) or as the next word (`-p 22`).
const FLAGS_WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// The user's ssh arguments, split as Ansible splits them (`shlex`), then checked.
fn split_user_args(what: &str, text: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(text)
        .ok_or_else(|| format!("cannot parse {what} `{text}`: unbalanced quotes"))?;
    let words: Vec<String> = words
        .into_iter()
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    check_flags(what, &words)?;
    Ok(words)
}

fn check_flags(what: &str, words: &[String]) -> Result<(), String> {
    let mut expect_value = false;
    for word in words {
        if expect_value {
            expect_value = false;
            continue;
        }
        let Some(flags) = word.strip_prefix('-') else {
            return Err(format!(
                "unsupported argument `{word}` in {what}: only ssh options (`-o Key=Value`, `-i`, `-p`, …) are allowed"
            ));
        };
        for (i, c) in flags.char_indices() {
            if REJECTED_FLAGS.contains(c) {
                return Err(format!(
                    "unsupported ssh flag `-{c}` in {what}: rsible manages the control master itself"
                ));
            }
            if FLAGS_WITH_VALUE.contains(c) {
                expect_value = i + c.len_utf8() == flags.len();
                break;
            }
            if !c.is_ascii_alphanumeric() {
                return Err(format!("unsupported argument `{word}` in {what}"));
            }
        }
    }
    if expect_value {
        return Err(format!("{what} ends with a flag that needs a value"));
    }
    Ok(())
}

/// Everything between `ssh` and the destination for the master, validated.
pub(super) fn master_args(s: &SshSettings, control_path: &Path) -> Result<Vec<String>, String> {
    let mut args: Vec<String> = vec![
        "-S".into(),
        control_path.to_string_lossy().into_owned(),
        "-M".into(),
        "-f".into(),
        "-N".into(),
        "-o".into(),
        CONTROL_PERSIST.into(),
        // No terminal to answer a prompt: fail instead of hanging.
        "-o".into(),
        "BatchMode=yes".into(),
    ];
    args.extend(user_args(s)?);
    args.push("--".into());
    args.push(s.host.clone());
    Ok(args)
}

/// The part of the argv that depends on the settings, in Ansible's order.
pub(super) fn user_args(s: &SshSettings) -> Result<Vec<String>, String> {
    let mut args = split_user_args(
        "ssh_args",
        s.ssh_args.as_deref().unwrap_or(DEFAULT_SSH_ARGS),
    )?;
    let mut opt = |v: String| {
        args.push("-o".into());
        args.push(v);
    };
    if !s.host_key_checking {
        opt("StrictHostKeyChecking=no".into());
    }
    if let Some(port) = s.port {
        opt(format!("Port={port}"));
    }
    if let Some(key) = &s.private_key {
        opt(format!("IdentityFile=\"{}\"", key.display()));
    }
    opt("KbdInteractiveAuthentication=no".into());
    opt("PreferredAuthentications=gssapi-with-mic,gssapi-keyex,hostbased,publickey".into());
    opt("PasswordAuthentication=no".into());
    if let Some(user) = &s.user {
        opt(format!("User=\"{user}\""));
    }
    opt(format!(
        "ConnectTimeout={}",
        timeout_secs(s.connect_timeout)
    ));
    if let Some(common) = &s.common_args {
        args.extend(split_user_args("ssh_common_args", common)?);
    }
    if let Some(extra) = &s.extra_args {
        args.extend(split_user_args("ssh_extra_args", extra)?);
    }
    Ok(args)
}

/// ssh takes whole seconds; zero would mean "no timeout", so round up.
fn timeout_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SshSettings {
        SshSettings::new("h1")
    }

    #[test]
    fn default_args_follow_ansible_order() {
        let mut s = settings();
        s.port = Some(2222);
        s.user = Some("vagrant".into());
        s.private_key = Some("/k/id rsa".into());
        s.host_key_checking = false;
        s.common_args = Some("-o ProxyJump=bastion -J x".into());
        s.extra_args = Some("-oServerAliveInterval=5 -i /other".into());
        let a = user_args(&s).unwrap();
        assert_eq!(
            a,
            [
                "-C",
                "-o",
                "ControlMaster=auto",
                "-o",
                "ControlPersist=60s",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "Port=2222",
                "-o",
                "IdentityFile=\"/k/id rsa\"",
                "-o",
                "KbdInteractiveAuthentication=no",
                "-o",
                "PreferredAuthentications=gssapi-with-mic,gssapi-keyex,hostbased,publickey",
                "-o",
                "PasswordAuthentication=no",
                "-o",
                "User=\"vagrant\"",
                "-o",
                "ConnectTimeout=10",
                "-o",
                "ProxyJump=bastion",
                "-J",
                "x",
                "-oServerAliveInterval=5",
                "-i",
                "/other",
            ]
        );
    }

    /// Vagrant's `ANSIBLE_SSH_ARGS` replaces the default `-C -o ControlMaster=auto …`
    /// entirely and is split as a shell would, quotes included.
    #[test]
    fn ssh_args_replace_the_defaults() {
        let mut s = settings();
        s.ssh_args = Some(
            "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ProxyCommand='ssh -W %h:%p vagrant@host -p 2200' -o ControlMaster=auto -o ControlPersist=60s".into(),
        );
        let a = user_args(&s).unwrap();
        assert_eq!(
            &a[..10],
            [
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "ProxyCommand=ssh -W %h:%p vagrant@host -p 2200",
                "-o",
                "ControlMaster=auto",
                "-o",
                "ControlPersist=60s"
            ]
        );
        assert!(!a.contains(&"-C".to_owned()));
    }

    #[test]
    fn master_controls_come_first() {
        let a = master_args(&settings(), Path::new("/t/master")).unwrap();
        assert_eq!(
            &a[..9],
            [
                "-S",
                "/t/master",
                "-M",
                "-f",
                "-N",
                "-o",
                CONTROL_PERSIST,
                "-o",
                "BatchMode=yes"
            ]
        );
        assert_eq!(&a[a.len() - 2..], ["--", "h1"]);
    }

    #[test]
    fn rejects_flags_that_break_the_master() {
        for bad in [
            "-S /x", "-M", "-CM", "-O exit", "-o", "host", "-E log", "-o 'a",
        ] {
            let mut s = settings();
            s.extra_args = Some(bad.into());
            assert!(user_args(&s).is_err(), "{bad} should be rejected");
        }
        // A value that merely looks like a flag is fine.
        let mut s = settings();
        s.extra_args = Some("-o ProxyCommand='ssh -W %h:%p b' -p22 -l u -F /cfg -vv".into());
        let a = user_args(&s).unwrap();
        assert!(a.contains(&"ProxyCommand=ssh -W %h:%p b".to_owned()));
    }

    #[test]
    fn timeout_rounds_up() {
        assert_eq!(timeout_secs(Duration::from_millis(1500)), 2);
        assert_eq!(timeout_secs(Duration::from_secs(10)), 10);
    }
}

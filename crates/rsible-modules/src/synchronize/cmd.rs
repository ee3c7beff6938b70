//! The rsync command line of ansible.posix's `synchronize` module, built flag by flag in the
//! module's order, and the Python path helpers its action plugin and `run_command` apply.

use rsible_connection::shell::quote;

/// The module's parameters after the action plugin filled them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RsyncSpec {
    /// Absolute path of the local rsync (`get_bin_path`).
    pub rsync: String,
    pub src: String,
    pub dest: String,
    pub dest_port: Option<i64>,
    pub delete: bool,
    pub private_key: Option<String>,
    pub rsync_path: Option<String>,
    pub rsync_timeout: i64,
    pub archive: bool,
    pub checksum: bool,
    pub compress: bool,
    pub existing_only: bool,
    pub dirs: bool,
    pub recursive: Option<bool>,
    pub links: Option<bool>,
    pub copy_links: bool,
    pub perms: Option<bool>,
    pub times: Option<bool>,
    pub owner: Option<bool>,
    pub group: Option<bool>,
    pub rsync_opts: Vec<String>,
    /// `_ssh_args`: the connection's ssh arguments, with `use_ssh_args`.
    pub ssh_args: Option<String>,
    pub ssh_connection_multiplexing: bool,
    pub partial: bool,
    pub verify_host: bool,
    pub delay_updates: bool,
    pub link_dest: Option<Vec<String>>,
    pub check_mode: bool,
}

impl RsyncSpec {
    /// Defaults of the module's argument spec for `src` → `dest`.
    pub(crate) fn new(rsync: &str, src: &str, dest: &str) -> Self {
        Self {
            rsync: rsync.to_owned(),
            src: src.to_owned(),
            dest: dest.to_owned(),
            dest_port: None,
            delete: false,
            private_key: None,
            rsync_path: None,
            rsync_timeout: 0,
            archive: true,
            checksum: false,
            compress: true,
            existing_only: false,
            dirs: false,
            recursive: None,
            links: None,
            copy_links: false,
            perms: None,
            times: None,
            owner: None,
            group: None,
            rsync_opts: Vec::new(),
            ssh_args: None,
            ssh_connection_multiplexing: false,
            partial: false,
            verify_host: false,
            delay_updates: true,
            link_dest: None,
            check_mode: false,
        }
    }
}

/// rsync needs ssh when either side is `host:path` (and not an `rsync://` URL).
pub(crate) fn rsh_needed(src: &str, dest: &str) -> bool {
    if src.starts_with("rsync://") || dest.starts_with("rsync://") {
        return false;
    }
    src.contains(':') || dest.contains(':')
}

/// The module's `cmdstr`. `ssh` resolves the ssh binary (only asked for when `--rsh` is
/// added); its error, or the module's own refusals, are the failure message.
pub(crate) fn command_line(
    s: &RsyncSpec,
    ssh: impl FnOnce() -> Result<String, String>,
    cwd: &str,
) -> Result<String, String> {
    let mut cmd = vec![s.rsync.clone()];
    if s.delay_updates {
        cmd.extend(["--delay-updates".into(), "-F".into()]);
    }
    if s.compress {
        cmd.push("--compress".into());
    }
    if s.rsync_timeout != 0 {
        cmd.push(format!("--timeout={}", s.rsync_timeout));
    }
    if s.check_mode {
        cmd.push("--dry-run".into());
    }
    for (on, flag) in [
        (s.delete, "--delete-after"),
        (s.existing_only, "--existing"),
        (s.checksum, "--checksum"),
        (s.copy_links, "--copy-links"),
    ] {
        if on {
            cmd.push(flag.into());
        }
    }
    let tri = [
        (s.recursive, "recursive"),
        (s.links, "links"),
        (s.perms, "perms"),
        (s.times, "times"),
        (s.owner, "owner"),
        (s.group, "group"),
    ];
    if s.archive {
        cmd.push("--archive".into());
        // Only an explicit `false` turns off what --archive implies.
        cmd.extend(
            tri.iter()
                .filter(|(v, _)| *v == Some(false))
                .map(|(_, n)| format!("--no-{n}")),
        );
    } else {
        cmd.extend(
            tri.iter()
                .filter(|(v, _)| *v == Some(true))
                .map(|(_, n)| format!("--{n}")),
        );
    }
    if s.dirs {
        cmd.push("--dirs".into());
    }
    if s.src.starts_with("rsync://") && s.dest.starts_with("rsync://") {
        return Err("either src or dest must be a localhost".into());
    }
    if rsh_needed(&s.src, &s.dest) && !s.rsync_opts.iter().any(|o| o.contains("--rsh")) {
        let mut ssh_cmd = vec![ssh()?];
        if !s.ssh_connection_multiplexing {
            ssh_cmd.extend(["-S".into(), "none".into()]);
        }
        if let Some(k) = &s.private_key {
            ssh_cmd.extend(["-i".into(), k.clone()]);
        }
        if let Some(p) = s.dest_port {
            ssh_cmd.extend(["-o".into(), format!("Port={p}")]);
        }
        if !s.verify_host {
            ssh_cmd.extend([
                "-o".into(),
                "StrictHostKeyChecking=no".into(),
                "-o".into(),
                "UserKnownHostsFile=/dev/null".into(),
            ]);
        }
        let mut rsh = ssh_cmd
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(a) = s.ssh_args.as_deref().filter(|a| !a.is_empty()) {
            rsh.push(' ');
            rsh.push_str(a);
        }
        cmd.push(format!("--rsh={}", quote(&rsh)));
    }
    if let Some(p) = s.rsync_path.as_deref().filter(|p| !p.is_empty()) {
        cmd.push(format!("--rsync-path={}", quote(p)));
    }
    cmd.extend(s.rsync_opts.iter().cloned());
    if s.partial {
        cmd.push("--partial".into());
    }
    if let Some(links) = s.link_dest.as_ref().filter(|l| !l.is_empty()) {
        // -vv: rsync does not itemize a new hard link otherwise.
        cmd.extend(["-H".into(), "-vv".into()]);
        for x in links {
            let link_path = abspath(x, cwd);
            let destination = abspath(&dirname(&s.dest), cwd);
            if destination.starts_with(&link_path) {
                return Err(format!(
                    "Hardlinking into a subdirectory of the source would cause recursion. {destination} and {}",
                    s.dest
                ));
            }
            cmd.push(format!("--link-dest={link_path}"));
        }
    }
    cmd.push(format!("--out-format={}", quote("<<CHANGED>>%i %n%L")));
    cmd.push(quote(&s.src));
    cmd.push(quote(&s.dest));
    Ok(cmd.join(" "))
}

/// `run_command(cmdstr)`: shlex-split again, then `expanduser(expandvars(x))` on every word.
pub(crate) fn argv_of(cmdstr: &str) -> Vec<String> {
    shlex::split(cmdstr)
        .unwrap_or_default()
        .iter()
        .map(|w| expanduser(&expandvars(w)))
        .collect()
}

/// `os.path.expanduser` for `~` and `~/…` (the controller user's `$HOME`).
pub(crate) fn expanduser(p: &str) -> String {
    crate::util::expand_local_user(p)
}

/// `os.path.expandvars`: `$name` and `${name}` of set variables; anything else stays.
pub(crate) fn expandvars(p: &str) -> String {
    if !p.contains('$') {
        return p.to_owned();
    }
    let mut out = String::new();
    let mut rest = p;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = if let Some(b) = after.strip_prefix('{') {
            match b.find('}') {
                Some(j) => (&b[..j], j + 2),
                None => ("", 0),
            }
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], n)
        };
        match std::env::var(name)
            .ok()
            .filter(|_| len > 0 && !name.is_empty())
        {
            Some(v) => {
                out.push_str(&v);
                rest = &after[len..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `os.path.join` of two parts.
pub(crate) fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_owned()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// `posixpath.normpath`.
pub(crate) fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let lead = if p.starts_with("//") && !p.starts_with("///") {
        "//"
    } else if p.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if !lead.is_empty() => {}
            c => parts.push(c),
        }
    }
    let s = format!("{lead}{}", parts.join("/"));
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// `os.path.abspath` against `cwd`.
pub(crate) fn abspath(p: &str, cwd: &str) -> String {
    normpath(&join(cwd, p))
}

/// `os.path.dirname`.
pub(crate) fn dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => {
            let head = &p[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                head.to_owned()
            } else {
                trimmed.to_owned()
            }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh() -> Result<String, String> {
        Ok("/usr/bin/ssh".into())
    }

    // Every expected line is the `cmd` ansible-playbook 2.19 (ansible.posix 2.1.0) returned for
    // the same parameters, against a loopback sshd on port 44545.
    #[test]
    fn default_push_over_ssh() {
        let mut s = RsyncSpec::new(
            "/usr/bin/rsync",
            "/tmp/sx/pb/files/sd/",
            "root@127.0.0.1:/tmp/sx/out1/",
        );
        s.private_key = Some("/tmp/sx/client_key".into());
        s.dest_port = Some(44545);
        assert_eq!(
            command_line(&s, ssh, "/").unwrap(),
            "/usr/bin/rsync --delay-updates -F --compress --archive --rsh='/usr/bin/ssh -S none -i /tmp/sx/client_key -o Port=44545 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' --out-format='<<CHANGED>>%i %n%L' /tmp/sx/pb/files/sd/ root@127.0.0.1:/tmp/sx/out1/"
        );
        s.rsync_path = Some("sudo -u root rsync".into());
        assert_eq!(
            command_line(&s, ssh, "/").unwrap(),
            "/usr/bin/rsync --delay-updates -F --compress --archive --rsh='/usr/bin/ssh -S none -i /tmp/sx/client_key -o Port=44545 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' --rsync-path='sudo -u root rsync' --out-format='<<CHANGED>>%i %n%L' /tmp/sx/pb/files/sd/ root@127.0.0.1:/tmp/sx/out1/"
        );
    }

    #[test]
    fn every_flag() {
        let mut s = RsyncSpec::new(
            "/usr/bin/rsync",
            "/tmp/sx/pb/files/sd",
            "root@127.0.0.1:/tmp/sx/out2",
        );
        s.checksum = true;
        s.delete = true;
        s.rsync_opts = vec!["--exclude=.git".into(), "--exclude=b".into()];
        s.ssh_args = Some("-C -o ControlMaster=auto -o ControlPersist=60s".into());
        s.partial = true;
        s.rsync_timeout = 5;
        s.existing_only = true;
        s.copy_links = true;
        s.dirs = true;
        s.archive = false;
        s.recursive = Some(true);
        s.links = Some(false);
        s.perms = Some(true);
        s.times = Some(true);
        s.compress = false;
        s.delay_updates = false;
        s.verify_host = true;
        s.ssh_connection_multiplexing = true;
        s.dest_port = Some(2222);
        s.private_key = Some("/root/k".into());
        assert_eq!(
            command_line(&s, ssh, "/").unwrap(),
            "/usr/bin/rsync --timeout=5 --delete-after --existing --checksum --copy-links --recursive --perms --times --dirs --rsh='/usr/bin/ssh -i /root/k -o Port=2222 -C -o ControlMaster=auto -o ControlPersist=60s' --exclude=.git --exclude=b --partial --out-format='<<CHANGED>>%i %n%L' /tmp/sx/pb/files/sd root@127.0.0.1:/tmp/sx/out2"
        );
    }

    #[test]
    fn pull_with_archive_exceptions_and_link_dest() {
        let mut s = RsyncSpec::new("/usr/bin/rsync", "127.0.0.1:sd/", "/tmp/sx/out1/");
        s.private_key = Some("/tmp/sx/client_key".into());
        s.dest_port = Some(44545);
        s.rsync_opts = vec!["--exclude=x".into(), "--exclude=y".into()];
        for v in [
            &mut s.recursive,
            &mut s.links,
            &mut s.perms,
            &mut s.times,
            &mut s.owner,
            &mut s.group,
        ] {
            *v = Some(false);
        }
        s.link_dest = Some(vec!["/tmp/sx/ld".into()]);
        assert_eq!(
            command_line(&s, ssh, "/").unwrap(),
            "/usr/bin/rsync --delay-updates -F --compress --archive --no-recursive --no-links --no-perms --no-times --no-owner --no-group --rsh='/usr/bin/ssh -S none -i /tmp/sx/client_key -o Port=44545 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' --exclude=x --exclude=y -H -vv --link-dest=/tmp/sx/ld --out-format='<<CHANGED>>%i %n%L' 127.0.0.1:sd/ /tmp/sx/out1/"
        );
    }

    #[test]
    fn local_check_mode_has_no_rsh() {
        let mut s = RsyncSpec::new("/usr/bin/rsync", "/tmp/sx/pb/files/sd/", "/tmp/sx/out3/");
        s.check_mode = true;
        s.dest_port = Some(22);
        let fail = || Err("ssh must not be looked up".to_owned());
        assert_eq!(
            command_line(&s, fail, "/").unwrap(),
            "/usr/bin/rsync --delay-updates -F --compress --dry-run --archive --out-format='<<CHANGED>>%i %n%L' /tmp/sx/pb/files/sd/ /tmp/sx/out3/"
        );
    }

    // Expected values from Python's shlex.split, os.path.normpath/dirname/join.
    #[test]
    fn python_path_helpers() {
        assert_eq!(
            argv_of("/usr/bin/rsync --rsh='/usr/bin/ssh -S none' --out-format='<<CHANGED>>%i %n%L' 'a b' c"),
            [
                "/usr/bin/rsync",
                "--rsh=/usr/bin/ssh -S none",
                "--out-format=<<CHANGED>>%i %n%L",
                "a b",
                "c"
            ]
        );
        assert_eq!(normpath("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(normpath("//a/.."), "//");
        assert_eq!(normpath("a/../../b"), "../b");
        assert_eq!(normpath("/../x"), "/x");
        assert_eq!(dirname("/a/b/"), "/a/b");
        assert_eq!(dirname("/a"), "/");
        assert_eq!(dirname("u@h:/x/y"), "u@h:/x");
        assert_eq!(join("/pb", "files/sd/"), "/pb/files/sd/");
        assert_eq!(join("/pb/", "/abs"), "/abs");
        assert_eq!(
            expandvars("$RSIBLE_NOPE/${RSIBLE_NOPE}x$"),
            "$RSIBLE_NOPE/${RSIBLE_NOPE}x$"
        );
    }
}

//! `hostname`: set the host's name, permanently and (where the strategy does) for the running
//! system.
//!
//! ```yaml
//! - hostname:
//!     name: web01.example.org
//! ```
//!
//! As ansible-core's module on Linux: with `use:` unset, a host booted with systemd gets the
//! systemd strategy (`hostnamectl --static`/`--transient`); other hosts the strategy of their
//! distribution — the Debian family writes `/etc/hostname` and leaves the running name alone,
//! the Red Hat family edits `HOSTNAME=` in `/etc/sysconfig/network`, Gentoo `hostname=` in
//! `/etc/conf.d/hostname`, Alpine writes `/etc/hostname` after `hostname -F` of the old file
//! (ansible-core's order), SLES 10–12 writes `/etc/HOSTNAME`. The result carries the new
//! `ansible_hostname`/`ansible_nodename` and the `ansible_fqdn`/`ansible_domain` of the running
//! name, and a diff `hostname = …` when it changed. The strategies of other systems (FreeBSD,
//! OpenBSD, Solaris, macOS) and `use: generic` are refused.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_string, parse, ArgSpec};
use crate::setup::system::getfqdn;
use crate::target::script::{marker, run_text, Ran, BIN_PATH_FN};
use crate::util::{failed, get_distribution};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo =
    ModuleInfo::builtin("hostname", ArgSpec::new("hostname", &["name", "use"]));

/// `use:` choices in ansible-core's order, with the strategy each names.
const STRATS: &[(&str, &str)] = &[
    ("alpine", "Alpine"),
    ("debian", "Systemd"),
    ("freebsd", "FreeBSD"),
    ("generic", "Base"),
    ("macos", "Darwin"),
    ("macosx", "Darwin"),
    ("darwin", "Darwin"),
    ("openbsd", "OpenBSD"),
    ("openrc", "OpenRC"),
    ("redhat", "RedHat"),
    ("sles", "SLES"),
    ("solaris", "Solaris"),
    ("systemd", "Systemd"),
];

/// Distributions (`distro.id()` capitalized) and their strategy when systemd did not boot.
const DISTRIBUTIONS: &[(&str, &str)] = &[
    ("Redhat", "RedHat"),
    ("Centos", "RedHat"),
    ("Anolis", "RedHat"),
    ("Cloudlinuxserver", "RedHat"),
    ("Cloudlinux", "RedHat"),
    ("Alinux", "RedHat"),
    ("Scientific", "RedHat"),
    ("Oracle", "RedHat"),
    ("Virtuozzo", "RedHat"),
    ("Amazon", "RedHat"),
    ("Altlinux", "RedHat"),
    ("Eurolinux", "RedHat"),
    ("Debian", "File"),
    ("Kylin", "File"),
    ("Cumulus-linux", "File"),
    ("Kali", "File"),
    ("Parrot", "File"),
    ("Ubuntu", "File"),
    ("Linuxmint", "File"),
    ("Linaro", "File"),
    ("Devuan", "File"),
    ("Raspbian", "File"),
    ("Uos", "File"),
    ("Deepin", "File"),
    ("Neon", "File"),
    ("Void", "File"),
    ("Pop", "File"),
    ("Gentoo", "OpenRC"),
    ("Alpine", "Alpine"),
];

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    name: Option<String>,
    #[serde(default, rename = "use", deserialize_with = "de_opt_string")]
    use_: Option<String>,
}

/// How the name is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    Systemd,
    /// The whole file is the name (`/etc/hostname`, SLES's `/etc/HOSTNAME`).
    File(&'static str),
    /// `/etc/hostname`, and `hostname -F /etc/hostname` for the running name.
    Alpine,
    /// `HOSTNAME=` in `/etc/sysconfig/network`.
    RedHat,
    /// `hostname="…"` in `/etc/conf.d/hostname`.
    OpenRc,
}

const REDHAT_FILE: &str = "/etc/sysconfig/network";
const OPENRC_FILE: &str = "/etc/conf.d/hostname";

pub(crate) struct Hostname;
pub(crate) static HOSTNAME: Hostname = Hostname;

/// What the first probe finds.
#[derive(Debug, Default)]
struct Probe {
    system: String,
    systemd_booted: bool,
    /// `distro.id()` capitalized, with ansible-core's renames.
    distribution: String,
    version: String,
}

/// The strategy ansible-core picks, or the message it (or rsible) refuses with.
fn pick(use_: Option<&str>, p: &Probe) -> Result<Strategy, String> {
    let from_name = |strat: &str, how: &str| match strat {
        "Systemd" => Ok(Strategy::Systemd),
        "File" => Ok(Strategy::File("/etc/hostname")),
        "SLES" => Ok(Strategy::File("/etc/HOSTNAME")),
        "Alpine" => Ok(Strategy::Alpine),
        "RedHat" => Ok(Strategy::RedHat),
        "OpenRC" => Ok(Strategy::OpenRc),
        other => Err(format!(
            "rsible's hostname module has no {other} strategy ({how}); it manages Linux hosts"
        )),
    };
    if let Some(u) = use_ {
        let strat = STRATS
            .iter()
            .find(|(k, _)| *k == u)
            .map_or("Base", |(_, v)| *v);
        return from_name(strat, &format!("use: {u}"));
    }
    if p.system != "Linux" {
        return Err(format!(
            "rsible's hostname module manages Linux hosts; this one runs {}",
            p.system
        ));
    }
    if p.systemd_booted {
        return Ok(Strategy::Systemd);
    }
    let unimplemented = || {
        Err(format!(
            "hostname module cannot be used on platform {} ({})",
            p.system, p.distribution
        ))
    };
    if p.distribution == "Sles" {
        return match p.version.parse::<f64>() {
            Ok(v) if (10.0..=12.0).contains(&v) => Ok(Strategy::File("/etc/HOSTNAME")),
            _ => unimplemented(),
        };
    }
    match DISTRIBUTIONS.iter().find(|(d, _)| *d == p.distribution) {
        Some((_, strat)) => from_name(strat, "distribution"),
        None => unimplemented(),
    }
}

/// The name in a strategy's file, as ansible-core reads it (`None`: no file).
fn read_name(strategy: Strategy, content: Option<&str>) -> Result<String, String> {
    let Some(content) = content else {
        return match strategy {
            Strategy::RedHat => Err(format!("Unable to locate HOSTNAME entry in {REDHAT_FILE}")),
            _ => Ok(String::new()),
        };
    };
    match strategy {
        Strategy::RedHat => {
            for line in content.lines() {
                let line = line.trim();
                if line.starts_with("HOSTNAME") {
                    let parts: Vec<&str> = line.split('=').collect();
                    return match parts.as_slice() {
                        [_, v] => Ok(v.trim().to_owned()),
                        [_] => Err(
                            "failed to read hostname: not enough values to unpack (expected 2, got 1)"
                                .to_owned(),
                        ),
                        _ => Err(format!(
                            "failed to read hostname: too many values to unpack (expected 2, got {})",
                            parts.len()
                        )),
                    };
                }
            }
            Err(format!("Unable to locate HOSTNAME entry in {REDHAT_FILE}"))
        }
        Strategy::OpenRc => Ok(content
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("hostname="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_default()),
        _ => Ok(content.trim().to_owned()),
    }
}

/// The file's new content with `name`, as ansible-core writes it.
fn new_content(strategy: Strategy, content: Option<&str>, name: &str) -> String {
    match strategy {
        Strategy::RedHat => {
            let mut out = String::new();
            let mut found = false;
            for line in content.unwrap_or("").split_inclusive('\n') {
                if line.trim().starts_with("HOSTNAME") {
                    out.push_str(&format!("HOSTNAME={name}\n"));
                    found = true;
                } else {
                    out.push_str(line);
                }
            }
            if !found {
                out.push_str(&format!("HOSTNAME={name}\n"));
            }
            out
        }
        Strategy::OpenRc => {
            let mut lines: Vec<String> = content
                .unwrap_or("")
                .lines()
                .map(|l| l.trim().to_owned())
                .collect();
            if let Some(l) = lines.iter_mut().find(|l| l.starts_with("hostname=")) {
                *l = format!("hostname=\"{name}\"");
            }
            format!("{}\n", lines.join("\n"))
        }
        _ => format!("{name}\n"),
    }
}

fn file_of(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::File(f) => f,
        Strategy::RedHat => REDHAT_FILE,
        Strategy::OpenRc => OPENRC_FILE,
        Strategy::Alpine | Strategy::Systemd => "/etc/hostname",
    }
}

struct Job<'a> {
    ctx: &'a ModuleContext<'a>,
}

impl Job<'_> {
    fn run(&self, script: String) -> Result<Ran, ModuleError> {
        Ok(run_text(self.ctx, script)?)
    }

    fn probe(&self) -> Result<Probe, ModuleError> {
        let m = marker();
        let script = format!(
            "{BIN_PATH_FN}echo \"{m} system $(uname -s)\"\n\
             if _bin systemctl >/dev/null; then for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e \"$c\" ] && echo '{m} booted' && break; done; fi\n\
             f=/etc/os-release; [ -r $f ] || f=/usr/lib/os-release\n\
             if [ -r $f ]; then (. $f; echo \"{m} id $ID\"; echo \"{m} version $VERSION_ID\"); fi\ntrue"
        );
        let ran = self.run(script)?;
        let mut p = Probe::default();
        let prefix = format!("{m} ");
        let mut id = String::new();
        for line in ran.out.lines() {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            match key {
                "system" => p.system = value.to_owned(),
                "booted" => p.systemd_booted = true,
                "id" => id = value.to_lowercase(),
                "version" => p.version = value.to_owned(),
                _ => {}
            }
        }
        p.distribution = get_distribution(&id);
        Ok(p)
    }

    /// A command of the strategy; its failure is ansible-core's `Command failed` message.
    fn command(&self, argv: &[&str]) -> Result<Result<String, String>, ModuleError> {
        let line = argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
        let ran = self.run(line)?;
        if ran.rc != 0 {
            return Ok(Err(format!(
                "Command failed rc={}, out={}, err={}",
                ran.rc, ran.out, ran.err
            )));
        }
        Ok(Ok(ran.out.trim().to_owned()))
    }

    /// `get_bin_path(name, required=True)`.
    fn bin(&self, name: &str) -> Result<Result<String, String>, ModuleError> {
        let ran = self.run(format!("{BIN_PATH_FN}_bin {}", quote(name)))?;
        let line = ran.out.lines().next().unwrap_or("").to_owned();
        Ok(if ran.rc == 0 { Ok(line) } else { Err(line) })
    }

    /// The file's content, `None` when it is not a regular file or cannot be read.
    fn read(&self, path: &str) -> Result<Option<String>, ModuleError> {
        let m = marker();
        let ran = self.run(format!(
            "f={}; if [ -f \"$f\" ] && [ -r \"$f\" ]; then echo '{m}'; cat \"$f\"; fi",
            quote(path)
        ))?;
        Ok(ran
            .out
            .split_once(&format!("{m}\n"))
            .map(|(_, c)| c.to_owned()))
    }

    /// Writes the file as the task's user; Python's error when it may not.
    fn write(&self, path: &str, content: &str) -> Result<Option<String>, ModuleError> {
        let ran = self.run(format!(
            "f={}; if [ -d \"$f\" ]; then echo 21; elif [ -e \"$f\" ]; then [ -w \"$f\" ] || echo 13; \
             else d=$(dirname \"$f\"); if [ ! -d \"$d\" ]; then echo 2; elif [ ! -w \"$d\" ]; then echo 13; fi; fi",
            quote(path)
        ))?;
        let errno = match ran.out.trim() {
            "21" => Some("[Errno 21] Is a directory"),
            "13" => Some("[Errno 13] Permission denied"),
            "2" => Some("[Errno 2] No such file or directory"),
            _ => None,
        };
        if let Some(e) = errno {
            return Ok(Some(format!("failed to update hostname: {e}: '{path}'")));
        }
        self.ctx.conn.put_file(
            content.as_bytes(),
            path,
            &PutOptions {
                mode: None,
                become_: self.ctx.become_.clone(),
            },
        )?;
        Ok(None)
    }

    /// `socket.getfqdn()` of the running name.
    fn fqdn(&self) -> Result<String, ModuleError> {
        let m = marker();
        let ran = self.run(format!(
            "n=$(uname -n); echo \"{m} $n\"; a=$(getent ahosts \"$n\" 2>/dev/null | awk 'NR==1{{print $1}}'); \
             [ -n \"$a\" ] && getent hosts \"$a\" 2>/dev/null | head -n 1; true"
        ))?;
        let mut lines = ran.out.lines();
        let node = lines
            .next()
            .and_then(|l| l.strip_prefix(&format!("{m} ")))
            .unwrap_or("")
            .to_owned();
        Ok(getfqdn(lines.next().unwrap_or(""), &node))
    }

    /// The systemd strategy: (current, permanent) before, and whether it changed.
    fn systemd(&self, name: &str) -> Result<Result<(String, String, bool), String>, ModuleError> {
        let ctl = match self.bin("hostnamectl")? {
            Ok(p) => p,
            Err(msg) => return Ok(Err(msg)),
        };
        let get = |which: &str| self.command(&[&ctl, which, "status"]);
        let current = match get("--transient")? {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let permanent = match get("--static")? {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let too_long =
            "name cannot be longer than 64 characters on systemd servers, try a shorter name";
        let check = self.ctx.check_mode;
        let mut changed = false;
        let mut now_current = current.clone();
        if permanent != name {
            if !check {
                if name.chars().count() > 64 {
                    return Ok(Err(too_long.into()));
                }
                if let Err(e) =
                    self.command(&[&ctl, "--pretty", "--static", "set-hostname", name])?
                {
                    return Ok(Err(e));
                }
                now_current = match get("--transient")? {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(e)),
                };
            }
            changed = true;
        }
        if now_current != name {
            if !check {
                if name.chars().count() > 64 {
                    return Ok(Err(too_long.into()));
                }
                if let Err(e) = self.command(&[&ctl, "--transient", "set-hostname", name])? {
                    return Ok(Err(e));
                }
            }
            changed = true;
        }
        Ok(Ok((current, permanent, changed)))
    }

    /// The file strategies: the running name is the file's.
    fn file(
        &self,
        strategy: Strategy,
        name: &str,
    ) -> Result<Result<(String, String, bool), String>, ModuleError> {
        let path = file_of(strategy);
        let hostname_cmd = if strategy == Strategy::Alpine {
            match self.bin("hostname")? {
                Ok(p) => Some(p),
                Err(msg) => return Ok(Err(msg)),
            }
        } else {
            None
        };
        let content = self.read(path)?;
        let permanent = match read_name(strategy, content.as_deref()) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        if permanent == name {
            return Ok(Ok((permanent.clone(), permanent, false)));
        }
        if !self.ctx.check_mode {
            if let Some(cmd) = &hostname_cmd {
                if let Err(e) = self.command(&[cmd, "-F", path])? {
                    return Ok(Err(e));
                }
            }
            if let Some(e) = self.write(path, &new_content(strategy, content.as_deref(), name))? {
                return Ok(Err(e));
            }
        }
        Ok(Ok((permanent.clone(), permanent, true)))
    }
}

impl Module for Hostname {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(name) = a.name else {
            return Ok(failed("missing required arguments: name").into());
        };
        if let Some(u) = &a.use_ {
            if !STRATS.iter().any(|(k, _)| k == u) {
                let choices: Vec<&str> = STRATS.iter().map(|(k, _)| *k).collect();
                return Ok(failed(format!(
                    "value of use must be one of: {}, got: {u}",
                    choices.join(", ")
                ))
                .into());
            }
        }
        let job = Job { ctx };
        let probe = job.probe()?;
        let strategy = match pick(a.use_.as_deref(), &probe) {
            Ok(s) => s,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let done = match strategy {
            Strategy::Systemd => job.systemd(&name)?,
            other => job.file(other, &name)?,
        };
        let (current, permanent, changed) = match done {
            Ok(d) => d,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let before = if name != current { current } else { permanent };
        let fqdn = job.fqdn()?;
        let domain = fqdn.split('.').skip(1).collect::<Vec<_>>().join(".");
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(changed));
        r.insert("name".into(), json!(name));
        r.insert(
            "ansible_facts".into(),
            json!({
                "ansible_hostname": name.split('.').next().unwrap_or(""),
                "ansible_nodename": name,
                "ansible_fqdn": fqdn,
                "ansible_domain": domain,
            }),
        );
        if changed {
            r.insert(
                "diff".into(),
                json!({"after": format!("hostname = {name}\n"), "before": format!("hostname = {before}\n")}),
            );
        }
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(system: &str, booted: bool, id: &str, version: &str) -> Probe {
        Probe {
            system: system.into(),
            systemd_booted: booted,
            distribution: get_distribution(id),
            version: version.into(),
        }
    }

    #[test]
    fn the_strategy_follows_systemd_then_the_distribution() {
        assert_eq!(
            pick(None, &probe("Linux", true, "debian", "12")),
            Ok(Strategy::Systemd)
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "debian", "12")),
            Ok(Strategy::File("/etc/hostname"))
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "rhel", "7")),
            Ok(Strategy::RedHat)
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "amzn", "2")),
            Ok(Strategy::RedHat)
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "gentoo", "")),
            Ok(Strategy::OpenRc)
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "sles", "11.4")),
            Ok(Strategy::File("/etc/HOSTNAME"))
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "sles", "15.1")),
            Err("hostname module cannot be used on platform Linux (Sles)".into())
        );
        assert_eq!(
            pick(None, &probe("Linux", false, "fedora", "40")),
            Err("hostname module cannot be used on platform Linux (Fedora)".into())
        );
        assert_eq!(
            pick(Some("debian"), &probe("Linux", false, "debian", "12")),
            Ok(Strategy::Systemd)
        );
        assert!(pick(Some("freebsd"), &probe("Linux", false, "debian", "12")).is_err());
    }

    #[test]
    fn files_are_read_and_written_as_ansible_does() {
        let net = "NETWORKING=yes\nHOSTNAME=old.example\nGATEWAY=10.0.0.1\n";
        assert_eq!(
            read_name(Strategy::RedHat, Some(net)),
            Ok("old.example".into())
        );
        assert_eq!(
            new_content(Strategy::RedHat, Some(net), "new"),
            "NETWORKING=yes\nHOSTNAME=new\nGATEWAY=10.0.0.1\n"
        );
        assert_eq!(
            new_content(Strategy::RedHat, Some("NETWORKING=yes"), "new"),
            // ansible-core appends the line to the last one when it has no newline.
            "NETWORKING=yesHOSTNAME=new\n"
        );
        assert_eq!(
            read_name(Strategy::RedHat, None),
            Err("Unable to locate HOSTNAME entry in /etc/sysconfig/network".into())
        );
        let conf = "# comment\n  hostname=\"box\"\n";
        assert_eq!(read_name(Strategy::OpenRc, Some(conf)), Ok("box".into()));
        assert_eq!(
            new_content(Strategy::OpenRc, Some(conf), "new"),
            "# comment\nhostname=\"new\"\n"
        );
        assert_eq!(
            read_name(Strategy::File("/etc/hostname"), Some(" h1 \n")),
            Ok("h1".into())
        );
        assert_eq!(new_content(Strategy::Alpine, None, "h2"), "h2\n");
    }
}

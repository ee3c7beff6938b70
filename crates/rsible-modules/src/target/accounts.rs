//! The target's account databases as Python's `pwd`, `grp` and `getspnam` see them, read with
//! `getent` (so NSS sources count, as they do for the modules), for `user` and `group`.

use std::fmt::Write as _;

use rsible_connection::shell::quote;

/// One `passwd` entry (`pwd.struct_passwd`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Passwd {
    pub name: String,
    pub passwd: String,
    pub uid: i64,
    pub gid: i64,
    pub gecos: String,
    pub dir: String,
    pub shell: String,
}

/// One `group` entry (`grp.struct_group`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Group {
    pub name: String,
    pub gid: i64,
    pub members: Vec<String>,
}

/// One `shadow` entry as `getspnam` returns it: empty numeric fields are -1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shadow {
    pub pwd: String,
    pub min: i64,
    pub max: i64,
    pub warn: i64,
    pub expire: i64,
}

fn num(field: &str) -> i64 {
    field.trim().parse().unwrap_or(-1)
}

pub(crate) fn parse_passwd(line: &str) -> Option<Passwd> {
    let f: Vec<&str> = line.splitn(7, ':').collect();
    if f.len() < 7 {
        return None;
    }
    Some(Passwd {
        name: f[0].to_owned(),
        passwd: f[1].to_owned(),
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        gecos: f[4].to_owned(),
        dir: f[5].to_owned(),
        shell: f[6].to_owned(),
    })
}

pub(crate) fn parse_group(line: &str) -> Option<Group> {
    let f: Vec<&str> = line.splitn(4, ':').collect();
    if f.len() < 4 {
        return None;
    }
    Some(Group {
        name: f[0].to_owned(),
        gid: f[2].parse().ok()?,
        members: f[3]
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

pub(crate) fn parse_shadow(line: &str) -> Option<Shadow> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 8 {
        return None;
    }
    Some(Shadow {
        pwd: f[1].to_owned(),
        min: num(f[3]),
        max: num(f[4]),
        warn: num(f[5]),
        expire: num(f[7]),
    })
}

/// `grp.getgrgid(int(g))`, then `grp.getgrnam(g)`: how the modules look a group up.
pub(crate) fn find_group<'a>(groups: &'a [Group], g: &str) -> Option<&'a Group> {
    let by_gid = g
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|gid| groups.iter().find(|e| e.gid == gid));
    by_gid.or_else(|| groups.iter().find(|e| e.name == g))
}

/// What [`probe_script`] found.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    /// `pwd.getpwnam(name)`.
    pub passwd: Option<Passwd>,
    /// `getspnam(name)` (`None` when it fails, e.g. without root).
    pub shadow: Option<Shadow>,
    /// `grp.getgrall()`.
    pub groups: Vec<Group>,
    /// Whether `/etc/<file>` has a line starting `name:` (`local: true`), `None` without
    /// the file.
    pub local: Option<bool>,
    /// Each asked path: `'d'` directory, `'e'` other, `'-'` absent.
    pub paths: Vec<char>,
    /// `_bin` answers: name and path, or `get_bin_path`'s failure message.
    pub bins: Vec<(String, Result<String, String>)>,
    /// `usermod --help` lists `-a, --append`.
    pub has_append: bool,
    /// `socket.gethostname()`.
    pub hostname: String,
    /// `/etc/login.defs` exists, and its `HOME_MODE`/`UMASK` lines.
    pub login_defs: Option<Vec<String>>,
}

/// What the probe asks besides the entries.
#[derive(Debug, Default)]
pub(crate) struct Ask<'a> {
    /// `passwd` or `group`: the local file `local: true` reads.
    pub local_file: Option<&'a str>,
    pub paths: Vec<String>,
    pub bins: Vec<&'a str>,
    pub usermod_help: bool,
    pub login_defs: bool,
}

/// A script printing `name`'s passwd and shadow entries, the group database and what `ask`
/// wants, each line after `m` and a tag.
pub(crate) fn probe_script(m: &str, name: &str, ask: &Ask<'_>) -> String {
    let mut s = String::from(super::script::BIN_PATH_FN);
    let _ = writeln!(s, "n={}", quote(name));
    let _ = writeln!(
        s,
        "getent passwd -- \"$n\" 2>/dev/null | sed 's/^/{m} PW /'\n\
         getent shadow -- \"$n\" 2>/dev/null | sed 's/^/{m} SP /'\n\
         getent group 2>/dev/null | sed 's/^/{m} GR /'\n\
         echo \"{m} HOST $(uname -n)\""
    );
    if let Some(file) = ask.local_file {
        let _ = writeln!(
            s,
            "if [ -e /etc/{file} ]; then N=\"$n:\" awk 'index($0, ENVIRON[\"N\"]) == 1 {{ f = 1 }} END {{ print \"{m} LOCAL \" (f ? 1 : 0) }}' /etc/{file}; else echo '{m} LOCAL -'; fi"
        );
    }
    for p in &ask.paths {
        let _ = writeln!(
            s,
            "p={}; if [ -d \"$p\" ]; then echo '{m} P d'; elif [ -e \"$p\" ] || [ -L \"$p\" ]; then echo '{m} P e'; else echo '{m} P -'; fi",
            quote(p)
        );
    }
    for b in &ask.bins {
        let _ = writeln!(
            s,
            "if r=$(_bin {b}); then echo \"{m} BIN {b} ok $r\"; else echo \"{m} BIN {b} no $r\"; fi"
        );
    }
    if ask.usermod_help {
        let _ = writeln!(
            s,
            "if u=$(_bin usermod) && [ -x \"$u\" ] && \"$u\" --help 2>&1 | grep -q '^[[:space:]]*-a, --append'; then echo '{m} APPEND 1'; fi"
        );
    }
    if ask.login_defs {
        let _ = writeln!(
            s,
            "if [ -e /etc/login.defs ]; then echo '{m} LD'; grep -E '^(HOME_MODE|UMASK)[[:space:]]+[0-9]+$' /etc/login.defs | sed 's/^/{m} LD /'; fi"
        );
    }
    s.push_str("true\n");
    s
}

pub(crate) fn parse_probe(m: &str, name: &str, out: &str) -> Probe {
    let mut p = Probe::default();
    let prefix = format!("{m} ");
    for line in out.lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        let (tag, value) = rest.split_once(' ').unwrap_or((rest, ""));
        match tag {
            // `getent passwd 1000` answers by uid too: keep only the entry of that name.
            "PW" => {
                if let Some(e) = parse_passwd(value).filter(|e| e.name == name) {
                    p.passwd = Some(e);
                }
            }
            "SP" => p.shadow = parse_shadow(value),
            "GR" => p.groups.extend(parse_group(value)),
            "HOST" => p.hostname = value.to_owned(),
            "LOCAL" => p.local = (value != "-").then_some(value == "1"),
            "P" => p.paths.push(value.chars().next().unwrap_or('-')),
            "BIN" => {
                let mut parts = value.splitn(3, ' ');
                let (b, ok, text) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("").to_owned(),
                );
                p.bins
                    .push((b.to_owned(), if ok == "ok" { Ok(text) } else { Err(text) }));
            }
            "APPEND" => p.has_append = true,
            "LD" => {
                let defs = p.login_defs.get_or_insert_with(Vec::new);
                if !value.is_empty() {
                    defs.push(value.to_owned());
                }
            }
            _ => {}
        }
    }
    p
}

impl Probe {
    pub(crate) fn bin(&self, name: &str) -> Result<String, String> {
        self.bins
            .iter()
            .find(|(b, _)| b == name)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Err(format!("Failed to find required executable \"{name}\"")))
    }

    /// The mode `create_homedir` gives a home it made: `HOME_MODE`, else `0777 & ~UMASK` (the
    /// last), else 0755.
    pub(crate) fn home_mode(&self) -> Option<u32> {
        let defs = self.login_defs.as_ref()?;
        let mut mode = 0o755;
        for line in defs {
            let mut f = line.split_whitespace();
            let (key, value) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
            let Ok(v) = u32::from_str_radix(value, 8) else {
                continue;
            };
            if key == "HOME_MODE" {
                return Some(v);
            }
            mode = 0o777 & !v;
        }
        Some(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_as_python_sees_them() {
        let pw = parse_passwd("alice:x:1001:1001:Alice A,,,:/home/alice:/bin/bash").unwrap();
        assert_eq!(
            (pw.uid, pw.gid, pw.gecos.as_str()),
            (1001, 1001, "Alice A,,,")
        );
        assert_eq!(pw.shell, "/bin/bash");
        let g = parse_group("sudo:x:27:vagrant,alice").unwrap();
        assert_eq!(g.members, ["vagrant", "alice"]);
        assert!(parse_group("empty:x:5:").unwrap().members.is_empty());
        let sp = parse_shadow("alice:$6$x$y:19000:0:99999:7:::").unwrap();
        assert_eq!((sp.min, sp.max, sp.warn, sp.expire), (0, 99999, 7, -1));
        let groups = vec![g.clone(), parse_group("27:x:500:").unwrap()];
        // A number is a gid first.
        assert_eq!(find_group(&groups, "27").map(|g| g.gid), Some(27));
        assert_eq!(find_group(&groups, "sudo").map(|g| g.gid), Some(27));
        assert!(find_group(&groups, "nope").is_none());
    }

    #[test]
    fn probe_output_is_read_by_tag() {
        let out = "M PW other:x:5:5::/h:/bin/sh\nM GR a:x:1:bob\nM P d\nM P -\n\
                   M BIN useradd ok /usr/sbin/useradd\nM BIN luseradd no Failed to find\nM LD\nM LD UMASK 027\nnoise\n";
        let p = parse_probe("M", "bob", out);
        assert!(p.passwd.is_none(), "the entry has another name");
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.paths, ['d', '-']);
        assert_eq!(p.bin("useradd"), Ok("/usr/sbin/useradd".into()));
        assert_eq!(p.bin("luseradd"), Err("Failed to find".into()));
        assert_eq!(p.home_mode(), Some(0o750));
        let p = parse_probe("M", "bob", "M LD\nM LD UMASK 022\nM LD HOME_MODE 0700\n");
        assert_eq!(p.home_mode(), Some(0o700));
    }
}

//! The `system` fact collectors of ansible-core (platform, user, distribution, lsb, date_time,
//! env, pkg_mgr, service_mgr, selinux, apparmor, fips, cmdline, dns, loadavg), computed from the
//! raw sources the setup script prints. Facts are returned without the `ansible_` prefix.

use serde_json::{json, Map, Value};

/// A collector's facts in the order Ansible adds them.
pub(crate) type Facts = Vec<(String, Value)>;

/// The script's sections by name.
pub(crate) struct Raw {
    pub sections: Vec<(String, Vec<u8>)>,
}

impl Raw {
    pub(crate) fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    pub(crate) fn text(&self, name: &str) -> String {
        self.bytes(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// The section stripped as `get_file_content` strips; `None` when empty.
    pub(crate) fn content(&self, name: &str) -> Option<String> {
        let t = self.text(name);
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    pub(crate) fn line(&self, name: &str) -> String {
        self.content(name).unwrap_or_default()
    }

    pub(crate) fn has_path(&self, path: &str) -> bool {
        self.text("paths").lines().any(|l| l == path)
    }
}

fn fact(name: &str, v: Value) -> (String, Value) {
    (name.to_owned(), v)
}

/// Python's `socket.getfqdn()` from `getent hosts` of the node name's first address (the
/// script's `fqdn` section): the first of the reverse lookup's names holding a dot, else its
/// canonical name; the node name itself when the lookups fail.
pub(crate) fn getfqdn(lookup: &str, node: &str) -> String {
    let names: Vec<&str> = lookup.split_whitespace().skip(1).collect();
    names
        .iter()
        .find(|n| n.contains('.'))
        .or(names.first())
        .map_or(node.to_owned(), |s| (*s).to_owned())
}

pub(crate) fn platform(raw: &Raw) -> Facts {
    let machine = raw.line("machine");
    let node = raw.line("nodename");
    let bits = raw.line("long_bit");
    let mut f = vec![
        fact("system", json!(raw.line("system"))),
        fact("kernel", json!(raw.line("kernel"))),
        fact("kernel_version", json!(raw.line("kernel_version"))),
        fact("machine", json!(machine)),
    ];
    let fqdn = getfqdn(&raw.line("fqdn"), &node);
    let domain = fqdn.split('.').skip(1).collect::<Vec<_>>().join(".");
    f.push(fact("fqdn", json!(fqdn)));
    f.push(fact(
        "hostname",
        json!(node.split('.').next().unwrap_or("")),
    ));
    f.push(fact("nodename", json!(node)));
    f.push(fact("domain", json!(domain)));
    f.push(fact("userspace_bits", json!(bits)));
    let i86 = machine.len() == 4
        && machine.starts_with('i')
        && machine.ends_with("86")
        && matches!(machine.as_bytes()[1], b'3'..=b'6');
    if machine == "x86_64" || i86 {
        f.push(fact(
            "architecture",
            json!(if i86 { "i386" } else { "x86_64" }),
        ));
        match bits.as_str() {
            "64" => f.push(fact("userspace_architecture", json!("x86_64"))),
            "32" => f.push(fact("userspace_architecture", json!("i386"))),
            _ => {}
        }
    } else {
        f.push(fact("architecture", json!(machine)));
    }
    if let Some(id) = raw.content("machine_id") {
        f.push(fact("machine_id", json!(id.lines().next().unwrap_or(""))));
    }
    if let Some(py) = python_info(raw) {
        f.push(fact("python_version", json!(py.version_string())));
    }
    f
}

/// What the script's Python printed: executable, `sys.version_info`, implementation, whether
/// `ssl.SSLContext` exists.
struct PythonInfo {
    executable: String,
    major: i64,
    minor: i64,
    micro: i64,
    releaselevel: String,
    serial: i64,
    kind: String,
    has_sslcontext: bool,
}

impl PythonInfo {
    /// `platform.python_version()`.
    fn version_string(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.micro)
    }
}

fn python_info(raw: &Raw) -> Option<PythonInfo> {
    let text = raw.content("python")?;
    let mut lines = text.lines();
    let executable = lines.next()?.to_owned();
    let v: Vec<&str> = lines.next()?.split(' ').collect();
    let num = |i: usize| v.get(i).and_then(|n| n.parse::<i64>().ok());
    Some(PythonInfo {
        executable,
        major: num(0)?,
        minor: num(1)?,
        micro: num(2)?,
        releaselevel: (*v.get(3)?).to_owned(),
        serial: num(4)?,
        kind: lines.next().unwrap_or("").to_owned(),
        has_sslcontext: lines.next() == Some("True"),
    })
}

/// The `python` collector: the Python that would run Ansible's modules on the host.
pub(crate) fn python(raw: &Raw) -> Facts {
    let Some(py) = python_info(raw) else {
        return Facts::new();
    };
    let kind = if py.kind.is_empty() {
        Value::Null
    } else {
        json!(py.kind)
    };
    vec![fact(
        "python",
        json!({
            "executable": py.executable,
            "has_sslcontext": py.has_sslcontext,
            "type": kind,
            "version": {
                "major": py.major,
                "minor": py.minor,
                "micro": py.micro,
                "releaselevel": py.releaselevel,
                "serial": py.serial,
            },
            "version_info": [py.major, py.minor, py.micro, py.releaselevel, py.serial],
        }),
    )]
}

/// `getpass.getuser()` (LOGNAME, USER, LNAME, USERNAME, else the uid's name), then its
/// passwd entry (else the real uid's).
pub(crate) fn user(raw: &Raw) -> Facts {
    let ids: Vec<String> = raw.text("ids").lines().map(str::to_owned).collect();
    let id = |i: usize| ids.get(i).and_then(|v| v.trim().parse::<i64>().ok());
    let name = raw
        .content("getuser")
        .or_else(|| ids.get(3).cloned())
        .unwrap_or_default();
    let pw = raw.content("pw_name").or_else(|| raw.content("pw_uid"));
    let pw = pw.unwrap_or_default();
    let pw: Vec<&str> = pw.lines().next().unwrap_or("").split(':').collect();
    let field = |i: usize| pw.get(i).copied().unwrap_or("");
    let num = |i: usize| field(i).parse::<i64>().map_or(Value::Null, Value::from);
    vec![
        fact("user_id", json!(name)),
        fact("user_uid", num(2)),
        fact("user_gid", num(3)),
        fact("user_gecos", json!(field(4))),
        fact("user_dir", json!(field(5))),
        fact("user_shell", json!(field(6))),
        fact("real_user_id", json!(id(1))),
        fact("effective_user_id", json!(id(0))),
        // Ansible reports the real gid for both.
        fact("real_group_id", json!(id(2))),
        fact("effective_group_id", json!(id(2))),
    ]
}

fn os_release(raw: &Raw) -> Vec<(String, String)> {
    raw.text("os_release")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_owned(), v.to_owned())
        })
        .collect()
}

/// Ansible's names for `/etc/os-release` IDs, and the family each belongs to.
fn distribution_name(id: &str, name: &str) -> (String, String) {
    let (dist, family) = match id {
        "debian" | "raspbian" => ("Debian", "Debian"),
        "ubuntu" => ("Ubuntu", "Debian"),
        "linuxmint" => ("Linux Mint", "Debian"),
        "kali" => ("Kali", "Debian"),
        "devuan" => ("Devuan", "Debian"),
        "pop" => ("Pop!_OS", "Debian"),
        "centos" => ("CentOS", "RedHat"),
        "rhel" => ("RedHat", "RedHat"),
        "fedora" => ("Fedora", "RedHat"),
        "rocky" => ("Rocky", "RedHat"),
        "almalinux" => ("AlmaLinux", "RedHat"),
        "ol" => ("OracleLinux", "RedHat"),
        "amzn" => ("Amazon", "RedHat"),
        "arch" => ("Archlinux", "Archlinux"),
        "alpine" => ("Alpine", "Alpine"),
        "gentoo" => ("Gentoo", "Gentoo"),
        "opensuse-leap" | "opensuse" => ("openSUSE Leap", "Suse"),
        "opensuse-tumbleweed" => ("openSUSE Tumbleweed", "Suse"),
        "sles" => ("SLES", "Suse"),
        _ => {
            let n = if name.is_empty() { "NA" } else { name };
            return (n.to_owned(), n.to_owned());
        }
    };
    (dist.to_owned(), family.to_owned())
}

/// Distribution facts for Linux: os-release, refined by `/etc/debian_version` on Debian
/// (`distro.version(best=True)` keeps the most precise version).
pub(crate) fn distribution(raw: &Raw) -> Facts {
    let os = os_release(raw);
    let get = |k: &str| {
        os.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (dist, family) = distribution_name(&get("ID"), &get("NAME"));
    let mut version = get("VERSION_ID");
    let mut minor: Option<String> = None;
    let mut release = get("VERSION_CODENAME");
    if dist == "Debian" {
        let dv = raw.line("debian_version");
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
        if digits(&dv) && dv.matches('.').count() > version.matches('.').count() {
            version = dv.clone();
        }
        minor = dv
            .split_once('.')
            .filter(|(a, b)| digits(a) && !b.is_empty())
            .map(|(_, b)| b.chars().take_while(char::is_ascii_digit).collect());
        // PRETTY_NAME=... (bookworm)
        let pretty = get("PRETTY_NAME");
        if let Some(open) = pretty.find('(') {
            if let Some(close) = pretty[open..].find(')') {
                release = pretty[open + 1..open + close].to_owned();
            }
        }
    } else if let Some((_, m)) = version.split_once('.') {
        minor = Some(m.split('.').next().unwrap_or("").to_owned());
    }
    let or_na = |s: String| if s.is_empty() { "NA".to_owned() } else { s };
    let major = version.split('.').next().unwrap_or("").to_owned();
    let mut f = vec![
        fact("distribution", json!(dist)),
        fact("distribution_release", json!(or_na(release))),
        fact("distribution_version", json!(or_na(version))),
        fact("distribution_major_version", json!(or_na(major))),
    ];
    if family == "Debian" && !os.is_empty() {
        f.push(fact("distribution_file_path", json!("/etc/os-release")));
        f.push(fact("distribution_file_variety", json!("Debian")));
        f.push(fact("distribution_file_parsed", json!(true)));
    }
    if let Some(m) = minor.filter(|m| !m.is_empty()) {
        f.push(fact("distribution_minor_version", json!(m)));
    }
    f.push(fact("os_family", json!(family)));
    f
}

pub(crate) fn lsb(raw: &Raw) -> Facts {
    let mut m: Vec<(&str, String)> = Vec::new();
    fn set(m: &mut Vec<(&str, String)>, k: &'static str, v: &str) {
        let v = v.trim().to_owned();
        match m.iter_mut().find(|(key, _)| *key == k) {
            Some(e) => e.1 = v,
            None => m.push((k, v)),
        }
    }
    let bin = raw.text("lsb_bin");
    for line in bin.lines().filter(|l| l.contains(':')) {
        let value = line.split_once(':').map_or("", |(_, v)| v);
        if line.contains("LSB Version:") || line.contains("Release:") {
            set(&mut m, "release", value);
        } else if line.contains("Distributor ID:") {
            set(&mut m, "id", value);
        } else if line.contains("Description:") {
            set(&mut m, "description", value);
        } else if line.contains("Codename:") {
            set(&mut m, "codename", value);
        }
    }
    if m.is_empty() {
        for line in raw.text("lsb_file").lines() {
            let value = line.split_once('=').map_or("", |(_, v)| v);
            if line.contains("DISTRIB_ID") {
                set(&mut m, "id", value);
            } else if line.contains("DISTRIB_RELEASE") {
                set(&mut m, "release", value);
            } else if line.contains("DISTRIB_DESCRIPTION") {
                set(&mut m, "description", value);
            } else if line.contains("DISTRIB_CODENAME") {
                set(&mut m, "codename", value);
            }
        }
    }
    let mut out = Map::new();
    let major = m
        .iter()
        .find(|(k, _)| *k == "release")
        .map(|(_, v)| v.split('.').next().unwrap_or("").to_owned());
    for (k, v) in &m {
        out.insert((*k).to_owned(), json!(strip_quotes(v)));
    }
    if let Some(major) = major {
        out.insert("major_release".into(), json!(strip_quotes(&major)));
    }
    vec![fact("lsb", Value::Object(out))]
}

fn strip_quotes(v: &str) -> &str {
    v.trim_matches(|c| c == '\'' || c == '"' || c == '\\')
}

/// The `date` section: the time now, then noon on January 1st and July 1st, each
/// `|`-separated in the script's format.
fn date_lines(raw: &Raw) -> Vec<Vec<String>> {
    raw.text("date")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().split('|').map(str::to_owned).collect())
        .collect()
}

pub(crate) fn date_time(raw: &Raw) -> Facts {
    let lines = date_lines(raw);
    let Some(d) = lines.first() else {
        return Vec::new();
    };
    if d.len() < 16 {
        return Vec::new();
    }
    let at = |i: usize| d[i].clone();
    let micro: String = if d[15].len() >= 6 && d[15].bytes().all(|b| b.is_ascii_digit()) {
        d[15][..6].to_owned()
    } else {
        "000000".to_owned()
    };
    let utc = d[9]
        .parse::<i64>()
        .ok()
        .and_then(|epoch| chrono::DateTime::from_timestamp(epoch, 0))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default();
    vec![fact(
        "date_time",
        json!({
            "year": at(0), "month": at(1), "weekday": at(2), "weekday_number": at(3),
            "weeknumber": at(4), "day": at(5), "hour": at(6), "minute": at(7), "second": at(8),
            "epoch": at(9), "epoch_int": at(9), "date": at(10), "time": at(11),
            "iso8601_micro": format!("{utc}.{micro}Z"),
            "iso8601": format!("{utc}Z"),
            "iso8601_basic": format!("{}{micro}", at(12)),
            "iso8601_basic_short": at(12),
            "tz": at(13),
            "tz_dst": tz_dst(raw, &at(13)),
            "tz_offset": at(14),
        }),
    )]
}

/// `time.tzname[1]`: the zone's daylight-saving name, or its only name when it has none.
fn tz_dst(raw: &Raw, tz: &str) -> String {
    let lines = date_lines(raw);
    let parse = |i: usize| -> Option<(String, i64)> {
        let d = lines.get(i)?;
        Some((d.get(13)?.clone(), d.get(14)?.parse().ok()?))
    };
    match (parse(1), parse(2)) {
        (Some(jan), Some(jul)) if jan.1 != jul.1 => {
            if jan.1 > jul.1 {
                jan.0
            } else {
                jul.0
            }
        }
        (Some(jan), _) => jan.0,
        _ => tz.to_owned(),
    }
}

pub(crate) fn env(raw: &Raw) -> Facts {
    let mut env = Map::new();
    let bytes = raw.bytes("env").unwrap_or_default();
    let nul = bytes.contains(&0);
    let items: Vec<&[u8]> = if nul {
        bytes.split(|b| *b == 0).collect()
    } else {
        bytes.split(|b| *b == b'\n').collect()
    };
    for item in items {
        let item = String::from_utf8_lossy(item);
        if let Some((k, v)) = item.split_once('=') {
            env.insert(k.to_owned(), json!(v));
        }
    }
    vec![fact("env", Value::Object(env))]
}

const PKG_MGRS: [(&str, &str); 26] = [
    ("/usr/bin/rpm-ostree", "atomic_container"),
    ("/usr/bin/yum", "dnf"),
    ("/usr/bin/dnf-3", "dnf"),
    ("/usr/bin/dnf5", "dnf5"),
    ("/usr/bin/apt-get", "apt"),
    ("/usr/bin/zypper", "zypper"),
    ("/usr/sbin/urpmi", "urpmi"),
    ("/usr/bin/pacman", "pacman"),
    ("/bin/opkg", "opkg"),
    ("/usr/pkg/bin/pkgin", "pkgin"),
    ("/opt/local/bin/pkgin", "pkgin"),
    ("/opt/tools/bin/pkgin", "pkgin"),
    ("/opt/local/bin/port", "macports"),
    ("/usr/local/bin/brew", "homebrew"),
    ("/opt/homebrew/bin/brew", "homebrew"),
    ("/sbin/apk", "apk"),
    ("/usr/sbin/pkg", "pkgng"),
    ("/usr/sbin/swlist", "swdepot"),
    ("/usr/bin/emerge", "portage"),
    ("/usr/sbin/pkgadd", "svr4pkg"),
    ("/usr/bin/pkg", "pkg5"),
    ("/usr/bin/xbps-install", "xbps"),
    ("/usr/local/sbin/pkg", "pkgng"),
    ("/usr/bin/swupd", "swupd"),
    ("/usr/sbin/sorcery", "sorcery"),
    ("/usr/bin/installp", "installp"),
];

pub(crate) fn pkg_mgr(raw: &Raw, os_family: &str) -> Facts {
    let mut name = "unknown".to_owned();
    for (path, mgr) in PKG_MGRS {
        if os_family == "Altlinux" && path == "/usr/bin/pkg" {
            continue;
        }
        if raw.has_path(path) {
            name = mgr.to_owned();
        }
    }
    if os_family == "RedHat" {
        name = if raw.has_path("/run/ostree-booted") {
            "atomic_container".to_owned()
        } else {
            let real = raw.text("paths");
            let found = real
                .lines()
                .filter_map(|l| l.strip_prefix("real "))
                .find_map(|l| l.split_once(' ').map(|(_, r)| r.to_owned()));
            match found {
                Some(r) if r == "/usr/bin/dnf5" => "dnf5".to_owned(),
                Some(_) => "dnf".to_owned(),
                None => "unknown".to_owned(),
            }
        };
    } else if os_family == "Debian" && name != "apt" {
        name = "apt".to_owned();
    } else if os_family == "Altlinux" && name == "apt" {
        name = "apt_rpm".to_owned();
    }
    if name == "apt" && raw.has_path("/usr/bin/rpm") {
        name = if raw.has_path("apt_rpm") {
            "apt_rpm"
        } else {
            "apt"
        }
        .to_owned();
    }
    vec![fact("pkg_mgr", json!(name))]
}

pub(crate) fn service_mgr(raw: &Raw, system: &str, distribution: &str) -> Facts {
    let text = raw.text("proc1");
    let mut proc_1: Option<String> = match text.trim().strip_prefix("ps:") {
        Some(ps) => {
            let ps = ps.trim();
            let numeric = ps
                .split_whitespace()
                .next()
                .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()) && ps.len() > w.len());
            (!ps.is_empty() && !numeric && ps != "COMMAND").then(|| ps.to_owned())
        }
        None => Some(text.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let paths = raw.text("paths");
    let init_link = paths
        .lines()
        .find_map(|l| l.strip_prefix("init "))
        .map(str::to_owned);
    if proc_1.is_none() {
        proc_1 = init_link.clone();
    }
    let proc_1 = proc_1
        .map(|p| p.rsplit('/').next().unwrap_or("").trim().to_owned())
        .filter(|p| p != "init" && !p.ends_with("sh"));
    let has = |p: &str| raw.has_path(p);
    let name = if let Some(p) = proc_1 {
        match p.as_str() {
            "procd" => "openwrt_init".to_owned(),
            "runit-init" => "runit".to_owned(),
            "svscan" => "svc".to_owned(),
            "openrc-init" => "openrc".to_owned(),
            _ => p,
        }
    } else if distribution == "OpenWrt" {
        "openwrt_init".to_owned()
    } else if system == "Linux" {
        let systemctl = has("systemctl");
        if systemctl
            && [
                "/run/systemd/system/",
                "/dev/.run/systemd/",
                "/dev/.systemd/",
            ]
            .iter()
            .any(|c| has(c))
        {
            "systemd".to_owned()
        } else if has("initctl") && has("/etc/init/") {
            "upstart".to_owned()
        } else if has("/sbin/openrc") {
            "openrc".to_owned()
        } else if systemctl
            && init_link
                .as_deref()
                .is_some_and(|l| l.rsplit('/').next() == Some("systemd"))
        {
            "systemd".to_owned()
        } else if has("/etc/init.d/") {
            "sysvinit".to_owned()
        } else if has("/etc/dinit.d/") {
            "dinit".to_owned()
        } else {
            "service".to_owned()
        }
    } else {
        "service".to_owned()
    };
    vec![fact("service_mgr", json!(name))]
}

pub(crate) fn selinux(raw: &Raw) -> Facts {
    let mut s = Map::new();
    match raw.content("selinux") {
        Some(mode) => {
            s.insert("status".into(), json!("enabled"));
            let m = if mode == "1" {
                "enforcing"
            } else {
                "permissive"
            };
            s.insert("mode".into(), json!(m));
        }
        None => {
            s.insert("status".into(), json!("disabled"));
        }
    }
    vec![fact("selinux", Value::Object(s))]
}

pub(crate) fn apparmor(raw: &Raw) -> Facts {
    let status = if raw.has_path("/sys/kernel/security/apparmor") {
        "enabled"
    } else {
        "disabled"
    };
    vec![fact("apparmor", json!({ "status": status }))]
}

pub(crate) fn fips(raw: &Raw) -> Facts {
    vec![fact("fips", json!(raw.line("fips") == "1"))]
}

/// `cmdline` (last value wins) and `proc_cmdline` (repeated keys become lists), splitting as
/// `shlex.split(posix=False)`, which keeps quotes in the words.
pub(crate) fn cmdline(raw: &Raw) -> Facts {
    let Some(data) = raw.content("cmdline") else {
        return Vec::new();
    };
    let words = split_non_posix(&data);
    let mut last = Map::new();
    let mut all = Map::new();
    for w in &words {
        match w.split_once('=') {
            None => {
                last.insert(w.clone(), json!(true));
                all.insert(w.clone(), json!(true));
            }
            Some((k, v)) => {
                last.insert(k.to_owned(), json!(v));
                match all.get_mut(k) {
                    Some(Value::Array(list)) => list.push(json!(v)),
                    Some(prev) => *prev = json!([prev.clone(), v]),
                    None => {
                        all.insert(k.to_owned(), json!(v));
                    }
                }
            }
        }
    }
    vec![
        fact("cmdline", Value::Object(last)),
        fact("proc_cmdline", Value::Object(all)),
    ]
}

fn split_non_posix(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

pub(crate) fn dns(raw: &Raw) -> Facts {
    let mut d = Map::new();
    for line in raw.text("resolv").lines() {
        if line.starts_with('#') || line.starts_with(';') || line.trim().is_empty() {
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        let rest = || json!(t[1..].to_vec());
        match t[0] {
            "nameserver" => {
                let v = d.entry("nameservers").or_insert_with(|| json!([]));
                if let Value::Array(a) = v {
                    a.extend(t[1..].iter().map(|s| json!(s)));
                }
            }
            "domain" if t.len() > 1 => {
                d.insert("domain".into(), json!(t[1]));
            }
            "search" => {
                d.insert("search".into(), rest());
            }
            "sortlist" => {
                d.insert("sortlist".into(), rest());
            }
            "options" => {
                let mut o = Map::new();
                for opt in &t[1..] {
                    match opt.split_once(':') {
                        Some((k, v)) if !v.is_empty() => o.insert(k.to_owned(), json!(v)),
                        Some((k, _)) => o.insert(k.to_owned(), json!(true)),
                        None => o.insert((*opt).to_owned(), json!(true)),
                    };
                }
                d.insert("options".into(), Value::Object(o));
            }
            _ => {}
        }
    }
    vec![fact("dns", Value::Object(d))]
}

pub(crate) fn loadavg(raw: &Raw) -> Facts {
    let l: Vec<f64> = raw
        .line("loadavg")
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    if l.len() < 3 {
        return Vec::new();
    }
    vec![fact(
        "loadavg",
        json!({"1m": l[0], "5m": l[1], "15m": l[2]}),
    )]
}

/// `ssh_host_key_<algo>_public` and `_keytype`, from the first key directory holding any (Ansible
/// stops at the next directory's first algorithm it already has).
pub(crate) fn ssh_pub_keys(raw: &Raw) -> Facts {
    let mut f: Facts = Vec::new();
    for dir in ["/etc/ssh", "/etc/openssh", "/etc"] {
        for algo in ["dsa", "rsa", "ecdsa", "ed25519"] {
            let name = format!("ssh_host_key_{algo}_public");
            if f.iter().any(|(k, _)| *k == name) {
                return f;
            }
            let Some(data) = raw.content(&format!("sshkey {dir} {algo}")) else {
                continue;
            };
            let mut words = data.split_whitespace();
            if let (Some(keytype), Some(key)) = (words.next(), words.next()) {
                f.push((name.clone(), json!(key)));
                f.push((format!("{name}_keytype"), json!(keytype)));
            }
        }
    }
    f
}

/// `is_chroot`: `/` against PID 1's root, else the root inode against the file system's.
pub(crate) fn chroot(raw: &Raw) -> Facts {
    let text = raw.text("chroot");
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let value = if lines.first() == Some(&"env") {
        true
    } else {
        let mine = lines.first().copied().unwrap_or("");
        match lines.get(1).copied() {
            Some("fail") => {
                let fs = lines.get(2).copied().unwrap_or("");
                let root_ino = if fs.contains("btrfs") {
                    "256"
                } else if fs.contains("xfs") {
                    "128"
                } else {
                    "2"
                };
                mine.split_whitespace().nth(1) != Some(root_ino)
            }
            Some(proc_root) => mine != proc_root,
            None => return Vec::new(),
        }
    };
    vec![fact("is_chroot", json!(value))]
}

/// `system_capabilities(_enforced)` from `capsh --print`'s `Current:` line; `N/A` without capsh.
pub(crate) fn caps(raw: &Raw) -> Facts {
    let text = raw.text("caps");
    let mut lines = text.lines().skip_while(|l| l.is_empty());
    if lines.next() != Some("ok") {
        return vec![
            fact("system_capabilities_enforced", json!("N/A")),
            fact("system_capabilities", json!("N/A")),
        ];
    }
    let mut enforced = "NA";
    let mut list: Vec<String> = Vec::new();
    for line in lines.filter(|l| l.starts_with("Current:")) {
        let after_colon = line.split(':').nth(1).unwrap_or("").trim();
        if after_colon == "=ep" {
            enforced = "False";
        } else {
            enforced = "True";
            let after_eq = line.split('=').nth(1).unwrap_or("");
            list = after_eq.split(',').map(|c| c.trim().to_owned()).collect();
        }
    }
    vec![
        fact("system_capabilities_enforced", json!(enforced)),
        fact("system_capabilities", json!(list)),
    ]
}

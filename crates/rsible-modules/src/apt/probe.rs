//! The one script that tells `apt` what it needs: the tools' paths, the locale, the cache's
//! age, and for every named package its dpkg status and `apt-cache policy`.

use std::fmt::Write as _;

use crate::target::script::{BEST_LOCALE_FN, BIN_PATH_FN};
use rsible_connection::shell::quote;

pub(crate) const UPDATE_STAMP: &str = "/var/lib/apt/periodic/update-success-stamp";
pub(crate) const LISTS: &str = "/var/lib/apt/lists";

/// What the target reported.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Probe {
    /// `apt-get`'s path, or `get_bin_path`'s message.
    pub apt_get: Option<String>,
    pub apt_get_missing: String,
    pub apt_mark: Option<String>,
    pub aptitude: Option<String>,
    pub locale: String,
    /// mtime of the update stamp, else of the lists directory, else 0.
    pub cache_mtime: i64,
    pub now: i64,
    pub packages: Vec<PkgInfo>,
}

/// One package name as dpkg and apt see it.
#[derive(Debug, Default, PartialEq, Clone)]
pub(crate) struct PkgInfo {
    pub name: String,
    /// dpkg's `db:Status-Status` (`installed`, `config-files`, …) and version.
    pub dpkg_status: Option<String>,
    pub dpkg_version: Option<String>,
    /// `apt-cache policy` knew the name.
    pub known: bool,
    pub candidate: Option<String>,
    /// The version table, highest first.
    pub versions: Vec<String>,
    /// Packages providing this name (only asked for names without versions).
    pub providers: Vec<String>,
}

impl PkgInfo {
    pub(crate) fn installed(&self) -> bool {
        self.dpkg_status.as_deref() == Some("installed")
    }
}

/// Prints `P:name` then `D:status|version`, `A:<policy line>` and `R:<provider>` lines.
pub(crate) fn package_query(names: &[String], default_release: Option<&str>) -> String {
    let mut s = String::new();
    let t = default_release
        .map(|r| format!("-t {} ", quote(r)))
        .unwrap_or_default();
    for n in names {
        let q = quote(n);
        let _ = writeln!(
            s,
            "echo P:{q}; dpkg-query -W -f='D:${{db:Status-Status}}|${{Version}}\\n' {q} 2>/dev/null | head -n 1; \
             _pol=$(apt-cache {t}policy {q} 2>/dev/null); printf '%s\\n' \"$_pol\" | sed 's/^/A:/'; \
             if ! printf '%s\\n' \"$_pol\" | grep -q '^ [ *][ *][ *] [^ ]'; then \
             apt-cache showpkg {q} 2>/dev/null | sed -n '/^Reverse Provides:/,$p' | sed '1d; s/ .*//; s/^/R:/'; \
             fi"
        );
    }
    s
}

/// The whole probe: tools, locale, cache time, packages.
pub(crate) fn script(names: &[String], default_release: Option<&str>) -> String {
    let mut s = String::from(BIN_PATH_FN);
    s.push_str(BEST_LOCALE_FN);
    s.push_str("if b=$(_bin apt-get); then echo \"G:$b\"; else echo \"g:$b\"; fi\n");
    s.push_str("if b=$(_bin apt-mark); then echo \"M:$b\"; fi\n");
    s.push_str("if b=$(_bin aptitude); then echo \"T:$b\"; fi\n");
    s.push_str("echo \"L:$(_loc)\"\n");
    s.push_str(&cache_time_script());
    s.push_str(&package_query(names, default_release));
    s
}

/// `C:<mtime>` and `N:<now>` as `get_cache_mtime` and the module's clock see them.
pub(crate) fn cache_time_script() -> String {
    format!(
        "if [ -e {UPDATE_STAMP} ]; then echo \"C:$(stat -c %Y {UPDATE_STAMP})\"; \
         elif [ -e {LISTS} ]; then echo \"C:$(stat -c %Y {LISTS})\"; else echo C:0; fi; echo \"N:$(date +%s)\"\n"
    )
}

pub(crate) fn parse(text: &str) -> Probe {
    let mut p = Probe {
        locale: "C".into(),
        ..Probe::default()
    };
    let mut in_table = false;
    for line in text.lines() {
        let Some((tag, v)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "G" => p.apt_get = Some(v.to_owned()),
            "g" => p.apt_get_missing = v.to_owned(),
            "M" => p.apt_mark = Some(v.to_owned()),
            "T" => p.aptitude = Some(v.to_owned()),
            "L" => p.locale = v.to_owned(),
            "C" => p.cache_mtime = v.trim().parse().unwrap_or(0),
            "N" => p.now = v.trim().parse().unwrap_or(0),
            "P" => {
                in_table = false;
                p.packages.push(PkgInfo {
                    name: v.to_owned(),
                    ..PkgInfo::default()
                });
            }
            _ => {
                let Some(pkg) = p.packages.last_mut() else {
                    continue;
                };
                match tag {
                    "D" => {
                        let (st, ver) = v.split_once('|').unwrap_or((v, ""));
                        pkg.dpkg_status = Some(st.to_owned());
                        pkg.dpkg_version = Some(ver.to_owned());
                    }
                    "A" => parse_policy_line(pkg, v, &mut in_table),
                    "R" if !v.is_empty() && !pkg.providers.iter().any(|x| x == v) => {
                        pkg.providers.push(v.to_owned());
                    }
                    _ => {}
                }
            }
        }
    }
    p
}

fn parse_policy_line(pkg: &mut PkgInfo, line: &str, in_table: &mut bool) {
    if line.is_empty() {
        return;
    }
    if !line.starts_with(' ') {
        // `name:` opens the package's block.
        pkg.known = true;
        return;
    }
    let t = line.trim_start();
    if let Some(c) = t.strip_prefix("Candidate: ") {
        pkg.candidate = (c != "(none)").then(|| c.to_owned());
    } else if t.starts_with("Version table:") {
        *in_table = true;
    } else if *in_table
        && line.len() > 5
        && (line.starts_with(" *** ") || line.starts_with("     "))
    {
        let rest = &line[5..];
        if !rest.starts_with(' ') {
            if let Some(v) = rest.split(' ').next() {
                pkg.versions.push(v.to_owned());
            }
        }
    }
}

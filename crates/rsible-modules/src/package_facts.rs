//! `package_facts`: the installed packages as the fact `packages`.
//!
//! ```yaml
//! - package_facts: { manager: auto }
//! - debug: msg="{{ ansible_facts.packages['openssl'][0].version }}"
//! ```
//!
//! Ansible reads apt's packages through python-apt; rsible reads the same from one script:
//! `dpkg-query -W` (name, version, architecture, section, status) and `apt-cache policy` (the
//! origin of the first package file holding the installed version, as python-apt's
//! `Version.origins[0]`). Each package is `{name, version, arch, category, origin, source}`.
//! The other managers Ansible knows (rpm, apk, pacman, pkg, pkg_info, portage) are looked for
//! as Ansible looks for them; rsible reads none of them, and says so in a warning when one is
//! found.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_list, de_opt_string, parse, ArgSpec};
use crate::target::script::{marker, run_script, BIN_PATH_FN};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "package_facts",
    ArgSpec::new("package_facts", &["manager", "strategy"]),
);

/// `PKG_MANAGER_NAMES`: the sorted managers, then the aliases.
const MANAGERS: &[&str] = &["apk", "apt", "pacman", "pkg", "pkg_info", "portage", "rpm"];
const ALIASES: &[(&str, &[&str])] = &[
    ("rpm", &["dnf", "dnf5", "yum", "zypper"]),
    ("pkg", &["pkg5", "pkgng"]),
    ("pkg_info", &["openbsd_pkg"]),
];

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_list")]
    manager: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    strategy: Option<String>,
}

pub(crate) struct PackageFacts;
pub(crate) static PACKAGE_FACTS: PackageFacts = PackageFacts;

fn all_names() -> Vec<&'static str> {
    let mut v = MANAGERS.to_vec();
    for (_, a) in ALIASES {
        v.extend_from_slice(a);
    }
    v
}

/// What the probe found on the target.
#[derive(Debug, Default)]
struct Probe {
    /// Program name → path, for the programs found.
    bins: HashMap<String, String>,
    /// `get_bin_path`'s failure message per missing program.
    missing: HashMap<String, String>,
    hostname: String,
    arch: String,
    /// name, version, arch, section, status abbreviation.
    dpkg: Vec<[String; 5]>,
    policy: String,
}

fn script(m: &str) -> String {
    let mut s = String::from(BIN_PATH_FN);
    s.push_str(&format!(
        "for b in apk pacman pkg pkg_info qlist rpm apt apt-get aptitude dpkg-query apt-cache; do r=$(_bin \"$b\") && echo \"B:$b:$r\" || echo \"X:$b:$r\"; done\n\
         echo \"H:$(uname -n)\"\n\
         if command -v dpkg-query >/dev/null 2>&1; then\n\
         echo \"A:$(dpkg --print-architecture 2>/dev/null)\"\n\
         dpkg-query -W -f='D:${{Package}}\\t${{Version}}\\t${{Architecture}}\\t${{Section}}\\t${{db:Status-Abbrev}}\\n'\n\
         echo {m}\n\
         dpkg-query -W -f='${{binary:Package}}\\n' | LC_ALL=C xargs -r apt-cache policy 2>/dev/null\n\
         LC_ALL=C apt-cache policy 2>/dev/null\n\
         fi\n"
    ));
    s
}

fn parse_probe(text: &str, m: &str) -> Probe {
    let mut p = Probe::default();
    let (head, policy) = text.split_once(&format!("{m}\n")).unwrap_or((text, ""));
    p.policy = policy.to_owned();
    for line in head.lines() {
        if let Some(rest) = line.strip_prefix("B:") {
            if let Some((b, path)) = rest.split_once(':') {
                p.bins.insert(b.to_owned(), path.to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("X:") {
            if let Some((b, msg)) = rest.split_once(':') {
                p.missing.insert(b.to_owned(), msg.to_owned());
            }
        } else if let Some(h) = line.strip_prefix("H:") {
            h.clone_into(&mut p.hostname);
        } else if let Some(a) = line.strip_prefix("A:") {
            a.clone_into(&mut p.arch);
        } else if let Some(d) = line.strip_prefix("D:") {
            let f: Vec<&str> = d.split('\t').collect();
            if f.len() == 5 {
                p.dpkg
                    .push([f[0], f[1], f[2], f[3], f[4]].map(str::to_owned));
            }
        }
    }
    p
}

/// The origin of the first package file listing each package's installed version, from
/// `apt-cache policy NAMES…` followed by `apt-cache policy`.
fn origins(policy: &str) -> HashMap<String, String> {
    // Package files: " 500 <file>" then "     release …,o=Origin,…".
    let mut file_origin: HashMap<String, String> = HashMap::new();
    let mut in_files = false;
    let mut last_file: Option<String> = None;
    for line in policy.lines() {
        if line == "Package files:" {
            in_files = true;
            continue;
        }
        if !in_files {
            continue;
        }
        if line.starts_with("Pinned packages:") {
            break;
        }
        let t = line.trim_start();
        if let Some(rel) = t.strip_prefix("release ") {
            if let Some(f) = last_file.take() {
                let o = rel
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("o="))
                    .unwrap_or("");
                file_origin.insert(f, o.to_owned());
            }
        } else if let Some((prio, file)) = t.split_once(' ') {
            if prio.parse::<i64>().is_ok() {
                last_file = Some(file.to_owned());
            }
        }
    }
    let mut out = HashMap::new();
    let mut name: Option<String> = None;
    let mut in_installed = false;
    let mut installed: Option<String> = None;
    for line in policy.lines() {
        if line == "Package files:" {
            break;
        }
        if !line.starts_with(' ') {
            name = line.strip_suffix(':').map(str::to_owned);
            in_installed = false;
            installed = None;
            continue;
        }
        let t = line.trim_start();
        if let Some(v) = t.strip_prefix("Installed: ") {
            installed = Some(v.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix(" *** ") {
            in_installed = installed
                .as_deref()
                .is_some_and(|v| rest.split(' ').next() == Some(v));
            continue;
        }
        if line.starts_with("     ") && !line.starts_with("        ") {
            // Another version of the table.
            in_installed = false;
            continue;
        }
        if in_installed {
            if let (Some(n), Some((_, file))) = (&name, t.split_once(' ')) {
                out.entry(n.clone())
                    .or_insert_with(|| file_origin.get(file).cloned().unwrap_or_default());
            }
        }
    }
    out
}

/// python-apt's `Package.is_installed`: a current version not reduced to its conffiles.
fn installed(status: &str) -> bool {
    let b = status.as_bytes();
    b.len() >= 2 && !matches!(b[1], b'n' | b'c')
}

fn apt_packages(p: &Probe) -> serde_json::Map<String, Value> {
    let origin = origins(&p.policy);
    let mut rows: Vec<(String, &[String; 5])> = p
        .dpkg
        .iter()
        .filter(|d| installed(&d[4]))
        .map(|d| {
            let name = if d[2] == "all" || d[2] == p.arch || p.arch.is_empty() {
                d[0].clone()
            } else {
                format!("{}:{}", d[0], d[2])
            };
            (name, d)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut packages = serde_json::Map::new();
    for (name, d) in rows {
        let entry = json!({
            "name": name,
            "version": d[1],
            "arch": d[2],
            "category": d[3],
            "origin": origin.get(&name).cloned().unwrap_or_default(),
            "source": "apt",
        });
        match packages.get_mut(&name) {
            Some(Value::Array(list)) => list.push(entry),
            _ => {
                packages.insert(name, json!([entry]));
            }
        }
    }
    packages
}

/// `missing_required_lib(lib)` as the module on the target words it.
fn missing_lib(p: &Probe, lib: &str) -> String {
    format!(
        "Failed to import the required Python library ({lib}) on {}'s Python /usr/bin/python3. Please read the module documentation and install it in the appropriate location. If the required library is installed, but Ansible is using the wrong Python interpreter, please consult the documentation on ansible_python_interpreter",
        p.hostname
    )
}

/// Whether `manager` can be read here: `Ok(true)` for apt with its tools, `Ok(false)` when
/// absent, `Err(reason)` when Ansible would raise (the warning's text).
fn available(p: &Probe, manager: &str) -> Result<bool, String> {
    let cli = |b: &str| match p.bins.get(b) {
        Some(path) => Err(format!(
            "rsible does not read the packages of {manager} (found {path})"
        )),
        None => Err(p.missing.get(b).cloned().unwrap_or_default()),
    };
    match manager {
        "apt" => {
            if p.bins.contains_key("dpkg-query")
                && ["apt", "apt-get", "aptitude"]
                    .iter()
                    .any(|b| p.bins.contains_key(*b))
            {
                return Ok(true);
            }
            Err(missing_lib(p, "apt"))
        }
        "rpm" => match p.bins.get("rpm") {
            Some(path) => Err(format!(
                "Found executable at {path}. rsible does not read rpm's packages"
            )),
            None => Err(missing_lib(p, "rpm")),
        },
        "portage" => cli("qlist"),
        other => cli(other),
    }
}

impl Module for PackageFacts {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let strategy = a.strategy.unwrap_or_else(|| "first".to_owned());
        if !matches!(strategy.as_str(), "first" | "all") {
            return Ok(failed(format!(
                "value of strategy must be one of: first, all, got: {strategy}"
            ))
            .into());
        }
        let requested = a.manager.unwrap_or_else(|| vec!["auto".to_owned()]);
        let mut managers: Vec<String> = requested.iter().map(|m| m.to_lowercase()).collect();
        let names = all_names();
        if let Some(i) = managers.iter().position(|m| m == "auto") {
            managers.extend(names.iter().map(|n| (*n).to_owned()));
            managers.remove(i);
        }
        let mut unsupported: Vec<&str> = Vec::new();
        for m in &managers {
            if !names.contains(&m.as_str()) && !unsupported.contains(&m.as_str()) {
                unsupported.push(m);
            }
        }
        if !unsupported.is_empty() {
            let msg = if requested.iter().any(|m| m == "auto") {
                "Could not auto detect a usable package manager, check warnings for details."
                    .to_owned()
            } else {
                format!(
                    "Unsupported package managers requested: {}",
                    unsupported.join(", ")
                )
            };
            return Ok(failed(msg).into());
        }
        let m = marker();
        let out = run_script(ctx, script(&m))?;
        let probe = parse_probe(&String::from_utf8_lossy(&out.stdout), &m);
        let mut warnings: Vec<String> = Vec::new();
        let mut packages = serde_json::Map::new();
        let mut found = 0;
        let mut seen: Vec<String> = Vec::new();
        for m in &managers {
            if strategy == "first" && found > 0 {
                break;
            }
            let mgr = ALIASES
                .iter()
                .find(|(_, a)| a.contains(&m.as_str()))
                .map_or(m.as_str(), |(n, _)| n);
            if seen.iter().any(|s| s == mgr) {
                continue;
            }
            seen.push(mgr.to_owned());
            match available(&probe, mgr) {
                Ok(_) => {
                    let found_here = apt_packages(&probe);
                    if found_here.is_empty() {
                        warnings.push(format!("Found \"{mgr}\" but no associated packages"));
                        continue;
                    }
                    found += 1;
                    for (k, v) in found_here {
                        match (packages.get_mut(&k), v) {
                            (Some(Value::Array(list)), Value::Array(more)) => list.extend(more),
                            (_, v) => {
                                packages.insert(k, v);
                            }
                        }
                    }
                }
                Err(reason) => {
                    if requested.iter().any(|r| r == mgr) {
                        warnings.push(format!(
                            "Requested package manager {mgr} was not usable by this module: {reason}"
                        ));
                    }
                }
            }
        }
        let mut r = if found == 0 {
            let list: Vec<String> = managers.iter().map(|m| format!("'{m}'")).collect();
            failed(format!(
                "Could not detect a supported package manager from the following list: [{}], or the required Python library is not installed. Check warnings for details.",
                list.join(", ")
            ))
        } else {
            let mut r = ResultMap::new();
            r.insert(
                "ansible_facts".into(),
                json!({ "packages": Value::Object(packages) }),
            );
            // No `changed`: Ansible's result gets `failed`, then `changed`, as the runner
            // adds them.
            r
        };
        if !warnings.is_empty() {
            r.insert("warnings".into(), json!(warnings));
        }
        Ok(r.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `apt-cache policy libc6 rsx` and `apt-cache policy` on a bookworm host where rsx was
    // installed with `dpkg -i`; python-apt gives origins ('Debian', 'oldstable'), ('', 'now')
    // for libc6 and ('', 'now') for rsx.
    const POLICY: &str = "libc6:
  Installed: 2.36-9+deb12u14
  Candidate: 2.36-9+deb12u14
  Version table:
 *** 2.36-9+deb12u14 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
rsx:
  Installed: 1.0
  Candidate: 1.0
  Version table:
 *** 1.0 100
        100 /var/lib/dpkg/status
Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://deb.debian.org/debian bookworm/main amd64 Packages
     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64
     origin deb.debian.org
Pinned packages:
";

    #[test]
    fn origins_come_from_the_first_file_of_the_installed_version() {
        let o = origins(POLICY);
        assert_eq!(o["libc6"], "Debian");
        assert_eq!(o["rsx"], "");
    }

    #[test]
    fn packages_have_ansibles_fields() {
        let m = "M";
        let text = format!(
            "B:apt-get:/usr/bin/apt-get\nB:dpkg-query:/usr/bin/dpkg-query\nH:p1\nA:amd64\n\
             D:libc6\t2.36-9+deb12u14\tamd64\tlibs\tii \nD:rsx\t1.0\tall\t\tii \n\
             D:gone\t1.0\tall\tmisc\trc \nD:libc6\t2.36-9+deb12u14\ti386\tlibs\tii \n{m}\n{POLICY}"
        );
        let p = parse_probe(&text, m);
        assert!(available(&p, "apt").is_ok());
        let pk = apt_packages(&p);
        let keys: Vec<&String> = pk.keys().collect();
        assert_eq!(keys, ["libc6", "libc6:i386", "rsx"]);
        assert_eq!(
            pk["libc6"],
            json!([{"name": "libc6", "version": "2.36-9+deb12u14", "arch": "amd64",
                    "category": "libs", "origin": "Debian", "source": "apt"}])
        );
        assert_eq!(pk["rsx"][0]["origin"], "");
        assert_eq!(pk["rsx"][0]["category"], "");
    }
}

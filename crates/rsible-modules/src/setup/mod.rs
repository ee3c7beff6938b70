//! `setup`: Ansible's facts (`Gathering Facts`) from one POSIX shell script on the target.
//!
//! The script (`setup_script`) only prints raw sources; the collectors in `setup_system`,
//! `setup_hardware` and `setup_network` turn them into facts exactly as ansible-core 2.19's
//! Python collectors do. Facts come back under `ansible_facts` with the `ansible_` prefix, as
//! the Python module returns them (the runner strips it when storing).
//!
//! `python` and `python_version` describe the host's Python when it has one (Ansible's facts of
//! the interpreter that ran the module); rsible does not need it.
//!
//! Not gathered (no cheap source without Python, or not needed yet):
//! `virtualization_*`, `devices`, `mounts`, `iscsi_iqn`, `hostnqn`, `fibre_channel_wwn`, ethtool
//! features, `lvm`, `selinux_python_present`. `loadavg` has /proc/loadavg's two decimals where
//! Python's `os.getloadavg()` has the kernel's full fixed-point value.

pub(crate) mod hardware;
pub(crate) mod network;
pub(crate) mod script;
pub(crate) mod system;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::args::{parse, ArgSpec};
use crate::setup::hardware::{cpu_facts, dmi_facts, memory_facts, uptime_facts};
use crate::setup::network::{network_facts, InterfaceInput, NetworkInput};
use crate::setup::script::{sections, ENV_TAIL, SCRIPT};
use crate::setup::system::{self as sys, Facts, Raw};
use crate::target::script::run_script;
use crate::util::{failed, fnmatch};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "setup",
    ArgSpec::new(
        "setup",
        &["fact_path", "filter", "gather_subset", "gather_timeout"],
    ),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default)]
    fact_path: Option<Value>,
    #[serde(default)]
    filter: Option<Value>,
    #[serde(default)]
    gather_subset: Option<Value>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "one script gathers everything; no per-collector timeout"
    )]
    gather_timeout: Option<Value>,
}

pub(crate) struct Setup;
pub(crate) static SETUP: Setup = Setup;

/// What `gather_subset` accepts (ansible-core 2.19 on Linux: collector names and fact ids).
const VALID_SUBSETS: &[&str] = &[
    "all_ipv4_addresses",
    "all_ipv6_addresses",
    "apparmor",
    "architecture",
    "caps",
    "chroot",
    "cmdline",
    "date_time",
    "default_ipv4",
    "default_ipv6",
    "devices",
    "distribution",
    "distribution_major_version",
    "distribution_release",
    "distribution_version",
    "dns",
    "effective_group_ids",
    "effective_user_id",
    "env",
    "facter",
    "fibre_channel_wwn",
    "fips",
    "hardware",
    "interfaces",
    "is_chroot",
    "iscsi",
    "kernel",
    "kernel_version",
    "loadavg",
    "local",
    "lsb",
    "machine",
    "machine_id",
    "mounts",
    "network",
    "nvme",
    "ohai",
    "os_family",
    "pkg_mgr",
    "platform",
    "processor",
    "processor_cores",
    "processor_count",
    "python",
    "python_version",
    "real_user_id",
    "selinux",
    "service_mgr",
    "ssh_host_key_dsa_public",
    "ssh_host_key_ecdsa_public",
    "ssh_host_key_ed25519_public",
    "ssh_host_key_rsa_public",
    "ssh_host_pub_keys",
    "ssh_pub_keys",
    "system",
    "system_capabilities",
    "system_capabilities_enforced",
    "systemd",
    "user",
    "user_dir",
    "user_gecos",
    "user_gid",
    "user_id",
    "user_shell",
    "user_uid",
    "virtual",
    "virtualization_role",
    "virtualization_tech_guest",
    "virtualization_tech_host",
    "virtualization_type",
];

/// The setup module's `minimal_gather_subset`: gathered even under `!all`.
const MIN_SUBSET: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];

/// The collector a fact id of `gather_subset` belongs to.
fn collector_of(id: &str) -> &str {
    match id {
        "system" | "kernel" | "kernel_version" | "machine" | "python_version" | "architecture"
        | "machine_id" => "platform",
        "distribution_version"
        | "distribution_release"
        | "distribution_major_version"
        | "os_family" => "distribution",
        "user_id"
        | "user_uid"
        | "user_gid"
        | "user_gecos"
        | "user_dir"
        | "user_shell"
        | "real_user_id"
        | "effective_user_id"
        | "effective_group_ids" => "user",
        "interfaces" | "default_ipv4" | "default_ipv6" | "all_ipv4_addresses"
        | "all_ipv6_addresses" => "network",
        "devices" | "mounts" | "processor" | "processor_cores" | "processor_count" => "hardware",
        other => other,
    }
}

/// `get_collector_names` of ansible-core: the collectors a `gather_subset` list selects.
fn collector_names(subsets: &[String]) -> Result<Vec<String>, String> {
    let mut add: Vec<String> = Vec::new();
    let mut exclude: Vec<String> = Vec::new();
    let mut explicit: Vec<String> = Vec::new();
    let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let all_ids = || -> Vec<String> { owned(VALID_SUBSETS) };
    for subset in std::iter::once("min").chain(subsets.iter().map(String::as_str)) {
        match subset {
            "min" => add.extend(owned(MIN_SUBSET)),
            "all" => add.extend(all_ids()),
            "!min" => exclude.extend(owned(MIN_SUBSET)),
            "!all" => exclude.extend(
                all_ids()
                    .into_iter()
                    .filter(|s| !MIN_SUBSET.contains(&s.as_str())),
            ),
            s => {
                if let Some(x) = s.strip_prefix('!') {
                    exclude.push(x.to_owned());
                } else if VALID_SUBSETS.contains(&s) {
                    explicit.push(s.to_owned());
                    add.push(s.to_owned());
                } else {
                    let mut valid = owned(VALID_SUBSETS);
                    valid.sort();
                    return Err(format!(
                        "Bad subset '{s}' given to Ansible. gather_subset options allowed: all, {}",
                        valid.join(", ")
                    ));
                }
            }
        }
    }
    if add.is_empty() {
        add = all_ids();
    }
    add.retain(|s| explicit.contains(s) || !exclude.contains(s));
    let mut names: Vec<String> = add.iter().map(|s| collector_of(s).to_owned()).collect();
    // Collectors' `required_facts` pull in the collectors providing them, facts and all.
    let mut required = Vec::new();
    for name in &names {
        required.extend(match name.as_str() {
            "network" | "service_mgr" => &["platform", "distribution"][..],
            "hardware" => &["platform"][..],
            "pkg_mgr" => &["distribution"][..],
            _ => &[][..],
        });
    }
    names.extend(required.into_iter().map(str::to_owned));
    names.sort();
    names.dedup();
    Ok(names)
}

fn subset_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.trim().to_owned(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_owned()).collect(),
        _ => vec!["all".to_owned()],
    }
}

/// Reads `*.fact` files: executables are run, the others printed.
fn local_script(fact_path: &str) -> String {
    format!(
        "d={}\nif [ -d \"$d\" ]; then for f in \"$d\"/*.fact; do [ -e \"$f\" ] || continue; \n  if [ -x \"$f\" ]; then S \"localx $f\"; \"$f\" 2>/dev/null; printf '\\nrc=%s\\n' \"$?\"; else S \"localf $f\"; cat \"$f\"; fi; done; fi\n",
        quote(fact_path)
    )
}

impl Module for Setup {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let subsets = subset_list(a.gather_subset.as_ref());
        let collectors = match collector_names(&subsets) {
            Ok(c) => c,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let fact_path = match &a.fact_path {
            Some(Value::String(p)) if !p.is_empty() => p.clone(),
            _ => "/etc/ansible/facts.d".to_owned(),
        };
        let script = format!(
            "py={}\n{SCRIPT}{}{ENV_TAIL}",
            python_probe(ctx),
            local_script(&fact_path)
        );
        let out = run_script(ctx, script)?;
        if out.rc != 0 {
            return Ok(failed(String::from_utf8_lossy(&out.stderr).trim().to_owned()).into());
        }
        let raw = Raw {
            sections: sections(&out.stdout),
        };
        let mut facts = Map::new();
        let mut warnings = Vec::new();
        for (k, v) in gather(&raw, &collectors, &mut warnings) {
            facts.insert(format!("ansible_{k}"), v);
        }
        facts.sort_keys();
        facts.insert("gather_subset".into(), json!(subsets));
        facts.insert("module_setup".into(), json!(true));
        // Applies to the metadata too, as it comes from a collector like any other.
        if let Some(filter) = a.filter.as_ref().and_then(filter_patterns) {
            facts.retain(|k, _| filter.iter().any(|p| filter_matches(p, k)));
        }
        let mut r = ResultMap::new();
        r.insert("ansible_facts".into(), Value::Object(facts));
        r.insert("changed".into(), json!(false));
        // The normal action's "hack to keep --verbose from showing all the setup module result".
        r.insert("_ansible_verbose_override".into(), json!(true));
        if !warnings.is_empty() {
            r.insert("warnings".into(), json!(warnings));
        }
        Ok(r.into())
    }
}

/// The shell expression naming the Python whose facts `python` reports: Ansible reports the
/// interpreter that ran the module, so the host's `ansible_python_interpreter` when it is set,
/// else what discovery finds first. rsible runs no module with it; a host without Python just
/// has no `python` facts.
pub(crate) fn python_probe(ctx: &ModuleContext<'_>) -> String {
    match ctx.vars.get("ansible_python_interpreter") {
        Some(Value::String(p)) if !p.is_empty() && !p.contains("{{") && !p.starts_with("auto") => {
            format!("$(command -v {} 2>/dev/null)", quote(p))
        }
        _ => "$(for p in /usr/bin/python3 /usr/libexec/platform-python python3 /usr/bin/python python; do command -v \"$p\" 2>/dev/null && break; done)".to_owned(),
    }
}

/// A collector that needs only the script's output.
type Collect = fn(&Raw) -> Facts;

/// Runs the selected collectors over the script's output; facts without the prefix.
fn gather(raw: &Raw, collectors: &[String], warnings: &mut Vec<String>) -> Facts {
    let on = |c: &str| collectors.iter().any(|n| n == c);
    let dist = sys::distribution(raw);
    let platform = sys::platform(raw);
    let lookup = |facts: &Facts, k: &str| {
        facts
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let (family, distribution) = (lookup(&dist, "os_family"), lookup(&dist, "distribution"));
    let (system, architecture) = (
        lookup(&platform, "system"),
        lookup(&platform, "architecture"),
    );
    let mut f = Facts::new();
    if on("platform") {
        f.extend(platform);
    }
    if on("distribution") {
        f.extend(dist);
    }
    let simple: [(&str, Collect); 13] = [
        ("caps", sys::caps),
        ("ssh_pub_keys", sys::ssh_pub_keys),
        ("chroot", sys::chroot),
        ("lsb", sys::lsb),
        ("selinux", sys::selinux),
        ("apparmor", sys::apparmor),
        ("fips", sys::fips),
        ("cmdline", sys::cmdline),
        ("date_time", sys::date_time),
        ("env", sys::env),
        ("loadavg", sys::loadavg),
        ("user", sys::user),
        ("dns", sys::dns),
    ];
    for (name, collect) in simple {
        if on(name) {
            f.extend(collect(raw));
        }
    }
    if on("python") {
        f.extend(sys::python(raw));
    }
    if on("pkg_mgr") {
        f.extend(sys::pkg_mgr(raw, &family));
    }
    if on("service_mgr") {
        f.extend(sys::service_mgr(raw, &system, &distribution));
    }
    if on("local") {
        f.push(("local".to_owned(), local_facts(raw, warnings)));
    }
    if on("hardware") {
        let nproc = raw.line("nproc").parse::<i64>().ok();
        let xen = !raw.line("xen").is_empty() && raw.text("xen").lines().any(|l| l.trim() == "xen");
        f.extend(cpu_facts(&raw.text("cpuinfo"), &architecture, xen, nproc));
        f.extend(memory_facts(&raw.text("meminfo")));
        f.extend(dmi_facts(&raw.text("dmi")));
        f.extend(uptime_facts(&raw.text("uptime")));
    }
    if on("network") && raw.bytes("route4").is_some() {
        f.extend(network(raw));
    }
    f
}

fn network(raw: &Raw) -> Facts {
    let texts: Vec<(String, String)> = raw
        .sections
        .iter()
        .map(|(n, b)| (n.clone(), String::from_utf8_lossy(b).into_owned()))
        .collect();
    let find = |name: &str| {
        texts
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, t)| t.as_str())
    };
    let primary = match texts.iter().find(|(n, _)| n == "addr_all") {
        Some((_, t)) => t.as_str(),
        None => find("addr_primary"),
    };
    let primary = crate::setup::network::split_ip_addr(primary);
    let secondary = crate::setup::network::split_ip_addr(find("addr_secondary"));
    fn of<'a>(split: &[(&str, &'a str)], name: &str) -> &'a str {
        split
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, t)| *t)
    }
    let interfaces = texts
        .iter()
        .filter_map(|(n, t)| n.strip_prefix("if ").map(|name| (name, t)))
        .map(|(name, sysfs)| InterfaceInput {
            name,
            sysfs,
            primary: of(&primary, name),
            secondary: of(&secondary, name),
        })
        .collect();
    network_facts(&NetworkInput {
        route4: find("route4"),
        route6: find("route6"),
        local4: find("local4"),
        local6: find("local6"),
        interfaces,
    })
}

/// `ansible_local`: each `*.fact` file as JSON, else INI, else Ansible's error text (also
/// returned as a warning, as `module.warn`).
fn local_facts(raw: &Raw, warnings: &mut Vec<String>) -> Value {
    let mut out = Map::new();
    for (name, body) in &raw.sections {
        let text = String::from_utf8_lossy(body);
        let (path, content) = if let Some(p) = name.strip_prefix("localf ") {
            (p, text.to_string())
        } else if let Some(p) = name.strip_prefix("localx ") {
            let trimmed = text.trim_end_matches('\n');
            let (content, rc) = trimmed.rsplit_once("\nrc=").unwrap_or((trimmed, "0"));
            (
                p,
                if rc.trim() == "0" {
                    content.to_owned()
                } else {
                    let msg = format!(
                        "Failure executing fact script ({p}), rc: {}, err: ",
                        rc.trim()
                    );
                    let base = fact_base(p);
                    warnings.push(msg.clone());
                    out.insert(base, json!(msg));
                    continue;
                },
            )
        } else {
            continue;
        };
        let value = serde_json::from_str::<Value>(&content)
            .ok()
            .or_else(|| ini(&content))
            .unwrap_or_else(|| {
                let msg =
                    format!("error loading facts as JSON or ini - please check content: {path}");
                warnings.push(msg.clone());
                json!(msg)
            });
        out.insert(fact_base(path), value);
    }
    Value::Object(out)
}

/// `os.path.basename(fn).replace('.fact', '')`.
fn fact_base(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).replace(".fact", "")
}

/// `configparser` reading of an INI text: sections of `key = value`; `None` when not INI.
fn ini(text: &str) -> Option<Value> {
    let mut out = Map::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(sec) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            out.entry(sec.to_owned()).or_insert_with(|| json!({}));
            current = Some(sec.to_owned());
            continue;
        }
        let sec = current.as_ref()?;
        let (k, v) = t.split_once(['=', ':'])?;
        if let Some(Value::Object(m)) = out.get_mut(sec) {
            m.insert(k.trim().to_lowercase(), json!(v.trim()));
        }
    }
    Some(Value::Object(out))
}

fn filter_patterns(v: &Value) -> Option<Vec<String>> {
    let list: Vec<String> = match v {
        Value::String(s) if !s.is_empty() => s.split(',').map(|p| p.trim().to_owned()).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => return None,
    };
    (!list.is_empty()).then_some(list)
}

/// `_filter` of Ansible's fact collector: an empty pattern matches everything, and a pattern
/// not starting with `ansible_` (or `facter`/`ohai`) also matches with that prefix added.
fn filter_matches(pattern: &str, name: &str) -> bool {
    pattern.is_empty()
        || fnmatch(name, pattern)
        || (!["ansible_", "facter", "ohai"]
            .iter()
            .any(|p| pattern.starts_with(p))
            && fnmatch(name, &format!("ansible_{pattern}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected: `ansible localhost -m setup -a 'fact_path=DIR gather_subset=!all,!min,local'`
    // (2.19) on the same four files.
    #[test]
    fn local_facts_like_ansible() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("j.fact"), "{\"a\": 1, \"b\": [true, \"x\"]}\n").unwrap();
        std::fs::write(d.join("i.fact"), "[sec]\nKey = Value\nother: 2\n").unwrap();
        std::fs::write(d.join("e.fact"), "#!/bin/sh\necho '{\"x\": 3}'\n").unwrap();
        std::fs::write(d.join("bad.fact"), "not json\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("e.fact"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let conn = LocalConnection::new();
        let r = SETUP
            .run(
                &Env::default().ctx(&conn),
                &args(json!({"fact_path": d, "gather_subset": "!all,!min,local"})),
            )
            .result();
        let bad = format!(
            "error loading facts as JSON or ini - please check content: {}/bad.fact",
            d.display()
        );
        assert_eq!(
            r["ansible_facts"],
            json!({
                "ansible_local": {
                    "bad": bad,
                    "e": {"x": 3},
                    "i": {"sec": {"key": "Value", "other": "2"}},
                    "j": {"a": 1, "b": [true, "x"]},
                },
                "gather_subset": ["!all", "!min", "local"],
                "module_setup": true,
            })
        );
        assert_eq!(r["warnings"], json!([bad]));
    }

    // Expected: the fact names ansible-core 2.19's setup returned for these subsets on a
    // Debian 12 test host, mapped to the collectors that produce them.
    #[test]
    fn subsets_select_collectors_like_ansible() {
        let names = |spec: &str| {
            let list: Vec<String> = spec.split(',').map(str::to_owned).collect();
            collector_names(&list).unwrap()
        };
        let min = [
            "apparmor",
            "caps",
            "cmdline",
            "date_time",
            "distribution",
            "dns",
            "env",
            "fips",
            "local",
            "lsb",
            "pkg_mgr",
            "platform",
            "python",
            "selinux",
            "service_mgr",
            "ssh_pub_keys",
            "user",
        ];
        assert_eq!(names("!all"), min);
        assert_eq!(names("!all,kernel"), min);
        assert_eq!(
            names("!all,!min,network"),
            ["distribution", "network", "platform"]
        );
        assert_eq!(names("hardware,!min"), ["hardware", "platform"]);
        assert!(names("all").contains(&"loadavg".to_owned()));
        let err = collector_names(&["bogus".to_owned()]).unwrap_err();
        assert!(err.starts_with(
            "Bad subset 'bogus' given to Ansible. gather_subset options allowed: all, \
             all_ipv4_addresses, all_ipv6_addresses, apparmor, architecture, caps, chroot,"
        ));
        assert!(err.ends_with("virtualization_tech_host, virtualization_type"));
    }
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    // Expected values: `ansible localhost -m setup` (2.19) on this Debian 12 machine, and what
    // the same sources (uname, id, /etc/os-release, /etc/debian_version) say; the filter's
    // result from `-a 'filter=ansible_k*'` (2.19): the metadata facts are filtered too.
    #[test]
    fn gathers_the_minimal_facts() {
        let conn = LocalConnection::new();
        let r = SETUP
            .run(&Env::default().ctx(&conn), &args(json!({})))
            .result();
        let f = r["ansible_facts"].as_object().unwrap();
        let uname = |flag: &str| {
            String::from_utf8(
                std::process::Command::new("uname")
                    .arg(flag)
                    .output()
                    .unwrap()
                    .stdout,
            )
            .unwrap()
            .trim()
            .to_owned()
        };
        assert_eq!(f["ansible_system"], "Linux");
        assert_eq!(f["ansible_kernel"], json!(uname("-r")));
        assert_eq!(f["ansible_nodename"], json!(uname("-n")));
        assert_eq!(f["ansible_machine"], json!(uname("-m")));
        assert_eq!(f["module_setup"], true);
        assert_eq!(
            f["ansible_env"]["HOME"],
            json!(std::env::var("HOME").unwrap())
        );
        let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        if os.contains("ID=debian") {
            assert_eq!(f["ansible_distribution"], "Debian");
            assert_eq!(f["ansible_os_family"], "Debian");
            let v = std::fs::read_to_string("/etc/debian_version").unwrap();
            assert_eq!(f["ansible_distribution_version"], json!(v.trim()));
        }
        let dt = f["ansible_date_time"].as_object().unwrap();
        let mut keys: Vec<&str> = dt.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "date",
                "day",
                "epoch",
                "epoch_int",
                "hour",
                "iso8601",
                "iso8601_basic",
                "iso8601_basic_short",
                "iso8601_micro",
                "minute",
                "month",
                "second",
                "time",
                "tz",
                "tz_dst",
                "tz_offset",
                "weekday",
                "weekday_number",
                "weeknumber",
                "year"
            ]
        );
        let r = SETUP
            .run(
                &Env::default().ctx(&conn),
                &args(json!({"filter": "ansible_k*"})),
            )
            .result();
        let mut keys: Vec<&str> = r["ansible_facts"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["ansible_kernel", "ansible_kernel_version"]);
        // Expected: `-a 'filter=kernel,*_mb'` (2.19) on a Debian 12 test host.
        let r = SETUP
            .run(
                &Env::default().ctx(&conn),
                &args(json!({"filter": "kernel,*_mb"})),
            )
            .result();
        let keys: Vec<&str> = r["ansible_facts"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "ansible_kernel",
                "ansible_memfree_mb",
                "ansible_memory_mb",
                "ansible_memtotal_mb",
                "ansible_swapfree_mb",
                "ansible_swaptotal_mb"
            ]
        );
        assert!(fnmatch("ansible_kernel", "ansible_[kx]ernel"));
        assert!(!fnmatch("ansible_kernel", "ansible_[!k]ernel"));
    }
}

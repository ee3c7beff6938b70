//! `setup`: a minimal set of facts (`Gathering Facts`), from one shell script on the target.
//!
//! Gives `ansible_hostname`, `ansible_nodename`, `ansible_fqdn`, `ansible_system`,
//! `ansible_kernel`, `ansible_architecture`, `ansible_machine`, `ansible_user_*`, `ansible_env`,
//! `ansible_distribution*`/`ansible_os_family` (from `/etc/os-release`) and `ansible_date_time`,
//! with the names and value formats Ansible's fact collectors use.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{parse, Spec};
use crate::util::{failed, run_script};
use crate::{Module, ModuleContext, ModuleError, ResultMap};

const SPEC: Spec = Spec {
    display: "setup",
    names: &["fact_path", "filter", "gather_subset", "gather_timeout"],
    aliases: &[],
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default)]
    #[expect(dead_code, reason = "accepted like Ansible; local facts are not read")]
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

const ENV_MARK: &str = "__RSIBLE_ENV__";

/// `key=value` lines, then the environment NUL-separated after a marker line.
const SCRIPT: &str = r#"u=$(uname -n)
echo "nodename=$u"
echo "system=$(uname -s)"
echo "kernel=$(uname -r)"
echo "kernel_version=$(uname -v)"
echo "machine=$(uname -m)"
ip=$(getent hosts "$u" 2>/dev/null | awk '{print $1; exit}')
[ -n "$ip" ] && echo "fqdn_names=$(getent hosts "$ip" 2>/dev/null | awk '{$1=""; print; exit}')"
echo "user_id=$(id -un)"
echo "user_uid=$(id -u)"
echo "user_gid=$(id -g)"
pw=$(getent passwd "$(id -un)" 2>/dev/null)
echo "user_gecos=$(printf '%s' "$pw" | cut -d: -f5)"
echo "user_dir=$(printf '%s' "$pw" | cut -d: -f6)"
echo "user_shell=$(printf '%s' "$pw" | cut -d: -f7)"
if [ -r /etc/os-release ]; then
  ( . /etc/os-release; echo "os_id=$ID"; echo "os_name=$NAME"; echo "os_version_id=$VERSION_ID"; echo "os_codename=$VERSION_CODENAME" )
fi
[ -r /etc/debian_version ] && echo "debian_version=$(cat /etc/debian_version)"
echo "date=$(date '+%Y-%m-%d|%d|%s|%H|%M|%m|%S|%Z|%z|%A|%w|%W|%Y|%N|%Y%m%dT%H%M%S')"
echo "utc=$(date -u '+%Y-%m-%dT%H:%M:%S')"
echo "__RSIBLE_ENV__"
env -0
"#;

impl Module for Setup {
    fn name(&self) -> &'static str {
        "setup"
    }

    fn resolved_name(&self) -> String {
        SPEC.display.to_owned()
    }

    fn params(&self) -> &'static [&'static str] {
        SPEC.names
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError> {
        let a: Args = match parse(&SPEC, args) {
            Ok(a) => a,
            Err(fail) => return Ok(fail),
        };
        let out = run_script(ctx, SCRIPT.to_owned())?;
        if out.rc != 0 {
            return Ok(failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
        let mut facts = parse_facts(&out.stdout);
        if let Some(filter) = a.filter.as_ref().and_then(filter_patterns) {
            facts.retain(|k, _| filter.iter().any(|p| glob_match(p, k)));
        }
        let subset = match a.gather_subset {
            Some(Value::Array(v)) => Value::Array(v),
            Some(Value::String(s)) => json!(s.split(',').map(str::trim).collect::<Vec<_>>()),
            _ => json!(["all"]),
        };
        facts.insert("gather_subset".into(), subset);
        facts.insert("module_setup".into(), json!(true));
        let mut r = ResultMap::new();
        r.insert("ansible_facts".into(), Value::Object(facts));
        r.insert("changed".into(), json!(false));
        Ok(r)
    }
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

/// `fnmatch` with `*` and `?` only, as the `filter` option uses it.
fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Ansible's names for `/etc/os-release` IDs, and the family each belongs to.
fn distribution(id: &str, name: &str) -> (String, &'static str) {
    let (dist, family) = match id {
        "debian" => ("Debian", "Debian"),
        "ubuntu" => ("Ubuntu", "Debian"),
        "linuxmint" => ("Linux Mint", "Debian"),
        "raspbian" => ("Debian", "Debian"),
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
            return (
                if name.is_empty() {
                    "NA".to_owned()
                } else {
                    name.to_owned()
                },
                "NA",
            )
        }
    };
    (dist.to_owned(), family)
}

fn parse_facts(stdout: &[u8]) -> serde_json::Map<String, Value> {
    let text_end = find(stdout, ENV_MARK.as_bytes()).unwrap_or(stdout.len());
    let text = String::from_utf8_lossy(&stdout[..text_end]);
    let kv: std::collections::HashMap<&str, &str> =
        text.lines().filter_map(|l| l.split_once('=')).collect();
    let get = |k: &str| kv.get(k).copied().unwrap_or("").to_owned();
    let mut f = serde_json::Map::new();
    let node = get("nodename");
    let host = node.split('.').next().unwrap_or("").to_owned();
    // socket.getfqdn(): the first reverse-lookup name with a dot, else the canonical name.
    let names: Vec<&str> = kv
        .get("fqdn_names")
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let fqdn = names
        .iter()
        .find(|n| n.contains('.'))
        .or(names.first())
        .map_or(node.clone(), |s| (*s).to_owned());
    let domain = fqdn
        .split_once('.')
        .map_or(String::new(), |(_, d)| d.to_owned());
    f.insert("ansible_hostname".into(), json!(host));
    f.insert("ansible_nodename".into(), json!(node));
    f.insert("ansible_fqdn".into(), json!(fqdn));
    f.insert("ansible_domain".into(), json!(domain));
    f.insert("ansible_system".into(), json!(get("system")));
    f.insert("ansible_kernel".into(), json!(get("kernel")));
    f.insert(
        "ansible_kernel_version".into(),
        json!(get("kernel_version")),
    );
    let machine = get("machine");
    let arch = match machine.as_str() {
        "i386" | "i486" | "i586" | "i686" => "i386".to_owned(),
        other => other.to_owned(),
    };
    f.insert("ansible_architecture".into(), json!(arch));
    f.insert("ansible_machine".into(), json!(machine));
    f.insert("ansible_user_id".into(), json!(get("user_id")));
    f.insert(
        "ansible_user_uid".into(),
        json!(get("user_uid").parse::<u64>().unwrap_or(0)),
    );
    f.insert(
        "ansible_user_gid".into(),
        json!(get("user_gid").parse::<u64>().unwrap_or(0)),
    );
    f.insert("ansible_user_gecos".into(), json!(get("user_gecos")));
    f.insert("ansible_user_dir".into(), json!(get("user_dir")));
    f.insert("ansible_user_shell".into(), json!(get("user_shell")));

    let (dist, family) = distribution(&get("os_id"), &get("os_name"));
    // Debian's point release lives in /etc/debian_version, not in os-release.
    let debian_version = get("debian_version");
    let version = if dist == "Debian"
        && debian_version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    {
        debian_version
    } else {
        get("os_version_id")
    };
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("").to_owned();
    f.insert("ansible_distribution".into(), json!(dist));
    f.insert(
        "ansible_distribution_version".into(),
        json!(if version.is_empty() {
            "NA".to_owned()
        } else {
            version.clone()
        }),
    );
    f.insert(
        "ansible_distribution_major_version".into(),
        json!(if major.is_empty() {
            "NA".to_owned()
        } else {
            major
        }),
    );
    if let Some(minor) = parts.next() {
        f.insert("ansible_distribution_minor_version".into(), json!(minor));
    }
    let codename = get("os_codename");
    f.insert(
        "ansible_distribution_release".into(),
        json!(if codename.is_empty() {
            "NA".to_owned()
        } else {
            codename
        }),
    );
    f.insert("ansible_os_family".into(), json!(family));

    let d: Vec<String> = get("date").split('|').map(str::to_owned).collect();
    if d.len() >= 15 {
        let micro = d[13].get(..6).unwrap_or("000000");
        let utc = get("utc");
        f.insert(
            "ansible_date_time".into(),
            json!({
                "date": d[0], "day": d[1], "epoch": d[2], "epoch_int": d[2], "hour": d[3],
                "iso8601": format!("{utc}Z"),
                "iso8601_basic": format!("{}{micro}", d[14]),
                "iso8601_basic_short": d[14],
                "iso8601_micro": format!("{utc}.{micro}Z"),
                "minute": d[4], "month": d[5], "second": d[6],
                "time": format!("{}:{}:{}", d[3], d[4], d[6]),
                "tz": d[7], "tz_dst": d[7], "tz_offset": d[8], "weekday": d[9],
                "weekday_number": d[10], "weeknumber": d[11], "year": d[12],
            }),
        );
    }
    let mut env = serde_json::Map::new();
    if text_end < stdout.len() {
        let rest = &stdout[text_end + ENV_MARK.len()..];
        let rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        for item in rest.split(|b| *b == 0) {
            let item = String::from_utf8_lossy(item);
            if let Some((k, v)) = item.split_once('=') {
                env.insert(k.to_owned(), json!(v));
            }
        }
    }
    f.insert("ansible_env".into(), Value::Object(env));
    f
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection_local::LocalConnection;
    use crate::testing::{args, Env};

    // Expected values: `ansible localhost -m setup` (2.19) on this Debian 12 machine, and what
    // the same sources (uname, id, /etc/os-release, /etc/debian_version) say.
    #[test]
    fn gathers_the_minimal_facts() {
        let conn = LocalConnection::new();
        let r = SETUP
            .run(&Env::default().ctx(&conn), &args(json!({})))
            .unwrap();
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
            .unwrap();
        let mut keys: Vec<&str> = r["ansible_facts"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "ansible_kernel",
                "ansible_kernel_version",
                "gather_subset",
                "module_setup"
            ]
        );
    }
}

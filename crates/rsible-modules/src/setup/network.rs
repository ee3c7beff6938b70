//! The `network` facts of Ansible's `LinuxNetwork` collector, from `ip` output and
//! `/sys/class/net`: `interfaces`, one dict per interface, `default_ipv4`/`default_ipv6`,
//! `all_ipv4_addresses`/`all_ipv6_addresses` and `locally_reachable_ips`.

use std::net::Ipv4Addr;

use serde_json::{json, Map, Value};

/// Where the default route for each family would go, as `ip route get` probes it.
const PROBE_V4: &str = "8.8.8.8";
const PROBE_V6: &str = "2404:6800:400a:800::1012";

/// Interface dicts in insertion order.
type Ifaces = Vec<(String, Map<String, Value>)>;

/// Raw output of the script's network sections.
pub(crate) struct NetworkInput<'a> {
    pub route4: &'a str,
    pub route6: &'a str,
    pub local4: &'a str,
    pub local6: &'a str,
    /// Per interface in `/sys/class/net` directory order: its `key=value` sysfs lines and the
    /// `ip addr show primary` (or plain, when `primary` failed) and `secondary` output.
    pub interfaces: Vec<InterfaceInput<'a>>,
}

pub(crate) struct InterfaceInput<'a> {
    pub name: &'a str,
    pub sysfs: &'a str,
    pub primary: &'a str,
    pub secondary: &'a str,
}

/// `ip addr show` output for every interface cut into `(name, its lines)`: a block starts at a
/// header line `3: eth0@if5: <…>` (the name stops at `@` or `:`).
pub(crate) fn split_ip_addr(output: &str) -> Vec<(&str, &str)> {
    fn header_name(line: &str) -> Option<&str> {
        let (index, rest) = line.split_once(": ")?;
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let end = rest.find([':', '@'])?;
        Some(&rest[..end])
    }
    let mut blocks: Vec<(&str, usize)> = Vec::new();
    let mut at = 0;
    for line in output.split_inclusive('\n') {
        if let Some(name) = header_name(line) {
            blocks.push((name, at));
        }
        at += line.len();
    }
    blocks
        .iter()
        .enumerate()
        .map(|(i, (name, start))| {
            let end = blocks.get(i + 1).map_or(output.len(), |(_, s)| *s);
            (*name, &output[*start..end])
        })
        .collect()
}

/// Facts without the `ansible_` prefix, in Ansible's order.
pub(crate) fn network_facts(input: &NetworkInput<'_>) -> Vec<(String, Value)> {
    let mut default_v4 = default_interface(input.route4, PROBE_V4);
    let mut default_v6 = default_interface(input.route6, PROBE_V6);
    let mut interfaces: Ifaces = Vec::new();
    let mut all_v4 = Vec::new();
    let mut all_v6 = Vec::new();
    for iface in &input.interfaces {
        let sys = kv(iface.sysfs);
        let get = |k: &str| sys.iter().find(|(key, _)| *key == k).map(|(_, v)| v.trim());
        let device = iface.name.to_owned();
        let mut d = Map::new();
        d.insert("device".into(), json!(device));
        let macaddress = get("address").unwrap_or("").to_owned();
        if !macaddress.is_empty() && macaddress != "00:00:00:00:00:00" {
            d.insert("macaddress".into(), json!(macaddress));
        }
        if let Some(mtu) = get("mtu").and_then(|v| v.parse::<i64>().ok()) {
            d.insert("mtu".into(), json!(mtu));
        }
        if let Some(state) = get("operstate") {
            d.insert("active".into(), json!(state != "down"));
        }
        if let Some(m) = get("module") {
            d.insert("module".into(), json!(m));
        }
        if let Some(t) = get("type") {
            let name = match t {
                "1" => "ether",
                "32" => "infiniband",
                "512" => "ppp",
                "772" => "loopback",
                "65534" => "tunnel",
                _ => "unknown",
            };
            d.insert("type".into(), json!(name));
        }
        if let Some(members) = get("bridge") {
            d.insert("type".into(), json!("bridge"));
            d.insert(
                "interfaces".into(),
                json!(members.split_whitespace().collect::<Vec<_>>()),
            );
            if let Some(id) = get("bridge_id") {
                d.insert("id".into(), json!(id));
            }
            if let Some(stp) = get("stp_state") {
                d.insert("stp".into(), json!(stp == "1"));
            }
        }
        if let Some(slaves) = get("bond_slaves") {
            d.insert("type".into(), json!("bonding"));
            d.insert(
                "slaves".into(),
                json!(slaves.split_whitespace().collect::<Vec<_>>()),
            );
            for key in ["mode", "miimon", "lacp_rate"] {
                let v = get(&format!("bond_{key}")).unwrap_or("");
                let first = v.split_whitespace().next().unwrap_or("");
                d.insert(key.into(), json!(first));
            }
            if let Some(primary) = get("bond_primary").filter(|p| !p.is_empty()) {
                d.insert("primary".into(), json!(primary));
                if let Some(all) = get("bond_all_slaves_active").filter(|a| !a.is_empty()) {
                    d.insert("all_slaves_active".into(), json!(all == "1"));
                }
            }
        }
        if let Some(perm) = get("perm_hwaddr") {
            d.insert("perm_macaddress".into(), json!(perm));
        }
        if let Some(pciid) = get("pciid") {
            d.insert("pciid".into(), json!(pciid));
        }
        // Unreadable `speed` (loopback, down links) gives no key, as `get_file_content` → None.
        if let Some(speed) = get("speed").and_then(|v| v.parse::<i64>().ok()) {
            d.insert("speed".into(), json!(speed));
        }
        if let Some(flags) = get("flags") {
            let bits = i64::from_str_radix(flags.trim_start_matches("0x"), 16).unwrap_or(0);
            d.insert("promisc".into(), json!(bits & 0x0100 > 0));
        }
        *entry_of(&mut interfaces, &device) = d;
        let mut ctx = ParseCtx {
            device: &device,
            macaddress: &macaddress,
            interfaces: &mut interfaces,
            default_v4: &mut default_v4,
            default_v6: &mut default_v6,
            all_v4: &mut all_v4,
            all_v6: &mut all_v6,
        };
        parse_ip_output(&mut ctx, iface.primary, false);
        parse_ip_output(&mut ctx, iface.secondary, true);
    }
    let mut names = Vec::new();
    let mut facts = Vec::new();
    let mut per_iface = Vec::new();
    for (name, dict) in interfaces {
        let name = name.replace(':', "_");
        names.push(Value::from(name.clone()));
        per_iface.push((name, Value::Object(dict)));
    }
    facts.push(("interfaces".to_owned(), Value::Array(names)));
    facts.extend(per_iface);
    facts.push(("default_ipv4".to_owned(), Value::Object(default_v4)));
    facts.push(("default_ipv6".to_owned(), Value::Object(default_v6)));
    facts.push(("all_ipv4_addresses".to_owned(), json!(all_v4)));
    facts.push(("all_ipv6_addresses".to_owned(), json!(all_v6)));
    facts.push((
        "locally_reachable_ips".to_owned(),
        locally_reachable(input.local4, input.local6),
    ));
    facts
}

fn kv(text: &str) -> Vec<(&str, &str)> {
    text.lines().filter_map(|l| l.split_once('=')).collect()
}

/// The first line of `ip route get <probe>`: its `dev`, `src` and `via` words.
fn default_interface(out: &str, probe: &str) -> Map<String, Value> {
    let mut m = Map::new();
    let words: Vec<&str> = out
        .lines()
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .split_whitespace()
        .collect();
    if words.first() != Some(&probe) {
        return m;
    }
    for i in 0..words.len().saturating_sub(1) {
        match words[i] {
            "dev" => {
                m.insert("interface".into(), json!(words[i + 1]));
            }
            "src" => {
                m.insert("address".into(), json!(words[i + 1]));
            }
            "via" if words[i + 1] != probe => {
                m.insert("gateway".into(), json!(words[i + 1]));
            }
            _ => {}
        }
    }
    m
}

struct ParseCtx<'a> {
    device: &'a str,
    macaddress: &'a str,
    interfaces: &'a mut Ifaces,
    default_v4: &'a mut Map<String, Value>,
    default_v6: &'a mut Map<String, Value>,
    all_v4: &'a mut Vec<String>,
    all_v6: &'a mut Vec<String>,
}

fn v4_entry(address: &str, broadcast: &str, prefix: &str) -> Option<(Value, String, String)> {
    let addr: Ipv4Addr = address.parse().ok()?;
    let len: u32 = prefix.parse().ok()?;
    let mask: u32 = if len == 0 {
        0
    } else {
        u32::MAX.checked_shl(32 - len.min(32)).unwrap_or(0)
    };
    let netmask = Ipv4Addr::from(mask).to_string();
    let network = Ipv4Addr::from(u32::from(addr) & mask).to_string();
    Some((
        json!({"address": address, "broadcast": broadcast, "netmask": netmask,
               "network": network, "prefix": prefix}),
        netmask,
        network,
    ))
}

/// The dict of `key`, added at the end when new (as a Python dict keeps insertion order).
fn entry_of<'m>(list: &'m mut Ifaces, key: &str) -> &'m mut Map<String, Value> {
    let i = match list.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            list.push((key.to_owned(), Map::new()));
            list.len() - 1
        }
    };
    &mut list[i].1
}

fn push_to(map: &mut Map<String, Value>, key: &str, item: Value) {
    let v = map.entry(key.to_owned()).or_insert_with(|| json!([]));
    if let Value::Array(a) = v {
        a.push(item);
    }
}

/// `parse_ip_output` of Ansible's `LinuxNetwork.get_interfaces_info`, including its quirk that
/// an address labelled with an alias (`eth0:1`) replaces the alias's dict.
fn parse_ip_output(ctx: &mut ParseCtx<'_>, output: &str, secondary: bool) {
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        if *first == "inet" && words.len() > 1 {
            let (address, prefix, mut broadcast) = match words[1].split_once('/') {
                Some((a, p)) => (a, p, ""),
                None => (words[1], "32", ""),
            };
            if words[1].contains('/') && words.len() > 3 && words[2] == "brd" {
                broadcast = words[3];
            }
            let Some((entry, netmask, network)) = v4_entry(address, broadcast, prefix) else {
                continue;
            };
            let iface = words.last().copied().unwrap_or(ctx.device);
            if iface != ctx.device {
                entry_of(ctx.interfaces, iface).clear();
            }
            let target = entry_of(ctx.interfaces, iface);
            if !secondary && !target.contains_key("ipv4") {
                target.insert("ipv4".into(), entry.clone());
            } else {
                push_to(target, "ipv4_secondaries", entry.clone());
            }
            if secondary {
                let dev = entry_of(ctx.interfaces, ctx.device);
                if !dev.contains_key("ipv4_secondaries") {
                    dev.insert("ipv4_secondaries".into(), json!([]));
                }
                if ctx.device != iface {
                    push_to(dev, "ipv4_secondaries", entry.clone());
                }
            }
            if ctx.default_v4.get("address").and_then(Value::as_str) == Some(address) {
                let dev = entry_of(ctx.interfaces, ctx.device);
                let mtu = dev.get("mtu").cloned().unwrap_or(Value::Null);
                let ty = dev.get("type").cloned().unwrap_or_else(|| json!("unknown"));
                let d = &mut *ctx.default_v4;
                d.insert("broadcast".into(), json!(broadcast));
                d.insert("netmask".into(), json!(netmask));
                d.insert("network".into(), json!(network));
                d.insert("prefix".into(), json!(prefix));
                d.insert("macaddress".into(), json!(ctx.macaddress));
                d.insert("mtu".into(), mtu);
                d.insert("type".into(), ty);
                d.insert("alias".into(), json!(iface));
            }
            if !address.starts_with("127.") {
                ctx.all_v4.push(address.to_owned());
            }
        } else if *first == "inet6" && words.len() > 3 {
            let (address, prefix, scope) = if words[2] == "peer" {
                let prefix = words[3].split_once('/').map_or("", |(_, p)| p);
                (words[1], prefix, words.get(5).copied().unwrap_or(""))
            } else {
                let (a, p) = words[1].split_once('/').unwrap_or((words[1], ""));
                (a, p, words[3])
            };
            let dev = entry_of(ctx.interfaces, ctx.device);
            push_to(
                dev,
                "ipv6",
                json!({"address": address, "prefix": prefix, "scope": scope}),
            );
            if ctx.default_v6.get("address").and_then(Value::as_str) == Some(address) {
                let mtu = dev.get("mtu").cloned().unwrap_or(Value::Null);
                let ty = dev.get("type").cloned().unwrap_or_else(|| json!("unknown"));
                let d = &mut *ctx.default_v6;
                d.insert("prefix".into(), json!(prefix));
                d.insert("scope".into(), json!(scope));
                d.insert("macaddress".into(), json!(ctx.macaddress));
                d.insert("mtu".into(), mtu);
                d.insert("type".into(), ty);
            }
            if address != "::1" {
                ctx.all_v6.push(address.to_owned());
            }
        }
    }
}

fn locally_reachable(local4: &str, local6: &str) -> Value {
    let mut v4: Vec<String> = Vec::new();
    let mut v6: Vec<String> = Vec::new();
    for line in local4.lines().chain(local6.lines()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() != Some(&"local") || words.len() < 2 {
            continue;
        }
        let list = if words[1].contains(':') {
            &mut v6
        } else {
            &mut v4
        };
        if !list.iter().any(|a| a == words[1]) {
            list.push(words[1].to_owned());
        }
    }
    json!({"ipv4": v4, "ipv6": v6})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_ip_addr_output_into_interfaces() {
        let out = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n\
                   2: eth0@if309: <BROADCAST> mtu 1500\n    inet 10.0.0.2/24 scope global eth0\n\
                   3: br-x: <NO-CARRIER> mtu 1500\n";
        let split = split_ip_addr(out);
        let names: Vec<&str> = split.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["lo", "eth0", "br-x"]);
        assert_eq!(
            split[1].1,
            "2: eth0@if309: <BROADCAST> mtu 1500\n    inet 10.0.0.2/24 scope global eth0\n"
        );
        assert_eq!(split[2].1, "3: br-x: <NO-CARRIER> mtu 1500\n");
        assert!(split_ip_addr("").is_empty());
    }

    // Expected: ansible-core 2.19 `setup` on a tier-1b test host (same `ip` output).
    #[test]
    fn parses_interfaces_like_ansible() {
        let input = NetworkInput {
            route4: "",
            route6: "",
            local4: "local 10.77.81.11 dev eth0 proto kernel scope host src 10.77.81.11 \nlocal 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 \nlocal 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 \n",
            local6: "local ::1 dev lo proto kernel metric 0 pref medium\nlocal fe80::9039:e5ff:fed6:8e4b dev eth0 proto kernel metric 0 pref medium\n",
            interfaces: vec![InterfaceInput {
                name: "eth0",
                sysfs: "address=92:39:e5:d6:8e:4b\nmtu=1500\noperstate=up\ntype=1\nflags=0x1003\nspeed=10000\n",
                primary: "2: eth0@if309: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    link/ether 92:39:e5:d6:8e:4b brd ff:ff:ff:ff:ff:ff link-netnsid 0\n    inet 10.77.81.11/24 scope global eth0\n       valid_lft forever preferred_lft forever\n    inet6 fe80::9039:e5ff:fed6:8e4b/64 scope link \n",
                secondary: "",
            }],
        };
        let facts: Map<String, Value> = network_facts(&input).into_iter().collect();
        assert_eq!(facts["interfaces"], json!(["eth0"]));
        assert_eq!(
            facts["eth0"],
            json!({"active": true, "device": "eth0",
                   "ipv4": {"address": "10.77.81.11", "broadcast": "", "netmask": "255.255.255.0",
                            "network": "10.77.81.0", "prefix": "24"},
                   "ipv6": [{"address": "fe80::9039:e5ff:fed6:8e4b", "prefix": "64", "scope": "link"}],
                   "macaddress": "92:39:e5:d6:8e:4b", "mtu": 1500, "promisc": false,
                   "speed": 10000, "type": "ether"})
        );
        assert_eq!(facts["default_ipv4"], json!({}));
        assert_eq!(facts["all_ipv4_addresses"], json!(["10.77.81.11"]));
        assert_eq!(
            facts["locally_reachable_ips"],
            json!({"ipv4": ["10.77.81.11", "127.0.0.0/8", "127.0.0.1"],
                   "ipv6": ["::1", "fe80::9039:e5ff:fed6:8e4b"]})
        );
    }

    #[test]
    fn default_route_fields() {
        let d = default_interface(
            "8.8.8.8 via 10.0.2.2 dev eth0 src 10.0.2.15 uid 0 \n    cache \n",
            PROBE_V4,
        );
        assert_eq!(
            Value::Object(d),
            json!({"gateway": "10.0.2.2", "interface": "eth0", "address": "10.0.2.15"})
        );
    }
}

//! The memory, CPU and uptime facts of Ansible's `LinuxHardware` collector, from
//! `/proc/meminfo`, `/proc/cpuinfo` and `/proc/uptime`.

use indexmap::IndexMap;
use serde_json::{json, Value};

/// `memtotal_mb`, `memfree_mb`, `swaptotal_mb`, `swapfree_mb` and `memory_mb`.
pub(crate) fn memory_facts(meminfo: &str) -> Vec<(String, Value)> {
    const ORIGINAL: [&str; 4] = ["MemTotal", "SwapTotal", "MemFree", "SwapFree"];
    const MORE: [&str; 3] = ["Buffers", "Cached", "SwapCached"];
    let mut facts = Vec::new();
    let mut stats: IndexMap<String, i64> = IndexMap::new();
    for line in meminfo.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        if !ORIGINAL.contains(&key) && !MORE.contains(&key) {
            continue;
        }
        let Some(kb) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<i64>().ok())
        else {
            continue;
        };
        let mb = kb.div_euclid(1024);
        if ORIGINAL.contains(&key) {
            facts.push((format!("{}_mb", key.to_lowercase()), json!(mb)));
        }
        stats.insert(key.to_lowercase(), mb);
    }
    let get = |k: &str| stats.get(k).copied();
    let sub = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a - b);
    let nocache_free = match (get("cached"), get("memfree"), get("buffers")) {
        (Some(c), Some(f), Some(b)) => Some(c + f + b),
        _ => None,
    };
    facts.push((
        "memory_mb".to_owned(),
        json!({
            "real": {"total": get("memtotal"), "used": sub(get("memtotal"), get("memfree")),
                     "free": get("memfree")},
            "nocache": {"free": nocache_free, "used": sub(get("memtotal"), nocache_free)},
            "swap": {"total": get("swaptotal"), "free": get("swapfree"),
                     "used": sub(get("swaptotal"), get("swapfree")), "cached": get("swapcached")},
        }),
    ));
    facts
}

/// `processor`, `processor_count`, `processor_cores`, `processor_threads_per_core`,
/// `processor_vcpus`, `processor_nproc` (and `flags`) as `get_cpu_facts` derives them.
pub(crate) fn cpu_facts(
    cpuinfo: &str,
    architecture: &str,
    xen: bool,
    nproc: Option<i64>,
) -> Vec<(String, Value)> {
    let mut facts: Vec<(String, Value)> = Vec::new();
    let mut processor: Vec<Value> = Vec::new();
    let mut flags: Option<Value> = None;
    let mut xen_paravirt = false;
    let (mut i, mut vendor_ids, mut model_names, mut processors) = (0i64, 0i64, 0i64, 0i64);
    let mut physid = "0".to_owned();
    let mut coreid = "0".to_owned();
    // Python dicts: first insertion fixes the order, later writes replace the value.
    let mut sockets: IndexMap<String, i64> = IndexMap::new();
    let mut cores: IndexMap<String, i64> = IndexMap::new();
    let (mut zp, mut zmt) = (0i64, 0i64);
    for line in cpuinfo.lines() {
        let (key, val) = match line.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line.trim(), ""),
        };
        if xen && key == "flags" && !val.contains("vme") {
            xen_paravirt = true;
        }
        if key == "flags" {
            flags = Some(json!(val.split_whitespace().collect::<Vec<_>>()));
        }
        match key {
            "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                processor.push(json!(val));
                match key {
                    "vendor_id" => vendor_ids += 1,
                    "model name" => model_names += 1,
                    "processor" => processors += 1,
                    _ => {}
                }
                i += 1;
            }
            "physical id" => {
                physid = val.to_owned();
                sockets.entry(physid.clone()).or_insert(1);
            }
            "core id" => {
                coreid = val.to_owned();
                // Ansible checks `sockets` here, not `cores`: kept for equal results.
                if !sockets.contains_key(&coreid) {
                    cores.insert(coreid.clone(), 1);
                }
            }
            "cpu cores" => {
                sockets.insert(physid.clone(), val.parse().unwrap_or(0));
            }
            "siblings" => {
                cores.insert(coreid.clone(), val.parse().unwrap_or(0));
            }
            "# processors" => zp = val.parse().unwrap_or(0),
            "max thread id" => zmt = val.parse::<i64>().unwrap_or(0) + 1,
            "ncpus active" => i = val.parse().unwrap_or(0),
            _ => {}
        }
    }
    if vendor_ids > 0 && vendor_ids == model_names {
        i = vendor_ids;
    }
    if ["armv", "aarch", "ppc"]
        .iter()
        .any(|p| architecture.starts_with(p))
    {
        i = processors;
    }
    facts.push(("processor".to_owned(), Value::Array(processor)));
    if let Some(f) = flags {
        facts.push(("flags".to_owned(), f));
    }
    let (count, cores_n, threads, vcpus, mut nproc_v) = if architecture == "s390x" {
        let cores_n = if zmt == 0 { 0 } else { py_round(zp, zmt) };
        (1, cores_n, zmt, zp, zp)
    } else if xen_paravirt {
        (i, i, 1, i, i)
    } else {
        let count = if sockets.is_empty() {
            i
        } else {
            sockets.len() as i64
        };
        let cores_n = match sockets.values().next() {
            Some(&c) if c != 0 => c,
            _ => 1,
        };
        let threads = match cores.values().next() {
            Some(&c) => py_round(c, cores_n),
            None => py_round(1, cores_n),
        };
        (
            count,
            cores_n,
            threads,
            threads * count * cores_n,
            processors,
        )
    };
    if let Some(n) = nproc {
        nproc_v = n;
    }
    facts.push(("processor_count".to_owned(), json!(count)));
    facts.push(("processor_cores".to_owned(), json!(cores_n)));
    facts.push(("processor_threads_per_core".to_owned(), json!(threads)));
    facts.push(("processor_vcpus".to_owned(), json!(vcpus)));
    facts.push(("processor_nproc".to_owned(), json!(nproc_v)));
    facts
}

/// Python's `round(a / b)`: halves go to the even neighbour.
fn py_round(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        reason = "CPU counts are small"
    )]
    let r = (a as f64 / b as f64).round_ties_even() as i64;
    r
}

/// `chassis_type` numbers as `get_dmi_facts` names them.
const FORM_FACTOR: [&str; 37] = [
    "Unknown",
    "Other",
    "Unknown",
    "Desktop",
    "Low Profile Desktop",
    "Pizza Box",
    "Mini Tower",
    "Tower",
    "Portable",
    "Laptop",
    "Notebook",
    "Hand Held",
    "Docking Station",
    "All In One",
    "Sub Notebook",
    "Space-saving",
    "Lunch Box",
    "Main Server Chassis",
    "Expansion Chassis",
    "Sub Chassis",
    "Bus Expansion Chassis",
    "Peripheral Chassis",
    "RAID Chassis",
    "Rack Mount Chassis",
    "Sealed-case PC",
    "Multi-system",
    "CompactPCI",
    "AdvancedTCA",
    "Blade",
    "Blade Enclosure",
    "Tablet",
    "Convertible",
    "Detachable",
    "IoT Gateway",
    "Embedded PC",
    "Mini PC",
    "Stick PC",
];

/// Fact name, `/sys/devices/virtual/dmi/id` file, `dmidecode -s` keyword.
const DMI: [(&str, &str, &str); 18] = [
    ("bios_date", "bios_date", "bios-release-date"),
    ("bios_vendor", "bios_vendor", "bios-vendor"),
    ("bios_version", "bios_version", "bios-version"),
    ("board_asset_tag", "board_asset_tag", "baseboard-asset-tag"),
    ("board_name", "board_name", "baseboard-product-name"),
    ("board_serial", "board_serial", "baseboard-serial-number"),
    ("board_vendor", "board_vendor", "baseboard-manufacturer"),
    ("board_version", "board_version", "baseboard-version"),
    (
        "chassis_asset_tag",
        "chassis_asset_tag",
        "chassis-asset-tag",
    ),
    ("chassis_serial", "chassis_serial", "chassis-serial-number"),
    ("chassis_vendor", "chassis_vendor", "chassis-manufacturer"),
    ("chassis_version", "chassis_version", "chassis-version"),
    ("form_factor", "chassis_type", "chassis-type"),
    ("product_name", "product_name", "system-product-name"),
    ("product_serial", "product_serial", "system-serial-number"),
    ("product_uuid", "product_uuid", "system-uuid"),
    ("product_version", "product_version", "system-version"),
    ("system_vendor", "sys_vendor", "system-manufacturer"),
];

/// The DMI facts: from sysfs (unreadable or empty files give `NA`), else from `dmidecode -s`
/// (failures give `NA`; its `chassis-type` stays a name), else all `NA`.
pub(crate) fn dmi_facts(dmi: &str) -> Vec<(String, Value)> {
    let mut lines = dmi.lines();
    let source = lines.next().unwrap_or("").trim();
    let values: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once('=')).collect();
    let get = |k: &str| {
        values
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.trim())
    };
    DMI.iter()
        .map(|(fact, file, keyword)| {
            let value = match source {
                "sys" => match get(file).filter(|v| !v.is_empty()) {
                    Some(v) if *fact == "form_factor" => match v.parse::<usize>() {
                        Ok(n) => FORM_FACTOR
                            .get(n)
                            .map_or_else(|| format!("unknown ({v})"), |s| (*s).to_owned()),
                        Err(_) => "NA".to_owned(),
                    },
                    Some(v) => v.to_owned(),
                    None => "NA".to_owned(),
                },
                "bin" => get(keyword).map_or_else(|| "NA".to_owned(), str::to_owned),
                _ => "NA".to_owned(),
            };
            ((*fact).to_owned(), json!(value))
        })
        .collect()
}

/// `uptime_seconds`: the first field of `/proc/uptime`, truncated.
pub(crate) fn uptime_facts(uptime: &str) -> Vec<(String, Value)> {
    uptime
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .map(|secs| {
            #[expect(clippy::cast_possible_truncation, reason = "int(float) in Ansible")]
            let s = secs.trunc() as i64;
            vec![("uptime_seconds".to_owned(), json!(s))]
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected: ansible-core 2.19 `setup` on the tier-1b test host whose /proc/meminfo and
    // /proc/cpuinfo these lines come from.
    #[test]
    fn memory_like_ansible() {
        let m = "MemTotal:       24684084 kB\nMemFree:        18101412 kB\nBuffers:          144040 kB\nCached:          5914596 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n";
        let f: serde_json::Map<String, Value> = memory_facts(m).into_iter().collect();
        assert_eq!(f["memtotal_mb"], 24105);
        assert_eq!(f["memfree_mb"], 17677);
        assert_eq!(f["swaptotal_mb"], 0);
        assert_eq!(
            f["memory_mb"]["real"],
            json!({"total": 24105, "used": 6428, "free": 17677})
        );
    }

    #[test]
    fn two_vcpus_one_socket() {
        let c = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 0\ncpu cores\t: 2\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 1\ncpu cores\t: 2\n";
        let f: serde_json::Map<String, Value> =
            cpu_facts(c, "x86_64", false, Some(2)).into_iter().collect();
        assert_eq!(
            f["processor"],
            json!([
                "0",
                "GenuineIntel",
                "Intel(R) Xeon(R) Processor",
                "1",
                "GenuineIntel",
                "Intel(R) Xeon(R) Processor"
            ])
        );
        assert_eq!(f["processor_count"], 1);
        assert_eq!(f["processor_cores"], 2);
        assert_eq!(f["processor_threads_per_core"], 1);
        assert_eq!(f["processor_vcpus"], 2);
        assert_eq!(f["processor_nproc"], 2);
        assert_eq!(py_round(1, 2), 0);
        assert_eq!(py_round(3, 2), 2);
    }
}

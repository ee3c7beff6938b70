//! Acceptance test for native fact gathering: the same playbook (`gather_facts: true`, then the
//! facts written to the host as `to_nice_json`) runs under ansible-playbook (ansible-core 2.19,
//! `ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3`) and rsible-playbook against the same test host;
//! every compared fact is printed when it differs, and a difference in a required fact fails.
//!
//! Needs root and the test-host harness (skipped otherwise, failed with
//! `RSIBLE_REQUIRE_TESTHOSTS=1`) and ansible-core (`RSIBLE_ANSIBLE_PLAYBOOK`, else
//! /opt/ansible-venv); the rsible-playbook under test is the one Cargo built for this run.

use std::path::PathBuf;
use std::time::Duration;

use rsible_test_support::Sandbox;
use rsible_testhosts::{HostSet, Tier};
use serde_json::{Map, Value};

/// Facts that must be equal (names inside `ansible_facts`, i.e. without `ansible_`).
/// `env`, `date_time` and `interfaces` are normalized first (see `normalize`).
const REQUIRED: &[&str] = &[
    "hostname",
    "fqdn",
    "nodename",
    "domain",
    "distribution",
    "distribution_release",
    "distribution_version",
    "distribution_major_version",
    "os_family",
    "system",
    "kernel",
    "kernel_version",
    "architecture",
    "machine",
    "processor_vcpus",
    "processor_count",
    "processor_cores",
    "processor_threads_per_core",
    "processor_nproc",
    "processor",
    "memtotal_mb",
    "swaptotal_mb",
    "env",
    "user_id",
    "user_uid",
    "user_gid",
    "user_dir",
    "user_shell",
    "user_gecos",
    "real_user_id",
    "effective_user_id",
    "real_group_id",
    "effective_group_id",
    "default_ipv4",
    "default_ipv6",
    "all_ipv4_addresses",
    "all_ipv6_addresses",
    "interfaces",
    "date_time",
    "pkg_mgr",
    "service_mgr",
];

/// Compared and printed, but not failing: either not required by the brief or values that move
/// between the two runs (free memory, uptime, load average).
const REPORTED: &[&str] = &[
    "distribution_minor_version",
    "distribution_file_path",
    "distribution_file_variety",
    "distribution_file_parsed",
    "userspace_bits",
    "userspace_architecture",
    "machine_id",
    "flags",
    "memfree_mb",
    "swapfree_mb",
    "memory_mb",
    "uptime_seconds",
    "loadavg",
    "lsb",
    "selinux",
    "apparmor",
    "fips",
    "cmdline",
    "proc_cmdline",
    "dns",
    // `ip route show table local` lists a link-local IPv6 address only once duplicate address
    // detection is over, which can fall between the two runs on a host just started.
    "locally_reachable_ips",
    "is_chroot",
    "system_capabilities",
    "system_capabilities_enforced",
    "bios_date",
    "bios_vendor",
    "bios_version",
    "board_asset_tag",
    "board_name",
    "board_serial",
    "board_vendor",
    "board_version",
    "chassis_asset_tag",
    "chassis_serial",
    "chassis_vendor",
    "chassis_version",
    "form_factor",
    "product_name",
    "product_serial",
    "product_uuid",
    "product_version",
    "system_vendor",
    "ssh_host_key_rsa_public",
    "ssh_host_key_rsa_public_keytype",
    "ssh_host_key_ecdsa_public",
    "ssh_host_key_ecdsa_public_keytype",
    "ssh_host_key_ed25519_public",
    "ssh_host_key_ed25519_public_keytype",
    "gather_subset",
    "module_setup",
    // The runner strips `ansible_` from every fact; Ansible keeps `ansible_local` whole
    // (vars/clean.py `namespace_facts`), so rsible shows it as `local` today.
    "ansible_local",
    // Set by Ansible's gather_facts action, not by the setup module.
    "_ansible_facts_gathered",
];

/// The binary Cargo built for this test run.
fn rsible_playbook() -> PathBuf {
    rsible_test_support::rsible_playbook!()
}

/// The oracle: `RSIBLE_ANSIBLE_PLAYBOOK`, else the venv's.
fn ansible_playbook() -> PathBuf {
    rsible_test_support::ansible_playbook_path()
}

/// Skips (returns false) when the machine cannot run the comparison, unless
/// `RSIBLE_REQUIRE_TESTHOSTS=1` makes that a failure.
fn supported() -> bool {
    let required = rsible_test_support::require_testhosts();
    let problem = if let Err(err) = rsible_testhosts::check_support() {
        Some(format!("test hosts unavailable: {err}"))
    } else if !ansible_playbook().is_file() {
        Some(format!("{} missing", ansible_playbook().display()))
    } else {
        None
    };
    match problem {
        Some(msg) if required => panic!("{msg}"),
        Some(msg) => {
            eprintln!("skipped: {msg}");
            false
        }
        None => true,
    }
}

const SITE: &str = "- hosts: all
  gather_facts: true
  tasks:
    - copy:
        content: \"{{ ansible_facts | to_nice_json }}\"
        dest: \"{{ facts_dest }}\"
";

const GATHER_ONLY: &str = "- hosts: all\n  gather_facts: true\n  tasks: []\n";

struct Tool {
    name: &'static str,
    program: PathBuf,
}

/// Runs `playbook` of the sandbox's case against its inventory; returns the wall time.
fn run(tool: &Tool, sandbox: &Sandbox, playbook: &str, extra: &[&str]) -> Duration {
    let mut cmd = sandbox.command(&tool.program);
    cmd.args(["-i", "inventory", playbook]).args(extra);
    let out = sandbox.run(&mut cmd);
    assert!(
        out.rc == 0,
        "{} {playbook} failed:\n{}\n{}",
        tool.name,
        out.stdout,
        out.stderr
    );
    out.wall
}

/// The facts as `to_nice_json` wrote them on the host.
fn read_facts(set: &HostSet, host: &rsible_testhosts::Host, path: &str) -> Map<String, Value> {
    let out = set
        .exec_on(host, &format!("cat '{path}'"))
        .unwrap_or_else(|err| panic!("reading {path}: {err}"));
    match serde_json::from_slice(&out.stdout) {
        Ok(Value::Object(m)) => m,
        other => panic!(
            "{path} holds no JSON object: {other:?}\n{}",
            String::from_utf8_lossy(&out.stdout)
        ),
    }
}

/// Removes what legitimately differs between the two runs:
/// - `env`: `SSH_ORIGINAL_COMMAND` is the command each tool sent (Ansible's
///   `/bin/sh -c 'python3 …/AnsiballZ_setup.py && sleep 0'`, rsible's fact script);
///   `SSH_CLIENT`/`SSH_CONNECTION` hold each connection's client port; `SSH_TTY` and `TERM`
///   exist only when a pty was requested (Ansible's ssh uses `-tt`, and sshd then sets both);
///   `LANG`/`LC_*` come from the OpenSSH client's `SendEnv LANG LC_*` (/etc/ssh/ssh_config),
///   which Ansible's `ssh` applies and rsible's connection does not. Python itself adds nothing
///   to `os.environ` here: `_`, `SHLVL` and `PWD` come from the login shell the host's sshd
///   runs, the same for both.
/// - `date_time`: the seconds between the runs; the key set and the zone fields are kept, and
///   `epoch` is checked to be close.
/// - `interfaces`: Ansible lists `/sys/class/net` in directory order, which changes between
///   sessions on these hosts (both tools read it the same way), so the names are sorted.
fn normalize(facts: &mut Map<String, Value>) {
    if let Some(Value::Object(env)) = facts.get_mut("env") {
        env.retain(|k, _| {
            !matches!(
                k.as_str(),
                "SSH_ORIGINAL_COMMAND"
                    | "SSH_CLIENT"
                    | "SSH_CONNECTION"
                    | "SSH_TTY"
                    | "TERM"
                    | "LANG"
            ) && !k.starts_with("LC_")
        });
    }
    if let Some(Value::Object(dt)) = facts.get_mut("date_time") {
        for (k, v) in dt.iter_mut() {
            if !k.starts_with("tz") {
                *v = Value::String("<time>".into());
            }
        }
    }
    if let Some(Value::Array(names)) = facts.get_mut("interfaces") {
        names.sort_by_key(ToString::to_string);
    }
}

fn epoch(facts: &Map<String, Value>) -> i64 {
    facts
        .get("date_time")
        .and_then(|d| d.get("epoch"))
        .and_then(Value::as_str)
        .and_then(|e| e.parse().ok())
        .unwrap_or(0)
}

/// Compares one host; returns the failures (differences in required facts).
fn compare_on(tier: Tier, prefix: &str) -> Vec<String> {
    let set = HostSet::builder()
        .count(1)
        .tier(tier)
        .name_prefix(prefix)
        .start()
        .unwrap_or_else(|err| panic!("starting {tier:?} host: {err}"));
    // Both programs in the same clean environment; Ansible's module interpreter is the
    // hosts' `/usr/bin/python3` (the builder's default).
    let sandbox = Sandbox::builder("rsible-facts-").build();
    sandbox.write("inventory", sandbox.host_files(&set).as_bytes());
    sandbox.write("site.yml", SITE.as_bytes());
    sandbox.write("gather.yml", GATHER_ONLY.as_bytes());
    let host = &set.hosts()[0];
    // Tier 1 shares the machine's filesystem: write only below the host's work_dir.
    let base = host
        .work_dir
        .as_ref()
        .map_or_else(|| "/tmp".to_owned(), |w| w.display().to_string());
    let tools = [
        Tool {
            name: "ansible-playbook",
            program: ansible_playbook(),
        },
        Tool {
            name: "rsible-playbook",
            program: rsible_playbook(),
        },
    ];
    let mut facts = Vec::new();
    for tool in &tools {
        let dest = format!("{base}/facts-{}.json", tool.name);
        run(
            tool,
            &sandbox,
            "site.yml",
            &["-e", &format!("facts_dest={dest}")],
        );
        facts.push(read_facts(&set, host, &dest));
    }
    // Gathering time: a play with only `gather_facts`, best of three runs per tool.
    for tool in &tools {
        let best = (0..3)
            .map(|_| run(tool, &sandbox, "gather.yml", &[]))
            .min()
            .unwrap_or_default();
        eprintln!(
            "[{tier:?}] {}: gather-only playbook {:.3} s (best of 3)",
            tool.name,
            best.as_secs_f64()
        );
    }
    let (mut ansible, mut rsible) = (facts.remove(0), facts.remove(0));
    let mut failures = Vec::new();
    let drift = (epoch(&ansible) - epoch(&rsible)).abs();
    if drift > 300 {
        failures.push(format!("date_time.epoch differs by {drift} s"));
    }
    normalize(&mut ansible);
    normalize(&mut rsible);
    let mut names: Vec<(String, bool)> = REQUIRED
        .iter()
        .map(|n| ((*n).to_owned(), true))
        .chain(REPORTED.iter().map(|n| ((*n).to_owned(), false)))
        .collect();
    // Every interface's own dict is required too.
    if let Some(Value::Array(ifaces)) = ansible.get("interfaces") {
        names.extend(
            ifaces
                .iter()
                .filter_map(Value::as_str)
                .map(|i| (i.to_owned(), true)),
        );
    }
    for (name, required) in names {
        let (a, r) = (ansible.get(&name), rsible.get(&name));
        if a == r {
            continue;
        }
        let show = |v: Option<&Value>| v.map_or_else(|| "<absent>".to_owned(), Value::to_string);
        let line = format!(
            "[{tier:?}] {name}{}:\n  ansible: {}\n  rsible:  {}",
            if required { "" } else { " (reported only)" },
            show(a),
            show(r)
        );
        eprintln!("{line}");
        if required {
            failures.push(line);
        }
    }
    let missing: Vec<&String> = ansible
        .keys()
        .filter(|k| !rsible.contains_key(*k))
        .collect();
    eprintln!("[{tier:?}] not gathered by rsible: {missing:?}");
    failures
}

#[test]
fn facts_match_ansible_on_own_root_host() {
    if !supported() {
        return;
    }
    let failures = compare_on(Tier::OwnRoot, "fct");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn facts_match_ansible_on_shared_host() {
    if !supported() {
        return;
    }
    let failures = compare_on(Tier::Shared, "fcs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! `wait_for`: waits on the target for a port, a file, a string in either, or drained
//! connections.
//!
//! ```yaml
//! - wait_for: { port: 8080, timeout: 60 }
//! - wait_for: { path: /var/log/app.log, search_regex: "started on (?P<port>\\d+)" }
//! ```
//!
//! The module's loop runs here: each attempt is one small script on the target, and the
//! module's `sleep` passes between attempts. What the target needs:
//! - ports: `bash` (its `/dev/tcp`) under coreutils' `timeout` for a connect — Debian minbase
//!   has both and no `nc`; without bash, `nc -z` is tried. A `search_regex` on a port is
//!   matched by `grep -P` (PCRE, close to Python's `re`) on what the port sends, line by line;
//! - files: `[ -e ]`, and the content (base64) when a `search_regex` is matched here with
//!   Python's `re.MULTILINE` semantics, giving `match_groups` / `match_groupdict`;
//! - `drained`: `/proc/net/tcp` and `/proc/net/tcp6`, read as the module's Linux strategy does.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_int, de_opt_list, de_opt_string, parse, ArgSpec};
use crate::target::file_attrs::add_path_info;
use crate::target::script::{expand_path, run_script};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "wait_for",
    ArgSpec::new(
        "wait_for",
        &[
            "active_connection_states",
            "connect_timeout",
            "delay",
            "exclude_hosts",
            "host",
            "msg",
            "path",
            "port",
            "search_regex",
            "sleep",
            "state",
            "timeout",
        ],
    ),
);

const STATES: &[&str] = &["absent", "drained", "present", "started", "stopped"];

/// `get_connection_state_id`.
fn state_id(s: &str) -> Option<&'static str> {
    Some(match s {
        "ESTABLISHED" => "01",
        "SYN_SENT" => "02",
        "SYN_RECV" => "03",
        "FIN_WAIT1" => "04",
        "FIN_WAIT2" => "05",
        "TIME_WAIT" => "06",
        _ => return None,
    })
}

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    host: Option<String>,
    #[serde(default, deserialize_with = "de_opt_int")]
    timeout: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_int")]
    connect_timeout: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_int")]
    delay: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_int")]
    port: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_list")]
    active_connection_states: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    search_regex: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_list")]
    exclude_hosts: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_int")]
    sleep: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_string")]
    msg: Option<String>,
}

pub(crate) struct WaitFor;
pub(crate) static WAIT_FOR: WaitFor = WaitFor;

impl Module for WaitFor {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        if ctx.check_mode {
            return Ok(crate::util::map(json!({
                "changed": false,
                "skipped": true,
                "msg": "remote module (wait_for) does not support check mode",
            }))
            .into());
        }
        let mut r = run(ctx, &a)?;
        if r.get("failed").is_none() {
            add_path_info(ctx, &mut r)?;
        }
        Ok(r.into())
    }
}

/// Seconds, negative ones as none and at most a century, so deadlines never overflow.
fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0).min(100 * 365 * 86_400))
}

fn fail_elapsed(msg: String, elapsed: u64) -> ResultMap {
    let mut r = failed(msg);
    r.insert("elapsed".into(), json!(elapsed));
    r
}

/// What one attempt saw.
enum Seen {
    /// The path/port condition holds.
    Yes,
    No,
    /// Matched a file's content: groups and named groups.
    Matched(Vec<Value>, serde_json::Map<String, Value>),
    /// `os.stat` failed otherwise than ENOENT.
    StatError(String),
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    let state = a.state.clone().unwrap_or_else(|| "started".into());
    if !STATES.contains(&state.as_str()) {
        return Ok(failed(format!(
            "value of state must be one of: {}, got: {state}",
            STATES.join(", ")
        )));
    }
    let host = a.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let timeout = a.timeout.unwrap_or(300);
    let connect_timeout = a.connect_timeout.unwrap_or(5);
    let sleep = secs(a.sleep.unwrap_or(1));
    let port = a.port.filter(|p| *p != 0);
    let path = match &a.path {
        Some(p) => Some(expand_path(ctx, p)?),
        None => None,
    };
    let regex = match &a.search_regex {
        Some(re) => match regex::bytes::RegexBuilder::new(re).multi_line(true).build() {
            Ok(r) => Some(r),
            Err(e) => return Ok(failed(format!("Invalid regular expression: {e}"))),
        },
        None => None,
    };
    let states = a.active_connection_states.clone().unwrap_or_else(|| {
        [
            "ESTABLISHED",
            "FIN_WAIT1",
            "FIN_WAIT2",
            "SYN_RECV",
            "SYN_SENT",
            "TIME_WAIT",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    });
    if port.is_some() && path.is_some() {
        return Ok(fail_elapsed(
            "port and path parameter can not both be passed to wait_for".into(),
            0,
        ));
    }
    if path.is_some() && state == "stopped" {
        return Ok(fail_elapsed(
            "state=stopped should only be used for checking a port in the wait_for module".into(),
            0,
        ));
    }
    if path.is_some() && state == "drained" {
        return Ok(fail_elapsed(
            "state=drained should only be used for checking a port in the wait_for module".into(),
            0,
        ));
    }
    if a.exclude_hosts.is_some() && state != "drained" {
        return Ok(fail_elapsed(
            "exclude_hosts should only be with state=drained".into(),
            0,
        ));
    }
    let mut state_ids = Vec::new();
    for s in &states {
        match state_id(s) {
            Some(id) => state_ids.push(id),
            None => {
                return Ok(fail_elapsed(
                    format!("unknown active_connection_state ({s}) defined"),
                    0,
                ))
            }
        }
    }

    let start = Instant::now();
    if let Some(d) = a.delay.filter(|d| *d > 0) {
        std::thread::sleep(secs(d));
    }
    let end = start + secs(timeout);
    let elapsed = || start.elapsed().as_secs();
    let user_msg = a.msg.clone();
    let fail = |default: String| fail_elapsed(user_msg.clone().unwrap_or(default), elapsed());
    let mut groups: Vec<Value> = Vec::new();
    let mut groupdict = serde_json::Map::new();

    if port.is_none() && path.is_none() && state != "drained" {
        std::thread::sleep(secs(timeout));
    } else if state == "absent" || state == "stopped" {
        let mut done = false;
        while Instant::now() < end {
            let gone = match (&path, port) {
                (Some(p), _) => matches!(probe_path(ctx, p, None)?, Seen::No),
                (None, Some(port)) => !connects(ctx, &host, port, connect_timeout)?,
                _ => true,
            };
            if gone {
                done = true;
                break;
            }
            std::thread::sleep(sleep);
        }
        if !done {
            return Ok(match (&path, port) {
                (_, Some(port)) => fail(format!("Timeout when waiting for {host}:{port} to stop.")),
                (Some(p), _) => fail(format!("Timeout when waiting for {p} to be absent.")),
                _ => fail(String::new()),
            });
        }
    } else if state == "started" || state == "present" {
        let mut done = false;
        while Instant::now() < end {
            if let Some(p) = &path {
                match probe_path(ctx, p, regex.as_ref())? {
                    Seen::Yes => {
                        done = true;
                        break;
                    }
                    Seen::Matched(g, d) => {
                        groups = g;
                        groupdict = d;
                        done = true;
                        break;
                    }
                    Seen::StatError(e) => {
                        return Ok(fail(format!("Failed to stat {p}, {e}")));
                    }
                    Seen::No => {}
                }
            } else if let Some(port) = port {
                let left = end
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64()
                    .ceil();
                let ct = connect_timeout.min(left as i64).max(1);
                let ok = match &a.search_regex {
                    Some(re) => port_matches(ctx, &host, port, re, left.max(1.0) as i64)?,
                    None => connects(ctx, &host, port, ct)?,
                };
                if ok {
                    done = true;
                    break;
                }
            }
            std::thread::sleep(sleep);
        }
        if !done {
            return Ok(match (&path, port, &a.search_regex) {
                (_, Some(port), Some(re)) => fail(format!(
                    "Timeout when waiting for search string {re} in {host}:{port}"
                )),
                (_, Some(port), None) => fail(format!("Timeout when waiting for {host}:{port}")),
                (Some(p), _, Some(re)) => fail(format!(
                    "Timeout when waiting for search string {re} in {p}"
                )),
                (Some(p), _, None) => fail(format!("Timeout when waiting for file {p}")),
                _ => fail(String::new()),
            });
        }
    } else {
        // drained
        let ips = host_hex(ctx, Some(&host))?;
        let mut excluded = Vec::new();
        for h in a.exclude_hosts.iter().flatten() {
            excluded.extend(host_hex(ctx, Some(h))?);
        }
        let port_hex = format!("{:04X}", port.unwrap_or(0));
        let mut done = false;
        while Instant::now() < end {
            let out = run_script(
                ctx,
                "for f in /proc/net/tcp /proc/net/tcp6; do if [ -f $f ]; then echo \"== $f\"; cat $f; fi; done".into(),
            )?;
            let text = String::from_utf8_lossy(&out.stdout);
            if active_connections(&text, &ips, &excluded, &port_hex, &state_ids) == 0 {
                done = true;
                break;
            }
            std::thread::sleep(sleep);
        }
        if !done {
            return Ok(fail(format!(
                "Timeout when waiting for {host}:{} to drain",
                port.map_or("None".to_owned(), |p| p.to_string())
            )));
        }
    }
    Ok(crate::util::map(json!({
        "changed": false,
        "elapsed": elapsed(),
        "match_groupdict": groupdict,
        "match_groups": groups,
        "path": path,
        "port": a.port,
        "search_regex": a.search_regex,
        "state": state,
    })))
}

/// One look at a path: gone, there, or there with the regex matching its content.
fn probe_path(
    ctx: &ModuleContext<'_>,
    path: &str,
    regex: Option<&regex::bytes::Regex>,
) -> Result<Seen, ModuleError> {
    let mut s = format!("p={}\n", quote(path));
    s.push_str(
        "if [ -e \"$p\" ]; then echo E; \
         elif e=$(stat -L -- \"$p\" 2>&1 >/dev/null); then :; \
         else case \"$e\" in *'Permission denied'*) echo 'X:Permission denied' ;; *'Not a directory'*) echo 'X:Not a directory' ;; esac; fi\n",
    );
    if regex.is_some() {
        s.push_str(
            "if [ -e \"$p\" ] && [ -r \"$p\" ]; then printf 'C:'; base64 -w0 < \"$p\"; echo; fi\n",
        );
    }
    let out = run_script(ctx, s)?;
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(e) = text.lines().find_map(|l| l.strip_prefix("X:")) {
        return Ok(Seen::StatError(e.to_owned()));
    }
    if !text.lines().any(|l| l == "E") {
        return Ok(Seen::No);
    }
    let Some(re) = regex else {
        return Ok(Seen::Yes);
    };
    let Some(content) = text.lines().find_map(|l| l.strip_prefix("C:")) else {
        return Ok(Seen::No);
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .unwrap_or_default();
    let Some(c) = re.captures(&data) else {
        return Ok(Seen::No);
    };
    let text_of = |m: Option<regex::bytes::Match<'_>>| match m {
        Some(m) => json!(String::from_utf8_lossy(m.as_bytes())),
        None => Value::Null,
    };
    let groups: Vec<Value> = (1..c.len()).map(|i| text_of(c.get(i))).collect();
    let mut dict = serde_json::Map::new();
    for name in re.capture_names().flatten() {
        dict.insert(name.to_owned(), text_of(c.name(name)));
    }
    Ok(Seen::Matched(groups, dict))
}

/// Whether a TCP connection to `host:port` opens within `timeout` seconds, from the target.
fn connects(
    ctx: &ModuleContext<'_>,
    host: &str,
    port: i64,
    timeout: i64,
) -> Result<bool, ModuleError> {
    let (h, p) = (quote(host), port);
    let t = timeout.max(1);
    let s = format!(
        "if command -v bash >/dev/null 2>&1; then timeout {t} bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' _ {h} {p} 2>/dev/null; \
         elif command -v nc >/dev/null 2>&1; then nc -z -w {t} {h} {p} 2>/dev/null; else exit 3; fi\n"
    );
    let out = run_script(ctx, s)?;
    Ok(out.rc == 0)
}

/// Whether `host:port` sends a line matching `re` within `timeout` seconds.
fn port_matches(
    ctx: &ModuleContext<'_>,
    host: &str,
    port: i64,
    re: &str,
    timeout: i64,
) -> Result<bool, ModuleError> {
    let mut s = String::new();
    let _ = write!(
        s,
        "timeout {} bash -c 'exec 3<>\"/dev/tcp/$1/$2\" || exit 9; grep -m1 -qP -- \"$3\" <&3' _ {} {port} {}",
        timeout.max(1),
        quote(host),
        quote(re)
    );
    let out = run_script(ctx, s)?;
    Ok(out.rc == 0)
}

/// `_convert_host_to_hex`: each address of `host` (as the target resolves it) in
/// `/proc/net/tcp*` notation, with its family (4 or 6); IPv4 ones also as IPv4-mapped IPv6.
fn host_hex(ctx: &ModuleContext<'_>, host: Option<&str>) -> Result<Vec<(u8, String)>, ModuleError> {
    let Some(host) = host else {
        return Ok(Vec::new());
    };
    let addrs: Vec<std::net::IpAddr> = match host.parse() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let out = run_script(
                ctx,
                format!("getent ahosts {} | awk '{{print $1}}'", quote(host)),
            )?;
            let mut v: Vec<std::net::IpAddr> = Vec::new();
            for l in String::from_utf8_lossy(&out.stdout).lines() {
                if let Ok(ip) = l.trim().parse() {
                    if !v.contains(&ip) {
                        v.push(ip);
                    }
                }
            }
            v
        }
    };
    let mut out = Vec::new();
    for ip in addrs {
        match ip {
            std::net::IpAddr::V4(v4) => {
                out.push((4, words_hex(&v4.octets())));
                out.push((6, words_hex(&v4.to_ipv6_mapped().octets())));
            }
            std::net::IpAddr::V6(v6) => out.push((6, words_hex(&v6.octets()))),
        }
    }
    Ok(out)
}

/// Each 4-byte word in host (little-endian) order, as `%08X`.
fn words_hex(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .map(|w| format!("{:08X}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
        .collect()
}

/// `LinuxTCPConnectionInfo.get_active_connections_count` over the files' text.
fn active_connections(
    text: &str,
    ips: &[(u8, String)],
    excluded: &[(u8, String)],
    port: &str,
    states: &[&str],
) -> usize {
    let (all4, all6) = ("00000000", "00000000000000000000000000000000");
    let mut family = 4;
    let mut count = 0;
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("== ") {
            family = if f.ends_with('6') { 6 } else { 4 };
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || f[1] == "local_address" || !states.contains(&f[3]) {
            continue;
        }
        let Some((local_ip, local_port)) = f[1].split_once(':') else {
            continue;
        };
        if local_port != port {
            continue;
        }
        let remote_ip = f[2].split(':').next().unwrap_or("");
        if excluded
            .iter()
            .any(|(fa, ip)| *fa == family && ip == remote_ip)
        {
            continue;
        }
        let all = if family == 4 { all4 } else { all6 };
        let matches = ips
            .iter()
            .any(|(fa, ip)| *fa == family && (ip == local_ip || ip == all))
            || (local_ip.starts_with("0000000000000000FFFF0000")
                && ips
                    .iter()
                    .any(|(fa, ip)| *fa == family && ip == "0000000000000000FFFF000000000000"));
        if matches {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(a: Value) -> ResultMap {
        let env = Env::default();
        WAIT_FOR
            .run(&env.ctx(&LocalConnection::new()), &args(a))
            .result()
    }

    // Keys and messages as wait_for.py builds them; the differential test `wait_for`
    // compares them with ansible-playbook's on real hosts.
    #[test]
    fn files_and_regex_groups() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("log");
        std::fs::write(&f, "boot\nlistening on port 8080 (pid 7)\n").unwrap();
        let p = f.display().to_string();
        let r = run(
            json!({"path": p, "search_regex": "^listening on port (?P<port>\\d+) \\(pid (\\d+)\\)$", "timeout": 2}),
        );
        assert_eq!(r["match_groups"], json!(["8080", "7"]), "{r:?}");
        assert_eq!(r["match_groupdict"], json!({"port": "8080"}));
        assert_eq!(r["state"], "file");
        let r = run(json!({"path": p, "search_regex": "never", "timeout": 1, "sleep": 1}));
        assert_eq!(
            r["msg"],
            format!("Timeout when waiting for search string never in {p}")
        );
        let r = run(json!({"path": format!("{p}.x"), "state": "absent", "timeout": 1}));
        assert_eq!(r.get("failed"), None, "{r:?}");
        assert_eq!(r["state"], "absent");
        let r = run(json!({"path": p, "state": "absent", "timeout": 1, "msg": "still there"}));
        assert_eq!(r["msg"], "still there");
        let r = run(json!({"path": p, "port": 1}));
        assert_eq!(
            r["msg"],
            "port and path parameter can not both be passed to wait_for"
        );
        let r = run(json!({"state": "bad"}));
        assert_eq!(
            r["msg"],
            "value of state must be one of: absent, drained, present, started, stopped, got: bad"
        );
    }

    #[test]
    fn ports_open_and_closed() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = l.local_addr().unwrap().port();
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = run(json!({"port": open, "timeout": 3}));
        assert_eq!(r["state"], "started", "{r:?}");
        assert_eq!(r["port"], open);
        let r = run(json!({"port": closed, "timeout": 1}));
        assert_eq!(
            r["msg"],
            format!("Timeout when waiting for 127.0.0.1:{closed}")
        );
        let r = run(json!({"port": closed, "state": "stopped", "timeout": 2}));
        assert_eq!(r.get("failed"), None, "{r:?}");
        let r = run(json!({"port": closed, "state": "drained", "timeout": 2}));
        assert_eq!(r.get("failed"), None, "{r:?}");
    }

    // Addresses as _convert_host_to_hex writes them.
    #[test]
    fn proc_net_tcp_notation() {
        assert_eq!(words_hex(&[127, 0, 0, 1]), "0100007F");
        let text = "== /proc/net/tcp\n  sl  local_address rem_address   st\n   0: 0100007F:1F90 0100007F:D2F0 01 0\n   1: 00000000:1F90 0A00000A:D2F1 06 0\n   2: 0100007F:0016 0100007F:D2F2 01 0\n";
        let ips = vec![(4, "0100007F".to_owned())];
        assert_eq!(
            active_connections(text, &ips, &[], "1F90", &["01", "06"]),
            1
        );
        let all = vec![(4, "00000000".to_owned())];
        assert_eq!(
            active_connections(text, &all, &[], "1F90", &["01", "06"]),
            2
        );
        let ex = vec![(4, "0A00000A".to_owned())];
        assert_eq!(
            active_connections(text, &all, &ex, "1F90", &["01", "06"]),
            1
        );
    }
}

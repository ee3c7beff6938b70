//! `stat`: facts about a path on the target, in one round trip (GNU `stat`, `*sum`, `file`).
//!
//! ```yaml
//! - stat: { path: /etc/hosts }
//!   register: st
//! - debug: msg="{{ st.stat.exists and st.stat.isreg }}"
//! ```

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::target::script::{expand_path, run_script};
use crate::util::{failed, mode_string};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "stat",
    ArgSpec::new(
        "stat",
        &[
            "checksum_algorithm",
            "follow",
            "get_attributes",
            "get_checksum",
            "get_mime",
            "path",
            "attr",
            "attributes",
            "checksum",
            "checksum_algo",
            "dest",
            "mime",
            "mime-type",
            "mime_type",
            "name",
        ],
    )
    .aliases(&[
        "attr",
        "attributes",
        "checksum",
        "checksum_algo",
        "dest",
        "mime",
        "mime-type",
        "mime_type",
        "name",
    ]),
);

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(
        default,
        alias = "dest",
        alias = "name",
        deserialize_with = "de_opt_string"
    )]
    path: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    follow: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    get_checksum: bool,
    #[serde(
        default,
        alias = "checksum",
        alias = "checksum_algo",
        deserialize_with = "de_opt_string"
    )]
    checksum_algorithm: Option<String>,
    #[serde(
        default = "yes",
        alias = "mime",
        alias = "mime_type",
        alias = "mime-type",
        deserialize_with = "de_bool"
    )]
    get_mime: bool,
    #[serde(
        default = "yes",
        alias = "attr",
        alias = "attributes",
        deserialize_with = "de_bool"
    )]
    get_attributes: bool,
}

pub(crate) struct Stat;
pub(crate) static STAT: Stat = Stat;

const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

impl Module for Stat {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let Some(path) = a.path.as_deref() else {
            return Ok(failed("missing required arguments: path").into());
        };
        let alg = a.checksum_algorithm.as_deref().unwrap_or("sha1");
        if !ALGORITHMS.contains(&alg) {
            return Ok(failed(format!(
                "value of checksum_algorithm must be one of: {}, got: {alg}",
                ALGORITHMS.join(", ")
            ))
            .into());
        }
        let path = expand_path(ctx, path)?;
        let script = stat_script(
            &path,
            a.follow,
            a.get_checksum.then_some(alg),
            a.get_mime,
            a.get_attributes,
        );
        let out = run_script(ctx, script)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        match parse_stat(&text, &path) {
            Some(st) => {
                r.insert("stat".into(), Value::Object(st));
            }
            None if out.rc == 0 => {
                r.insert("stat".into(), json!({"exists": false}));
            }
            None => {
                let mut f = failed(String::from_utf8_lossy(&out.stderr).trim().to_owned());
                f.insert("rc".into(), json!(out.rc));
                return Ok(f.into());
            }
        }
        Ok(r.into())
    }
}

/// Prints labelled lines: `T:` stat fields, `A:` access bits, `L:`/`R:` link target and real
/// path, `C:` checksum, `M:`/`E:` mime type and encoding; `MISSING` when absent.
fn stat_script(
    path: &str,
    follow: bool,
    checksum: Option<&str>,
    mime: bool,
    attributes: bool,
) -> String {
    let l = if follow { "-L " } else { "" };
    let mut s = format!(
        "p={}\nif [ -e \"$p\" ] || [ -L \"$p\" ]; then\n\
         printf 'T:'; stat {l}-c '%f|%u|%g|%U|%G|%s|%i|%d|%h|%.9X|%.9Y|%.9Z|%b|%o|%r' -- \"$p\" || exit 1\n\
         a=; [ -r \"$p\" ] && a=${{a}}r; [ -w \"$p\" ] && a=${{a}}w; [ -x \"$p\" ] && a=${{a}}x; echo \"A:$a\"\n",
        quote(path)
    );
    if !follow {
        s.push_str(
            "if [ -L \"$p\" ]; then echo \"L:$(readlink -- \"$p\")\"; echo \"R:$(readlink -m -- \"$p\")\"; fi\n",
        );
    }
    if let Some(alg) = checksum {
        let cond = if follow {
            "[ -f \"$p\" ]"
        } else {
            "[ -f \"$p\" ] && [ ! -L \"$p\" ]"
        };
        let _ = writeln!(
            s,
            "if {cond} && [ -r \"$p\" ]; then c=$({alg}sum < \"$p\"); echo \"C:${{c%% *}}\"; fi"
        );
    }
    if mime {
        // One `file` call, read as Ansible reads it: `type; charset=enc`, else both unknown.
        s.push_str(
            "M=unknown; E=unknown\n\
             if command -v file >/dev/null 2>&1 && m=$(file -b --mime-type --mime-encoding -- \"$p\"); then \
             case $m in *\\;*\\;*) ;; *\\;*=*) M=${m%%;*}; E=${m#*;}; E=${E#*=} ;; esac; fi\n\
             echo \"M:$M\"; echo \"E:$E\"\n",
        );
    }
    if attributes {
        s.push_str("echo \"V:$(lsattr -vd -- \"$p\" 2>/dev/null)\"\n");
    }
    s.push_str("else echo MISSING; fi");
    s
}

/// chattr flag letters and Ansible's names for them (`FILE_ATTRIBUTES`).
const FILE_ATTRIBUTES: &[(char, &str)] = &[
    ('A', "noatime"),
    ('a', "append"),
    ('c', "compressed"),
    ('C', "nocow"),
    ('d', "nodump"),
    ('D', "dirsync"),
    ('e', "extents"),
    ('E', "encrypted"),
    ('h', "blocksize"),
    ('i', "immutable"),
    ('I', "indexed"),
    ('j', "journalled"),
    ('N', "inline"),
    ('s', "zero"),
    ('S', "synchronous"),
    ('t', "notail"),
    ('T', "blockroot"),
    ('u', "undelete"),
    ('X', "compressedraw"),
    ('Z', "compresseddirty"),
];

/// `lsattr -vd` output (`<version> <flags> <path>`) as Ansible's `get_file_attributes`.
fn attributes(st: &mut serde_json::Map<String, Value>, line: &str) {
    let mut parts = line.split_whitespace();
    let (Some(version), Some(flags)) = (parts.next(), parts.next()) else {
        st.insert("version".into(), Value::Null);
        st.insert("attributes".into(), json!([]));
        st.insert("attr_flags".into(), json!(""));
        return;
    };
    let flags = flags.replace('-', "");
    let names: Vec<&str> = flags
        .chars()
        .filter_map(|c| {
            FILE_ATTRIBUTES
                .iter()
                .find(|(f, _)| *f == c)
                .map(|(_, n)| *n)
        })
        .collect();
    st.insert("version".into(), json!(version));
    st.insert("attr_flags".into(), json!(flags));
    st.insert("attributes".into(), json!(names));
}

fn float_time(s: &str) -> Value {
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let secs: f64 = secs.parse().unwrap_or(0.0);
    let padded = format!("{frac:0<9}");
    let nanos: f64 = padded.get(..9).and_then(|n| n.parse().ok()).unwrap_or(0.0);
    json!(secs + nanos * 1e-9)
}

/// The `stat` dict as Ansible's stat module builds it from `os.stat`/`os.lstat`.
fn parse_stat(text: &str, path: &str) -> Option<serde_json::Map<String, Value>> {
    let mut st = serde_json::Map::new();
    let mut fields: Vec<&str> = Vec::new();
    let mut access = "";
    for line in text.lines() {
        if line == "MISSING" {
            return None;
        }
        let Some((tag, val)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "T" => fields = val.split('|').collect(),
            "A" => access = val,
            "L" => {
                st.insert("lnk_target".into(), json!(val));
            }
            "R" => {
                st.insert("lnk_source".into(), json!(val));
            }
            "C" => {
                st.insert("checksum".into(), json!(val));
            }
            "M" => {
                st.insert("mimetype".into(), json!(val));
            }
            "E" => {
                st.insert("charset".into(), json!(val));
            }
            "V" => attributes(&mut st, val),
            _ => {}
        }
    }
    if fields.len() < 15 {
        return None;
    }
    let raw = u32::from_str_radix(fields[0], 16).unwrap_or(0);
    let mode = raw & 0o7777;
    let kind = raw & 0o170_000;
    let num = |i: usize| -> Value { json!(fields[i].parse::<u64>().unwrap_or(0)) };
    let bit = |b: u32| json!(mode & b != 0);
    st.insert("exists".into(), json!(true));
    st.insert("path".into(), json!(path));
    st.insert("mode".into(), json!(mode_string(mode)));
    st.insert("isdir".into(), json!(kind == 0o040_000));
    st.insert("ischr".into(), json!(kind == 0o020_000));
    st.insert("isblk".into(), json!(kind == 0o060_000));
    st.insert("isreg".into(), json!(kind == 0o100_000));
    st.insert("isfifo".into(), json!(kind == 0o010_000));
    st.insert("islnk".into(), json!(kind == 0o120_000));
    st.insert("issock".into(), json!(kind == 0o140_000));
    st.insert("uid".into(), num(1));
    st.insert("gid".into(), num(2));
    st.insert("pw_name".into(), json!(fields[3]));
    st.insert("gr_name".into(), json!(fields[4]));
    st.insert("size".into(), num(5));
    st.insert("inode".into(), num(6));
    st.insert("dev".into(), num(7));
    st.insert("nlink".into(), num(8));
    st.insert("atime".into(), float_time(fields[9]));
    st.insert("mtime".into(), float_time(fields[10]));
    st.insert("ctime".into(), float_time(fields[11]));
    st.insert("blocks".into(), num(12));
    st.insert("block_size".into(), num(13));
    st.insert("device_type".into(), num(14));
    st.insert("wusr".into(), bit(0o200));
    st.insert("rusr".into(), bit(0o400));
    st.insert("xusr".into(), bit(0o100));
    st.insert("wgrp".into(), bit(0o020));
    st.insert("rgrp".into(), bit(0o040));
    st.insert("xgrp".into(), bit(0o010));
    st.insert("woth".into(), bit(0o002));
    st.insert("roth".into(), bit(0o004));
    st.insert("xoth".into(), bit(0o001));
    st.insert("isuid".into(), bit(0o4000));
    st.insert("isgid".into(), bit(0o2000));
    st.insert("readable".into(), json!(access.contains('r')));
    st.insert("writeable".into(), json!(access.contains('w')));
    st.insert("executable".into(), json!(access.contains('x')));
    Some(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(a: Value) -> ResultMap {
        let conn = LocalConnection::new();
        STAT.run(&Env::default().ctx(&conn), &args(a)).result()
    }

    // Keys and values compared with ansible-playbook 2.19's stat of the same kinds of paths.
    #[test]
    fn regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c");
        std::fs::write(&f, "abc\n").unwrap();
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let p = f.to_string_lossy().into_owned();
        let r = run(json!({"path": p}));
        let st = &r["stat"];
        assert_eq!(st["exists"], true);
        assert_eq!(st["isreg"], true);
        assert_eq!(st["isdir"], false);
        assert_eq!(st["mode"], "0600");
        assert_eq!(st["size"], 4);
        assert_eq!(st["checksum"], "03cfd743661f07975fa2f1220c5194cbaff48451");
        assert_eq!(
            (&st["rusr"], &st["wusr"], &st["xusr"], &st["roth"]),
            (&json!(true), &json!(true), &json!(false), &json!(false))
        );
        assert_eq!(st["mimetype"], "text/plain");
        assert_eq!(st["charset"], "us-ascii");
        assert_eq!(st["path"], json!(p));
        let mut keys: Vec<&str> = st.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "atime",
                "attr_flags",
                "attributes",
                "block_size",
                "blocks",
                "charset",
                "checksum",
                "ctime",
                "dev",
                "device_type",
                "executable",
                "exists",
                "gid",
                "gr_name",
                "inode",
                "isblk",
                "ischr",
                "isdir",
                "isfifo",
                "isgid",
                "islnk",
                "isreg",
                "issock",
                "isuid",
                "mimetype",
                "mode",
                "mtime",
                "nlink",
                "path",
                "pw_name",
                "readable",
                "rgrp",
                "roth",
                "rusr",
                "size",
                "uid",
                "version",
                "wgrp",
                "woth",
                "writeable",
                "wusr",
                "xgrp",
                "xoth",
                "xusr"
            ]
        );
        let r = run(json!({"path": p, "checksum_algorithm": "md5"}));
        assert_eq!(r["stat"]["checksum"], "0bee89b07a248e27c83fc3d5951213c1");
    }

    #[test]
    fn missing_dir_and_link() {
        assert_eq!(
            run(json!({"path": "/nonexistent/x"})),
            crate::util::map(json!({"changed": false, "stat": {"exists": false}}))
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        let r = run(json!({"path": d}));
        assert_eq!(
            (&r["stat"]["isdir"], &r["stat"]["mimetype"]),
            (&json!(true), &json!("inode/directory"))
        );
        let link = dir.path().join("l");
        std::os::unix::fs::symlink("/etc/hostname-nonexistent", &link).unwrap();
        let r = run(json!({"path": link.to_string_lossy()}));
        assert_eq!(r["stat"]["islnk"], true);
        assert_eq!(r["stat"]["lnk_target"], "/etc/hostname-nonexistent");
        assert_eq!(r["stat"]["lnk_source"], "/etc/hostname-nonexistent");
        assert!(r["stat"].get("checksum").is_none());
        let r = run(json!({"name": "/", "bogus": 1}));
        assert_eq!(r["failed"], true);
    }
}

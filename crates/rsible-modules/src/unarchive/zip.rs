//! The zip half of the module: `ZipArchive.files_in_archive` and `is_unarchived`, which
//! compares a zipinfo listing with what is on disk (type, mtime, size, CRC32, mode, owner).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::target::script::run_script;
use crate::util::fnmatch;
use crate::ModuleError;
use rsible_connection::shell::quote;

use super::handler::{self, Kind};
use super::{argv_line, parse_runs, Job, Probe, RUN_FN};

impl Job<'_, '_> {
    /// `ZipArchive.files_in_archive` from the member names.
    pub(super) fn zip_members(&self, names: &str) -> Vec<String> {
        let o = self.opts();
        let mut files = Vec::new();
        for m in names.lines() {
            if !o.include.is_empty() {
                for inc in o.include {
                    if fnmatch(m, inc) {
                        files.push(m.to_owned());
                    }
                }
            } else if !o.exclude.iter().any(|e| fnmatch(m, e)) {
                files.push(m.to_owned());
            }
        }
        files
    }

    /// `ZipArchive.is_unarchived`: zipinfo listing, then one script for what is on disk.
    #[expect(
        clippy::too_many_arguments,
        reason = "paths and tools of one handler run"
    )]
    pub(super) fn zip_check(
        &self,
        probe: &Probe,
        kind: Kind,
        zipinfo: &str,
        src: &str,
        dest: &str,
        tmp: &str,
        crcs: HashMap<String, u32>,
    ) -> Result<Result<(bool, String), String>, ModuleError> {
        let o = self.opts();
        let cmd = handler::zipinfo_cmd(zipinfo, kind, src, &o);
        let script = format!("t={}\n{RUN_FN}_r zi {}\n", quote(tmp), argv_line(&cmd));
        let out = run_script(self.ctx, script)?;
        let (runs, _) = parse_runs(&String::from_utf8_lossy(&out.stdout));
        let zi = runs.get("zi").cloned().unwrap_or_default();
        let paths = handler::zipinfo_paths(&zi.out);
        let mut s = String::new();
        for (i, p) in paths.iter().enumerate() {
            let q = quote(&format!("{}/{p}", dest.trim_end_matches('/')));
            let _ = writeln!(
                s,
                "if [ -e {q} ] || [ -L {q} ]; then echo \"S{i}:$(stat -c '%f|%u|%g|%U|%G|%s|%Y' -- {q})\"; \
                 if [ -f {q} ] && [ ! -L {q} ]; then echo \"K{i}:$(gzip -c < {q} | tail -c 8 | od -An -tx1 -N4 | tr -d ' \\n')\"; fi; fi"
            );
        }
        let stamps: Vec<String> = {
            let mut v: Vec<String> = zi
                .out
                .lines()
                .filter_map(|l| {
                    l.split_whitespace()
                        .nth(6)
                        .filter(|x| x.len() == 15)
                        .map(str::to_owned)
                })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for st in &stamps {
            if let Some(date) = zip_date(st) {
                let _ = writeln!(
                    s,
                    "echo \"T{st}:$(date -d {} +%s 2>/dev/null)\"",
                    quote(&date)
                );
            }
        }
        s.push_str("echo \"id:$(id -u)|$(id -un)|$(id -g)|$(id -gn)|$(id -G)\"\n");
        if let Some(ow) = &self.a.owner {
            let _ = writeln!(
                s,
                "echo \"pw:$(getent passwd -- {} | cut -d: -f1,3)\"",
                quote(ow)
            );
        }
        if let Some(g) = &self.a.group {
            let _ = writeln!(
                s,
                "echo \"gr:$(getent group -- {} | cut -d: -f1,3)\"",
                quote(g)
            );
        }
        let out = run_script(self.ctx, s)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut facts = handler::ZipFacts {
            paths: HashMap::new(),
            crcs,
            times: HashMap::new(),
            umask: probe.umask,
            run_uid: probe.uid,
            run_owner: String::new(),
            run_group: String::new(),
            fut_owner: String::new(),
            fut_uid: probe.uid,
            fut_group: String::new(),
            fut_gid: 0,
            groups: Vec::new(),
            run_gid: 0,
        };
        let mut stats: HashMap<usize, handler::Lstat> = HashMap::new();
        let mut crc_disk: HashMap<usize, u32> = HashMap::new();
        let (mut pw, mut gr) = (None, None);
        for line in text.lines() {
            let Some((tag, v)) = line.split_once(':') else {
                continue;
            };
            if let Some(i) = tag.strip_prefix('S').and_then(|i| i.parse().ok()) {
                if let Some(st) = handler::Lstat::parse(v) {
                    stats.insert(i, st);
                }
            } else if let Some(i) = tag.strip_prefix('K').and_then(|i| i.parse::<usize>().ok()) {
                // The gzip trailer holds the CRC32 little-endian.
                if let Ok(b) = hex::decode(v.trim()) {
                    if b.len() == 4 {
                        crc_disk.insert(i, u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                    }
                }
            } else if let Some(st) = tag.strip_prefix('T') {
                if let Ok(t) = v.trim().parse() {
                    facts.times.insert(st.to_owned(), t);
                }
            } else if tag == "id" {
                let f: Vec<&str> = v.split('|').collect();
                if f.len() == 5 {
                    facts.run_uid = f[0].parse().unwrap_or(facts.run_uid);
                    facts.run_owner = f[1].to_owned();
                    facts.run_gid = f[2].parse().unwrap_or(0);
                    facts.run_group = f[3].to_owned();
                    facts.groups = f[4]
                        .split_whitespace()
                        .filter_map(|g| g.parse().ok())
                        .collect();
                }
            } else if tag == "pw" {
                pw = v
                    .split_once(':')
                    .map(|(n, i)| (n.to_owned(), i.parse().unwrap_or(0)));
            } else if tag == "gr" {
                gr = v
                    .split_once(':')
                    .map(|(n, i)| (n.to_owned(), i.parse().unwrap_or(0)));
            }
        }
        (facts.fut_owner, facts.fut_uid) = pw.unwrap_or((facts.run_owner.clone(), facts.run_uid));
        (facts.fut_group, facts.fut_gid) = gr.unwrap_or((facts.run_group.clone(), facts.run_gid));
        for (i, p) in paths.iter().enumerate() {
            if let Some(st) = stats.remove(&i) {
                facts
                    .paths
                    .insert(p.clone(), (st, crc_disk.get(&i).copied()));
            }
        }
        let c = handler::zip_check(
            &zi.out,
            zi.rc,
            &facts,
            self.a.mode.as_ref(),
            self.a.keep_newer,
            o.exclude,
        );
        Ok(match c.error {
            Some(e) => Err(e),
            None => Ok((c.unarchived, c.diff)),
        })
    }
}

/// A zipinfo `yyyymmdd.hhmmss` stamp as `date -d` text, with the module's clamping.
fn zip_date(stamp: &str) -> Option<String> {
    let b = stamp.as_bytes();
    if b.len() != 15
        || b[8] != b'.'
        || !stamp
            .chars()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit())
    {
        return Some("1980-01-01 00:00:00".into());
    }
    let year: u32 = stamp[..4].parse().ok()?;
    if year < 1980 {
        return Some("1980-01-01 00:00:00".into());
    }
    if year > 2107 {
        return Some("2107-12-31 23:59:59".into());
    }
    Some(format!(
        "{}-{}-{} {}:{}:{}",
        &stamp[..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13],
        &stamp[13..15]
    ))
}

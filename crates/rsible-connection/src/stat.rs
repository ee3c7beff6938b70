use std::fmt::Write as _;

use crate::shell::quote_path;
use crate::{Become, Connection, ConnectionError, ExecRequest};

/// What `stat` found on the target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileStat {
    pub exists: bool,
    pub is_dir: bool,
    pub is_file: bool,
    pub is_link: bool,
    /// Permission bits (`0o644`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub owner: String,
    pub group: String,
    pub size: u64,
    pub mtime: f64,
    /// Link target when `is_link`.
    pub link_target: Option<String>,
    /// sha1 of the content (Ansible's `checksum`), when asked for and a regular file.
    pub checksum: Option<String>,
}

/// One `stat` (plus `sha1sum`) round trip, parsed.
pub(crate) fn stat_via_shell<C: Connection + ?Sized>(
    conn: &C,
    path: &str,
    follow: bool,
    checksum: bool,
    become_: Option<&Become>,
) -> Result<FileStat, ConnectionError> {
    let l = if follow { "-L " } else { "" };
    let q = quote_path(path);
    let mut script = format!(
        "if [ -e {q} ] || [ -L {q} ]; then stat {l}-c '%f|%u|%g|%U|%G|%s|%Y' -- {q}; readlink -- {q} || echo; "
    );
    if checksum {
        let _ = write!(
            script,
            "if [ -f {q} ]; then sha1sum < {q} | cut -d' ' -f1; fi; "
        );
    }
    script.push_str("else echo MISSING; fi");
    let out = conn.exec(&ExecRequest::shell(script).with_become(become_))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("MISSING");
    if first == "MISSING" || out.rc != 0 {
        return Ok(FileStat::default());
    }
    let f: Vec<&str> = first.split('|').collect();
    if f.len() < 7 {
        return Err(ConnectionError::Failed(format!(
            "unexpected stat output: {first}"
        )));
    }
    let raw = u32::from_str_radix(f[0], 16).unwrap_or(0);
    let kind = raw & 0o170_000;
    let link = lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(FileStat {
        exists: true,
        is_dir: kind == 0o040_000,
        is_file: kind == 0o100_000,
        is_link: kind == 0o120_000,
        mode: raw & 0o7777,
        uid: f[1].parse().unwrap_or(0),
        gid: f[2].parse().unwrap_or(0),
        owner: f[3].to_owned(),
        group: f[4].to_owned(),
        size: f[5].parse().unwrap_or(0),
        mtime: f[6].parse().unwrap_or(0.0),
        link_target: link,
        checksum: lines.next().map(str::to_owned),
    })
}

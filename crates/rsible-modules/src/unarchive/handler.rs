//! The module's archive handlers: their command lines, and how each decides whether the
//! archive is already unpacked (`is_unarchived`).

use std::collections::HashMap;

use crate::args::Mode;

/// `ZipArchive`, `ZipZArchive`, `TgzArchive`, `TarArchive`, `TarBzipArchive`,
/// `TarXzArchive`, `TarZstdArchive`, tried in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Zip,
    ZipZ,
    Tgz,
    Tar,
    TarBzip,
    TarXz,
    TarZstd,
}

pub(crate) const TAR_KINDS: [Kind; 5] = [
    Kind::Tgz,
    Kind::Tar,
    Kind::TarBzip,
    Kind::TarXz,
    Kind::TarZstd,
];

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Zip => "ZipArchive",
            Kind::ZipZ => "ZipZArchive",
            Kind::Tgz => "TgzArchive",
            Kind::Tar => "TarArchive",
            Kind::TarBzip => "TarBzipArchive",
            Kind::TarXz => "TarXzArchive",
            Kind::TarZstd => "TarZstdArchive",
        }
    }

    pub(crate) fn is_zip(self) -> bool {
        matches!(self, Kind::Zip | Kind::ZipZ)
    }

    /// tar's compression flag.
    fn zipflag(self) -> &'static str {
        match self {
            Kind::Tgz => "-z",
            Kind::TarBzip => "-j",
            Kind::TarXz => "-J",
            Kind::TarZstd => "--use-compress-program=zstd",
            _ => "",
        }
    }
}

/// The options every handler command shares.
pub(crate) struct Opts<'a> {
    pub extra_opts: &'a [String],
    pub exclude: &'a [String],
    pub include: &'a [String],
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
    pub keep_newer: bool,
}

/// `tar --list|--diff|--extract …` as the handler builds it.
pub(crate) fn tar_cmd(
    tar: &str,
    verb: &str,
    kind: Kind,
    dest: &str,
    src: &str,
    o: &Opts<'_>,
) -> Vec<String> {
    let mut c = vec![
        tar.to_owned(),
        verb.to_owned(),
        "-C".to_owned(),
        dest.to_owned(),
    ];
    if !kind.zipflag().is_empty() {
        c.push(kind.zipflag().to_owned());
    }
    if !o.extra_opts.is_empty() {
        c.push("--show-transformed-names".to_owned());
        c.extend(o.extra_opts.iter().cloned());
    }
    if verb != "--list" {
        if let Some(owner) = o.owner {
            c.push(format!(
                "--owner={}",
                rsible_connection::shell::quote(owner)
            ));
        }
        if let Some(group) = o.group {
            c.push(format!(
                "--group={}",
                rsible_connection::shell::quote(group)
            ));
        }
        if o.keep_newer {
            c.push("--keep-newer-files".to_owned());
        }
    }
    c.extend(
        o.exclude
            .iter()
            .map(|e| format!("--exclude={}", e.trim_end_matches('/'))),
    );
    c.push("-f".to_owned());
    c.push(src.to_owned());
    c.extend(o.include.iter().cloned());
    c
}

/// `zipinfo [-Zl] -T -s src [-x excludes] [includes]`.
pub(crate) fn zipinfo_cmd(zipinfo: &str, kind: Kind, src: &str, o: &Opts<'_>) -> Vec<String> {
    let mut c = vec![zipinfo.to_owned()];
    if kind == Kind::ZipZ {
        c.push("-Zl".to_owned());
    }
    c.extend(["-T".to_owned(), "-s".to_owned(), src.to_owned()]);
    if !o.exclude.is_empty() {
        c.push("-x".to_owned());
        c.extend(o.exclude.iter().cloned());
    }
    c.extend(o.include.iter().cloned());
    c
}

/// `unzip -o [opts] src [-x excludes] [includes] -d dest`.
pub(crate) fn unzip_cmd(unzip: &str, src: &str, dest: &str, o: &Opts<'_>) -> Vec<String> {
    let mut c = vec![unzip.to_owned(), "-o".to_owned()];
    c.extend(o.extra_opts.iter().cloned());
    c.push(src.to_owned());
    if !o.exclude.is_empty() {
        c.push("-x".to_owned());
        c.extend(o.exclude.iter().cloned());
    }
    c.extend(o.include.iter().cloned());
    c.extend(["-d".to_owned(), dest.to_owned()]);
    c
}

/// `TgzArchive.is_unarchived`: the `tar --diff` lines that count as a difference.
pub(crate) fn tar_differences(
    out: &str,
    err: &str,
    root: bool,
    o: &Opts<'_>,
    mode: bool,
) -> String {
    let mut found = String::new();
    for line in out.lines().chain(err.lines()) {
        if line.ends_with(": : Warning: Cannot stat: No such file or directory") {
            continue;
        }
        let mut hit = |cond: bool| {
            if cond {
                found.push_str(line);
                found.push('\n');
            }
        };
        hit(root && o.owner.is_none() && line.ends_with(": Uid differs"));
        hit(root && o.group.is_none() && line.ends_with(": Gid differs"));
        hit(!mode && line.ends_with(": Mode differs"));
        for end in [
            ": Mod time differs",
            ": Warning: Cannot stat: No such file or directory",
            ": Symlink differs",
            ": Contents differ",
            ": Size differs",
        ] {
            hit(line.ends_with(end));
        }
        hit(line.contains(": Invalid owner"));
        hit(line.contains(": Invalid group"));
    }
    found
}

/// Python's `codecs.escape_decode` of one `tar --list` line (tar escapes odd bytes as `\ooo`).
pub(crate) fn escape_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push((v & 0xff) as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One path under dest as `stat -c '%f|%u|%g|%U|%G|%s|%Y'` saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Lstat {
    pub kind: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// `None` when the id has no name (`UNKNOWN` from stat).
    pub owner: Option<String>,
    pub group: Option<String>,
    pub size: u64,
    pub mtime: i64,
}

impl Lstat {
    pub(crate) fn parse(line: &str) -> Option<Lstat> {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() < 7 {
            return None;
        }
        let raw = u32::from_str_radix(f[0], 16).ok()?;
        let name = |s: &str| (s != "UNKNOWN").then(|| s.to_owned());
        Some(Lstat {
            kind: raw & 0o170_000,
            mode: raw & 0o7777,
            uid: f[1].parse().ok()?,
            gid: f[2].parse().ok()?,
            owner: name(f[3]),
            group: name(f[4]),
            size: f[5].parse().unwrap_or(0),
            mtime: f[6].parse().unwrap_or(0),
        })
    }
}

/// What `ZipArchive.is_unarchived` needs besides the zipinfo listing.
pub(crate) struct ZipFacts {
    /// lstat and (regular files) CRC32 of every listed path under dest.
    pub paths: HashMap<String, (Lstat, Option<u32>)>,
    /// CRC32 of every archive member.
    pub crcs: HashMap<String, u32>,
    /// `time.mktime` of every zipinfo timestamp, on the target.
    pub times: HashMap<String, i64>,
    pub umask: u32,
    pub run_uid: u32,
    pub run_owner: String,
    pub run_group: String,
    pub fut_owner: String,
    pub fut_uid: u32,
    pub fut_group: String,
    pub fut_gid: u32,
    pub groups: Vec<u32>,
    pub run_gid: u32,
}

pub(crate) struct ZipCheck {
    pub unarchived: bool,
    pub diff: String,
    /// `UnarchiveError` text: the module stops there.
    pub error: Option<String>,
}

/// The listed paths a zipinfo listing names, in order (lines of 8 fields that look like
/// member entries).
pub(crate) fn zipinfo_paths(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| zip_line(l).map(|z| z.path))
        .collect()
}

struct ZipLine {
    ztype: char,
    permstr: String,
    size: u64,
    stamp: String,
    path: String,
}

fn zip_line(line: &str) -> Option<ZipLine> {
    let mut rest = line.trim_start();
    let mut pcs = Vec::new();
    for _ in 0..7 {
        let end = rest.find(char::is_whitespace)?;
        pcs.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    if rest.is_empty() {
        return None;
    }
    let (perm, stamp) = (pcs[0], pcs[6]);
    if ![7, 8, 10].contains(&perm.len()) || stamp.len() != 15 {
        return None;
    }
    let ztype = perm.chars().next()?;
    if !"dl-?".contains(ztype) || !perm[1..].chars().all(|c| "rwxstah-".contains(c)) {
        return None;
    }
    Some(ZipLine {
        ztype,
        permstr: perm[1..].to_owned(),
        size: pcs[3].parse().ok()?,
        stamp: stamp.to_owned(),
        path: rest.to_owned(),
    })
}

/// `_permstr_to_octal`.
fn permstr_to_octal(s: &str, umask: u32) -> u32 {
    let rev: Vec<char> = s.chars().rev().collect();
    let mut mode = 0;
    for j in 0..3 {
        for i in 0..3 {
            if rev.get(i + 3 * j).is_some_and(|c| "rwxst".contains(*c)) {
                mode += 1 << (i + 3 * j);
            }
        }
    }
    mode & !umask
}

/// `ZipArchive.is_unarchived`, over the zipinfo listing and what the target reported.
pub(crate) fn zip_check(
    listing: &str,
    rc: i32,
    f: &ZipFacts,
    mode: Option<&Mode>,
    keep_newer: bool,
    excludes: &[String],
) -> ZipCheck {
    let mut unarchived = rc == 0;
    let mut includes: Vec<String> = Vec::new();
    let mut diff = String::new();
    let error = |e: String| ZipCheck {
        unarchived: false,
        diff: String::new(),
        error: Some(e),
    };
    for line in listing.lines() {
        let Some(z) = zip_line(line) else {
            continue;
        };
        let path = z.path.clone();
        if excludes.contains(&path) {
            continue;
        }
        let ftype = if path.ends_with('/') {
            'd'
        } else if z.ztype == 'l' {
            'L'
        } else {
            'f'
        };
        let (permstr, file_umask) = match z.permstr.len() {
            6 => {
                let p = if path.ends_with('/') || z.permstr == "rwx---" {
                    "rwxrwxrwx"
                } else {
                    "rw-rw-rw-"
                };
                (p.to_owned(), f.umask)
            }
            7 => {
                let p = if z.permstr == "rwxa---" {
                    "rwxrwxrwx"
                } else {
                    "rw-rw-rw-"
                };
                (p.to_owned(), f.umask)
            }
            _ => (z.permstr.clone(), 0),
        };
        // ZIP_FILE_MODE_RE: `([r-][w-][SsTtx-]){3}`.
        let perm_ok = permstr.len() == 9
            && permstr.as_bytes().chunks(3).all(|t| {
                matches!(t[0], b'r' | b'-')
                    && matches!(t[1], b'w' | b'-')
                    && b"SsTtx-".contains(&t[2])
            });
        if !perm_ok {
            return error(format!("ZIP info perm format incorrect, {permstr}"));
        }
        let Some((st, crc)) = f.paths.get(&path) else {
            includes.push(path.clone());
            diff.push_str(&format!(">{ftype}++++++.?? {path}\n"));
            continue;
        };
        let is_dir = st.kind == 0o040_000;
        let is_reg = st.kind == 0o100_000;
        let is_lnk = st.kind == 0o120_000;
        if (ftype == 'd' && !is_dir) || (ftype == 'f' && !is_reg) || (ftype == 'L' && !is_lnk) {
            if ftype == 'f' {
                unarchived = false;
            }
            includes.push(path.clone());
            diff.push_str(&format!("c{ftype}++++++.?? {path}\n"));
            continue;
        }
        let mut itemized: Vec<char> = format!(".{ftype}.......??").chars().collect();
        let mut change = false;
        let timestamp = f.times.get(&z.stamp).copied().unwrap_or(i64::MIN);
        if is_reg {
            if keep_newer {
                if timestamp > st.mtime {
                    change = true;
                    includes.push(path.clone());
                    itemized[4] = 't';
                } else if timestamp < st.mtime {
                    continue;
                }
            } else if timestamp != st.mtime {
                change = true;
                includes.push(path.clone());
                itemized[4] = 't';
            }
            if z.size != st.size {
                change = true;
                itemized[3] = 's';
            }
            if *crc != f.crcs.get(&path).copied() {
                change = true;
                itemized[2] = 'c';
            }
        }
        if ftype != 'L' {
            let want = match mode {
                Some(m) => match m.resolve(st.mode, is_dir) {
                    Ok(w) => w,
                    Err(e) => return error(e),
                },
                None if z.ztype == '?' => permstr_to_octal(&permstr, 0),
                None => permstr_to_octal(&permstr, file_umask),
            };
            if want != st.mode {
                change = true;
                itemized[5] = 'p';
            }
        }
        if f.run_uid != 0 && (f.fut_owner != f.run_owner || f.fut_uid != f.run_uid) {
            return error(format!(
                "Cannot change ownership of {path} to {}, as user {}",
                f.fut_owner, f.run_owner
            ));
        }
        match &st.owner {
            Some(o) if *o != f.fut_owner => {
                change = true;
                itemized[6] = 'o';
            }
            None if st.uid != 0 && st.uid != f.fut_uid => {
                change = true;
                itemized[6] = 'o';
            }
            _ => {}
        }
        if f.run_uid != 0
            && (f.fut_group != f.run_group || f.fut_gid != f.run_gid)
            && !f.groups.contains(&f.fut_gid)
        {
            return error(format!(
                "Cannot change group ownership of {path} to {}, as user {}",
                f.fut_group, f.run_owner
            ));
        }
        match &st.group {
            Some(g) if *g != f.fut_group => {
                change = true;
                itemized[6] = 'g';
            }
            None if st.gid != 0 && st.gid != f.fut_gid => {
                change = true;
                itemized[6] = 'g';
            }
            _ => {}
        }
        if change {
            if !includes.contains(&path) {
                includes.push(path.clone());
            }
            diff.push_str(&format!("{} {path}\n", itemized.iter().collect::<String>()));
        }
    }
    if !includes.is_empty() {
        unarchived = false;
    }
    ZipCheck {
        unarchived,
        diff,
        error: None,
    }
}

/// The CRC32 column of `unzip -v`, by member name.
pub(crate) fn unzip_v_crcs(listing: &str) -> HashMap<String, u32> {
    let mut m = HashMap::new();
    for line in listing.lines() {
        let mut rest = line.trim_start();
        let mut pcs = Vec::new();
        for _ in 0..7 {
            let Some(end) = rest.find(char::is_whitespace) else {
                break;
            };
            pcs.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        if pcs.len() != 7 || rest.is_empty() || pcs[6].len() != 8 {
            continue;
        }
        if let Ok(crc) = u32::from_str_radix(pcs[6], 16) {
            if pcs[0].chars().all(|c| c.is_ascii_digit()) {
                m.insert(rest.to_owned(), crc);
            }
        }
    }
    m
}

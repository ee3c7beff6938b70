//! `find`: the files of the target's directories that match criteria.
//!
//! ```yaml
//! - find: { paths: /var/log, patterns: '*.gz', age: 2w, recurse: true }
//!   register: old_logs
//! ```
//!
//! One script lists every path with find(1) (`-printf`: the `lstat` fields the module returns,
//! the followed type that puts an entry among `os.walk`'s directories, readability), and the
//! controller replays the module's `os.walk` over that listing: the same order (each
//! directory's files, then its directories, in directory order, depth first), the same
//! `examined` count, `depth`/`limit`/`hidden` rules and skipped paths. Only when `contains` or
//! `get_checksum` asks for them, a second script fetches the candidates' contents or digests.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::args::{symbolic_to_octal, ArgSpec};
use crate::params::Params;
use crate::synchronize::cmd::normpath;
use crate::target::file_state::join;
use crate::target::script::{expand_path, run_script};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "find",
    ArgSpec::new(
        "find",
        &[
            "age",
            "age_stamp",
            "checksum_algorithm",
            "contains",
            "depth",
            "encoding",
            "exact_mode",
            "excludes",
            "file_type",
            "follow",
            "get_checksum",
            "hidden",
            "limit",
            "mode",
            "paths",
            "patterns",
            "read_whole_file",
            "recurse",
            "size",
            "use_regex",
            "checksum",
            "checksum_algo",
            "exclude",
            "name",
            "path",
            "pattern",
        ],
    )
    .aliases(&[
        "checksum",
        "checksum_algo",
        "exclude",
        "name",
        "path",
        "pattern",
    ]),
);

pub(crate) struct Find;
pub(crate) static FIND: Find = Find;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileType {
    Any,
    Directory,
    File,
    Link,
}

/// The criteria, as the module holds them after its own checks.
#[derive(Debug)]
struct Args {
    paths: Vec<String>,
    patterns: Vec<String>,
    excludes: Vec<String>,
    contains: Option<String>,
    read_whole_file: bool,
    file_type: FileType,
    age: Option<i64>,
    age_stamp: String,
    size: Option<i64>,
    recurse: bool,
    hidden: bool,
    follow: bool,
    get_checksum: bool,
    checksum_algorithm: String,
    use_regex: bool,
    depth: Option<i64>,
    mode: Option<String>,
    exact_mode: bool,
    encoding: Option<String>,
    limit: Option<i64>,
}

/// `^(-?\d+)(units)?$` of the lowered text, times the unit.
fn scaled(text: &str, units: &[(char, i64)]) -> Option<i64> {
    let t = text.to_lowercase();
    let (num, mult) = match t.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => {
            let (_, m) = units.iter().find(|(u, _)| *u == c)?;
            (&t[..t.len() - 1], *m)
        }
        _ => (t.as_str(), 1),
    };
    let digits = num.strip_prefix('-').unwrap_or(num);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<i64>().ok().map(|n| n.saturating_mul(mult))
}

fn read_args(
    args: &serde_json::Map<String, Value>,
) -> Result<Result<Args, ResultMap>, ModuleError> {
    let mut p = Params::new(
        &INFO.args,
        args,
        &[
            ("name", "paths"),
            ("path", "paths"),
            ("pattern", "patterns"),
            ("exclude", "excludes"),
            ("checksum", "checksum_algorithm"),
            ("checksum_algo", "checksum_algorithm"),
        ],
    )?;
    p.required("paths");
    let paths = p.list("paths").unwrap_or_default();
    let patterns = p.list("patterns").unwrap_or_default();
    let excludes = p.list("excludes").unwrap_or_default();
    let contains = p.str("contains");
    let read_whole_file = p.bool("read_whole_file").unwrap_or(false);
    let file_type = p.choice("file_type", &["any", "directory", "file", "link"]);
    let age = p.str("age");
    let age_stamp = p.choice("age_stamp", &["atime", "ctime", "mtime"]);
    let size = p.str("size");
    let recurse = p.bool("recurse").unwrap_or(false);
    let hidden = p.bool("hidden").unwrap_or(false);
    let follow = p.bool("follow").unwrap_or(false);
    let get_checksum = p.bool("get_checksum").unwrap_or(false);
    let checksum_algorithm = p.choice(
        "checksum_algorithm",
        &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"],
    );
    let use_regex = p.bool("use_regex").unwrap_or(false);
    let depth = p.int("depth");
    let exact_mode = p.bool("exact_mode").unwrap_or(true);
    let encoding = p.str("encoding");
    let limit = p.int("limit");
    if let Some(e) = p.error() {
        return Ok(Err(failed(e)));
    }
    let mode = match args.get("mode") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            let kind = match other {
                Value::Bool(_) => "bool",
                Value::Number(n) if n.is_f64() => "float",
                Value::Number(_) => "int",
                Value::Array(_) => "list",
                _ => "dict",
            };
            return Ok(Err(failed(format!(
                "argument 'mode' is not a string and conversion is not allowed, value is of type {kind}"
            ))));
        }
    };
    let age = match age {
        None => None,
        Some(a) => match scaled(
            &a,
            &[
                ('s', 1),
                ('m', 60),
                ('h', 3600),
                ('d', 86400),
                ('w', 604_800),
            ],
        ) {
            Some(n) => Some(n),
            None => {
                let mut r = failed("failed to process age");
                r.insert("age".into(), json!(a));
                return Ok(Err(r));
            }
        },
    };
    let size = match size {
        None => None,
        Some(s) => match scaled(
            &s,
            &[
                ('b', 1),
                ('k', 1 << 10),
                ('m', 1 << 20),
                ('g', 1 << 30),
                ('t', 1 << 40),
            ],
        ) {
            Some(n) => Some(n),
            None => {
                let mut r = failed("failed to process size");
                r.insert("size".into(), json!(s));
                return Ok(Err(r));
            }
        },
    };
    if let Some(l) = limit.filter(|l| *l <= 0) {
        return Ok(Err(failed(format!(
            "limit cannot be {l} (use None for unlimited)"
        ))));
    }
    let file_type = match file_type.as_deref() {
        Some("any") => FileType::Any,
        Some("directory") => FileType::Directory,
        Some("link") => FileType::Link,
        _ => FileType::File,
    };
    Ok(Ok(Args {
        paths,
        patterns,
        excludes,
        contains,
        read_whole_file,
        file_type,
        age,
        age_stamp: age_stamp.unwrap_or_else(|| "mtime".into()),
        size,
        recurse,
        hidden,
        follow,
        get_checksum,
        checksum_algorithm: checksum_algorithm.unwrap_or_else(|| "sha1".into()),
        use_regex,
        depth,
        mode,
        exact_mode,
        encoding,
        limit,
    }))
}

impl Module for Find {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut a = match read_args(args)? {
            Ok(a) => a,
            Err(r) => return Ok(r.into()),
        };
        for p in &mut a.paths {
            *p = expand_path(ctx, p)?;
        }
        run(ctx, &a).map(ModuleOutput::from)
    }
}

/// One entry as find(1) printed it: `lstat` fields, and what `os.walk` needs.
#[derive(Clone, Debug, Default, PartialEq)]
struct Entry {
    /// Relative to the searched path (`%P`).
    rel: String,
    /// find's own path (`%p`), to pair a followed link with its `lstat`.
    found: String,
    /// `lstat` type letter (`%y`: f d l b c p s).
    kind: char,
    /// `entry.is_dir()`: a directory, links followed.
    is_dir: bool,
    readable: bool,
    mode: u32,
    uid: u64,
    gid: u64,
    size: i64,
    inode: u64,
    dev: u64,
    nlink: u64,
    atime: (i64, u32),
    mtime: (i64, u32),
    ctime: (i64, u32),
    pw_name: String,
    gr_name: String,
}

/// The fields of a record, find's `-printf` of [`FIELDS`].
const FIELDS: &str = "%y/%Y/%m/%U/%G/%s/%i/%D/%n/%A@/%T@/%C@/%u/%g";

/// `%A@`: seconds and ten fraction digits.
fn stamp(s: &str) -> (i64, u32) {
    let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut ns: String = frac.chars().take(9).collect();
    while ns.len() < 9 {
        ns.push('0');
    }
    (sec.parse().unwrap_or(0), ns.parse().unwrap_or(0))
}

/// Python's `st_mtime`: seconds plus nanoseconds times 1e-9, in double precision.
fn py_time(t: (i64, u32)) -> f64 {
    t.0 as f64 + f64::from(t.1) * 1e-9
}

fn parse_fields(tag_and_fields: &str) -> Option<Entry> {
    let f: Vec<&str> = tag_and_fields.splitn(14, '/').collect();
    if f.len() < 14 {
        return None;
    }
    let name_or_empty = |name: &str, id: &str| {
        if name == id && name.bytes().all(|b| b.is_ascii_digit()) {
            String::new()
        } else {
            name.to_owned()
        }
    };
    Some(Entry {
        kind: f[0].chars().next().unwrap_or('U'),
        is_dir: f[1] == "d",
        mode: u32::from_str_radix(f[2], 8).unwrap_or(0),
        uid: f[3].parse().unwrap_or(0),
        gid: f[4].parse().unwrap_or(0),
        size: f[5].parse().unwrap_or(0),
        inode: f[6].parse().unwrap_or(0),
        dev: f[7].parse().unwrap_or(0),
        nlink: f[8].parse().unwrap_or(0),
        atime: stamp(f[9]),
        mtime: stamp(f[10]),
        ctime: stamp(f[11]),
        pw_name: name_or_empty(f[12], f[3]),
        gr_name: name_or_empty(f[13], f[4]),
        ..Entry::default()
    })
}

/// What the listing of one searched path gave.
#[derive(Debug, Default)]
struct Listing {
    /// `os.path.isdir(path)` was false.
    not_dir: bool,
    /// The path itself could not be listed.
    unreadable: bool,
    entries: Vec<Entry>,
}

/// The listing script: the target's time, then per path a `B` record, its entries and `E`.
fn list_script(a: &Args) -> String {
    let mut s = String::from("LC_ALL=C; export LC_ALL\nprintf 'now:%s\\0' \"$(date +%s.%N)\"\n");
    for path in &a.paths {
        let maxdepth = if !a.recurse {
            1
        } else {
            match a.depth.filter(|d| *d != 0) {
                // Python's depth counts separators of the normalised path against the given
                // one, which can lag the real depth: list deep enough for any of it.
                Some(d) => d.max(0) + 2 + path.matches('/').count() as i64,
                None => 0,
            }
        };
        let max = if maxdepth > 0 {
            format!(" -maxdepth {maxdepth}")
        } else {
            String::new()
        };
        let opt = if a.follow { "-L" } else { "-P" };
        let _ = writeln!(s, "p={}\nprintf 'B\\0'", quote(path));
        let _ = writeln!(
            s,
            "if [ ! -d \"$p\" ]; then printf 'N\\0'\n\
             elif [ ! -r \"$p\" ]; then printf 'U\\0'\n\
             else find {opt} \"$p\" -mindepth 1{max} \\( -readable -printf 'R/{FIELDS}\\0%P\\0%p\\0' -o -printf 'X/{FIELDS}\\0%P\\0%p\\0' \\) 2>/dev/null"
        );
        if a.follow {
            // Under -L find reports a link's target; the module lstat()s the link itself.
            let _ = writeln!(
                s,
                "find -L \"$p\" -mindepth 1{max} -xtype l -exec find -P {{}} -maxdepth 0 -printf 'S/{FIELDS}\\0%p\\0' \\; 2>/dev/null"
            );
        }
        s.push_str("fi\nprintf 'E\\0'\n");
    }
    s
}

fn parse_listing(out: &[u8]) -> (f64, Vec<Listing>) {
    let text = String::from_utf8_lossy(out);
    let mut items = text.split('\0');
    let mut now = 0.0;
    let mut listings = Vec::new();
    let mut links: HashMap<String, Entry> = HashMap::new();
    while let Some(item) = items.next() {
        if let Some(t) = item.strip_prefix("now:") {
            now = t.parse().unwrap_or(0.0);
        } else if item == "B" {
            listings.push(Listing::default());
        } else if item == "N" {
            if let Some(l) = listings.last_mut() {
                l.not_dir = true;
            }
        } else if item == "U" {
            if let Some(l) = listings.last_mut() {
                l.unreadable = true;
            }
        } else if let Some(fields) = item.strip_prefix("S/") {
            let found = items.next().unwrap_or_default().to_owned();
            if let Some(e) = parse_fields(fields) {
                links.insert(found, e);
            }
        } else if let Some((tag, fields)) = item.split_once('/') {
            let rel = items.next().unwrap_or_default().to_owned();
            let found = items.next().unwrap_or_default().to_owned();
            if let (Some(mut e), Some(l)) = (parse_fields(fields), listings.last_mut()) {
                e.readable = tag == "R";
                e.rel = rel;
                e.found = found;
                l.entries.push(e);
            }
        }
    }
    if !links.is_empty() {
        for l in &mut listings {
            for e in &mut l.entries {
                if let Some(s) = links.get(&e.found) {
                    let (rel, found, is_dir, readable) = (
                        std::mem::take(&mut e.rel),
                        std::mem::take(&mut e.found),
                        e.is_dir,
                        e.readable,
                    );
                    *e = Entry {
                        rel,
                        found,
                        is_dir,
                        readable,
                        ..s.clone()
                    };
                }
            }
        }
    }
    (now, listings)
}

/// `pfilter`: a pattern matches the name and no exclude does.
fn pfilter(name: &str, a: &Args, patterns: &[String]) -> Result<bool, String> {
    let matches = |p: &str| -> Result<bool, String> {
        if a.use_regex {
            let re = crate::pyregex::compile_with(p, true, false, false)?;
            Ok(re.find(name.as_bytes()).is_some_and(|m| m.start() == 0))
        } else {
            Ok(crate::util::fnmatch(name, p))
        }
    };
    for p in patterns {
        if matches(p)? {
            for e in &a.excludes {
                if matches(e)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn agefilter(e: &Entry, now: f64, a: &Args) -> bool {
    let Some(age) = a.age else {
        return true;
    };
    let t = match a.age_stamp.as_str() {
        "atime" => e.atime,
        "ctime" => e.ctime,
        _ => e.mtime,
    };
    let elapsed = now - py_time(t);
    let limit = age.unsigned_abs() as f64;
    if age >= 0 {
        elapsed >= limit
    } else {
        elapsed <= limit
    }
}

fn sizefilter(e: &Entry, a: &Args) -> bool {
    match a.size {
        None => true,
        Some(s) if s >= 0 => e.size >= s,
        Some(s) => e.size <= s.abs(),
    }
}

/// `mode_filter`: octal text, else symbolic applied to 0.
fn mode_filter(e: &Entry, a: &Args) -> Result<bool, String> {
    let Some(m) = a.mode.as_deref().filter(|m| !m.is_empty()) else {
        return Ok(true);
    };
    let t = m.trim();
    let octal = t
        .strip_prefix("0o")
        .or_else(|| t.strip_prefix("0O"))
        .unwrap_or(t);
    let want = match u32::from_str_radix(octal.trim_start_matches('+'), 8) {
        Ok(v) if !octal.is_empty() => v,
        _ => symbolic_to_octal(m, 0, false, 0o022)?,
    } & 0o7777;
    Ok(if a.exact_mode {
        e.mode == want
    } else {
        e.mode & want != 0
    })
}

/// `statinfo`: the stat-like keys of a match.
fn statinfo(r: &mut ResultMap, e: &Entry) {
    let m = e.mode;
    let is = |c: char| json!(e.kind == c);
    r.insert("mode".into(), json!(format!("{m:04o}")));
    r.insert("isdir".into(), is('d'));
    r.insert("ischr".into(), is('c'));
    r.insert("isblk".into(), is('b'));
    r.insert("isreg".into(), is('f'));
    r.insert("isfifo".into(), is('p'));
    r.insert("islnk".into(), is('l'));
    r.insert("issock".into(), is('s'));
    r.insert("uid".into(), json!(e.uid));
    r.insert("gid".into(), json!(e.gid));
    r.insert("size".into(), json!(e.size));
    r.insert("inode".into(), json!(e.inode));
    r.insert("dev".into(), json!(e.dev));
    r.insert("nlink".into(), json!(e.nlink));
    r.insert("atime".into(), json!(py_time(e.atime)));
    r.insert("mtime".into(), json!(py_time(e.mtime)));
    r.insert("ctime".into(), json!(py_time(e.ctime)));
    r.insert("gr_name".into(), json!(e.gr_name));
    r.insert("pw_name".into(), json!(e.pw_name));
    let bit = |b: u32| json!(m & b != 0);
    for (k, b) in [
        ("wusr", 0o200),
        ("rusr", 0o400),
        ("xusr", 0o100),
        ("wgrp", 0o020),
        ("rgrp", 0o040),
        ("xgrp", 0o010),
        ("woth", 0o002),
        ("roth", 0o004),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        r.insert(k.into(), bit(b));
    }
}

/// What the second script learnt about candidate files, by their path.
#[derive(Debug, Default)]
struct Fetched {
    /// The content; `None` when the file could not be read.
    content: HashMap<String, Option<Vec<u8>>>,
    checksum: HashMap<String, String>,
}

/// `contentfilter`: `re.match` on each line, or `re.search` on the whole text.
fn contentfilter(path: &str, a: &Args, fetched: &Fetched) -> Result<bool, String> {
    let Some(pattern) = a.contains.as_deref() else {
        return Ok(true);
    };
    let Some(Some(data)) = fetched.content.get(path) else {
        return Ok(false);
    };
    let enc = a
        .encoding
        .as_deref()
        .map(|e| e.to_ascii_lowercase().replace('_', "-"));
    let (text, bad) = match enc.as_deref() {
        None | Some("utf-8" | "utf8" | "u8" | "utf") => match std::str::from_utf8(data) {
            Ok(t) => (t.to_owned(), false),
            Err(e) => (
                String::from_utf8_lossy(&data[..e.valid_up_to()]).into_owned(),
                true,
            ),
        },
        Some("latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1") => {
            (data.iter().map(|&b| char::from(b)).collect(), false)
        }
        Some("ascii" | "us-ascii") => match data.iter().position(|b| !b.is_ascii()) {
            None => (String::from_utf8_lossy(data).into_owned(), false),
            Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), true),
        },
        Some(_) => {
            return Err(format!(
                "unknown encoding: {}",
                a.encoding.as_deref().unwrap_or_default()
            ))
        }
    };
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let decode_error = || {
        format!(
            "Failed to read the file {path} due to an encoding error. current encoding: {}",
            a.encoding
                .as_deref()
                .unwrap_or("None (default determined by the Python built-in function \"open\")")
        )
    };
    if a.read_whole_file {
        if bad {
            return Err(decode_error());
        }
        let re = crate::pyregex::compile_with(pattern, true, false, false)?;
        return Ok(re.is_match(text.as_bytes()));
    }
    let re = crate::pyregex::compile_with(pattern, true, true, false)?;
    let found = text
        .split_inclusive('\n')
        .any(|line| re.find(line.as_bytes()).is_some_and(|m| m.start() == 0));
    if !found && bad {
        return Err(decode_error());
    }
    Ok(found)
}

/// The replay of the module's walk over the listings.
struct Walk<'a> {
    a: &'a Args,
    now: f64,
    patterns: Vec<String>,
    fetched: &'a Fetched,
    files: Vec<Value>,
    looked: usize,
    skipped: serde_json::Map<String, Value>,
    warnings: Vec<String>,
    msg: &'static str,
    /// Every path a filter passed before `contains`/checksum: the second script's work.
    candidates: Vec<(String, bool)>,
}

impl Walk<'_> {
    fn limit_reached(&self) -> bool {
        self.a
            .limit
            .is_some_and(|l| i64::try_from(self.files.len()).is_ok_and(|n| n == l))
    }

    /// One searched path; `Err` is the exception that skips the rest of it.
    fn path(&mut self, npath: &str, listing: &Listing) -> Result<(), String> {
        if listing.not_dir {
            return Err(format!("'{npath}' is not a directory"));
        }
        if listing.unreadable {
            self.skipped.insert(
                npath.to_owned(),
                json!(format!(
                    "[Errno 13] Permission denied: {}",
                    py_repr(&json!(npath))
                )),
            );
            return Ok(());
        }
        let mut children: HashMap<&str, Vec<&Entry>> = HashMap::new();
        for e in &listing.entries {
            let parent = e.rel.rfind('/').map_or("", |i| &e.rel[..i]);
            children.entry(parent).or_default().push(e);
        }
        let wpath = format!("{}/", npath.trim_end_matches('/'));
        let wdepth = wpath.matches('/').count() as i64;
        // os.walk, top-down: (root, its relative path), depth first.
        let mut stack: Vec<(String, String)> = vec![(npath.to_owned(), String::new())];
        while let Some((root, rel)) = stack.pop() {
            let entries = children.get(rel.as_str()).cloned().unwrap_or_default();
            let (dirs, files): (Vec<&Entry>, Vec<&Entry>) =
                entries.into_iter().partition(|e| e.is_dir);
            self.looked += dirs.len() + files.len();
            let mut descend = true;
            for e in files.iter().chain(dirs.iter()) {
                let name = e.rel.rsplit('/').next().unwrap_or_default();
                let fsname = normpath(&join(&root, name));
                if let Some(d) = self.a.depth.filter(|d| *d != 0) {
                    let depth = fsname.matches('/').count() as i64 - wdepth + 1;
                    if depth > d {
                        descend = false;
                        continue;
                    }
                }
                if name.starts_with('.') && !self.a.hidden {
                    continue;
                }
                self.entry(e, name, &fsname)?;
                if self.limit_reached() {
                    self.msg = "Limit of matches reached";
                    break;
                }
            }
            if !self.a.recurse || self.limit_reached() {
                break;
            }
            if descend {
                for d in dirs.iter().rev() {
                    if !self.a.follow && d.kind == 'l' {
                        continue;
                    }
                    let name = d.rel.rsplit('/').next().unwrap_or_default();
                    let sub = join(&root, name);
                    if !d.readable {
                        self.skipped.insert(
                            sub.clone(),
                            json!(format!(
                                "[Errno 13] Permission denied: {}",
                                py_repr(&json!(sub))
                            )),
                        );
                        continue;
                    }
                    stack.push((sub, d.rel.clone()));
                }
            }
        }
        Ok(())
    }

    fn entry(&mut self, e: &Entry, name: &str, fsname: &str) -> Result<(), String> {
        let a = self.a;
        let common = |w: &Self| -> Result<bool, String> {
            Ok(pfilter(name, a, &w.patterns)? && agefilter(e, w.now, a) && mode_filter(e, a)?)
        };
        let mut r = ResultMap::new();
        r.insert("path".into(), json!(fsname));
        let wanted = match (a.file_type, e.kind) {
            (FileType::Any, _) | (FileType::Directory, 'd') | (FileType::Link, 'l') => {
                common(self)?
            }
            (FileType::File, 'f') => {
                pfilter(name, a, &self.patterns)? && agefilter(e, self.now, a) && sizefilter(e, a)
            }
            _ => false,
        };
        if !wanted {
            return Ok(());
        }
        match (a.file_type, e.kind) {
            (FileType::Any, kind) => {
                statinfo(&mut r, e);
                if kind == 'f' && a.get_checksum {
                    self.candidates.push((fsname.to_owned(), false));
                    r.insert("checksum".into(), self.checksum(fsname));
                }
                if kind != 'f' || sizefilter(e, a) {
                    self.files.push(Value::Object(r));
                }
            }
            (FileType::File, _) => {
                if a.contains.is_some() || a.get_checksum {
                    self.candidates
                        .push((fsname.to_owned(), a.contains.is_some()));
                }
                if contentfilter(fsname, a, self.fetched)? && mode_filter(e, a)? {
                    statinfo(&mut r, e);
                    if a.get_checksum {
                        r.insert("checksum".into(), self.checksum(fsname));
                    }
                    self.files.push(Value::Object(r));
                }
            }
            _ => {
                statinfo(&mut r, e);
                self.files.push(Value::Object(r));
            }
        }
        Ok(())
    }

    fn checksum(&self, path: &str) -> Value {
        self.fetched
            .checksum
            .get(path)
            .map_or(Value::Null, |c| json!(c))
    }
}

/// Replays the walk of every path; with `fetched` empty it still collects the candidates.
fn walk<'a>(a: &'a Args, now: f64, listings: &[Listing], fetched: &'a Fetched) -> Walk<'a> {
    let patterns = if !a.patterns.is_empty() {
        a.patterns.clone()
    } else if a.use_regex {
        vec![".*".to_owned()]
    } else {
        vec!["*".to_owned()]
    };
    let mut w = Walk {
        a,
        now,
        patterns,
        fetched,
        files: Vec::new(),
        looked: 0,
        skipped: serde_json::Map::new(),
        warnings: Vec::new(),
        msg: "All paths examined",
        candidates: Vec::new(),
    };
    for (npath, listing) in a.paths.iter().zip(listings) {
        if let Err(e) = w.path(npath, listing) {
            w.warnings.push(format!(
                "Skipped '{npath}' path due to this access issue: {e}\n"
            ));
            w.skipped.insert(npath.clone(), json!(e));
        }
    }
    if !w.warnings.is_empty() {
        w.msg = "Not all paths examined, check warnings for details";
    }
    w
}

/// The second script: base64 of the files `contains` reads, digests of the others.
fn fetch_script(a: &Args, candidates: &[(String, bool)]) -> String {
    let sum = format!("{}sum", a.checksum_algorithm);
    let mut s = String::new();
    for (i, (path, content)) in candidates.iter().enumerate() {
        let _ = writeln!(s, "f={}", quote(path));
        if *content {
            let _ = writeln!(
                s,
                "if [ -r \"$f\" ] && c=$(base64 -w0 < \"$f\" 2>/dev/null); then printf 'C{i}:%s\\n' \"$c\"; fi"
            );
        }
        if a.get_checksum {
            let _ = writeln!(
                s,
                "if h=$({sum} < \"$f\" 2>/dev/null); then printf 'H{i}:%s\\n' \"${{h%% *}}\"; fi"
            );
        }
    }
    s
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    let out = run_script(ctx, list_script(a))?;
    let (now, listings) = parse_listing(&out.stdout);
    let mut seen = std::collections::HashSet::new();
    let candidates: Vec<(String, bool)> = walk(a, now, &listings, &Fetched::default())
        .candidates
        .into_iter()
        .filter(|(p, _)| seen.insert(p.clone()))
        .collect();
    let mut fetched = Fetched::default();
    if !candidates.is_empty() {
        let out = run_script(ctx, fetch_script(a, &candidates))?;
        for (path, content) in &candidates {
            if *content {
                fetched.content.insert(path.clone(), None);
            }
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let (tag, rest) = line.split_at(1.min(line.len()));
            let Some((i, v)) = rest.split_once(':') else {
                continue;
            };
            let Some((path, _)) = i.parse::<usize>().ok().and_then(|i| candidates.get(i)) else {
                continue;
            };
            match tag {
                "C" => {
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(v)
                        .unwrap_or_default();
                    fetched.content.insert(path.clone(), Some(data));
                }
                "H" => {
                    fetched.checksum.insert(path.clone(), v.to_owned());
                }
                _ => {}
            }
        }
    }
    let w = walk(a, now, &listings, &fetched);
    let mut r = ResultMap::new();
    r.insert("changed".into(), json!(false));
    r.insert("examined".into(), json!(w.looked));
    r.insert("matched".into(), json!(w.files.len()));
    r.insert("msg".into(), json!(w.msg));
    r.insert("skipped_paths".into(), Value::Object(w.skipped));
    r.insert("files".into(), Value::Array(w.files));
    if !w.warnings.is_empty() {
        r.insert("warnings".into(), json!(w.warnings));
    }
    Ok(r)
}

#[cfg(test)]
mod tests;

//! One file of a copy: the action's `_copy_file` (probe, checksum compare, diff, transfer)
//! plus what the remote copy module does (backup, parents, validate, attributes).

use std::fmt::Write as _;

use serde_json::json;

use crate::args::Mode;
use crate::copy::{file_args, local_tmp_path, Args, Source};
use crate::file::{self, parse_state, Info, State, INFO_FN};
use crate::target::script::run_script;
use crate::util::{failed, md5_hex, sha1_hex};
use crate::{ModuleContext, ModuleError, PutOptions, ResultMap};
use rsible_connection::shell::quote;

/// What the probe script learned about the destination.
struct Probe {
    /// The path the file goes to (dest, or dest/rel when dest is a directory).
    path: String,
    l: Info,
    t: Info,
    checksum: Option<String>,
    home: String,
    backup: Option<String>,
    realpath: Option<String>,
    parent_exists: bool,
    /// The same output read as `file`'s state probe, so attribute-only updates need no second probe.
    state: State,
}

fn probe_script(
    dest: &str,
    rel: &str,
    is_content: bool,
    follow: bool,
    backup_if_not: Option<&str>,
    owner: Option<&str>,
    group: Option<&str>,
) -> String {
    let mut s = String::from(INFO_FN);
    let _ = writeln!(s, "f={}", quote(dest));
    s.push_str("echo \"h:$HOME\"\n");
    let isdir = if follow {
        "[ -d \"$f\" ]"
    } else {
        "[ -d \"$f\" ] && [ ! -L \"$f\" ]"
    };
    if is_content {
        let _ = writeln!(s, "if {isdir}; then echo D:; exit 0; fi");
    } else {
        let _ = writeln!(s, "if {isdir}; then f=\"${{f%/}}/\"{}; fi", quote(rel));
    }
    s.push_str("echo \"p:$f\"; _lt \"$f\"\n");
    s.push_str("_dn \"$f\"; if [ -d \"$_d\" ]; then echo P:; fi\n");
    s.push_str("if [ -L \"$f\" ]; then echo \"r:$(readlink -m -- \"$f\")\"; fi\n");
    let isreg = if follow {
        "[ -f \"$f\" ]"
    } else {
        "[ -f \"$f\" ] && [ ! -L \"$f\" ]"
    };
    let _ = writeln!(
        s,
        "if {isreg}; then c=$(sha1sum < \"$f\"); c=${{c%% *}}; echo \"c:$c\"; fi"
    );
    // What `file`'s state probe would look up, for the attribute step of an unchanged file.
    if let Some(o) = owner {
        let _ = writeln!(s, "echo \"u:$(id -u -- {} 2>/dev/null)\"", quote(o));
    }
    if let Some(g) = group {
        let _ = writeln!(
            s,
            "echo \"g:$(getent group -- {} 2>/dev/null | cut -d: -f3)\"",
            quote(g)
        );
    }
    if let Some(local) = backup_if_not {
        // Ansible's backup_local name: <dest>.<pid>.<YYYY-MM-DD@HH:MM:SS~>, local time.
        let _ = writeln!(
            s,
            "if [ -f \"$f\" ] && [ \"$c\" != {local} ]; then b=\"$f.$$.$(date +%Y-%m-%d@%H:%M:%S~)\"; \
             cp -p -- \"$f\" \"$b\" && echo \"b:$b\"; fi"
        );
    }
    s
}

fn parse_probe(text: &str) -> (Option<Probe>, bool) {
    let mut p = Probe {
        path: String::new(),
        l: Info::default(),
        t: Info::default(),
        checksum: None,
        home: String::new(),
        backup: None,
        realpath: None,
        parent_exists: false,
        state: parse_state(text),
    };
    p.l = p.state.l.clone();
    p.t = p.state.t.clone();
    p.realpath = p.state.realpath.clone();
    for line in text.lines() {
        if line == "D:" {
            return (None, true);
        }
        if line == "P:" {
            p.parent_exists = true;
        }
        let Some((tag, v)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "h" => p.home = v.to_owned(),
            "p" => p.path = v.to_owned(),
            "c" => p.checksum = Some(v.to_owned()),
            "b" => p.backup = Some(v.to_owned()),
            _ => {}
        }
    }
    (Some(p), false)
}

/// Ansible's remote tmp path shape, for the `src` key of a changed copy.
fn remote_tmp_source(home: &str, dest: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let name = file::basename(dest);
    let suffix = match name.rfind('.') {
        Some(i) if i > 0 => &name[i..],
        _ => "",
    };
    format!(
        "{home}/.ansible/tmp/ansible-tmp-{now}-{}-{}/.source{suffix}",
        std::process::id(),
        rand::random::<u64>() % 1_000_000_000_000_000
    )
}

/// One file: the action's `_copy_file` plus the remote copy module.
pub(crate) fn copy_file(
    ctx: &ModuleContext<'_>,
    a: &Args,
    src: &Source,
    dest: &str,
    follow: bool,
    make_parents: bool,
) -> Result<ResultMap, ModuleError> {
    let local_sum = sha1_hex(&src.data);
    let backup = (a.backup && !ctx.check_mode).then_some(local_sum.as_str());
    // A trailing slash names a directory whether or not it exists yet.
    let target = if dest.ends_with('/') && !src.inline {
        file::join(dest, &src.rel)
    } else {
        dest.to_owned()
    };
    let out = run_script(
        ctx,
        probe_script(
            &target,
            &src.rel,
            src.inline,
            follow,
            backup,
            a.owner.as_deref(),
            a.group.as_deref(),
        ),
    )?;
    let (probe, dest_is_dir) = parse_probe(&String::from_utf8_lossy(&out.stdout));
    let Some(probe) = probe.filter(|_| !dest_is_dir) else {
        return Ok(failed("can not use content with a dir as dest"));
    };
    let lmode = match (&a.mode, &src.local) {
        (Some(Mode::Preserve), Some(local)) => {
            use std::os::unix::fs::PermissionsExt as _;
            fs_err::metadata(local)
                .ok()
                .map(|m| Mode::Octal(m.permissions().mode() & 0o7777))
        }
        (Some(Mode::Preserve), None) => None,
        (m, _) => m.clone(),
    };
    if probe.l.exists && !a.force {
        let shown = match &src.local {
            Some(p) => p.to_string_lossy().into_owned(),
            None => local_tmp_path(&src.rel),
        };
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(false));
        r.insert("dest".into(), json!(dest));
        r.insert("src".into(), json!(shown));
        return Ok(r);
    }
    if probe.checksum.as_deref() == Some(local_sum.as_str()) {
        // Same content: only attributes may change, through the file module.
        let (target, st) = match (&probe.realpath, follow) {
            // The resolved target is a regular file: what stat of the link's target saw.
            (Some(real), true) => (
                real.clone(),
                State {
                    l: probe.t.clone(),
                    t: probe.t.clone(),
                    realpath: None,
                    ..probe.state
                },
            ),
            _ => (probe.path.clone(), probe.state),
        };
        let fa = file_args(a, &target, "file", lmode, None);
        let mut r = file::run_file_with_state(ctx, &fa, st)?;
        if !r.contains_key("checksum") {
            r.insert("checksum".into(), json!(local_sum));
        }
        if r.contains_key("path") && !r.contains_key("dest") {
            let p = r["path"].clone();
            r.insert("dest".into(), p);
        }
        return Ok(r);
    }
    let mut r = ResultMap::new();
    if ctx.diff {
        let before = if probe.l.exists && probe.checksum.is_some() {
            let bytes = ctx.conn.read_file(&probe.path, ctx.become_.as_ref())?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            None
        };
        let mut d = serde_json::Map::new();
        match before {
            Some(b) => {
                d.insert("before".into(), json!(b));
                d.insert("before_header".into(), json!(probe.path));
            }
            None => {
                d.insert("before".into(), json!(""));
            }
        }
        d.insert("after".into(), json!(String::from_utf8_lossy(&src.data)));
        let header = match (&src.header, &src.local) {
            (Some(h), _) => h.clone(),
            (None, Some(p)) => p.to_string_lossy().into_owned(),
            (None, None) => probe.path.clone(),
        };
        d.insert("after_header".into(), json!(header));
        r.insert("diff".into(), json!([d]));
    }
    if ctx.check_mode {
        r.insert("changed".into(), json!(true));
        return Ok(r);
    }
    if let Some(expected) = a.checksum.as_deref().filter(|c| *c != local_sum) {
        let mut f = failed("Copied file does not match the expected checksum. Transfer failed.");
        f.insert("checksum".into(), json!(local_sum));
        f.insert("expected_checksum".into(), json!(expected));
        return Ok(f);
    }
    let existing_mode = probe.t.exists.then_some(probe.t.mode);
    let mode = match &lmode {
        Some(m) => Some(
            m.resolve(existing_mode.unwrap_or(0o644), false)
                .map_err(|e| ModuleError::Connection(crate::ConnectionError::Failed(e)))?,
        ),
        None => None,
    };
    let write_path = match (&probe.realpath, follow) {
        (Some(real), true) => real.clone(),
        _ => probe.path.clone(),
    };
    if !probe.parent_exists {
        if !make_parents {
            // The remote copy module only creates parents for a `dest/` directory.
            let mut f = failed(format!(
                "Destination directory {} does not exist",
                file::parent(&probe.path)
            ));
            f.insert("checksum".into(), json!(local_sum));
            if let Some(d) = r.remove("diff") {
                f.insert("diff".into(), d);
            }
            return Ok(f);
        }
        ensure_parent(ctx, &write_path, a.directory_mode.as_ref())?;
    }
    let opts = PutOptions {
        mode,
        become_: ctx.become_.clone(),
    };
    if let Some(v) = &a.validate {
        if let Some(fail) = validated_put(ctx, v, &src.data, &write_path, &opts)? {
            return Ok(fail);
        }
    } else {
        ctx.conn.put_file(&src.data, &write_path, &opts)?;
    }
    // Ownership, then the final attributes in the same round trip.
    let mut script = String::from(INFO_FN);
    let q = quote(&write_path);
    if let Some(o) = &a.owner {
        let _ = writeln!(script, "chown -- {} {q} || exit 1", quote(o));
    }
    if let Some(g) = &a.group {
        let _ = writeln!(script, "chgrp -- {} {q} || exit 1", quote(g));
    }
    let _ = writeln!(script, "_lt {q}");
    let out = run_script(ctx, script)?;
    if out.rc != 0 {
        return Ok(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    let after = parse_state(&String::from_utf8_lossy(&out.stdout));
    r.insert("changed".into(), json!(true));
    r.insert("checksum".into(), json!(local_sum));
    r.insert("dest".into(), json!(probe.path));
    r.insert("md5sum".into(), json!(md5_hex(&src.data)));
    r.insert(
        "src".into(),
        json!(remote_tmp_source(&probe.home, &probe.path)),
    );
    if let Some(b) = probe.backup {
        r.insert("backup_file".into(), json!(b));
    }
    file::path_info(&mut r, &after.l, &after.t);
    Ok(r)
}

/// `validate: visudo -cf %s`: the new content goes to a temp file beside `dest`, the command
/// (split like `shlex`, no shell) checks it, and only then is it moved over `dest`.
fn validated_put(
    ctx: &ModuleContext<'_>,
    validate: &str,
    data: &[u8],
    dest: &str,
    opts: &PutOptions,
) -> Result<Option<ResultMap>, ModuleError> {
    if !validate.contains("%s") {
        return Ok(Some(failed(format!(
            "validate must contain %s: {validate}"
        ))));
    }
    let tmp = file::join(
        &file::parent(dest),
        &format!(
            ".{}.{}",
            file::basename(dest),
            crate::target::script::marker()
        ),
    );
    ctx.conn.put_file(data, &tmp, opts)?;
    let Some(argv) = shlex::split(&validate.replace("%s", &quote(&tmp))) else {
        return Ok(Some(failed(format!(
            "cannot parse validate command: {validate}"
        ))));
    };
    let argv: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    let q = quote(&tmp);
    let script = format!(
        "{cmd}; rc=$?; if [ $rc -eq 0 ]; then mv -f -- {q} {d}; else rm -f -- {q}; exit $rc; fi",
        cmd = argv.join(" "),
        d = quote(dest)
    );
    let out = run_script(ctx, script)?;
    if out.rc == 0 {
        return Ok(None);
    }
    let mut f = failed("failed to validate");
    f.insert("exit_status".into(), json!(out.rc));
    f.insert("stdout".into(), json!(String::from_utf8_lossy(&out.stdout)));
    f.insert("stderr".into(), json!(String::from_utf8_lossy(&out.stderr)));
    Ok(Some(f))
}

/// The remote copy module creates missing parents; `directory_mode` applies only to new ones.
fn ensure_parent(
    ctx: &ModuleContext<'_>,
    path: &str,
    dir_mode: Option<&Mode>,
) -> Result<(), ModuleError> {
    let parent = file::parent(path);
    if parent.is_empty() || parent == "/" {
        return Ok(());
    }
    let mut script = format!("d={}\n[ -d \"$d\" ] && exit 0\n", quote(&parent));
    let abs = parent.starts_with('/');
    let mut cur = String::new();
    for part in parent.trim_matches('/').split('/') {
        cur = if cur.is_empty() && !abs {
            part.to_owned()
        } else {
            format!("{cur}/{part}")
        };
        let q = quote(&cur);
        let _ = write!(script, "if [ ! -e {q} ]; then mkdir -- {q} || exit 1");
        if let Some(m) = dir_mode {
            let mode = match m {
                Mode::Symbolic(s) => s.clone(),
                other => format!("{:o}", other.resolve(0o755, true).unwrap_or(0o755)),
            };
            let _ = write!(script, "; chmod {} -- {q}", quote(&mode));
        }
        script.push_str("; fi\n");
    }
    let out = run_script(ctx, script)?;
    if out.rc != 0 {
        return Err(ModuleError::Connection(crate::ConnectionError::Failed(
            format!(
                "Destination directory {parent} does not exist: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        )));
    }
    Ok(())
}

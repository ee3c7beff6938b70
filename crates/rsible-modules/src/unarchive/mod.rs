//! `unarchive`: unpack a tar or zip archive into an existing directory on the target.
//!
//! ```yaml
//! - unarchive: { src: https://example.org/iproute2-5.9.0.tar.gz, dest: ~/, remote_src: yes }
//! ```
//!
//! The action part (creates, dest check, upload of a controller `src` into a remote temp dir)
//! and the module part (download, handler choice, `is_unarchived`, extraction, attributes)
//! run as a few scripts. The handler is picked as the module picks it, by trying `unzip -l`
//! and then `tar --list` with `-z`, none, `-j`, `-J` and zstd in that order, and whether
//! anything changes is decided from `tar --diff` or a zipinfo listing compared with what is
//! on disk, exactly like the module.

mod handler;
mod zip;

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_list, de_opt_string, parse, ArgSpec, Mode};
use crate::target::file_state::{plan_attrs, Info, State, INFO_FN};
use crate::target::script::{run_script, BEST_LOCALE_FN, BIN_PATH_FN};
use crate::util::{failed, find_needle, fnmatch};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions, ResultMap};
use rsible_connection::shell::{quote, quote_path};

use handler::{Kind, Opts, TAR_KINDS};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "unarchive",
    ArgSpec::new(
        "ansible.legacy.unarchive",
        &[
            "attributes",
            "copy",
            "creates",
            "decrypt",
            "dest",
            "exclude",
            "extra_opts",
            "group",
            "include",
            "io_buffer_size",
            "keep_newer",
            "list_files",
            "mode",
            "owner",
            "remote_src",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "src",
            "unsafe_writes",
            "validate_certs",
            "attr",
        ],
    )
    .aliases(&["attr"]),
);

const CHECK_MODE_SKIP: &str =
    "remote module (ansible.legacy.unarchive) does not support check mode when using gtar";

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[expect(
    dead_code,
    reason = "accepted like Ansible's argument_spec; SELinux, chattr and buffer sizes do not apply"
)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    src: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    dest: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    remote_src: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    creates: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    list_files: bool,
    #[serde(default, deserialize_with = "de_bool")]
    keep_newer: bool,
    #[serde(default, deserialize_with = "de_opt_list")]
    exclude: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_list")]
    include: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_list")]
    extra_opts: Option<Vec<String>>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    #[serde(default)]
    io_buffer_size: Option<Value>,
    #[serde(default, deserialize_with = "crate::args::de_opt_bool")]
    copy: Option<bool>,
    #[serde(default)]
    decrypt: Option<Value>,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_opt_string")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    group: Option<String>,
    #[serde(default, alias = "attr")]
    attributes: Option<Value>,
    #[serde(default)]
    selevel: Option<Value>,
    #[serde(default)]
    serole: Option<Value>,
    #[serde(default)]
    setype: Option<Value>,
    #[serde(default)]
    seuser: Option<Value>,
    #[serde(default)]
    unsafe_writes: Option<Value>,
}

pub(crate) struct Unarchive;
pub(crate) static UNARCHIVE: Unarchive = Unarchive;

impl Module for Unarchive {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        if args.contains_key("copy") && args.contains_key("remote_src") {
            return Ok(failed("parameters are mutually exclusive: ('copy', 'remote_src')").into());
        }
        let mut a: Args = parse(&INFO.args, args)?;
        if let Some(copy) = a.copy {
            a.remote_src = !copy;
        }
        if a.src.is_none() || a.dest.is_none() {
            return Ok(failed("src (or content) and dest are required").into());
        }
        if a.include.as_ref().is_some_and(|v| !v.is_empty())
            && a.exclude.as_ref().is_some_and(|v| !v.is_empty())
        {
            return Ok(failed("parameters are mutually exclusive: include|exclude").into());
        }
        let mut job = Job { ctx, a, tmp: None };
        let r = job.run();
        if let Some(t) = &job.tmp {
            // The module's temp dir goes whatever happened, as Ansible's _remove_tmp_path.
            ctx.conn
                .exec(&login_request(ctx, format!("rm -rf -- {}", quote(t))))?;
        }
        r.map(ModuleOutput::from)
    }
}

use crate::target::http;
use crate::target::script::mkdir_tmp;

/// A script run as the login user (no become), with the task's environment.
fn login_request(ctx: &ModuleContext<'_>, script: String) -> crate::ExecRequest {
    let mut req = crate::target::script::task_request(ctx, crate::ExecRequest::shell(script));
    req.become_ = None;
    req
}

/// Facts from the first script (the action plugin's part).
#[derive(Debug, Default)]
struct Probe {
    skip: Option<String>,
    dest: String,
    dest_is_dir: bool,
    home: String,
    uid: u32,
    umask: u32,
    locale: String,
    bins: HashMap<String, String>,
    tar_version: String,
    tmp: Option<String>,
    transport: http::Transport,
}

fn parse_probe(text: &str) -> Probe {
    let mut p = Probe {
        locale: "C".into(),
        umask: 0o022,
        ..Probe::default()
    };
    for line in text.lines() {
        let Some((tag, v)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "skip" => p.skip = Some(v.to_owned()),
            "dest" => p.dest = v.to_owned(),
            "isdir" => p.dest_is_dir = true,
            "home" => p.home = v.to_owned(),
            "uid" => p.uid = v.parse().unwrap_or(u32::MAX),
            "umask" => p.umask = u32::from_str_radix(v.trim(), 8).unwrap_or(0o022),
            "loc" => p.locale = v.to_owned(),
            "bin" => {
                if let Some((name, path)) = v.split_once(':') {
                    p.bins.insert(name.to_owned(), path.to_owned());
                }
            }
            "tarver" => p.tar_version = v.to_owned(),
            "tmp" => p.tmp = Some(v.to_owned()),
            "httptool" => p.transport = http::Transport::from_probe(line),
            _ => {}
        }
    }
    p
}

/// One `R:tag:rc:out:err` line of a script's `_r` runs.
#[derive(Debug, Default, Clone)]
struct Ran {
    rc: i32,
    out: String,
    err: String,
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn parse_runs(text: &str) -> (HashMap<String, Ran>, Vec<(String, String)>) {
    let mut runs = HashMap::new();
    let mut tags = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("R:") {
            let f: Vec<&str> = rest.splitn(4, ':').collect();
            if f.len() == 4 {
                runs.insert(
                    f[0].to_owned(),
                    Ran {
                        rc: f[1].parse().unwrap_or(-1),
                        out: b64(f[2]),
                        err: b64(f[3]),
                    },
                );
            }
        } else if let Some((tag, v)) = line.split_once(':') {
            tags.push((tag.to_owned(), v.to_owned()));
        }
    }
    (runs, tags)
}

/// `_r TAG CMD…`: runs the command, printing its rc and base64 output on one line.
const RUN_FN: &str = "_r() { _t=$1; shift; \"$@\" >\"$t/.o\" 2>\"$t/.e\"; _c=$?; \
echo \"R:$_t:$_c:$(base64 <\"$t/.o\" | tr -d '\\n'):$(base64 <\"$t/.e\" | tr -d '\\n')\"; return $_c; }\n";

fn argv_line(argv: &[String]) -> String {
    argv.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" ")
}

struct Job<'a, 'c> {
    ctx: &'a ModuleContext<'c>,
    a: Args,
    tmp: Option<String>,
}

impl Job<'_, '_> {
    fn opts(&self) -> Opts<'_> {
        Opts {
            extra_opts: self.a.extra_opts.as_deref().unwrap_or(&[]),
            exclude: self.a.exclude.as_deref().unwrap_or(&[]),
            include: self.a.include.as_deref().unwrap_or(&[]),
            owner: self.a.owner.as_deref(),
            group: self.a.group.as_deref(),
            keep_newer: self.a.keep_newer,
        }
    }

    fn run(&mut self) -> Result<ResultMap, ModuleError> {
        let src_arg = self.a.src.clone().unwrap_or_default();
        let dest_arg = self.a.dest.clone().unwrap_or_default();
        // What the action decides on the controller, reported after a `creates` skip.
        let local: Result<Option<std::path::PathBuf>, String> = if self.a.remote_src {
            Ok(None)
        } else if src_arg.contains("://") {
            Err(format!(
                "Unsupported option, an URI src ({}) is only supported when remote_src is True",
                http::mask_url(&src_arg)
            ))
        } else {
            find_needle(self.ctx, "files", &src_arg)
                .map(Some)
                .map_err(|m| format!("Task failed: {m}"))
        };

        let mut s = String::from(BIN_PATH_FN);
        s.push_str(BEST_LOCALE_FN);
        if let Some(c) = &self.a.creates {
            let _ = writeln!(
                s,
                "c={}; if [ -e \"$c\" ] || [ -L \"$c\" ]; then printf 'skip:%s\\n' \"$c\"; exit 0; fi",
                quote_path(c)
            );
        }
        let _ = writeln!(
            s,
            "d={}; printf 'dest:%s\\n' \"$d\"; if [ -d \"$d\" ]; then echo isdir:; fi",
            quote_path(&dest_arg)
        );
        s.push_str("echo \"home:$HOME\"; echo \"uid:$(id -u)\"; echo \"umask:$(umask)\"; echo \"loc:$(_loc)\"\n");
        s.push_str("for b in unzip zipinfo gtar tar; do if p=$(_bin $b); then echo \"bin:$b:$p\"; fi; done\n");
        s.push_str("{ T=$(_bin gtar) || T=$(_bin tar); } && echo \"tarver:$(\"$T\" --version 2>/dev/null | head -n 1)\"\n");
        s.push_str(http::TOOL_PROBE);
        let becomes = self.ctx.become_.is_some();
        if local.is_ok() && !becomes {
            let _ = writeln!(s, "if [ -d \"$d\" ]; then {}; fi", mkdir_tmp());
        }
        let out = run_script(self.ctx, s)?;
        let probe = parse_probe(&String::from_utf8_lossy(&out.stdout));
        self.tmp = probe.tmp.clone();
        if let Some(c) = &probe.skip {
            let mut r = ResultMap::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert("msg".into(), json!(format!("skipped, since {c} exists")));
            return Ok(r);
        }
        let local = match local {
            Ok(l) => l,
            Err(msg) => return Ok(failed(msg)),
        };
        let dest = probe.dest.clone();
        if !probe.dest_is_dir {
            return Ok(failed(format!("dest '{dest}' must be an existing dir")));
        }
        if becomes {
            // As Ansible's action: the temp dir belongs to the login user, and only an
            // unprivileged become user needs it opened up.
            let open = match &self.ctx.become_ {
                Some(b) if b.user != "root" => " && chmod 0777 \"$t\"",
                _ => "",
            };
            let out = self
                .ctx
                .conn
                .exec(&login_request(self.ctx, format!("{}{open}", mkdir_tmp())))?;
            self.tmp = parse_probe(&String::from_utf8_lossy(&out.stdout)).tmp;
        }
        let Some(tmp) = self.tmp.clone() else {
            return Ok(failed(format!(
                "could not create a temporary directory under {}/.ansible/tmp",
                probe.home
            )));
        };

        // The module's `src`: the uploaded copy, the download, or the remote path.
        let src = if let Some(path) = local {
            let data = match fs_err::read(&path) {
                Ok(d) => d,
                Err(e) => {
                    return Ok(failed(format!(
                        "Source '{}' failed to transfer: {e}",
                        path.display()
                    )))
                }
            };
            let dst = format!("{tmp}/source");
            let opts = PutOptions {
                mode: Some(if becomes { 0o644 } else { 0o600 }),
                become_: None,
            };
            self.ctx.conn.put_file(&data, &dst, &opts)?;
            dst
        } else if src_arg.contains("://") {
            match self.download(&src_arg, &tmp, probe.transport)? {
                Ok(f) => f,
                Err(fail) => return Ok(fail),
            }
        } else {
            let expanded = if src_arg == "~" || src_arg.starts_with("~/") {
                format!("{}{}", probe.home, &src_arg[1..])
            } else {
                src_arg.clone()
            };
            if expanded.starts_with('/') || expanded.starts_with('~') {
                expanded
            } else {
                format!("{}/{expanded}", probe.home)
            }
        };
        self.module(&probe, &src, &dest, &tmp)
    }

    /// `fetch_file`: on the target with curl, else from the controller (`target::http`).
    fn download(
        &self,
        url: &str,
        tmp: &str,
        transport: http::Transport,
    ) -> Result<Result<String, ResultMap>, ModuleError> {
        let f = http::temp_name(tmp, url);
        let mut req = http::Request::get(url);
        req.validate_certs = self.a.validate_certs;
        let resp = http::send(self.ctx, transport, &req, tmp, &f)?;
        Ok(if resp.status == 200 {
            Ok(f)
        } else {
            Err(failed(format!(
                "Failure downloading {}, {}",
                http::mask_url(url),
                resp.msg
            )))
        })
    }

    fn env_prefix(locale: &str) -> String {
        let l = quote(locale);
        format!("env LANG={l} LC_ALL={l} LC_MESSAGES={l} LANGUAGE={l} ")
    }

    fn module(
        &self,
        probe: &Probe,
        src: &str,
        dest: &str,
        tmp: &str,
    ) -> Result<ResultMap, ModuleError> {
        let o = self.opts();
        let bin = |n: &str| probe.bins.get(n).cloned();
        let remote_path = self.a.remote_src && !self.a.src.as_deref().unwrap_or("").contains("://");
        let mut s = format!("t={}; s={}; d={}\n", quote(tmp), quote(src), quote(dest));
        s.push_str(RUN_FN);
        if remote_path {
            s.push_str("if [ ! -e \"$s\" ]; then echo nosrc:; exit 0; fi\n");
        }
        s.push_str("if [ ! -r \"$s\" ]; then echo noread:; exit 0; fi\n");
        s.push_str("if [ ! -s \"$s\" ]; then echo empty:; exit 0; fi\n");
        s.push_str("cd \"$d\" || { echo notdir:; exit 0; }\n");
        let unzip = bin("unzip");
        let zipinfo = bin("zipinfo");
        if let (Some(u), Some(_)) = (&unzip, &zipinfo) {
            let _ = writeln!(s, "if _r zip {} -l \"$s\"; then echo H:zip; _r names {} -Z1 \"$s\"; _r crcs {} -v \"$s\"; exit 0; fi", quote(u), quote(u), quote(u));
        } else if let Some(u) = &unzip {
            let _ = writeln!(s, "if _r zip {} -l \"$s\" && {} -Zl 2>/dev/null | grep -qi zipinfo; then echo H:zipz; _r names {} -Z1 \"$s\"; _r crcs {} -v \"$s\"; exit 0; fi", quote(u), quote(u), quote(u), quote(u));
        }
        let tar = bin("gtar").or_else(|| bin("tar"));
        let gnu = probe.tar_version.starts_with("tar") && probe.tar_version.contains("GNU");
        if !self.ctx.check_mode {
            if let (Some(t), true) = (&tar, gnu) {
                let env = Self::env_prefix(&probe.locale);
                for k in TAR_KINDS {
                    let cmd = handler::tar_cmd(t, "--list", k, dest, src, &o);
                    let _ = writeln!(
                        s,
                        "if _r {} {env}{} && [ -s \"$t/.o\" ]; then echo H:{}; exit 0; fi",
                        k.name(),
                        argv_line(&cmd),
                        k.name()
                    );
                }
            }
        }
        let out = run_script(self.ctx, s)?;
        let (runs, tags) = parse_runs(&String::from_utf8_lossy(&out.stdout));
        let has = |t: &str| tags.iter().any(|(k, _)| k == t);
        if has("nosrc") {
            return Ok(failed(format!("Source '{src}' does not exist")));
        }
        if has("noread") {
            let msg = if remote_path {
                format!("Source '{src}' not readable")
            } else {
                format!("Source '{src}' failed to transfer")
            };
            return Ok(failed(msg));
        }
        if has("empty") {
            return Ok(failed(format!(
                "Invalid archive '{src}', the file is 0 bytes"
            )));
        }
        if has("notdir") {
            return Ok(failed(format!("Destination '{dest}' is not a directory")));
        }
        let kind = tags.iter().find_map(|(k, v)| {
            (k == "H").then(|| match v.as_str() {
                "zip" => Some(Kind::Zip),
                "zipz" => Some(Kind::ZipZ),
                n => TAR_KINDS.into_iter().find(|k| k.name() == n),
            })?
        });
        let Some(kind) = kind else {
            if self.ctx.check_mode {
                let mut r = ResultMap::new();
                r.insert("changed".into(), json!(false));
                r.insert("skipped".into(), json!(true));
                r.insert("msg".into(), json!(CHECK_MODE_SKIP));
                return Ok(r);
            }
            return Ok(failed(self.no_handler(
                src,
                &runs,
                unzip.as_deref(),
                zipinfo.is_some(),
                tar.as_deref(),
                gnu,
                &probe.tar_version,
            )));
        };

        let files = if kind.is_zip() {
            let names = runs.get("names").map(|r| r.out.clone()).unwrap_or_default();
            self.zip_members(&names)
        } else {
            self.tar_members(
                &runs
                    .get(kind.name())
                    .map(|r| r.out.clone())
                    .unwrap_or_default(),
            )
        };
        let mut res = ResultMap::new();
        res.insert("handler".into(), json!(kind.name()));
        res.insert("dest".into(), json!(dest));
        res.insert("src".into(), json!(src));

        let (unarchived, diff) = if kind.is_zip() {
            let u = unzip.clone().unwrap_or_default();
            let zi = if kind == Kind::Zip {
                zipinfo.clone().unwrap_or_default()
            } else {
                u.clone()
            };
            let crcs =
                handler::unzip_v_crcs(&runs.get("crcs").map(|r| r.out.clone()).unwrap_or_default());
            match self.zip_check(probe, kind, &zi, src, dest, tmp, crcs)? {
                Ok(c) => c,
                Err(msg) => return Ok(failed(msg)),
            }
        } else {
            let t = tar.clone().unwrap_or_default();
            let cmd = handler::tar_cmd(&t, "--diff", kind, dest, src, &o);
            let script = format!(
                "t={}; cd {} || exit 1\n{RUN_FN}_r diff {}{}\n",
                quote(tmp),
                quote(dest),
                Self::env_prefix(&probe.locale),
                argv_line(&cmd)
            );
            let out = run_script(self.ctx, script)?;
            let (runs, _) = parse_runs(&String::from_utf8_lossy(&out.stdout));
            let d = runs.get("diff").cloned().unwrap_or_default();
            let found =
                handler::tar_differences(&d.out, &d.err, probe.uid == 0, &o, self.a.mode.is_some());
            (found.is_empty(), String::new())
        };

        let mut changed = false;
        let mut extract_script = String::new();
        let extract_cmd = if kind.is_zip() {
            handler::unzip_cmd(&unzip.clone().unwrap_or_default(), src, dest, &o)
        } else {
            handler::tar_cmd(
                &tar.clone().unwrap_or_default(),
                "--extract",
                kind,
                dest,
                src,
                &o,
            )
        };
        if self.ctx.check_mode {
            changed = !unarchived;
        } else if !unarchived {
            let env = if kind.is_zip() {
                String::new()
            } else {
                Self::env_prefix(&probe.locale)
            };
            let _ = writeln!(
                extract_script,
                "_r extract {env}{}",
                argv_line(&extract_cmd)
            );
        }
        // Stat of dest for add_path_info, and of every member when attributes are asked for.
        let attrs = !self.ctx.check_mode
            && (self.a.mode.is_some() || self.a.owner.is_some() || self.a.group.is_some());
        let mut targets: Vec<String> = Vec::new();
        if attrs {
            let mut tops: Vec<String> = Vec::new();
            for f in &files {
                targets.push(crate::target::file_state::join(dest, f));
                if let Some((top, _)) = f.split_once('/') {
                    if !tops.iter().any(|t| t == top) {
                        tops.push(top.to_owned());
                    }
                }
            }
            targets.extend(tops.iter().map(|t| format!("{dest}/{t}")));
        }
        let mut s = format!(
            "t={}; cd {} || exit 1\n{RUN_FN}{INFO_FN}",
            quote(tmp),
            quote(dest)
        );
        s.push_str(&extract_script);
        let _ = writeln!(
            s,
            "echo \"dl:$(_i {})\"; echo \"dt:$(_i {} -L)\"",
            quote(dest),
            quote(dest)
        );
        for (i, p) in targets.iter().enumerate() {
            let _ = writeln!(s, "echo \"i{i}:$(_i {})\"", quote(p));
        }
        if attrs {
            if let Some(ow) = &self.a.owner {
                let _ = writeln!(s, "echo \"u:$(id -u -- {} 2>/dev/null)\"", quote(ow));
            }
            if let Some(g) = &self.a.group {
                let _ = writeln!(
                    s,
                    "echo \"g:$(getent group -- {} 2>/dev/null | cut -d: -f3)\"",
                    quote(g)
                );
            }
        }
        let out = run_script(self.ctx, s)?;
        let (runs, tags) = parse_runs(&String::from_utf8_lossy(&out.stdout));
        if let Some(x) = runs.get("extract") {
            res.insert(
                "extract_results".into(),
                json!({"cmd": extract_cmd, "err": x.err, "out": x.out, "rc": x.rc}),
            );
            if x.rc != 0 {
                let mut r = failed(format!("failed to unpack {src} to {dest}"));
                r.extend(res);
                return Ok(r);
            }
            changed = true;
        }
        if !diff.is_empty() {
            res.insert("diff".into(), json!({"prepared": diff}));
        }
        let tag = |t: &str| tags.iter().find(|(k, _)| k == t).map(|(_, v)| v.clone());
        if attrs {
            let st = State {
                owner_uid: tag("u").and_then(|v| v.parse().ok()),
                group_gid: tag("g").and_then(|v| v.parse().ok()),
                ..State::default()
            };
            let mut cmds = Vec::new();
            for (i, p) in targets.iter().enumerate() {
                let info = Info::parse(&tag(&format!("i{i}")).unwrap_or_default());
                if !info.exists {
                    continue;
                }
                // Links keep their mode: Linux has no lchmod.
                let mode = if info.is_link() {
                    None
                } else {
                    self.a.mode.as_ref()
                };
                match plan_attrs(
                    p,
                    &info,
                    mode,
                    self.a.owner.as_deref(),
                    self.a.group.as_deref(),
                    &st,
                    false,
                ) {
                    Ok(plan) => cmds.extend(plan.cmds),
                    Err(msg) => {
                        let mut r = failed(msg);
                        r.extend(res);
                        return Ok(r);
                    }
                }
            }
            if !cmds.is_empty() {
                changed = true;
                let out = run_script(self.ctx, format!("set -e\n{}\n", cmds.join("\n")))?;
                if out.rc != 0 {
                    let mut r = failed(String::from_utf8_lossy(&out.stderr).trim().to_owned());
                    r.extend(res);
                    return Ok(r);
                }
            }
        }
        res.insert("changed".into(), json!(changed));
        if self.a.list_files {
            res.insert("files".into(), json!(files));
        }
        let l = Info::parse(&tag("dl").unwrap_or_default());
        let t = Info::parse(&tag("dt").unwrap_or_default());
        crate::target::file_state::path_info(&mut res, &l, &t);
        Ok(res)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the module's reasons need every probe fact"
    )]
    fn no_handler(
        &self,
        src: &str,
        runs: &HashMap<String, Ran>,
        unzip: Option<&str>,
        zipinfo: bool,
        tar: Option<&str>,
        gnu: bool,
        tar_version: &str,
    ) -> String {
        let mut reasons: Vec<String> = Vec::new();
        let mut add = |r: String| {
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        };
        match (unzip, zipinfo) {
            (Some(u), true) => add(format!(
                "Command \"{u}\" could not handle archive: {}",
                runs.get("zip").map(|r| r.err.clone()).unwrap_or_default()
            )),
            (None, false) => {
                add("Unable to find required 'unzip' or 'zipinfo' binary in the path.".into())
            }
            (None, true) => add("Unable to find required 'unzip' binary in the path.".into()),
            (Some(_), false) => add("Unable to find required 'zipinfo' binary in the path.".into()),
        }
        match unzip {
            Some(u) => add(format!(
                "Command \"{u}\" could not handle archive: {}",
                runs.get("zip").map(|r| r.err.clone()).unwrap_or_default()
            )),
            None => add("Unable to find required 'unzip' or 'unzip' binary in the path.".into()),
        }
        match tar {
            None => add("Unable to find required 'gtar' or 'tar' binary in the path".into()),
            Some(t) if !gnu => {
                let ty = if tar_version.starts_with("bsdtar") {
                    "bsd"
                } else {
                    "None"
                };
                add(format!(
                    "Command \"{t}\" detected as tar type {ty}. GNU tar required."
                ));
            }
            Some(t) => {
                for k in TAR_KINDS {
                    match runs.get(k.name()) {
                        Some(r) if r.rc != 0 => add(format!(
                            "Command \"{t}\" could not handle archive: Unable to list files in the archive: {}",
                            r.err
                        )),
                        _ => add(format!(
                            "Command \"{t}\" found no files in archive. Empty archive files are not supported."
                        )),
                    }
                }
            }
        }
        format!(
            "Failed to find handler for \"{src}\". Make sure the required command to extract the file is installed.\n{}",
            reasons.join("\n")
        )
    }

    /// `TgzArchive.files_in_archive` from the `tar --list` output.
    fn tar_members(&self, listing: &str) -> Vec<String> {
        let excludes: Vec<String> = self
            .opts()
            .exclude
            .iter()
            .map(|e| e.trim_end_matches('/').to_owned())
            .collect();
        listing
            .lines()
            .map(|l| {
                let f = handler::escape_decode(l);
                f.strip_prefix('/').map(str::to_owned).unwrap_or(f)
            })
            .filter(|f| !excludes.iter().any(|e| fnmatch(f, e)))
            .collect()
    }
}

#[cfg(test)]
mod tests;

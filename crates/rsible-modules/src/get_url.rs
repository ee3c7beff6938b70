//! `get_url`: downloads a URL to a file on the target, from the target's network view.
//!
//! ```yaml
//! - get_url:
//!     url: https://example.com/tool.tar.gz
//!     dest: /opt/tool.tar.gz
//!     checksum: sha256:https://example.com/SHA256SUMS
//!     mode: "0644"
//! ```
//!
//! As the module: one probe (dest, its digest and mtime for `If-Modified-Since`, the temp dir),
//! the request through `target::http` (the target's curl, else the controller) into a temp
//! file on the target, then one script that compares, backs up and moves it into place the
//! way `atomic_move` does. Check mode sends `HEAD` as Ansible does.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::target::file_attrs::{add_path_info, FileAttrs, ATOMIC_MOVE};
use crate::target::file_state::{join, parent};
use crate::target::http::{self, Request, Response, Transport, UrlArgs};
use crate::target::script::{expand_path, run_script};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "get_url",
    ArgSpec::new(
        "get_url",
        &[
            "attributes",
            "backup",
            "checksum",
            "ciphers",
            "client_cert",
            "client_key",
            "decompress",
            "dest",
            "force",
            "force_basic_auth",
            "group",
            "headers",
            "http_agent",
            "mode",
            "owner",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "timeout",
            "tmp_dest",
            "unredirected_headers",
            "unsafe_writes",
            "url",
            "url_password",
            "url_username",
            "use_gssapi",
            "use_netrc",
            "use_proxy",
            "validate_certs",
            "attr",
            "password",
            "username",
        ],
    )
    .aliases(&["attr", "password", "username"]),
);

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(flatten)]
    url: UrlArgs,
    #[serde(flatten)]
    file: FileAttrs,
    #[serde(default, deserialize_with = "de_opt_string")]
    dest: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    checksum: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    tmp_dest: Option<String>,
}

pub(crate) struct GetUrl;
pub(crate) static GET_URL: GetUrl = GetUrl;

impl Module for GetUrl {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let mut missing = Vec::new();
        if a.dest.is_none() {
            missing.push("dest");
        }
        if a.url.url.is_none() {
            missing.push("url");
        }
        if !missing.is_empty() {
            return Ok(failed(format!(
                "missing required arguments: {}",
                missing.join(", ")
            ))
            .into());
        }
        if let Some(msg) = a.url.refusal().or_else(|| a.file.refusal()) {
            return Ok(failed(msg).into());
        }
        let mut job = Job::new(ctx, &a)?;
        let r = job.run();
        job.cleanup()?;
        let mut r = r?;
        add_path_info(ctx, &mut r)?;
        Ok(r.into())
    }
}

/// The `<algo>sum` tool of coreutils for a hashlib name.
fn sum_tool(algorithm: &str) -> Option<&'static str> {
    Some(match algorithm {
        "md5" => "md5sum",
        "sha1" => "sha1sum",
        "sha224" => "sha224sum",
        "sha256" => "sha256sum",
        "sha384" => "sha384sum",
        "sha512" => "sha512sum",
        "blake2b" => "b2sum",
        _ => return None,
    })
}

/// `url_filename`: the basename of the URL's path, `index.html` when empty.
fn url_filename(url: &str) -> String {
    let f = http::url_basename(url);
    if f.is_empty() {
        "index.html".to_owned()
    } else {
        f
    }
}

/// `parse_digest_lines`: `(digest, path)` pairs of a checksum file.
fn parse_digest_lines(filename: &str, lines: &[&str]) -> Vec<(String, String)> {
    if lines.len() == 1 && lines[0].split_whitespace().count() == 1 {
        return vec![(lines[0].to_owned(), filename.to_owned())];
    }
    let bsd = regex::Regex::new(r"^(\w+) ?\((?P<path>.+)\) ?= (?P<digest>[\w.]+)$")
        .unwrap_or_else(|e| unreachable!("{e}"));
    let gnu = regex::Regex::new(r"^(?P<digest>[\w.]+)\s+(\*|\./|\.)?(?P<path>.+)$")
        .unwrap_or_else(|e| unreachable!("{e}"));
    let mut out = Vec::new();
    for line in lines {
        if let Some(c) = bsd.captures(line) {
            out.push((c["digest"].to_owned(), c["path"].to_owned()));
        } else if let Some(c) = gnu.captures(line) {
            out.push((
                c["digest"].to_owned(),
                c["path"].trim_start_matches(['.', '/']).to_owned(),
            ));
        }
    }
    out
}

/// What the probe found.
#[derive(Debug, Default)]
struct Probe {
    dest_is_dir: bool,
    dest_exists: bool,
    mtime: Option<i64>,
    digest: Option<String>,
    tmp_dest: Option<&'static str>,
    tmp: Option<String>,
    transport: Transport,
}

struct Job<'a, 'c> {
    ctx: &'a ModuleContext<'c>,
    a: &'a Args,
    dest: String,
    tmp: Option<String>,
    result: ResultMap,
}

impl<'a, 'c> Job<'a, 'c> {
    fn new(ctx: &'a ModuleContext<'c>, a: &'a Args) -> Result<Self, ModuleError> {
        let dest = expand_path(ctx, a.dest.as_deref().unwrap_or_default())?;
        let url = a.url.url.clone().unwrap_or_default();
        let result = crate::util::map(json!({
            "changed": false,
            "checksum_dest": null,
            "checksum_src": null,
            "dest": dest,
            "elapsed": 0,
            "url": http::mask_url(&url),
        }));
        Ok(Self {
            ctx,
            a,
            dest,
            tmp: None,
            result,
        })
    }

    fn cleanup(&self) -> Result<(), ModuleError> {
        if let Some(t) = &self.tmp {
            http::remove_tmp(self.ctx, t)?;
        }
        Ok(())
    }

    fn fail(&self, msg: impl Into<String>) -> ResultMap {
        let mut r = self.result.clone();
        r.insert("failed".into(), json!(true));
        r.insert("msg".into(), json!(msg.into()));
        r
    }

    fn probe(&mut self, algorithm: Option<&str>) -> Result<Probe, ModuleError> {
        let mut s = format!("d={}\n", quote(&self.dest));
        s.push_str(http::TOOL_PROBE);
        s.push_str("if [ -d \"$d\" ]; then echo isdir:; elif [ -e \"$d\" ]; then echo exists:; echo \"mtime:$(stat -L -c %Y -- \"$d\")\"; ");
        if let Some(tool) = algorithm.and_then(sum_tool) {
            let _ = write!(s, "echo \"digest:$({tool} < \"$d\" | cut -d' ' -f1)\"; ");
        }
        s.push_str("fi\n");
        if let Some(td) = &self.a.tmp_dest {
            let _ = writeln!(
                s,
                "td={}; if [ -d \"$td\" ]; then echo td:dir; elif [ -e \"$td\" ]; then echo td:file; else echo td:missing; fi",
                quote(&expand_path(self.ctx, td)?)
            );
        }
        s.push_str(&crate::target::script::mkdir_tmp());
        s.push('\n');
        let out = run_script(self.ctx, s)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut p = Probe {
            transport: Transport::from_probe(&text),
            ..Probe::default()
        };
        for line in text.lines() {
            let Some((tag, v)) = line.split_once(':') else {
                continue;
            };
            match tag {
                "isdir" => p.dest_is_dir = true,
                "exists" => p.dest_exists = true,
                "mtime" => p.mtime = v.trim().parse().ok(),
                "digest" => p.digest = Some(v.trim().to_owned()),
                "td" => {
                    p.tmp_dest = Some(match v {
                        "dir" => "dir",
                        "file" => "file",
                        _ => "missing",
                    });
                }
                "tmp" => p.tmp = Some(v.to_owned()),
                _ => {}
            }
        }
        self.tmp = p.tmp.clone();
        Ok(p)
    }

    fn request(&self, method: &str, url: &str) -> Request {
        let mut req = self.a.url.request(method, 10);
        req.url = url.to_owned();
        req
    }

    /// `url_get`: the download into a temp file, or the result that ends the module.
    fn url_get(
        &self,
        probe: &Probe,
        req: &Request,
        dest_shown: &str,
    ) -> Result<Result<(String, Response), ResultMap>, ModuleError> {
        let tmp = self.tmp.clone().unwrap_or_default();
        let started = Instant::now();
        let dir = match (&self.a.tmp_dest, probe.tmp_dest) {
            (Some(td), Some("dir")) => expand_path(self.ctx, td)?,
            _ => tmp.clone(),
        };
        let tempname = format!("{dir}/tmp{}", http::random_name());
        let resp = http::send(self.ctx, probe.transport, req, &tmp, &tempname)?;
        let elapsed = started.elapsed().as_secs();
        let base = |extra: Value| -> ResultMap {
            let mut r = crate::util::map(extra);
            r.insert("url".into(), json!(http::mask_url(&req.url)));
            r.insert("dest".into(), json!(dest_shown));
            r.insert("elapsed".into(), json!(elapsed));
            r
        };
        if resp.status == 304 {
            return Ok(Err(base(json!({
                "changed": false, "msg": resp.msg, "status_code": 304,
            }))));
        }
        if resp.status == -1 {
            return Ok(Err(base(json!({
                "changed": false, "failed": true, "msg": resp.msg,
            }))));
        }
        if resp.status != 200 {
            return Ok(Err(base(json!({
                "changed": false, "failed": true, "msg": "Request failed",
                "status_code": resp.status, "response": resp.msg,
            }))));
        }
        if let (Some(td), Some(kind)) = (&self.a.tmp_dest, probe.tmp_dest) {
            let td = expand_path(self.ctx, td)?;
            let msg = match kind {
                "file" => Some(format!("{td} is a file but should be a directory.")),
                "missing" => Some(format!("{td} directory does not exist.")),
                _ => None,
            };
            if let Some(msg) = msg {
                let mut r = failed(msg);
                r.insert("elapsed".into(), json!(elapsed));
                return Ok(Err(r));
            }
        }
        Ok(Ok((tempname, resp)))
    }

    fn run(&mut self) -> Result<ResultMap, ModuleError> {
        let url = self.a.url.url.clone().unwrap_or_default();
        let mut force = self.a.url.force;
        // The checksum's algorithm and hex digest, once known.
        let mut checksum: Option<(String, String)> = None;
        let spec = self.a.checksum.clone().unwrap_or_default();
        let algorithm = spec.split_once(':').map(|(a, _)| a.to_owned());
        let probe = self.probe(algorithm.as_deref())?;
        if !spec.is_empty() {
            let Some((algorithm, value)) = spec.split_once(':') else {
                return Ok(
                    self.fail("The checksum parameter has to be in format <algorithm>:<checksum>")
                );
            };
            let mut value = value.to_owned();
            if ["http", "https", "ftp", "file"]
                .iter()
                .any(|s| value.starts_with(&format!("{s}:")))
            {
                let checksum_url = value.clone();
                let req = self.request("GET", &checksum_url);
                let (file, _) = match self.url_get(&probe, &req, &self.dest)? {
                    Ok(got) => got,
                    Err(end) => return Ok(end),
                };
                let bytes = self.ctx.conn.read_file(&file, self.ctx.become_.as_ref())?;
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text
                    .split_inclusive('\n')
                    .map(|l| l.strip_suffix('\n').unwrap_or(l))
                    .collect();
                let filename = url_filename(&url);
                match parse_digest_lines(&filename, &lines)
                    .into_iter()
                    .find(|(_, f)| *f == filename)
                {
                    Some((d, _)) => value = d,
                    None => {
                        return Ok(failed(format!(
                            "Unable to find a checksum for file '{filename}' in '{}'",
                            http::mask_url(&checksum_url)
                        )))
                    }
                }
            }
            let value: String = value
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
                .to_lowercase();
            if value.is_empty() || !value.chars().all(|c| c.is_ascii_hexdigit()) {
                return Ok(self.fail("The checksum format is invalid"));
            }
            checksum = Some((algorithm.to_owned(), value));
        }
        if let Some((alg, _)) = &checksum {
            if sum_tool(alg).is_none() {
                return Ok(failed(format!(
                    "Could not hash file '{}' with algorithm '{alg}'. Available algorithms: md5, sha1, sha224, sha256, sha384, sha512, blake2b",
                    self.dest
                )));
            }
        }

        let mut last_mod_time = None;
        if !probe.dest_is_dir && probe.dest_exists {
            let mismatch = !force
                && checksum
                    .as_ref()
                    .is_some_and(|(_, c)| probe.digest.as_deref() != Some(c.as_str()));
            if !force && checksum.is_some() && !mismatch {
                return Ok(match self.a.file.apply(self.ctx, &self.dest)? {
                    Err(fail) => fail,
                    Ok(changed) => {
                        let mut r = self.result.clone();
                        r.insert("changed".into(), json!(changed));
                        let msg = if changed {
                            "file already exists but file attributes changed"
                        } else {
                            "file already exists"
                        };
                        r.insert("msg".into(), json!(msg));
                        r
                    }
                });
            }
            last_mod_time = probe.mtime;
            if mismatch {
                force = true;
            }
        }

        let started = Instant::now();
        let method = if self.ctx.check_mode { "HEAD" } else { "GET" };
        let mut req = self.request(method, &url);
        req.force = force;
        req.last_mod_time = last_mod_time;
        let (tmpsrc, resp) = match self.url_get(&probe, &req, &self.dest)? {
            Ok(got) => got,
            Err(end) => return Ok(end),
        };
        self.result
            .insert("elapsed".into(), json!(started.elapsed().as_secs()));
        self.result.insert("src".into(), json!(tmpsrc));
        if probe.dest_is_dir {
            let filename = resp
                .header("content-disposition")
                .and_then(http::disposition_filename)
                .unwrap_or_else(|| url_filename(&resp.url));
            self.dest = join(&self.dest, &filename);
            self.result.insert("dest".into(), json!(self.dest));
        }
        self.install(&tmpsrc, &resp, checksum.as_ref())
    }

    /// The module after the download: compare, check, back up, move, set attributes.
    fn install(
        &mut self,
        tmpsrc: &str,
        resp: &Response,
        checksum: Option<&(String, String)>,
    ) -> Result<ResultMap, ModuleError> {
        let mut s = format!(
            "s={}; d={}; p={}\n",
            quote(tmpsrc),
            quote(&self.dest),
            quote(&parent(&self.dest))
        );
        s.push_str("echo \"src:$(sha1sum < \"$s\" | cut -d' ' -f1)\"\n");
        if let Some(tool) = checksum.and_then(|(a, _)| sum_tool(a)) {
            let _ = writeln!(s, "echo \"digest:$({tool} < \"$s\" | cut -d' ' -f1)\"");
        }
        s.push_str(
            "if [ -e \"$d\" ]; then echo exists:; [ -w \"$d\" ] || echo nowrite:; [ -r \"$d\" ] || echo noread:; \
             echo \"dest:$(sha1sum < \"$d\" 2>/dev/null | cut -d' ' -f1)\"; \
             else [ -e \"$p\" ] || echo noparent:; [ -w \"$p\" ] || echo nowrite:; fi\n",
        );
        let out = run_script(self.ctx, s)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let tag = |t: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(t).map(str::to_owned))
        };
        let checksum_src = tag("src:").unwrap_or_default();
        self.result
            .insert("checksum_src".into(), json!(checksum_src));
        let exists = tag("exists:").is_some();
        let checksum_dest = tag("dest:");
        if exists {
            if tag("nowrite:").is_some() {
                return Ok(self.fail(format!("Destination {} is not writable", self.dest)));
            }
            if tag("noread:").is_some() {
                return Ok(self.fail(format!("Destination {} is not readable", self.dest)));
            }
            self.result
                .insert("checksum_dest".into(), json!(checksum_dest));
        } else if tag("noparent:").is_some() {
            return Ok(self.fail(format!("Destination {} does not exist", parent(&self.dest))));
        } else if tag("nowrite:").is_some() {
            return Ok(self.fail(format!(
                "Destination {} is not writable",
                parent(&self.dest)
            )));
        }
        let differs = checksum_dest.as_deref() != Some(checksum_src.as_str());
        if self.ctx.check_mode {
            let mut r = self.result.clone();
            r.insert("changed".into(), json!(differs));
            r.insert("msg".into(), json!(resp.msg));
            return Ok(r);
        }
        if let Some((_, want)) = checksum {
            let got = tag("digest:").unwrap_or_default();
            if *want != got {
                return Ok(self.fail(format!(
                    "The checksum for {tmpsrc} did not match {want}; it was {got}."
                )));
            }
        }
        let mut changed = false;
        let mut backup_file = None;
        if differs {
            let mut s = format!("s={}; d={}\n", quote(tmpsrc), quote(&self.dest));
            if self.a.backup {
                s.push_str(
                    "if [ -e \"$d\" ]; then b=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S~)\"; cp -p -- \"$d\" \"$b\" || exit 1; echo \"b:$b\"; fi\n",
                );
            }
            s.push_str(ATOMIC_MOVE);
            let out = run_script(self.ctx, s)?;
            if out.rc != 0 {
                return Ok(self.fail(format!(
                    "failed to copy {tmpsrc} to {}: {}",
                    self.dest,
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            backup_file = String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("b:").map(str::to_owned));
            changed = true;
        }
        match self.a.file.apply(self.ctx, &self.dest)? {
            Err(fail) => return Ok(fail),
            Ok(c) => changed |= c,
        }
        let md5 = run_script(
            self.ctx,
            format!("md5sum < {} | cut -d' ' -f1", quote(&self.dest)),
        )?;
        let mut r = self.result.clone();
        r.insert("changed".into(), json!(changed));
        r.insert(
            "md5sum".into(),
            json!(String::from_utf8_lossy(&md5.stdout).trim()),
        );
        if let Some(b) = backup_file {
            r.insert("backup_file".into(), json!(b));
        }
        r.insert("msg".into(), json!(resp.msg));
        r.insert("status_code".into(), json!(resp.status));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, HttpServer, RunResult};
    use rsible_connection::local::LocalConnection;

    fn server() -> HttpServer {
        HttpServer::start(Box::new(|seen| {
            match seen.path.as_str() {
            "/file.txt" => ("200 OK".into(), vec![], b"hello\n".to_vec()),
            "/named" => (
                "200 OK".into(),
                vec![(
                    "Content-Disposition".into(),
                    "attachment; filename=\"given.txt\"".into(),
                )],
                b"named\n".to_vec(),
            ),
            "/moved" => (
                "302 Found".into(),
                vec![("Location".into(), "/file.txt".into())],
                vec![],
            ),
            "/SHA256SUMS" => (
                "200 OK".into(),
                vec![],
                // sha256 of "hello\n"
                b"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  file.txt\n0000  other\n"
                    .to_vec(),
            ),
            _ => ("404 Not Found".into(), vec![], b"nope".to_vec()),
        }
        }))
    }

    fn run(env: &Env, a: Value) -> ResultMap {
        GET_URL
            .run(&env.ctx(&LocalConnection::new()), &args(a))
            .result()
    }

    // Keys and messages as get_url.py and module_utils/urls.py build them; the
    // differential test `get_url` compares them with ansible-playbook's on real hosts.
    #[test]
    fn downloads_once_then_only_compares() {
        let s = server();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("f.txt").display().to_string();
        let env = Env::default();
        let r = run(
            &env,
            json!({"url": s.url("/file.txt"), "dest": d, "mode": "0640"}),
        );
        assert_eq!(r["changed"], true, "{r:?}");
        assert_eq!(r["msg"], "OK (6 bytes)");
        assert_eq!(r["status_code"], 200);
        assert_eq!(
            r["checksum_src"],
            "f572d396fae9206628714fb2ce00f72e94f2258f"
        );
        assert_eq!(r["md5sum"], "b1946ac92492d2347c6235b4d2611184");
        assert_eq!(r["mode"], "0640");
        assert_eq!(std::fs::read(&d).unwrap(), b"hello\n");
        let r = run(
            &env,
            json!({"url": s.url("/file.txt"), "dest": d, "mode": "0640"}),
        );
        assert_eq!(r["changed"], false, "{r:?}");
        assert_eq!(r["checksum_dest"], r["checksum_src"]);
        let seen = s.requests();
        assert_eq!(seen[0].header("user-agent"), Some("ansible-httpget"));
        assert!(seen[1].header("if-modified-since").is_some(), "{seen:?}");
        // A checksum that matches skips the download.
        let r = run(
            &env,
            json!({"url": s.url("/file.txt"), "dest": d, "checksum": format!("sha256:{}", s.url("/SHA256SUMS"))}),
        );
        assert_eq!(r["msg"], "file already exists", "{r:?}");
        assert_eq!(s.requests().len(), 3);
    }

    #[test]
    fn directory_dest_redirects_and_errors() {
        let s = server();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let env = Env::default();
        let r = run(&env, json!({"url": s.url("/named"), "dest": d}));
        assert_eq!(r["dest"], format!("{d}/given.txt"), "{r:?}");
        let r = run(&env, json!({"url": s.url("/moved"), "dest": d}));
        assert_eq!(r["dest"], format!("{d}/file.txt"), "{r:?}");
        assert_eq!(r["url"], s.url("/moved"));
        let r = run(&env, json!({"url": s.url("/missing"), "dest": d}));
        assert_eq!(r["msg"], "Request failed", "{r:?}");
        assert_eq!(r["response"], "HTTP Error 404: Not Found");
        assert_eq!(r["status_code"], 404);
        assert_eq!(r["state"], "directory");
        let r = run(
            &env,
            json!({"url": s.url("/file.txt"), "dest": format!("{d}/x"), "checksum": "sha1:0000"}),
        );
        assert_eq!(r["failed"], true);
        let msg = r["msg"].as_str().unwrap();
        assert!(
            msg.starts_with("The checksum for ")
                && msg.ends_with(
                    " did not match 0000; it was f572d396fae9206628714fb2ce00f72e94f2258f."
                ),
            "{msg}"
        );
        let r = run(
            &env,
            json!({"url": s.url("/file.txt"), "dest": format!("{d}/x"), "checksum": "sha1"}),
        );
        assert_eq!(
            r["msg"],
            "The checksum parameter has to be in format <algorithm>:<checksum>"
        );
        let r = run(&env, json!({"url": s.url("/file.txt")}));
        assert_eq!(r["msg"], "missing required arguments: dest");
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = run(
            &env,
            json!({"url": format!("http://127.0.0.1:{closed}/x"), "dest": d}),
        );
        assert_eq!(
            r["msg"],
            "Request failed: <urlopen error [Errno 111] Connection refused>"
        );
    }

    #[test]
    fn check_mode_sends_head() {
        let s = server();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("f.txt").display().to_string();
        let env = Env {
            check_mode: true,
            ..Env::default()
        };
        let r = run(&env, json!({"url": s.url("/file.txt"), "dest": d}));
        assert_eq!(r["changed"], true, "{r:?}");
        assert_eq!(
            r["checksum_src"],
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert!(!std::path::Path::new(&d).exists());
        assert_eq!(s.requests()[0].method, "HEAD");
    }

    #[test]
    fn checksum_files_like_parse_digest_lines() {
        assert_eq!(
            parse_digest_lines("a.tgz", &["SHA256 (a.tgz) = ab12", "cd34 *./b.tgz"]),
            vec![
                ("ab12".into(), "a.tgz".into()),
                ("cd34".into(), "b.tgz".into())
            ]
        );
        assert_eq!(
            parse_digest_lines("a", &["ff00"]),
            vec![("ff00".into(), "a".into())]
        );
        assert_eq!(url_filename("http://h/"), "index.html");
    }
}

//! `fetch`: copies a file of the target to the controller.
//!
//! ```yaml
//! - fetch: { src: /etc/hostname, dest: fetched }   # fetched/<inventory_hostname>/etc/hostname
//! - fetch: { src: /etc/hostname, dest: out/, flat: true }
//! ```
//!
//! As Ansible's action plugin: without `become`, a stat with the sha1 decides whether the
//! local copy is current, and the bytes come over the connection only when it is not; with
//! `become` (or a file the stat could not checksum) the file is read through `slurp`, so
//! files only root can read are fetched too. Check mode skips the task, as Ansible does.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::args::{parse_bool, ArgSpec, Unknown};
use crate::target::script::expand_path;
use crate::util::{failed, md5_hex, sha1_hex};
use crate::{Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "fetch",
    ArgSpec::new(
        "fetch",
        &[
            "src",
            "dest",
            "flat",
            "fail_on_missing",
            "validate_checksum",
        ],
    )
    .unknown(Unknown::Accepted),
)
.kind(Kind::Action);

pub(crate) struct Fetch;
pub(crate) static FETCH: Fetch = Fetch;

impl Module for Fetch {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        if ctx.check_mode {
            let mut r = ResultMap::new();
            r.insert("changed".into(), json!(false));
            r.insert("skipped".into(), json!(true));
            r.insert(
                "msg".into(),
                json!("check mode not (yet) supported for this module"),
            );
            return Ok(r.into());
        }
        run(ctx, args)
    }
}

/// `boolean(v, strict=False)`: anything unknown is false.
fn flag(args: &serde_json::Map<String, Value>, key: &str, default: bool) -> bool {
    match args.get(key) {
        None => default,
        Some(v) => parse_bool(v).unwrap_or(false),
    }
}

/// Python's `os.path.normpath` for absolute and relative paths.
fn normpath(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// The loader's `path_dwim`: `~` expanded, relative paths under the playbook's directory.
fn path_dwim(ctx: &ModuleContext<'_>, given: &str) -> String {
    let expanded = crate::util::expand_local_user(given);
    if expanded.starts_with('/') {
        normpath(&expanded)
    } else {
        normpath(&ctx.playbook_dir.join(&expanded).to_string_lossy())
    }
}

fn local_file(path: &Path) -> Option<Vec<u8>> {
    if path.is_file() {
        fs_err::read(path).ok()
    } else {
        None
    }
}

fn run(
    ctx: &ModuleContext<'_>,
    args: &serde_json::Map<String, Value>,
) -> Result<ModuleOutput, ModuleError> {
    let flat = flag(args, "flat", false);
    let fail_on_missing = flag(args, "fail_on_missing", true);
    let validate_checksum = flag(args, "validate_checksum", true);
    let src = args.get("src").filter(|v| !v.is_null());
    let dest = args.get("dest").filter(|v| !v.is_null());
    let mut msg = "";
    if src.is_some_and(|s| !s.is_string()) {
        msg = "Invalid type supplied for source option, it must be a string";
    }
    if dest.is_some_and(|d| !d.is_string()) {
        msg = "Invalid type supplied for dest option, it must be a string";
    }
    if src.is_none() || dest.is_none() {
        msg = "src and dest are required";
    }
    if !msg.is_empty() {
        return Ok(ModuleOutput::raised(msg));
    }
    let source = src.and_then(Value::as_str).unwrap_or_default();
    let dest_arg = dest.and_then(Value::as_str).unwrap_or_default().to_owned();
    let source = expand_path(ctx, source)?;

    let mut remote_checksum: Option<String> = None;
    if ctx.become_.is_none() {
        let st = ctx.conn.stat(&source, true, true, None)?;
        remote_checksum = Some(if !st.exists {
            "1".to_owned()
        } else {
            st.checksum.clone().unwrap_or_default()
        });
        if st.exists && st.is_dir {
            let mut r = ResultMap::new();
            let mut m = "remote file is a directory, fetch cannot work on directories".to_owned();
            if fail_on_missing {
                r.insert("changed".into(), json!(false));
                r.insert("failed".into(), json!(true));
            } else {
                m.push_str(", not transferring, ignored");
            }
            r.insert("msg".into(), json!(m));
            return Ok(r.into());
        }
    }

    let mut remote_data: Option<Vec<u8>> = None;
    if matches!(remote_checksum.as_deref(), None | Some("1" | "")) {
        let mut sargs = serde_json::Map::new();
        sargs.insert("src".into(), json!(source));
        let slurped = crate::slurp::SLURP.run(ctx, &sargs)?;
        if slurped.result.get("failed").and_then(Value::as_bool) == Some(true) {
            let smsg = slurped
                .result
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let mut r = ResultMap::new();
            if fail_on_missing {
                r = slurped.result.clone();
            } else {
                r.insert("file".into(), json!(source));
                r.insert("changed".into(), json!(false));
            }
            if smsg.contains("not found") {
                r.insert(
                    "msg".into(),
                    json!("the remote file does not exist, not transferring, ignored"),
                );
            } else if smsg.to_lowercase().starts_with("source is a directory") {
                r.insert(
                    "msg".into(),
                    json!("remote file is a directory, fetch cannot work on directories"),
                );
            }
            return Ok(ModuleOutput {
                cause: if fail_on_missing { slurped.cause } else { None },
                module_failure: fail_on_missing.then_some(smsg),
                ..r.into()
            });
        }
        let content = slurped
            .result
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or("");
        let data = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, content)
            .unwrap_or_default();
        remote_checksum = Some(sha1_hex(&data));
        remote_data = Some(data);
    }

    let mut dest = dest_arg.clone();
    if flat {
        let local = PathBuf::from(crate::util::expand_local_user(&dest));
        if local.is_dir() && !dest.ends_with('/') {
            return Ok(ModuleOutput::raised(
                "dest is an existing directory, use a trailing slash if you want to fetch src into that directory",
            ));
        }
        if dest.ends_with('/') {
            let base = source.rsplit('/').next().unwrap_or(&source);
            dest = format!("{dest}{base}");
            if Path::new(&crate::util::expand_local_user(&dest)).is_dir() {
                return Ok(ModuleOutput::raised(format!(
                    "calculated dest '{dest}' is an existing directory, use another path that does not point to an existing directory"
                )));
            }
        }
        if !dest.starts_with('/') {
            dest = path_dwim(ctx, &dest);
        }
    } else {
        let host = ctx
            .vars
            .get("inventory_hostname")
            .and_then(Value::as_str)
            .map_or_else(|| ctx.conn.host().to_owned(), str::to_owned);
        dest = format!("{}/{host}/{source}", path_dwim(ctx, &dest));
    }
    let dest = normpath(&crate::util::expand_local_user(&dest));
    let dest_path = PathBuf::from(&dest);

    let local = local_file(&dest_path);
    let local_checksum = local.as_deref().map(sha1_hex);
    let mut r = ResultMap::new();
    if remote_checksum != local_checksum {
        if let Some(parent) = dest_path.parent() {
            if let Err(e) = fs_err::create_dir_all(parent) {
                return Ok(failed(e.to_string()).into());
            }
        }
        let data = match remote_data {
            Some(d) => d,
            None => ctx.conn.read_file(&source, None)?,
        };
        if fs_err::write(&dest_path, &data).is_err() {
            return Ok(ModuleOutput::raised("Failed to fetch the file."));
        }
        let new_checksum = sha1_hex(&data);
        let new_md5 = md5_hex(&data);
        if validate_checksum && Some(&new_checksum) != remote_checksum.as_ref() {
            r.insert("failed".into(), json!(true));
            r.insert("changed".into(), json!(false));
            r.insert("md5sum".into(), json!(new_md5));
            r.insert("msg".into(), json!("checksum mismatch"));
            r.insert("file".into(), json!(source));
            r.insert("dest".into(), json!(dest));
            r.insert("remote_md5sum".into(), Value::Null);
            r.insert("checksum".into(), json!(new_checksum));
            r.insert("remote_checksum".into(), json!(remote_checksum));
        } else {
            r.insert("changed".into(), json!(true));
            r.insert("md5sum".into(), json!(new_md5));
            r.insert("dest".into(), json!(dest));
            r.insert("remote_md5sum".into(), Value::Null);
            r.insert("checksum".into(), json!(new_checksum));
            r.insert("remote_checksum".into(), json!(remote_checksum));
        }
    } else {
        r.insert("changed".into(), json!(false));
        r.insert("md5sum".into(), json!(local.as_deref().map(md5_hex)));
        r.insert("file".into(), json!(source));
        r.insert("dest".into(), json!(dest));
        r.insert("checksum".into(), json!(local_checksum));
    }
    Ok(r.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(env: &Env, a: Value) -> ResultMap {
        FETCH
            .run(&env.ctx(&LocalConnection::new()), &args(a))
            .result()
    }

    // Results as the fetch action builds them; the differential test `fetch` compares them
    // with ansible-playbook's on real hosts.
    #[test]
    fn fetches_under_the_host_name_then_compares() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("remote.txt");
        std::fs::write(&src, "abc\n").unwrap();
        let mut env = Env {
            playbook_dir: dir.path().to_path_buf(),
            ..Env::default()
        };
        env.vars.insert("inventory_hostname".into(), json!("web1"));
        let s = src.display().to_string();
        let r = run(&env, json!({"src": s, "dest": "out"}));
        let want = format!("{}/out/web1{s}", dir.path().display());
        assert_eq!(r["dest"], want, "{r:?}");
        assert_eq!(r["changed"], true);
        assert_eq!(r["checksum"], "03cfd743661f07975fa2f1220c5194cbaff48451");
        assert_eq!(r["remote_checksum"], r["checksum"]);
        assert_eq!(r["md5sum"], "0bee89b07a248e27c83fc3d5951213c1");
        assert_eq!(std::fs::read(&want).unwrap(), b"abc\n");
        let r = run(&env, json!({"src": s, "dest": "out"}));
        assert_eq!(r["changed"], false, "{r:?}");
        assert_eq!(r["file"], s);
        let r = run(&env, json!({"src": s, "dest": "flat/", "flat": true}));
        assert_eq!(
            r["dest"],
            format!("{}/flat/remote.txt", dir.path().display())
        );
        let r = run(
            &env,
            json!({"src": s, "dest": dir.path().display().to_string(), "flat": true}),
        );
        assert_eq!(r["msg"], "dest is an existing directory, use a trailing slash if you want to fetch src into that directory");
        let r = run(&env, json!({"src": format!("{s}.no"), "dest": "out"}));
        assert_eq!(
            r["msg"],
            "the remote file does not exist, not transferring, ignored"
        );
        assert_eq!(r["failed"], true);
        let r = run(
            &env,
            json!({"src": format!("{s}.no"), "dest": "out", "fail_on_missing": false}),
        );
        assert_eq!(r.get("failed"), None);
        let r = run(
            &env,
            json!({"src": dir.path().display().to_string(), "dest": "out"}),
        );
        assert_eq!(
            r["msg"],
            "remote file is a directory, fetch cannot work on directories"
        );
        let r = run(&env, json!({"dest": "out"}));
        assert_eq!(r["msg"], "src and dest are required");
        assert_eq!(normpath("/a/b/../c//d/."), "/a/c/d");
    }
}

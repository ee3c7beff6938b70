//! `copy`: put a controller file, directory or inline content on the target.
//!
//! ```yaml
//! - copy: { src: ssh/, dest: .ssh, mode: "0600" }
//! - copy: { content: "nameserver 1.1.1.1\n", dest: /etc/resolv.conf, backup: yes }
//! ```
//!
//! Per file: one probe script (dest kind, sha1, `$HOME`, and the backup when the content will
//! change), then `put_file` when the checksums differ, then one script that sets ownership
//! and reports the final attributes.

pub(crate) mod one_file;
pub(crate) mod remote;
pub(crate) mod tree;

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_bool, de_opt_string, parse, ArgSpec, Mode};
use crate::file;
use crate::util::{failed, find_needle, sha1_hex};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

pub(crate) const INFO: ModuleInfo = ModuleInfo::builtin(
    "copy",
    ArgSpec::new(
        "ansible.legacy.copy",
        &[
            "_original_basename",
            "attributes",
            "backup",
            "checksum",
            "content",
            "dest",
            "directory_mode",
            "follow",
            "force",
            "group",
            "local_follow",
            "mode",
            "owner",
            "remote_src",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "src",
            "unsafe_writes",
            "validate",
            "attr",
        ],
    )
    .aliases(&["attr"]),
)
.without_async();

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "accepted like Ansible's argument_spec; SELinux and chattr are not applied"
)]
pub(crate) struct Args {
    #[serde(default, deserialize_with = "de_opt_string")]
    pub src: Option<String>,
    #[serde(default)]
    pub content: Option<Value>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub dest: Option<String>,
    /// Whether a vault-encrypted `src` is sent decrypted: the action's own option, taken out
    /// before the arguments are checked (so error messages do not list it).
    #[serde(skip, default = "yes")]
    pub decrypt: bool,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_bool")]
    pub backup: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub remote_src: bool,
    #[serde(default)]
    pub directory_mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub follow: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub local_follow: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub checksum: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    pub validate: Option<String>,
    #[serde(default, rename = "_original_basename")]
    pub original_basename: Option<Value>,
    #[serde(default, alias = "attr")]
    pub attributes: Option<Value>,
    #[serde(default)]
    pub selevel: Option<Value>,
    #[serde(default)]
    pub serole: Option<Value>,
    #[serde(default)]
    pub setype: Option<Value>,
    #[serde(default)]
    pub seuser: Option<Value>,
    #[serde(default)]
    pub unsafe_writes: Option<Value>,
}

pub(crate) struct Copy;
pub(crate) static COPY: Copy = Copy;

impl Module for Copy {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let content_checksum = args.get("content").map(|c| sha1_hex(&content_bytes(c)));
        // `boolean(…, strict=False)`: anything not true is false.
        let decrypt = args
            .get("decrypt")
            .is_none_or(|v| crate::args::parse_bool(v) == Some(true));
        let mut args = args.clone();
        args.remove("decrypt");
        let a: Args = match parse(&INFO.args, &args) {
            Ok(a) => Args { decrypt, ..a },
            Err(refusal) => {
                let mut out = ModuleOutput::from(refusal);
                // The action wrote the content to a temp file before the module refused.
                if let Some(c) = content_checksum {
                    out.result.insert("checksum".into(), json!(c));
                }
                return Ok(out);
            }
        };
        run_copy(ctx, &a).map(ModuleOutput::from)
    }
}

/// Content as the action writes it: strings as is, lists and dicts as JSON.
fn content_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.clone().into_bytes(),
        Value::Array(_) | Value::Object(_) => crate::util::py_json_dumps(v).into_bytes(),
        other => crate::args::scalar_text(other).into_bytes(),
    }
}

/// One file to place: its bytes, the name it has under a directory dest, where it came from.
pub(crate) struct Source {
    pub data: Vec<u8>,
    pub rel: String,
    /// Controller path (for `mode: preserve` and the diff header), `None` for content.
    pub local: Option<PathBuf>,
    /// Inline `content:` (a directory dest is then an error, not a parent).
    pub inline: bool,
    /// The diff's `after_header` when it is not `local` (template's rendered temp file).
    pub header: Option<String>,
}

/// The shape of the controller temp file Ansible writes content or a rendered template to
/// (`~/.ansible/tmp/ansible-local-<pid><rand>/tmp<rand>/<name>`), for headers and `src`.
pub(crate) fn local_tmp_path(name: &str) -> String {
    // Ansible's DEFAULT_LOCAL_TMP: `ANSIBLE_LOCAL_TEMP`, else `~/.ansible/tmp`.
    let base = std::env::var("ANSIBLE_LOCAL_TEMP")
        .unwrap_or_else(|_| format!("{}/.ansible/tmp", std::env::var("HOME").unwrap_or_default()));
    let r = crate::target::script::marker();
    let r = r.trim_start_matches("RSIBLE-");
    format!(
        "{base}/ansible-local-{}{}/tmp{}/{name}",
        std::process::id(),
        &r[..8],
        &r[8..]
    )
}

pub(crate) fn run_copy(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    let Some(dest) = a.dest.clone().filter(|d| !d.is_empty()) else {
        let msg = if a.src.is_none() && a.content.is_none() {
            "src (or content) is required"
        } else {
            "dest is required"
        };
        return Ok(failed(msg));
    };
    if a.src.is_some() && a.content.is_some() {
        return Ok(failed("src and content are mutually exclusive"));
    }
    if a.src.is_none() && a.content.is_none() {
        return Ok(failed("src (or content) is required"));
    }
    if a.content.is_some() && dest.ends_with('/') {
        return Ok(failed("can not use content with a dir as dest"));
    }
    if a.remote_src {
        return crate::copy::remote::remote_copy(ctx, a, &dest);
    }
    let dest = crate::target::script::expand_path(ctx, &dest)?;
    if let Some(c) = &a.content {
        let data = content_bytes(c);
        let src = Source {
            data,
            rel: ".source".into(),
            local: None,
            inline: true,
            header: None,
        };
        return crate::copy::one_file::copy_file(ctx, a, &src, &dest, a.follow, false);
    }
    let src_arg = a.src.clone().unwrap_or_default();
    let found = match find_needle(ctx, "files", &src_arg) {
        Ok(p) => p,
        // ansible-core 2.19's copy action reports this through its generic handler.
        Err(msg) => return Ok(failed(format!("Unexpected AnsibleActionFail error: {msg}"))),
    };
    if !found.is_dir() {
        let how = crate::vault_src::Read::Copy { decrypt: a.decrypt };
        let data = match crate::vault_src::read(&found, how) {
            Ok(Ok(d)) => d,
            Ok(Err(raised)) => return Err(raised),
            Err(e) => {
                return Ok(failed(format!(
                    "could not find src={}, {e}",
                    found.display()
                )))
            }
        };
        let rel = found
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let src = Source {
            data,
            rel,
            local: Some(found),
            inline: false,
            header: None,
        };
        let mut r =
            crate::copy::one_file::copy_file(ctx, a, &src, &dest, a.follow, dest.ends_with('/'))?;
        if r.contains_key("path") && !r.contains_key("dest") {
            let p = r["path"].clone();
            r.insert("dest".into(), p);
        }
        return Ok(r);
    }
    crate::copy::tree::copy_dir(ctx, a, &src_arg, &found, &dest)
}

/// `file` module arguments carrying copy's attribute options.
pub(crate) fn file_args(
    a: &Args,
    path: &str,
    state: &str,
    mode: Option<Mode>,
    src: Option<String>,
) -> file::Args {
    file::Args::attributes_of(path, state, mode, a.owner.clone(), a.group.clone(), src)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, keys, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    fn run(env: &Env, a: Value) -> ResultMap {
        let conn = LocalConnection::new();
        COPY.run(&env.ctx(&conn), &args(a)).result()
    }

    // Key sets, checksums and messages from ansible-playbook 2.19 runs of the same tasks.
    #[test]
    fn content_copy_is_idempotent_with_backup() {
        let dir = tempfile::tempdir().unwrap();
        let c = format!("{}/c", dir.path().display());
        let r = run(&Env::default(), json!({"content": "abc\n", "dest": c}));
        assert_eq!(
            keys(&r),
            [
                "changed", "checksum", "dest", "gid", "group", "md5sum", "mode", "owner", "size",
                "src", "state", "uid"
            ]
        );
        assert_eq!(r["checksum"], "03cfd743661f07975fa2f1220c5194cbaff48451");
        assert_eq!(r["md5sum"], "0bee89b07a248e27c83fc3d5951213c1");
        assert_eq!(
            (&r["changed"], &r["mode"], &r["size"], &r["state"]),
            (&json!(true), &json!("0644"), &json!(4), &json!("file"))
        );
        assert!(r["src"]
            .as_str()
            .unwrap()
            .contains("/.ansible/tmp/ansible-tmp-"));
        let r = run(&Env::default(), json!({"content": "abc\n", "dest": c}));
        assert_eq!(
            keys(&r),
            [
                "changed", "checksum", "dest", "gid", "group", "mode", "owner", "path", "size",
                "state", "uid"
            ]
        );
        assert_eq!(r["changed"], false);
        let r = run(
            &Env::default(),
            json!({"content": "abcd\n", "dest": c, "backup": "yes", "mode": "0600"}),
        );
        assert_eq!((&r["changed"], &r["mode"]), (&json!(true), &json!("0600")));
        let b = r["backup_file"].as_str().unwrap();
        let re = regex::Regex::new(r"/c\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$").unwrap();
        assert!(re.is_match(b), "{b}");
        assert_eq!(std::fs::read_to_string(b).unwrap(), "abc\n");
        assert_eq!(std::fs::read_to_string(&c).unwrap(), "abcd\n");
    }

    #[test]
    fn src_file_into_dir_and_directories() {
        let pb = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(pb.path().join("files/sd/sub")).unwrap();
        std::fs::write(pb.path().join("files/f1.txt"), "hello\n").unwrap();
        std::fs::write(pb.path().join("files/sd/a"), "a\n").unwrap();
        std::fs::write(pb.path().join("files/sd/sub/b"), "b\n").unwrap();
        let env = Env {
            playbook_dir: pb.path().to_path_buf(),
            ..Env::default()
        };
        let out = tempfile::tempdir().unwrap();
        let o = out.path().display().to_string();
        let r = run(&env, json!({"src": "f1.txt", "dest": format!("{o}/")}));
        assert_eq!(r["dest"], json!(format!("{o}/f1.txt")));
        assert_eq!(r["checksum"], "f572d396fae9206628714fb2ce00f72e94f2258f");
        let r = run(&env, json!({"src": "sd/", "dest": format!("{o}/sd1")}));
        assert_eq!(
            r,
            crate::util::map(
                json!({"changed": true, "dest": format!("{o}/sd1/"), "src": format!("{}/files/sd/", pb.path().display())})
            )
        );
        assert_eq!(
            std::fs::read_to_string(out.path().join("sd1/sub/b")).unwrap(),
            "b\n"
        );
        let r = run(&env, json!({"src": "sd", "dest": format!("{o}/sd2")}));
        assert_eq!(r["src"], json!(format!("{}/files/sd", pb.path().display())));
        assert_eq!(
            std::fs::read_to_string(out.path().join("sd2/sd/a")).unwrap(),
            "a\n"
        );
        let r = run(&env, json!({"src": "sd", "dest": format!("{o}/sd2")}));
        assert_eq!(r["changed"], false);
        let r = run(&env, json!({"src": "missing", "dest": o}));
        let pd = pb.path().display();
        assert_eq!(
            r["msg"],
            json!(format!("Unexpected AnsibleActionFail error: Could not find or access 'missing'\nSearched in:\n\t{pd}/files/missing\n\t{pd}/missing\n\t{pd}/files/missing\n\t{pd}/missing on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option"))
        );
    }

    #[test]
    fn check_mode_and_diff() {
        let dir = tempfile::tempdir().unwrap();
        let c = format!("{}/c", dir.path().display());
        std::fs::write(&c, "old\n").unwrap();
        let env = Env {
            check_mode: true,
            diff: true,
            ..Env::default()
        };
        let r = run(&env, json!({"content": "new\n", "dest": c}));
        assert_eq!(r["changed"], true);
        assert_eq!(
            r["diff"],
            json!([{"after": "new\n", "after_header": c, "before": "old\n", "before_header": c}])
        );
        assert_eq!(std::fs::read_to_string(&c).unwrap(), "old\n");
    }

    #[test]
    fn validate_runs_before_the_move() {
        let dir = tempfile::tempdir().unwrap();
        let c = format!("{}/c", dir.path().display());
        let r = run(
            &Env::default(),
            json!({"content": "bad\n", "dest": c, "validate": "grep -q good %s"}),
        );
        assert_eq!(
            (&r["msg"], &r["exit_status"]),
            (&json!("failed to validate"), &json!(1))
        );
        assert!(!std::path::Path::new(&c).exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let r = run(
            &Env::default(),
            json!({"content": "good\n", "dest": c, "validate": "grep -q good %s"}),
        );
        assert_eq!(r["changed"], true);
        assert_eq!(std::fs::read_to_string(&c).unwrap(), "good\n");
    }

    #[test]
    fn argument_errors() {
        let r = run(
            &Env::default(),
            json!({"content": "x", "dest": "/tmp/x", "bogus": 1}),
        );
        assert_eq!(r["checksum"], "11f6ad8ec52a2984abaafd7c3b516503785c2072");
        assert_eq!(r["msg"], "Unsupported parameters for (ansible.legacy.copy) module: bogus. Supported parameters include: _original_basename, attributes, backup, checksum, content, dest, directory_mode, follow, force, group, local_follow, mode, owner, remote_src, selevel, serole, setype, seuser, src, unsafe_writes, validate (attr).");
        assert_eq!(
            run(&Env::default(), json!({"dest": "/x"}))["msg"],
            "src (or content) is required"
        );
        assert_eq!(
            run(&Env::default(), json!({"content": "x", "dest": "/x/"}))["msg"],
            "can not use content with a dir as dest"
        );
    }
}

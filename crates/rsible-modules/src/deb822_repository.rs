//! `deb822_repository`: an APT source as `/etc/apt/sources.list.d/<slug>.sources`.
//!
//! ```yaml
//! - deb822_repository:
//!     name: local
//!     uris: http://repo.example/debian
//!     suites: [bookworm]
//!     components: [main]
//!     signed_by: https://repo.example/key.asc
//! ```
//!
//! As the module: the fields are the parameters in sorted order (`X-Repolib-Name`, `URIs`, the
//! rest title-cased), booleans `yes`/`no`, lists space-joined, multi-line values indented.
//! `signed_by` is a key file on the target (used as is), a URL (downloaded to
//! `/etc/apt/keyrings/<slug>.asc` or `.gpg`), or the key itself (written inline). Ansible needs
//! python3-debian on the target; rsible writes the same text without it.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_opt_bool, de_opt_int, de_opt_list, de_opt_string, parse, ArgSpec, Mode};
use crate::target::file_state::{path_info, Info, INFO_FN};
use crate::target::http;
use crate::target::script::run_script;
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, PutOptions, ResultMap};
use rsible_connection::shell::quote;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "deb822_repository",
    ArgSpec::new(
        "deb822_repository",
        &[
            "allow_downgrade_to_insecure",
            "allow_insecure",
            "allow_weak",
            "architectures",
            "by_hash",
            "check_date",
            "check_valid_until",
            "components",
            "date_max_future",
            "enabled",
            "inrelease_path",
            "languages",
            "mode",
            "name",
            "pdiffs",
            "signed_by",
            "state",
            "suites",
            "targets",
            "trusted",
            "types",
            "uris",
        ],
    ),
);

const KEYRINGS_DIR: &str = "/etc/apt/keyrings";

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(default, deserialize_with = "de_opt_bool")]
    allow_downgrade_to_insecure: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    allow_insecure: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    allow_weak: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_list")]
    architectures: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    by_hash: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    check_date: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    check_valid_until: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_list")]
    components: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_int")]
    date_max_future: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_string")]
    inrelease_path: Option<String>,
    #[serde(default, deserialize_with = "de_opt_list")]
    languages: Option<Vec<String>>,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default, deserialize_with = "de_opt_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pdiffs: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_string")]
    signed_by: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_list")]
    suites: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_list")]
    targets: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    trusted: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_list")]
    types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_list")]
    uris: Option<Vec<String>>,
}

pub(crate) struct Deb822Repository;
pub(crate) static DEB822_REPOSITORY: Deb822Repository = Deb822Repository;

/// The file name's slug: lower case, runs of `_` and whitespace as `-`, then only `[a-z0-9-]`.
pub(crate) fn slug(name: &str) -> String {
    let lower = name.to_lowercase();
    let dashed = regex::Regex::new(r"[_\s]+")
        .map(|re| re.replace_all(&lower, "-").into_owned())
        .unwrap_or(lower);
    dashed
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

/// `format_field_name`: Python's `str.title()` of the dashed name.
fn field_name(key: &str) -> String {
    match key {
        "name" => return "X-Repolib-Name".to_owned(),
        "uris" => return "URIs".to_owned(),
        _ => {}
    }
    let mut out = String::new();
    let mut prev_alpha = false;
    for c in key.replace('_', "-").chars() {
        if c.is_alphabetic() {
            if prev_alpha {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            prev_alpha = true;
        } else {
            out.push(c);
            prev_alpha = false;
        }
    }
    out
}

/// `format_multiline`: a leading newline, each line stripped (empty ones as `.`), indented.
fn multiline(v: &str) -> String {
    let lines: Vec<String> = v
        .trim()
        .lines()
        .map(|l| {
            let t = l.trim();
            if t.is_empty() {
                ".".to_owned()
            } else {
                t.to_owned()
            }
        })
        .collect();
    let indented: Vec<String> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                l.clone()
            } else {
                format!("    {l}")
            }
        })
        .collect();
    format!("\n{}", indented.join("\n"))
}

/// Deb822's dump of the fields in order.
fn dump(fields: &[(String, String)]) -> String {
    let mut s = String::new();
    for (k, v) in fields {
        if v.is_empty() || v.starts_with('\n') {
            s.push_str(&format!("{k}:{v}\n"));
        } else {
            s.push_str(&format!("{k}: {v}\n"));
        }
    }
    s
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// The target's file: its state and content (when a regular file).
fn probe_file(ctx: &ModuleContext<'_>, path: &str) -> Result<(Info, Option<Vec<u8>>), ModuleError> {
    let q = quote(path);
    let out = run_script(
        ctx,
        format!("{INFO_FN}_i {q}\nif [ -f {q} ]; then echo y; cat -- {q}; fi\n"),
    )?;
    let text = &out.stdout;
    let nl = text.iter().position(|b| *b == b'\n').unwrap_or(text.len());
    let info = Info::parse(&String::from_utf8_lossy(&text[..nl]));
    let rest = text.get(nl + 1..).unwrap_or_default();
    let content = rest.strip_prefix(b"y\n").map(<[u8]>::to_vec);
    Ok((info, content))
}

/// Downloads `url` as `fetch_url` does, from the target's view (see `target/http.rs`): the
/// body, or the failure's `info['msg']`.
pub(crate) fn fetch_url(
    ctx: &ModuleContext<'_>,
    url: &str,
    validate_certs: bool,
) -> Result<Result<Vec<u8>, String>, ModuleError> {
    let out = run_script(
        ctx,
        format!("{}{}", http::TOOL_PROBE, crate::target::script::mkdir_tmp()),
    )?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let Some(tmp) = text.lines().find_map(|l| l.strip_prefix("tmp:")) else {
        return Err(ModuleError::Raised(format!(
            "Failed to create a temporary directory: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    };
    let mut req = http::Request::get(url);
    req.validate_certs = validate_certs;
    let sent = http::send(
        ctx,
        http::Transport::from_probe(&text),
        &req,
        tmp,
        &http::temp_name(tmp, url),
    );
    let body = match sent {
        Ok(r) if r.outcome == http::Outcome::Ok => r.body(ctx).map(Ok),
        Ok(r) => Ok(Err(r.msg)),
        Err(e) => Err(e),
    };
    http::remove_tmp(ctx, tmp)?;
    body
}

impl Module for Deb822Repository {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let state = a.state.clone().unwrap_or_else(|| "present".to_owned());
        if !matches!(state.as_str(), "present" | "absent") {
            return Ok(failed(format!(
                "value of state must be one of: present, absent, got: {state}"
            ))
            .into());
        }
        let Some(name) = a.name.clone() else {
            return Ok(failed("missing required arguments: name").into());
        };
        let types = a.types.clone().unwrap_or_else(|| vec!["deb".to_owned()]);
        if types
            .iter()
            .any(|t| !matches!(t.as_str(), "deb" | "deb-src"))
        {
            return Ok(failed(format!(
                "value of types must be one or more of: deb, deb-src. Got no match for: {}",
                types
                    .iter()
                    .filter(|t| !matches!(t.as_str(), "deb" | "deb-src"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
        let slug = slug(&name);
        let dest = format!("/etc/apt/sources.list.d/{slug}.sources");
        let key_file = |ext: &str| format!("{KEYRINGS_DIR}/{slug}.{ext}");
        let mut changed = false;
        if state == "absent" {
            let mut script = String::new();
            for p in [dest.clone(), key_file("asc"), key_file("gpg")] {
                let q = quote(&p);
                script.push_str(&format!("if [ -e {q} ]; then echo {q}; fi\n"));
            }
            let out = run_script(ctx, script)?;
            let present: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .collect();
            if !present.is_empty() {
                changed = true;
                if !ctx.check_mode {
                    let rm: Vec<String> = present.iter().map(|p| quote(p)).collect();
                    run_script(ctx, format!("rm -f -- {}", rm.join(" ")))?;
                }
            }
            let mut r = ResultMap::new();
            r.insert("repo".into(), Value::Null);
            r.insert("changed".into(), json!(changed));
            r.insert("dest".into(), json!(dest));
            r.insert("key_filename".into(), json!(key_file("gpg")));
            add_path_info(ctx, &mut r, &dest)?;
            return Ok(r.into());
        }

        let mut signed_by_filename: Option<String> = None;
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: String| fields.push((field_name(k), v));
        let list = |v: &Option<Vec<String>>| v.as_ref().map(|l| l.join(" "));
        let bools = [
            ("allow_downgrade_to_insecure", a.allow_downgrade_to_insecure),
            ("allow_insecure", a.allow_insecure),
            ("allow_weak", a.allow_weak),
        ];
        for (k, v) in bools {
            if let Some(b) = v {
                push(k, yes_no(b));
            }
        }
        if let Some(v) = list(&a.architectures) {
            push("architectures", v);
        }
        if let Some(b) = a.by_hash {
            push("by_hash", yes_no(b));
        }
        if let Some(b) = a.check_date {
            push("check_date", yes_no(b));
        }
        if let Some(b) = a.check_valid_until {
            push("check_valid_until", yes_no(b));
        }
        if let Some(v) = list(&a.components) {
            push("components", v);
        }
        if let Some(n) = a.date_max_future {
            push("date_max_future", n.to_string());
        }
        if let Some(b) = a.enabled {
            push("enabled", yes_no(b));
        }
        if let Some(v) = &a.inrelease_path {
            push("inrelease_path", maybe_multiline(v));
        }
        if let Some(v) = list(&a.languages) {
            push("languages", v);
        }
        push("name", maybe_multiline(&name));
        if let Some(b) = a.pdiffs {
            push("pdiffs", yes_no(b));
        }
        if let Some(v) = &a.signed_by {
            match signed_by(ctx, v, &slug)? {
                Ok((c, file, value)) => {
                    changed |= c;
                    signed_by_filename = file;
                    push("signed_by", maybe_multiline(&value));
                }
                Err(msg) => {
                    return Ok(failed(format!("Could not fetch signed_by key: {msg}")).into())
                }
            }
        }
        if let Some(v) = list(&a.suites) {
            push("suites", v);
        }
        if let Some(v) = list(&a.targets) {
            push("targets", v);
        }
        if let Some(b) = a.trusted {
            push("trusted", yes_no(b));
        }
        push("types", types.join(" "));
        if let Some(v) = list(&a.uris) {
            push("uris", v);
        }
        let repo = dump(&fields);
        let (info, content) = probe_file(ctx, &dest)?;
        if content.as_deref() != Some(repo.as_bytes()) {
            if !ctx.check_mode {
                ctx.conn.put_file(
                    repo.as_bytes(),
                    &dest,
                    &PutOptions {
                        mode: None,
                        become_: ctx.become_.clone(),
                    },
                )?;
            }
            changed = true;
        }
        // `set_mode_if_different(dest, mode)`: a new file has `0644` (umask 022) after the
        // move; in check mode an absent file counts as changed.
        let mode = a.mode.clone().unwrap_or(Mode::Octal(0o644));
        let current = if info.exists { info.mode } else { 0o644 };
        let wanted = mode
            .resolve(current, false)
            .map_err(crate::ArgsError::Invalid)?;
        if ctx.check_mode && !info.exists {
            changed = true;
        } else if wanted != current {
            changed = true;
            if !ctx.check_mode {
                run_script(ctx, format!("chmod {wanted:o} -- {}", quote(&dest)))?;
            }
        }
        let mut r = ResultMap::new();
        r.insert("repo".into(), json!(repo));
        r.insert("changed".into(), json!(changed));
        r.insert("dest".into(), json!(dest));
        r.insert("key_filename".into(), json!(signed_by_filename));
        add_path_info(ctx, &mut r, &dest)?;
        Ok(r.into())
    }
}

/// `exit_json` adds the state of `dest` when it exists (`add_path_info`).
fn add_path_info(
    ctx: &ModuleContext<'_>,
    r: &mut ResultMap,
    dest: &str,
) -> Result<(), ModuleError> {
    let q = quote(dest);
    let out = run_script(ctx, format!("{INFO_FN}_i {q}\n_i {q} -L\n"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let l = Info::parse(lines.next().unwrap_or("-"));
    let t = Info::parse(lines.next().unwrap_or("-"));
    path_info(r, &l, &t);
    Ok(())
}

fn maybe_multiline(v: &str) -> String {
    if v.contains('\n') {
        multiline(v)
    } else {
        v.to_owned()
    }
}

/// `write_signed_by_key`: `(changed, key file, field value)`, or why the URL failed.
#[allow(clippy::type_complexity)]
fn signed_by(
    ctx: &ModuleContext<'_>,
    v: &str,
    slug: &str,
) -> Result<Result<(bool, Option<String>, String), String>, ModuleError> {
    let out = run_script(ctx, format!("[ -f {} ]", quote(v)))?;
    if out.rc == 0 {
        return Ok(Ok((false, Some(v.to_owned()), v.to_owned())));
    }
    let has_scheme = regex::Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:")
        .map(|re| re.is_match(v))
        .unwrap_or(false);
    if !has_scheme {
        return Ok(Ok((false, None, v.to_owned())));
    }
    let data = match fetch_url(ctx, v, true)? {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    if data.is_empty() {
        return Ok(Ok((false, Some(v.to_owned()), v.to_owned())));
    }
    let armored = String::from_utf8_lossy(&data).contains("-----BEGIN PGP PUBLIC KEY BLOCK-----");
    let file = format!(
        "{KEYRINGS_DIR}/{slug}.{}",
        if armored { "asc" } else { "gpg" }
    );
    let (info, content) = probe_file(ctx, &file)?;
    let mut changed = false;
    if content.as_deref() != Some(data.as_slice()) {
        if !ctx.check_mode {
            // ensure_keyrings_dir: 0755 root:root.
            let q = quote(KEYRINGS_DIR);
            run_script(
                ctx,
                format!("mkdir -p -m 0755 {q} && chown root:root {q} && chmod 0755 {q}"),
            )?;
            ctx.conn.put_file(
                &data,
                &file,
                &PutOptions {
                    mode: Some(0o644),
                    become_: ctx.become_.clone(),
                },
            )?;
        }
        changed = true;
    } else if info.mode & 0o7777 != 0o644 {
        changed = true;
        if !ctx.check_mode {
            run_script(ctx, format!("chmod 644 -- {}", quote(&file)))?;
        }
    }
    Ok(Ok((changed, Some(file.clone()), file)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from the module's own slug, format_field_name and Deb822.dump.
    #[test]
    fn names_and_fields_as_the_module_writes_them() {
        assert_eq!(slug("My Repo_name.x"), "my-repo-namex");
        assert_eq!(
            field_name("allow_downgrade_to_insecure"),
            "Allow-Downgrade-To-Insecure"
        );
        assert_eq!(field_name("inrelease_path"), "Inrelease-Path");
        assert_eq!(field_name("uris"), "URIs");
        assert_eq!(
            dump(&[
                ("X-Repolib-Name".into(), "x".into()),
                ("Signed-By".into(), multiline("-----BEGIN-----\n\nabc\n-----END-----\n")),
            ]),
            "X-Repolib-Name: x\nSigned-By:\n    -----BEGIN-----\n    .\n    abc\n    -----END-----\n"
        );
    }
}

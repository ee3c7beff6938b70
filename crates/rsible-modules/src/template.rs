//! `template`: render a Jinja file on the controller, then place it as `copy` does.
//!
//! ```yaml
//! - template: { src: hosts.j2, dest: /etc/hosts, mode: "0644", backup: yes }
//! ```

use serde_json::{json, Value};

use crate::args::{parse, parse_bool, scalar_text, ArgSpec, Mode};
use crate::copy::{self, Source};
use crate::util::{failed, find_needle, py_datetime, sha1_hex};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

/// Options the template action consumes itself; everything else goes to copy.
const OWN: &[&str] = &[
    "newline_sequence",
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "trim_blocks",
    "lstrip_blocks",
    "output_encoding",
];

const INFO: ModuleInfo = ModuleInfo::builtin(
    "template",
    // The copy module on the target checks the arguments, so Ansible names it.
    ArgSpec::new(
        copy::INFO.args.label,
        &[
            "_original_basename",
            "attributes",
            "backup",
            "block_end_string",
            "block_start_string",
            "checksum",
            "comment_end_string",
            "comment_start_string",
            "dest",
            "directory_mode",
            "follow",
            "force",
            "group",
            "local_follow",
            "lstrip_blocks",
            "mode",
            "newline_sequence",
            "output_encoding",
            "owner",
            "remote_src",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "src",
            "trim_blocks",
            "unsafe_writes",
            "validate",
            "variable_end_string",
            "variable_start_string",
            "attr",
        ],
    ),
)
.without_async();

pub(crate) struct Template;
pub(crate) static TEMPLATE: Template = Template;

impl Module for Template {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        if args.contains_key("state") {
            return Ok(failed("'state' cannot be specified on a template").into());
        }
        let (Some(src), Some(dest)) = (args.get("src"), args.get("dest")) else {
            return Ok(failed("src and dest are required").into());
        };
        let (src, dest) = (scalar_text(src), scalar_text(dest));
        let newline = match args.get("newline_sequence").map(scalar_text).as_deref() {
            None | Some("\n" | "\\n") => "\n",
            Some("\r" | "\\r") => "\r",
            Some("\r\n" | "\\r\\n") => "\r\n",
            Some(_) => {
                return Ok(failed("newline_sequence needs to be one of: \n, \r or \r\n").into())
            }
        };
        let follow = args.get("follow").and_then(parse_bool).unwrap_or(false);
        let found = match find_needle(ctx, "templates", &src) {
            Ok(p) => p,
            Err(msg) => return Ok(failed(msg).into()),
        };
        let text = match crate::vault_src::read(&found, crate::vault_src::Read::Template) {
            Ok(Ok(bytes)) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => return Ok(failed("stream did not contain valid UTF-8".to_owned()).into()),
            },
            Ok(Err(raised)) => return Err(raised),
            Err(e) => return Ok(failed(e.to_string()).into()),
        };
        let vars = template_vars(ctx, &src, &found, &dest);
        let mut origin = ctx.origin.clone();
        origin.span = None;
        let include_dirs = include_dirs(ctx.vars, &found);
        let mut search = Vec::new();
        if let Some(dir) = found.parent() {
            search.push(dir.to_path_buf());
        }
        search.extend(origin.search_paths.iter().cloned());
        origin.search_paths = search;
        let mut trim_blocks = args.get("trim_blocks").and_then(parse_bool).unwrap_or(true);
        let mut lstrip_blocks = args
            .get("lstrip_blocks")
            .and_then(parse_bool)
            .unwrap_or(false);
        let (text, header) = match split_override_header(&text) {
            Ok(split) => split,
            Err(msg) => return Ok(failed(msg).into()),
        };
        for (key, value) in header {
            match (key.as_str(), value) {
                ("trim_blocks", HeaderValue::Bool(b)) => trim_blocks = b,
                ("lstrip_blocks", HeaderValue::Bool(b)) => lstrip_blocks = b,
                (key, _) => {
                    return Ok(failed(format!(
                        "rsible does not support the '#jinja2:' override '{key}' yet"
                    ))
                    .into())
                }
            }
        }
        let mut rendered = ctx
            .templar
            .bind(std::sync::Arc::new(vars))
            .render_text_with(text, &origin, trim_blocks, lstrip_blocks, &include_dirs)
            // Ansible names the template file, without a line, when the error has no place.
            .map_err(|e| {
                let file = rsible_source::SourceMap::add(&found, text);
                e.or_at(rsible_source::Span::point(
                    file,
                    rsible_source::Position::new(0, 0),
                ))
            })?;
        if newline != "\n" {
            rendered = rendered.replace('\n', newline);
        }
        let data = rendered.into_bytes();

        let mut rest: serde_json::Map<String, Value> = args
            .iter()
            .filter(|(k, _)| !OWN.contains(&k.as_str()) && k.as_str() != "src")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(Value::String(m)) = rest.get("mode") {
            if m == "preserve" {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = fs_err::metadata(&found)
                    .map(|m| m.permissions().mode() & 0o7777)
                    .unwrap_or(0o644);
                rest.insert("mode".into(), json!(format!("0{mode:03o}")));
            }
        }
        rest.insert("follow".into(), json!(follow));
        // copy requires src or content; the rendered text plays the part of content here.
        rest.insert("content".into(), json!(""));
        let mut a: copy::Args = match parse(&copy::INFO.args, &rest) {
            Ok(a) => a,
            Err(refusal) => {
                let mut out = ModuleOutput::from(refusal);
                out.result.insert("checksum".into(), json!(sha1_hex(&data)));
                return Ok(out);
            }
        };
        a.content = None;
        if a.mode == Some(Mode::Preserve) {
            a.mode = None;
        }
        let dest = crate::target::script::expand_path(ctx, &dest)?;
        let rel = found
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = Source {
            data,
            header: Some(copy::local_tmp_path(&rel)),
            rel,
            local: None,
            inline: false,
        };
        crate::copy::one_file::copy_file(ctx, &a, &source, &dest, follow, dest.ends_with('/'))
            .map(ModuleOutput::from)
    }
}

/// Where `{% include %}` looks, as ansible-core's template action builds it: the task's
/// `ansible_search_path`, the playbook's directory, then the template's own directory (Jinja
/// tries `templates/` below each).
fn include_dirs(vars: &rsible_template::Vars, found: &std::path::Path) -> Vec<std::path::PathBuf> {
    let listed = match vars.get("ansible_search_path") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let basedir = vars.get("playbook_dir").and_then(Value::as_str);
    listed
        .into_iter()
        .chain(basedir)
        .map(std::path::PathBuf::from)
        .chain(found.parent().map(std::path::Path::to_path_buf))
        .collect()
}

/// The task's variables plus what Ansible's `generate_ansible_template_vars` adds.
fn template_vars(
    ctx: &ModuleContext<'_>,
    src: &str,
    found: &std::path::Path,
    dest: &str,
) -> rsible_template::Vars {
    use std::os::unix::fs::MetadataExt as _;
    let mut vars = ctx.vars.clone();
    let meta = fs_err::metadata(found).ok();
    let mtime = meta
        .as_ref()
        .and_then(|m| {
            chrono::DateTime::from_timestamp(m.mtime(), u32::try_from(m.mtime_nsec()).unwrap_or(0))
        })
        .map(|t| py_datetime(&t.with_timezone(&chrono::Local)));
    let uid = meta.as_ref().map_or(0, |m| m.uid());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    vars.insert("template_host".into(), json!(host));
    vars.insert("template_path".into(), json!(src));
    vars.insert("template_mtime".into(), json!(mtime));
    vars.insert("template_uid".into(), json!(user_name(uid)));
    vars.insert(
        "template_run_date".into(),
        json!(py_datetime(&chrono::Local::now())),
    );
    vars.insert("template_destpath".into(), json!(dest));
    vars.insert("template_fullpath".into(), json!(found.to_string_lossy()));
    if !vars.contains_key("ansible_managed") {
        vars.insert("ansible_managed".into(), json!("Ansible managed"));
    }
    vars
}

/// The controller user's name for a uid, from `/etc/passwd` (the uid itself when unknown).
fn user_name(uid: u32) -> Value {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| json!(f[0]))
        })
        .unwrap_or_else(|| json!(uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, RunResult};
    use rsible_connection::local::LocalConnection;

    // `host {{ inventory_hostname }}\n` rendered by ansible-playbook 2.19 on localhost gave
    // checksum 1536e873… and size 15 (the trailing newline is kept).
    #[test]
    fn renders_with_task_vars_from_role_templates() {
        let pb = tempfile::tempdir().unwrap();
        let role = pb.path().join("roles/r1");
        std::fs::create_dir_all(role.join("templates")).unwrap();
        std::fs::write(
            role.join("templates/t.j2"),
            "host {{ inventory_hostname }}\n",
        )
        .unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = format!("{}/tt", out.path().display());
        let mut env = Env {
            playbook_dir: pb.path().to_path_buf(),
            role_path: Some(role.clone()),
            ..Env::default()
        };
        env.vars
            .insert("inventory_hostname".into(), json!("localhost"));
        let conn = LocalConnection::new();
        let r = TEMPLATE
            .run(&env.ctx(&conn), &args(json!({"src": "t.j2", "dest": dest})))
            .result();
        assert_eq!(r["checksum"], "1536e873484fc891b77c6b9cdd5d0d48f1a9021f");
        assert_eq!(r["size"], 15);
        assert_eq!(r["md5sum"], "1dab5b9283105e5aa4fa521ba2f8d13d");
        let r = TEMPLATE
            .run(
                &env.ctx(&conn),
                &args(json!({"src": "nope.j2", "dest": dest})),
            )
            .result();
        let (rd, pd) = (role.display(), pb.path().display());
        assert_eq!(
            r["msg"],
            json!(format!("Could not find or access 'nope.j2'\nSearched in:\n\t{rd}/templates/nope.j2\n\t{rd}/nope.j2\n\t{rd}/tasks/templates/nope.j2\n\t{rd}/tasks/nope.j2\n\t{pd}/templates/nope.j2\n\t{pd}/nope.j2 on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option"))
        );
    }

    #[test]
    fn renders_and_copies() {
        let pb = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(pb.path().join("templates")).unwrap();
        // No Jinja markup, so the expected bytes do not depend on the template engine.
        std::fs::write(pb.path().join("templates/t.j2"), "host x\n").unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = format!("{}/tt", out.path().display());
        let env = Env {
            playbook_dir: pb.path().to_path_buf(),
            ..Env::default()
        };
        let conn = LocalConnection::new();
        let r = TEMPLATE
            .run(
                &env.ctx(&conn),
                &args(json!({"src": "t.j2", "dest": dest, "mode": "0640"})),
            )
            .result();
        assert_eq!(r["changed"], true, "{r:?}");
        assert_eq!(r["mode"], "0640");
        assert_eq!(r["checksum"], json!(sha1_hex(b"host x\n")));
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "host x\n");
        let r = TEMPLATE
            .run(&env.ctx(&conn), &args(json!({"src": "t.j2", "dest": dest})))
            .result();
        assert_eq!(r["changed"], false);
        let r = TEMPLATE
            .run(
                &env.ctx(&conn),
                &args(json!({"src": "t.j2", "dest": dest, "bogus": 1})),
            )
            .result();
        assert_eq!(r["checksum"], json!(sha1_hex(b"host x\n")));
        assert!(r["msg"]
            .as_str()
            .unwrap()
            .starts_with("Unsupported parameters for (ansible.legacy.copy) module: bogus."));
        let r = TEMPLATE
            .run(&env.ctx(&conn), &args(json!({"src": "t.j2"})))
            .result();
        assert_eq!(r["msg"], "src and dest are required");
    }
}

/// A value of a `#jinja2:` header pair (Python literals).
#[derive(Debug, PartialEq)]
enum HeaderValue {
    Bool(bool),
    Other(String),
}

type HeaderPairs = Vec<(String, HeaderValue)>;

/// A template's first line `#jinja2: trim_blocks: False, lstrip_blocks: True` sets Jinja's
/// options for that template and is not part of it (ansible-core's `JINJA2_OVERRIDE`).
fn split_override_header(text: &str) -> Result<(&str, HeaderPairs), String> {
    const OVERRIDE: &str = "#jinja2:";
    let Some(rest) = text.strip_prefix(OVERRIDE) else {
        return Ok((text, Vec::new()));
    };
    let Some(eol) = rest.find('\n') else {
        return Err("Missing newline after '#jinja2:' override.".into());
    };
    let mut pairs = Vec::new();
    for pair in rest[..eol].split(',') {
        if pair.trim().is_empty() {
            return Err("Empty '#jinja2:' override pair not allowed.".into());
        }
        let Some((key, value)) = pair.split_once(':') else {
            return Err(format!(
                "Missing key-value separator `:` in '#jinja2:' override pair '{pair}'."
            ));
        };
        let value = match value.trim() {
            "True" => HeaderValue::Bool(true),
            "False" => HeaderValue::Bool(false),
            other => HeaderValue::Other(other.to_owned()),
        };
        pairs.push((key.trim().to_owned(), value));
    }
    Ok((&rest[eol + 1..], pairs))
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn the_override_line_is_read_and_removed() {
        let (body, pairs) =
            split_override_header("#jinja2: trim_blocks: False, lstrip_blocks: True\nx\n").unwrap();
        assert_eq!(body, "x\n");
        assert_eq!(
            pairs,
            vec![
                ("trim_blocks".to_owned(), HeaderValue::Bool(false)),
                ("lstrip_blocks".to_owned(), HeaderValue::Bool(true))
            ]
        );
        assert_eq!(split_override_header("x").unwrap().0, "x");
        assert!(split_override_header("#jinja2: a\n").is_err());
    }
}

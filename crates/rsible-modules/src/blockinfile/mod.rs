//! `blockinfile`: keep a block of lines between two marker lines in a file.
//!
//! ```yaml
//! - blockinfile:
//!     path: /etc/ssh/sshd_config
//!     block: |
//!       Match User ansible-agent
//!       PasswordAuthentication no
//! ```
//!
//! The file is read in one script, the block placed on the controller as Ansible's module
//! places it, and one script writes it back with its backup, `validate` and attributes
//! (`target::edit`).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::pyregex;
use crate::target::edit::{self, Change, FileArgs};
use crate::target::script::expand_path;
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "blockinfile",
    ArgSpec::new(
        "blockinfile",
        &[
            "append_newline",
            "attributes",
            "backup",
            "block",
            "create",
            "group",
            "insertafter",
            "insertbefore",
            "marker",
            "marker_begin",
            "marker_end",
            "mode",
            "owner",
            "path",
            "prepend_newline",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "state",
            "unsafe_writes",
            "validate",
            "attr",
            "content",
            "dest",
            "destfile",
            "name",
        ],
    )
    .aliases(&["attr", "content", "dest", "destfile", "name"]),
);

#[derive(Debug, Deserialize)]
struct Args {
    #[serde(
        default,
        alias = "dest",
        alias = "destfile",
        alias = "name",
        deserialize_with = "de_opt_string"
    )]
    path: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    marker: Option<String>,
    #[serde(default, alias = "content", deserialize_with = "de_opt_string")]
    block: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    insertafter: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    insertbefore: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    create: bool,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    validate: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    marker_begin: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    marker_end: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    append_newline: bool,
    #[serde(default, deserialize_with = "de_bool")]
    prepend_newline: bool,
    #[serde(flatten)]
    file: FileArgs,
}

pub(crate) struct BlockInFile;
pub(crate) static BLOCKINFILE: BlockInFile = BlockInFile;

impl Module for BlockInFile {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        if a.insertbefore.is_some() && a.insertafter.is_some() {
            return Ok(
                failed("parameters are mutually exclusive: insertbefore|insertafter").into(),
            );
        }
        if a.path.is_none() {
            return Ok(failed("missing required arguments: path").into());
        }
        if let Some(s) = a
            .state
            .as_deref()
            .filter(|s| !matches!(*s, "present" | "absent"))
        {
            return Ok(failed(format!(
                "value of state must be one of: absent, present, got: {s}"
            ))
            .into());
        }
        if let Some(f) = edit::refuse_chattr(args) {
            return Ok(f.into());
        }
        run(ctx, &a).map(ModuleOutput::from)
    }
}

/// Python's `bytes.splitlines(True)`: `\n`, `\r\n` and `\r` end lines.
fn splitlines(data: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        let end = match data[i] {
            b'\n' => i + 1,
            b'\r' if data.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        lines.push(data[start..end].to_vec());
        start = end;
        i = end;
    }
    if start < data.len() {
        lines.push(data[start..].to_vec());
    }
    lines
}

/// Whether a pattern turns `re.MULTILINE` on with a leading inline flag group (`(?m)`).
fn is_multiline(pattern: &str) -> bool {
    pattern
        .strip_prefix("(?")
        .and_then(|rest| rest.split_once(')'))
        .is_some_and(|(flags, _)| {
            flags.chars().all(|c| "aiLmsux".contains(c)) && flags.contains('m')
        })
}

/// Where the block goes and the new content, as Ansible's module computes them.
fn place_block(a: &Args, original: Option<&[u8]>) -> Result<(Vec<u8>, bool), String> {
    let present = a.state.as_deref() != Some("absent");
    let mut lines = original.map(splitlines).unwrap_or_default();
    let marker = a
        .marker
        .clone()
        .unwrap_or_else(|| "# {mark} ANSIBLE MANAGED BLOCK".to_owned());
    let mark_re = pyregex::compile("{mark}", false)?;
    let mark = |with: &str| -> Result<Vec<u8>, String> {
        let (mut m, _) = pyregex::subn(&mark_re, with.as_bytes(), marker.as_bytes())?;
        m.push(b'\n');
        Ok(m)
    };
    let marker0 = mark(a.marker_begin.as_deref().unwrap_or("BEGIN"))?;
    let marker1 = mark(a.marker_end.as_deref().unwrap_or("END"))?;
    let mut block = a.block.clone().unwrap_or_default().into_bytes();
    let blocklines = if present && !block.is_empty() {
        if !block.ends_with(b"\n") {
            block.push(b'\n');
        }
        let mut b = vec![marker0.clone()];
        b.extend(splitlines(&block));
        b.push(marker1.clone());
        b
    } else {
        Vec::new()
    };
    let (insertafter, insertbefore) = match (a.insertafter.as_deref(), a.insertbefore.as_deref()) {
        (None, None) => (Some("EOF"), None),
        other => other,
    };
    let insert_pattern = match (insertafter, insertbefore) {
        (Some(p), _) if p != "EOF" => Some(p),
        (_, Some(p)) if p != "BOF" => Some(p),
        _ => None,
    };
    let (mut n0, mut n1) = (None, None);
    for (i, line) in lines.iter().enumerate() {
        if *line == marker0 {
            n0 = Some(i);
        }
        if *line == marker1 {
            n1 = Some(i);
        }
    }
    let mut n0 = match (n0, n1) {
        (Some(s), Some(e)) if s < e => {
            lines.drain(s..=e);
            s
        }
        (Some(s), Some(e)) => {
            lines.drain(e..=s);
            e
        }
        _ => match insert_pattern {
            Some(p) => {
                let re = pyregex::compile(p, false)?;
                let mut found = None;
                if is_multiline(p) {
                    let text = original.unwrap_or_default();
                    if let Some(m) = re.find(text) {
                        let count =
                            |end: usize| text[..end].iter().filter(|&&b| b == b'\n').count();
                        if insertafter.is_some_and(|s| !s.is_empty()) {
                            found = Some(count(m.end()));
                        } else if insertbefore.is_some_and(|s| !s.is_empty()) {
                            found = Some(count(m.start()));
                        }
                    }
                } else {
                    for (i, line) in lines.iter().enumerate() {
                        if re.is_match(line) {
                            found = Some(i);
                        }
                    }
                }
                match found {
                    None => lines.len(),
                    Some(i) if insertafter.is_some() => i + 1,
                    Some(i) => i,
                }
            }
            None if insertbefore.is_some() => 0,
            None => lines.len(),
        },
    };
    if n0 > 0 && !lines[n0 - 1].ends_with(b"\n") {
        lines[n0 - 1].push(b'\n');
    }
    if a.prepend_newline && present && n0 != 0 && lines[n0 - 1] != b"\n" {
        lines.insert(n0, b"\n".to_vec());
        n0 += 1;
    }
    let after = n0 + blocklines.len();
    let removed = blocklines.is_empty();
    lines.splice(n0..n0, blocklines);
    if a.append_newline && present && after < lines.len() && lines[after] != b"\n" {
        lines.insert(after, b"\n".to_vec());
    }
    Ok((lines.concat(), removed))
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    let path = expand_path(ctx, a.path.as_deref().unwrap_or_default())?;
    let attrs = a.file.attrs();
    let f = edit::read_text(ctx, &path, &attrs)?;
    let with_rc = |mut r: ResultMap, rc: i64| {
        r.insert("rc".into(), json!(rc));
        r
    };
    if f.is_dir {
        return Ok(with_rc(
            failed(format!("Path {path} is a directory !")),
            256,
        ));
    }
    if !f.exists && !a.create {
        return Ok(with_rc(
            failed(format!("Path {path} does not exist !")),
            257,
        ));
    }
    if f.unreadable {
        return Ok(f.unreadable_failure());
    }
    let present = a.state.as_deref() != Some("absent");
    if !present && !f.exists {
        return Ok(crate::util::map(
            json!({"changed": false, "msg": format!("File {path} not present")}),
        ));
    }
    let original = f.exists.then_some(f.data.as_slice());
    let (result, removed) = match place_block(a, original) {
        Ok(x) => x,
        Err(e) => return Ok(failed(e)),
    };
    let mut diff = serde_json::Map::new();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let before = original
        .filter(|o| ctx.diff && !o.is_empty())
        .map_or_else(String::new, text);
    diff.insert("before".into(), json!(before));
    diff.insert(
        "after".into(),
        json!(if ctx.diff {
            text(&result)
        } else {
            String::new()
        }),
    );
    diff.insert("before_header".into(), json!(format!("{path} (content)")));
    diff.insert("after_header".into(), json!(format!("{path} (content)")));
    let (mut changed, mut msg) = match original {
        Some(o) if o == result.as_slice() => (false, String::new()),
        None => (true, "File created".to_owned()),
        Some(_) if removed => (true, "Block removed".to_owned()),
        Some(_) => (true, "Block inserted".to_owned()),
    };
    if let (true, Some(v)) = (changed && !ctx.check_mode, a.validate.as_deref()) {
        if !v.contains("%s") {
            return Ok(failed(format!("validate must contain %s: {v}")));
        }
    }
    if ctx.check_mode && !f.exists {
        return Ok(crate::util::map(
            json!({"changed": changed, "msg": msg, "diff": diff}),
        ));
    }
    let plan = match f.plan_attrs(&attrs) {
        Ok(p) => p,
        Err(e) => return Ok(failed(e)),
    };
    let change = Change {
        data: changed.then_some(result.as_slice()),
        backup: a.backup && f.exists,
        validate: a.validate.as_deref(),
        make_parents: !f.exists && !f.parent_exists,
        unsafe_writes: a.file.unsafe_writes,
    };
    let validate_failure =
        |rc: i32, err: &str| failed(format!("failed to validate: rc:{rc} error:{err}"));
    let backup = match edit::commit(ctx, &f, &change, &plan, validate_failure)? {
        Ok(b) => b,
        Err(fail) => return Ok(fail),
    };
    let attr_diff = edit::attr_outcome(&path, &plan, &mut changed, &mut msg);
    let mut r = ResultMap::new();
    r.insert("changed".into(), json!(changed));
    r.insert("msg".into(), json!(msg));
    r.insert("diff".into(), json!([diff, attr_diff]));
    if let Some(b) = backup {
        r.insert("backup_file".into(), json!(b));
    }
    Ok(r)
}

#[cfg(test)]
mod tests;

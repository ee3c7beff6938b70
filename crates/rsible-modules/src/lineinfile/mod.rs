//! `lineinfile`: make sure one line is in a file (or that matching lines are not).
//!
//! ```yaml
//! - lineinfile: { path: /etc/ssh/sshd_config, regexp: '^#?PermitRootLogin', line: PermitRootLogin no }
//! - lineinfile: { path: /etc/hosts, line: 10.0.0.5 db, insertafter: '^127\.' }
//! ```
//!
//! One script reads the file, the lines are chosen on the controller exactly as Ansible's module
//! chooses them (Python bytes regexes, `readlines()` lines), and one script writes the result
//! (backup, `validate`, atomic rename, attributes): see `target::edit`.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::pyregex;
use crate::target::edit::{self, Attrs, Change, FileArgs, TextFile};
use crate::target::script::expand_path;
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "lineinfile",
    ArgSpec::new(
        "lineinfile",
        &[
            "attributes",
            "backrefs",
            "backup",
            "create",
            "firstmatch",
            "group",
            "insertafter",
            "insertbefore",
            "line",
            "mode",
            "owner",
            "path",
            "regexp",
            "search_string",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "state",
            "unsafe_writes",
            "validate",
            "attr",
            "dest",
            "destfile",
            "name",
            "regex",
            "value",
        ],
    )
    .aliases(&["attr", "dest", "destfile", "name", "regex", "value"]),
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
    #[serde(default, alias = "regex", deserialize_with = "de_opt_string")]
    regexp: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    search_string: Option<String>,
    #[serde(default, alias = "value", deserialize_with = "de_opt_string")]
    line: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    insertafter: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    insertbefore: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    backrefs: bool,
    #[serde(default, deserialize_with = "de_bool")]
    create: bool,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default, deserialize_with = "de_bool")]
    firstmatch: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    validate: Option<String>,
    #[serde(flatten)]
    file: FileArgs,
}

pub(crate) struct LineInFile;
pub(crate) static LINEINFILE: LineInFile = LineInFile;

impl Module for LineInFile {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        if let Some(f) = check_args(&a) {
            return Ok(f.into());
        }
        if let Some(f) = edit::refuse_chattr(args) {
            return Ok(f.into());
        }
        run(ctx, &a).map(ModuleOutput::from)
    }
}

/// Ansible's argument checks, in its order: mutually exclusive, required, choices.
fn check_args(a: &Args) -> Option<ResultMap> {
    for (x, y) in [
        ("insertbefore", "insertafter"),
        ("regexp", "search_string"),
        ("backrefs", "search_string"),
    ] {
        let given = |n: &str| match n {
            "insertbefore" => a.insertbefore.is_some(),
            "insertafter" => a.insertafter.is_some(),
            "regexp" => a.regexp.is_some(),
            "backrefs" => a.backrefs,
            _ => a.search_string.is_some(),
        };
        if given(x) && given(y) {
            return Some(failed(format!(
                "parameters are mutually exclusive: {x}|{y}"
            )));
        }
    }
    if a.path.is_none() {
        return Some(failed("missing required arguments: path"));
    }
    match a.state.as_deref() {
        None | Some("present" | "absent") => None,
        Some(s) => Some(failed(format!(
            "value of state must be one of: absent, present, got: {s}"
        ))),
    }
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    let path = expand_path(ctx, a.path.as_deref().unwrap_or_default())?;
    let mut warnings = Vec::new();
    if a.regexp.as_deref() == Some("") || a.search_string.as_deref() == Some("") {
        let (name, tail) = if a.regexp.as_deref() == Some("") {
            ("regular expression", " If this is desired, use '^' to match every line in the file and avoid this warning.")
        } else {
            ("search string", "")
        };
        warnings.push(format!("The {name} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.{tail}"));
    }
    let attrs = a.file.attrs();
    let f = edit::read_text(ctx, &path, &attrs)?;
    let mut r = if f.is_dir {
        let mut r = failed(format!("Path {path} is a directory !"));
        r.insert("rc".into(), json!(256));
        r
    } else if a.state.as_deref() == Some("absent") {
        if a.regexp.is_none() && a.search_string.is_none() && a.line.is_none() {
            failed("one of line, search_string, or regexp is required with state=absent")
        } else {
            absent(ctx, a, &f, &attrs)?
        }
    } else if a.backrefs && a.regexp.is_none() {
        failed("regexp is required with backrefs=true")
    } else if a.line.is_none() {
        failed("line is required with state=present")
    } else {
        present(ctx, a, &f, &attrs)?
    };
    if !warnings.is_empty() {
        r.insert("warnings".into(), json!(warnings));
    }
    Ok(r)
}

fn compile(pattern: &str) -> Result<regex::bytes::Regex, ResultMap> {
    pyregex::compile(pattern, false).map_err(failed)
}

fn rstrip_eol(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| b != b'\n' && b != b'\r')
        .map_or(0, |i| i + 1);
    &line[..end]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn truthy(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.is_empty())
}

fn content_diff(path: &str, before: String, after: String) -> serde_json::Map<String, Value> {
    let mut d = serde_json::Map::new();
    d.insert("before".into(), json!(before));
    d.insert("after".into(), json!(after));
    d.insert("before_header".into(), json!(format!("{path} (content)")));
    d.insert("after_header".into(), json!(format!("{path} (content)")));
    d
}

/// Where the line goes, as Ansible's `present()` decides: the new lines and the message.
fn place_line(
    a: &Args,
    mut lines: Vec<Vec<u8>>,
) -> Result<(Vec<Vec<u8>>, &'static str), ResultMap> {
    let line = a.line.as_deref().unwrap_or_default().as_bytes();
    let insertbefore = a.insertbefore.as_deref();
    let insertafter = match (a.insertbefore.as_deref(), a.insertafter.as_deref()) {
        (None, None) => Some("EOF"),
        (_, aft) => aft,
    };
    let re_m = a.regexp.as_deref().map(compile).transpose()?;
    let re_ins = match (insertafter, insertbefore) {
        (Some(p), _) if !matches!(p, "BOF" | "EOF") => Some(compile(p)?),
        (_, Some(p)) if p != "BOF" => Some(compile(p)?),
        _ => None,
    };
    let mut index: [Option<usize>; 2] = [None, None];
    let mut matched = false;
    if let Some(re) = &re_m {
        for (n, l) in lines.iter().enumerate() {
            if re.is_match(l) {
                index[0] = Some(n);
                matched = true;
                if a.firstmatch {
                    break;
                }
            }
        }
    }
    if let Some(s) = a.search_string.as_deref() {
        for (n, l) in lines.iter().enumerate() {
            if contains(l, s.as_bytes()) {
                index[0] = Some(n);
                matched = true;
                if a.firstmatch {
                    break;
                }
            }
        }
    }
    if !matched {
        for (n, l) in lines.iter().enumerate() {
            if rstrip_eol(l) == line {
                index[0] = Some(n);
            } else if re_ins.as_ref().is_some_and(|re| re.is_match(l)) {
                if truthy(insertafter) {
                    index[1] = Some(n + 1);
                    if a.firstmatch {
                        break;
                    }
                }
                if truthy(insertbefore) {
                    index[1] = Some(n);
                    if a.firstmatch {
                        break;
                    }
                }
            }
        }
    }
    let with_eol = |l: &[u8]| {
        let mut v = l.to_vec();
        v.push(b'\n');
        v
    };
    let ends_open = |lines: &Vec<Vec<u8>>| {
        lines
            .last()
            .is_some_and(|l| !matches!(l.last(), Some(b'\n' | b'\r')))
    };
    let mut msg = "";
    if let Some(i0) = index[0] {
        let mut new_line = match (&re_m, a.backrefs && matched) {
            (Some(re), true) => {
                let caps = re
                    .captures(&lines[i0])
                    .ok_or_else(|| failed("regexp lost its match"))?;
                pyregex::expand(line, &caps, re).map_err(failed)?
            }
            _ => line.to_vec(),
        };
        if !new_line.ends_with(b"\n") {
            new_line.push(b'\n');
        }
        if lines[i0] != new_line {
            lines[i0] = new_line;
            msg = "line replaced";
        }
    } else if a.backrefs {
        // Without a match there is nothing to expand the backreferences from.
    } else if insertbefore == Some("BOF") || insertafter == Some("BOF") {
        lines.insert(0, with_eol(line));
        msg = "line added";
    } else if insertafter == Some("EOF") || index[1].is_none() {
        if ends_open(&lines) {
            lines.push(b"\n".to_vec());
        }
        lines.push(with_eol(line));
        msg = "line added";
    } else if let (true, Some(i1)) = (truthy(insertafter), index[1]) {
        if lines.len() == i1 {
            if rstrip_eol(&lines[i1 - 1]) != line {
                lines.push(with_eol(line));
                msg = "line added";
            }
        } else if line != rstrip_eol(&lines[i1]) {
            lines.insert(i1, with_eol(line));
            msg = "line added";
        }
    } else if let Some(i1) = index[1] {
        lines.insert(i1, with_eol(line));
        msg = "line added";
    }
    Ok((lines, msg))
}

fn present(
    ctx: &ModuleContext<'_>,
    a: &Args,
    f: &TextFile,
    attrs: &Attrs<'_>,
) -> Result<ResultMap, ModuleError> {
    let path = &f.path;
    if !f.exists && !a.create {
        let mut r = failed(format!("Destination {path} does not exist !"));
        r.insert("rc".into(), json!(257));
        return Ok(r);
    }
    if f.unreadable {
        return Ok(f.unreadable_failure());
    }
    let (lines, msg) = match place_line(a, f.lines()) {
        Ok(x) => x,
        Err(fail) => return Ok(fail),
    };
    let changed = !msg.is_empty();
    let new = lines.concat();
    let before = if ctx.diff { f.text() } else { String::new() };
    let after = if ctx.diff {
        String::from_utf8_lossy(&new).into_owned()
    } else {
        String::new()
    };
    let diff = content_diff(path, before, after);
    if ctx.check_mode && !f.exists {
        let mut r = ResultMap::new();
        r.insert("changed".into(), json!(changed));
        r.insert("msg".into(), json!(msg));
        r.insert("backup".into(), json!(""));
        r.insert("diff".into(), Value::Object(diff));
        return Ok(r);
    }
    let change = Change {
        data: changed.then_some(new.as_slice()),
        backup: a.backup && f.exists,
        validate: a.validate.as_deref(),
        make_parents: !f.exists && !f.parent_exists,
        unsafe_writes: a.file.unsafe_writes,
    };
    finish(
        ctx,
        a,
        f,
        attrs,
        &change,
        changed,
        msg.to_owned(),
        diff,
        None,
    )
}

fn absent(
    ctx: &ModuleContext<'_>,
    a: &Args,
    f: &TextFile,
    attrs: &Attrs<'_>,
) -> Result<ResultMap, ModuleError> {
    if !f.exists {
        return Ok(crate::util::map(
            json!({"changed": false, "msg": "file not present"}),
        ));
    }
    if f.unreadable {
        return Ok(f.unreadable_failure());
    }
    let re = match a.regexp.as_deref().map(compile).transpose() {
        Ok(re) => re,
        Err(fail) => return Ok(fail),
    };
    let line = a.line.as_deref().unwrap_or_default().as_bytes();
    let (mut kept, mut found) = (Vec::new(), 0usize);
    for l in f.lines() {
        let hit = match (&re, a.search_string.as_deref()) {
            (Some(re), _) => re.is_match(&l),
            (None, Some(s)) => contains(&l, s.as_bytes()),
            (None, None) => rstrip_eol(&l) == line,
        };
        if hit {
            found += 1;
        } else {
            kept.push(l);
        }
    }
    let changed = found > 0;
    let new = kept.concat();
    let diff = content_diff(
        &f.path,
        if ctx.diff { f.text() } else { String::new() },
        if ctx.diff {
            String::from_utf8_lossy(&new).into_owned()
        } else {
            String::new()
        },
    );
    let change = Change {
        data: changed.then_some(new.as_slice()),
        backup: a.backup,
        validate: a.validate.as_deref(),
        make_parents: false,
        unsafe_writes: a.file.unsafe_writes,
    };
    let msg = if changed {
        format!("{found} line(s) removed")
    } else {
        String::new()
    };
    finish(ctx, a, f, attrs, &change, changed, msg, diff, Some(found))
}

/// Writes the change and the attributes, and builds the result as `present`/`absent` end.
#[expect(clippy::too_many_arguments, reason = "the pieces of one result")]
fn finish(
    ctx: &ModuleContext<'_>,
    a: &Args,
    f: &TextFile,
    attrs: &Attrs<'_>,
    change: &Change<'_>,
    mut changed: bool,
    mut msg: String,
    diff: serde_json::Map<String, Value>,
    found: Option<usize>,
) -> Result<ResultMap, ModuleError> {
    if let Some(v) = change.data.and(a.validate.as_deref()) {
        if !v.contains("%s") && !ctx.check_mode {
            return Ok(failed(format!("validate must contain %s: {v}")));
        }
    }
    let validate_failure =
        |rc: i32, err: &str| failed(format!("failed to validate: rc:{rc} error:{err}"));
    let plan = match f.plan_attrs(attrs) {
        Ok(p) => p,
        Err(e) => {
            // The content is written before the attributes fail, as in Ansible.
            let empty = crate::target::file_state::AttrPlan {
                cmds: Vec::new(),
                before: serde_json::Map::new(),
                after: serde_json::Map::new(),
            };
            if let Err(fail) = edit::commit(ctx, f, change, &empty, validate_failure)? {
                return Ok(fail);
            }
            return Ok(failed(e));
        }
    };
    let backup = match edit::commit(ctx, f, change, &plan, validate_failure)? {
        Ok(b) => b,
        Err(fail) => return Ok(fail),
    };
    let attr_diff = edit::attr_outcome(&f.path, &plan, &mut changed, &mut msg);
    let mut r = ResultMap::new();
    r.insert("changed".into(), json!(changed));
    if let Some(n) = found {
        r.insert("found".into(), json!(n));
    }
    r.insert("msg".into(), json!(msg));
    r.insert("backup".into(), json!(backup.unwrap_or_default()));
    r.insert("diff".into(), json!([diff, attr_diff]));
    Ok(r)
}

#[cfg(test)]
mod tests;

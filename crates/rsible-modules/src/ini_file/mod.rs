//! `community.general.ini_file`: set, add or remove options and sections of an INI file.
//!
//! ```yaml
//! - community.general.ini_file:
//!     path: /etc/app.ini
//!     section: drinks
//!     option: fav
//!     value: lemonade
//! ```
//!
//! The file is read in one script (`target::edit`), its lines edited on the controller by the
//! module's own rules (options matched with their comment marker `#`/`;` and spacing, the first
//! section of the name whose `section_has_values` hold, options inserted after the section's
//! last non-blank non-comment line), and one script writes it back with its backup; attributes
//! follow as Ansible's `set_fs_attributes_if_different` applies them (not in check mode).

use regex::Regex;
use serde_json::{json, Value};

use crate::args::{ArgSpec, Mode};
use crate::params::Params;
use crate::target::edit::{self, Attrs, Change};
use crate::target::script::expand_path;
use crate::util::failed;
use crate::{Collection, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};
use rsible_connection::shell::quote;
use rsible_template::py_repr;

const INFO: ModuleInfo = ModuleInfo::builtin(
    "ini_file",
    ArgSpec::new(
        "community.general.ini_file",
        &[
            "allow_no_value",
            "attributes",
            "backup",
            "create",
            "exclusive",
            "follow",
            "group",
            "ignore_spaces",
            "mode",
            "modify_inactive_option",
            "no_extra_spaces",
            "option",
            "owner",
            "path",
            "section",
            "section_has_values",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "state",
            "unsafe_writes",
            "value",
            "values",
            "attr",
            "dest",
        ],
    )
    .aliases(&["attr", "dest"]),
)
.in_collection(Collection::CommunityGeneral);

/// The section name the module puts around the lines before the first section.
const FAKE_SECTION: &str = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

pub(crate) struct IniFile;
pub(crate) static INI_FILE: IniFile = IniFile;

/// One `section_has_values` condition: the option and the values it may have (any when empty).
#[derive(Clone, Debug, PartialEq)]
struct Condition {
    option: String,
    values: Vec<String>,
}

/// What the edit is asked to do.
#[derive(Clone, Debug, Default)]
struct Ini {
    section: Option<String>,
    section_has_values: Option<Vec<Condition>>,
    option: Option<String>,
    values: Vec<String>,
    present: bool,
    exclusive: bool,
    no_extra_spaces: bool,
    ignore_spaces: bool,
    allow_no_value: bool,
    modify_inactive_option: bool,
}

struct Args {
    path: String,
    ini: Ini,
    backup: bool,
    create: bool,
    follow: bool,
    mode: Option<Mode>,
    owner: Option<String>,
    group: Option<String>,
    unsafe_writes: bool,
}

/// `section_has_values` as its sub-spec reads it.
fn conditions(v: &Value) -> Result<Vec<Condition>, String> {
    let items = match v {
        Value::Array(items) => items.clone(),
        Value::String(s) => s.split(',').map(|x| json!(x)).collect(),
        other => vec![other.clone()],
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(m) = item else {
            return Err("dictionary requested, could not parse JSON or key=value".into());
        };
        let unknown: Vec<&str> = m
            .keys()
            .map(String::as_str)
            .filter(|k| !matches!(*k, "option" | "value" | "values"))
            .collect();
        if !unknown.is_empty() {
            let mut names: Vec<String> = unknown
                .iter()
                .map(|k| format!("section_has_values.{k}"))
                .collect();
            names.sort();
            return Err(format!(
                "Unsupported parameters for (community.general.ini_file) module: {}. Supported parameters include: option, value, values.",
                names.join(", ")
            ));
        }
        let given = |k: &str| m.get(k).filter(|v| !v.is_null());
        if given("value").is_some() && given("values").is_some() {
            return Err(
                "parameters are mutually exclusive: value|values found in section_has_values"
                    .into(),
            );
        }
        let Some(option) = given("option") else {
            return Err("missing required arguments: option found in section_has_values".into());
        };
        let text = |v: &Value| match v {
            Value::Array(_) | Value::Object(_) => py_repr(v),
            other => crate::args::scalar_text(other),
        };
        let values = match (given("value"), given("values")) {
            (Some(v), _) => vec![text(v)],
            (_, Some(Value::Array(vs))) => vs.iter().map(text).collect(),
            (_, Some(Value::String(s))) => s.split(',').map(str::to_owned).collect(),
            (_, Some(v)) => vec![text(v)],
            _ => Vec::new(),
        };
        out.push(Condition {
            option: text(option),
            values,
        });
    }
    Ok(out)
}

fn read_args(args: &serde_json::Map<String, Value>) -> Result<Result<Args, String>, ModuleError> {
    let given = |k: &str| args.get(k).is_some_and(|v| !v.is_null());
    if given("value") && given("values") {
        return Ok(Err("parameters are mutually exclusive: value|values".into()));
    }
    let mut p = Params::new(
        &INFO.args,
        args,
        &[("dest", "path"), ("attr", "attributes")],
    )?;
    p.required("path");
    let path = p.str("path");
    let section = p.str("section");
    let option = p.str("option");
    let value = p.str("value");
    let values = p.list("values");
    let backup = p.bool("backup").unwrap_or(false);
    let state = p.choice("state", &["absent", "present"]);
    let exclusive = p.bool("exclusive").unwrap_or(true);
    let no_extra_spaces = p.bool("no_extra_spaces").unwrap_or(false);
    let ignore_spaces = p.bool("ignore_spaces").unwrap_or(false);
    let allow_no_value = p.bool("allow_no_value").unwrap_or(false);
    let modify_inactive_option = p.bool("modify_inactive_option").unwrap_or(true);
    let create = p.bool("create").unwrap_or(true);
    let follow = p.bool("follow").unwrap_or(false);
    let unsafe_writes = p.bool("unsafe_writes").unwrap_or(false);
    let owner = p.str("owner");
    let group = p.str("group");
    if let Some(e) = p.error() {
        return Ok(Err(e));
    }
    let section_has_values = match args.get("section_has_values").filter(|v| !v.is_null()) {
        Some(v) => match conditions(v) {
            Ok(c) => Some(c),
            Err(e) => return Ok(Err(e)),
        },
        None => None,
    };
    let mode = match args.get("mode").filter(|v| !v.is_null()) {
        Some(v) => match serde_json::from_value::<Mode>(v.clone()) {
            Ok(m) => Some(m),
            Err(e) => return Ok(Err(e.to_string())),
        },
        None => None,
    };
    let present = state.as_deref() != Some("absent");
    if present && !allow_no_value && value.is_none() && values.as_ref().is_none_or(Vec::is_empty) {
        return Ok(Err(
            "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."
                .into(),
        ));
    }
    let values = match value {
        Some(v) => vec![v],
        None => values.unwrap_or_default(),
    };
    Ok(Ok(Args {
        path: path.unwrap_or_default(),
        ini: Ini {
            section,
            section_has_values,
            option,
            values,
            present,
            exclusive,
            no_extra_spaces,
            ignore_spaces,
            allow_no_value,
            modify_inactive_option,
        },
        backup,
        create,
        follow,
        mode,
        owner,
        group,
        unsafe_writes,
    }))
}

impl Module for IniFile {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a = match read_args(args)? {
            Ok(a) => a,
            Err(msg) => return Ok(failed(msg).into()),
        };
        if let Some(f) = edit::refuse_chattr(args) {
            return Ok(f.into());
        }
        run(ctx, &a)
    }
}

/// A line without its final newline, as Python's `$` sees the end of it.
fn body(line: &str) -> &str {
    line.strip_suffix('\n').unwrap_or(line)
}

/// The module's `match_opt` (`active: false`, commented lines too) and `match_active_opt`:
/// group 2 is the comment marker, group 8 the value.
struct OptMatcher {
    re: Regex,
}

impl OptMatcher {
    fn new(option: &str, active: bool) -> Self {
        let head = if active { "()()" } else { "( |\\t)*([#;]?)" };
        let re = Regex::new(&format!(
            "^{head}( |\\t)*({})( |\\t)*(=|$)( |\\t)*(.*)",
            regex::escape(option)
        ))
        .expect("an escaped option always compiles");
        Self { re }
    }

    /// The comment marker and the value when the line sets the option.
    fn find<'l>(&self, line: &'l str) -> Option<(&'l str, &'l str)> {
        let c = self.re.captures(body(line))?;
        Some((
            c.get(2).map_or("", |m| m.as_str()),
            c.get(8).map_or("", |m| m.as_str()),
        ))
    }
}

/// Blank and comment lines: where an option is not inserted after.
fn blank_or_comment(line: &str) -> bool {
    let b = body(line).trim_start_matches([' ', '\t']);
    b.is_empty() || b.starts_with(['#', ';'])
}

/// The edited lines, whether they changed and the message, as `do_ini` computes them; `Err` is
/// the exception the module raises.
fn edit_lines(
    mut ini_lines: Vec<String>,
    p: &Ini,
) -> Result<(Vec<String>, bool, &'static str), String> {
    let mut values: Vec<String> = Vec::new();
    for v in &p.values {
        if !values.contains(v) {
            values.push(v.clone());
        }
    }
    let option = p.option.as_deref();
    let has_option = option.is_some_and(|o| !o.is_empty());
    // `re.escape(None)` of an absent option.
    let none_error = || "decoding to str: need a bytes-like object, NoneType found".to_owned();
    let matcher = |active: bool| option.map(|o| OptMatcher::new(o, active));
    let all_matcher = matcher(false);
    let active_matcher = matcher(true);
    let match_fn = if p.modify_inactive_option {
        &all_matcher
    } else {
        &active_matcher
    };
    let matches = |m: &Option<OptMatcher>, line: &str| -> Result<bool, String> {
        m.as_ref()
            .map(|m| m.find(line).is_some())
            .ok_or_else(none_error)
    };

    let mut changed = false;
    if ini_lines.is_empty() {
        ini_lines.push("\n".into());
    }
    if let Some(last) = ini_lines.last_mut() {
        if !last.ends_with('\n') {
            last.push('\n');
            changed = true;
        }
    }
    ini_lines.insert(0, format!("[{FAKE_SECTION}]"));
    ini_lines.push("[".into());
    let section = match p.section.as_deref() {
        Some(s) if !s.is_empty() => s,
        _ => FAKE_SECTION,
    };
    let assignment = |o: &str, v: &str| {
        if p.no_extra_spaces {
            format!("{o}={v}\n")
        } else {
            format!("{o} = {v}\n")
        }
    };
    let section_re = Regex::new(&format!(r"^\[\s*{}\s*]", regex::escape(section.trim())))
        .expect("an escaped section always compiles");
    let has_values = |lines: &[String]| -> bool {
        let Some(conds) = &p.section_has_values else {
            return true;
        };
        conds.iter().all(|c| {
            let m = OptMatcher::new(&c.option, false);
            lines.iter().any(|l| {
                m.find(l)
                    .is_some_and(|(_, v)| c.values.is_empty() || c.values.iter().any(|x| x == v))
            })
        })
    };

    let mut within = false;
    let (mut start, mut end) = (0, 0);
    for (index, line) in ini_lines.iter().enumerate() {
        if within && line.starts_with('[') {
            if has_values(&ini_lines[start..index]) {
                end = index;
                break;
            }
            within = false;
            start = 0;
            end = 0;
        }
        if section_re.is_match(line) {
            within = true;
            start = index;
        }
    }
    let after = ini_lines.split_off(end);
    let mut section_lines = ini_lines.split_off(start);
    let before = ini_lines;
    let mut changed_lines = vec![false; section_lines.len()];
    let mut msg = "OK";
    let mut no_value_present = false;

    // Puts `newline` at `index` unless only spacing differs under `ignore_spaces`.
    let update = |lines: &mut Vec<String>,
                  changed_lines: &mut Vec<bool>,
                  index: usize,
                  newline: String,
                  changed: &mut bool,
                  msg: &mut &'static str| {
        let mut option_changed = None;
        if p.ignore_spaces {
            if let Some(m) = &all_matcher {
                if let Some(("", old)) = m.find(&lines[index]) {
                    let new = m.find(&newline).map_or("", |(_, v)| v);
                    option_changed = Some(old != new);
                }
            }
        }
        let option_changed = option_changed.unwrap_or(lines[index] != newline);
        if option_changed {
            lines[index] = newline;
            *changed = true;
            *msg = "option changed";
        }
        changed_lines[index] = true;
    };

    if p.present && has_option {
        let m = match_fn.as_ref().expect("option is set");
        for index in 0..section_lines.len() {
            let Some((_, value)) = m.find(&section_lines[index]) else {
                continue;
            };
            let value = value.to_owned();
            if let Some(pos) = values.iter().position(|v| *v == value) {
                let newline = if value.is_empty() && p.allow_no_value {
                    no_value_present = true;
                    format!("{}\n", option.unwrap_or_default())
                } else {
                    assignment(option.unwrap_or_default(), &value)
                };
                update(
                    &mut section_lines,
                    &mut changed_lines,
                    index,
                    newline,
                    &mut changed,
                    &mut msg,
                );
                values.remove(pos);
            } else if values.is_empty() && p.allow_no_value {
                let newline = format!("{}\n", option.unwrap_or_default());
                update(
                    &mut section_lines,
                    &mut changed_lines,
                    index,
                    newline,
                    &mut changed,
                    &mut msg,
                );
                no_value_present = true;
                break;
            }
        }
    }

    if p.present && p.exclusive && !p.allow_no_value {
        if !values.is_empty() {
            for index in 0..section_lines.len() {
                if !changed_lines[index] && matches(match_fn, &section_lines[index])? {
                    let newline = assignment(option.unwrap_or_default(), &values.remove(0));
                    update(
                        &mut section_lines,
                        &mut changed_lines,
                        index,
                        newline,
                        &mut changed,
                        &mut msg,
                    );
                    if values.is_empty() {
                        break;
                    }
                }
            }
        }
        for index in (1..section_lines.len()).rev() {
            if !changed_lines[index] && matches(match_fn, &section_lines[index])? {
                section_lines.remove(index);
                changed_lines.remove(index);
                changed = true;
                msg = "option changed";
            }
        }
    }

    if p.present {
        for index in (1..=section_lines.len()).rev() {
            if blank_or_comment(&section_lines[index - 1]) {
                continue;
            }
            let o = option.unwrap_or_default();
            if has_option && !values.is_empty() {
                for v in values.iter().rev() {
                    section_lines.insert(index, assignment(o, v));
                    msg = "option added";
                    changed = true;
                }
            } else if has_option && values.is_empty() && p.allow_no_value && !no_value_present {
                section_lines.insert(index, format!("{o}\n"));
                msg = "option added";
                changed = true;
            }
            break;
        }
    }

    if !p.present {
        if has_option {
            let m = active_matcher.as_ref().expect("option is set");
            let keep = |l: &String| -> bool {
                match m.find(l) {
                    None => true,
                    Some(_) if p.exclusive => false,
                    Some((_, v)) => !values.iter().any(|x| x == v),
                }
            };
            if p.exclusive || !values.is_empty() {
                let kept: Vec<String> = section_lines.iter().filter(|l| keep(l)).cloned().collect();
                if kept != section_lines {
                    changed = true;
                    msg = "option changed";
                    section_lines = kept;
                }
            }
        } else if !section_lines.is_empty() {
            section_lines.clear();
            msg = "section removed";
            changed = true;
        }
    }

    let mut ini_lines = before;
    ini_lines.extend(section_lines);
    ini_lines.extend(after);
    if !ini_lines.is_empty() {
        ini_lines.remove(0);
    }
    ini_lines.pop();

    if !within && p.present {
        ini_lines.push(format!("[{section}]\n"));
        msg = "section and option added";
        if let Some(conds) = &p.section_has_values {
            for c in conds {
                if Some(c.option.as_str()) != option {
                    if !c.values.is_empty() {
                        for v in &c.values {
                            ini_lines.push(assignment(&c.option, v));
                        }
                    } else if p.allow_no_value {
                        ini_lines.push(format!("{}\n", c.option));
                    }
                } else if !p.exclusive {
                    for v in &c.values {
                        if !values.contains(v) {
                            values.push(v.clone());
                        }
                    }
                }
            }
        }
        let o = option.unwrap_or_default();
        if has_option && !values.is_empty() {
            for v in &values {
                ini_lines.push(assignment(o, v));
            }
        } else if has_option && values.is_empty() && p.allow_no_value {
            ini_lines.push(format!("{o}\n"));
        } else {
            msg = "only section added";
        }
        changed = true;
    }
    Ok((ini_lines, changed, msg))
}

/// Python's text read of the file: `utf-8-sig` (a BOM dropped) with universal newlines.
fn decode(data: &[u8]) -> Result<String, String> {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    match std::str::from_utf8(data) {
        Ok(s) => Ok(s.replace("\r\n", "\n").replace('\r', "\n")),
        Err(e) => {
            let pos = e.valid_up_to();
            let what = match e.error_len() {
                None => "unexpected end of data".to_owned(),
                Some(_) if data[pos] >= 0x80 && data[pos] < 0xc2 || data[pos] > 0xf4 => {
                    "invalid start byte".to_owned()
                }
                Some(_) => "invalid continuation byte".to_owned(),
            };
            Err(format!(
                "'utf-8' codec can't decode byte 0x{:02x} in position {pos}: {what}",
                data[pos]
            ))
        }
    }
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Result<ModuleOutput, ModuleError> {
    let path = expand_path(ctx, &a.path)?;
    let attrs = Attrs {
        mode: a.mode.as_ref(),
        owner: a.owner.as_deref(),
        group: a.group.as_deref(),
    };
    let mut f = edit::read_text(ctx, &path, &attrs)?;
    let is_link = f.lookups.l.is_link();
    // Without `follow` the file at the path itself is replaced (a link by a regular file).
    let target = if a.follow && is_link {
        f.real.clone()
    } else {
        f.real.clone_from(&path);
        path.clone()
    };
    let mut diff = serde_json::Map::new();
    diff.insert("before".into(), json!(""));
    diff.insert("after".into(), json!(""));
    diff.insert("before_header".into(), json!(format!("{path} (content)")));
    diff.insert("after_header".into(), json!(format!("{path} (content)")));
    let text = if f.exists {
        if f.is_dir {
            return Ok(ModuleOutput::crashed(format!(
                "[Errno 21] Is a directory: {}",
                py_repr(&json!(target))
            )));
        }
        if f.unreadable {
            return Ok(ModuleOutput::crashed(format!(
                "[Errno 13] Permission denied: {}",
                py_repr(&json!(target))
            )));
        }
        match decode(&f.data) {
            Ok(t) => t,
            Err(e) => return Ok(ModuleOutput::crashed(e)),
        }
    } else {
        if !a.create {
            let mut r = failed(format!("Destination {target} does not exist!"));
            r.insert("rc".into(), json!(257));
            return Ok(r.into());
        }
        if !ctx.check_mode && !target.contains('/') {
            // The module's `os.makedirs(os.path.dirname(path))` of a bare file name.
            return Ok(ModuleOutput::crashed(
                "[Errno 2] No such file or directory: ''",
            ));
        }
        String::new()
    };
    if ctx.diff {
        diff.insert("before".into(), json!(text));
    }
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let (lines, changed, msg) = match edit_lines(lines, &a.ini) {
        Ok(x) => x,
        Err(e) => return Ok(ModuleOutput::crashed(e)),
    };
    let new = lines.concat();
    if ctx.diff {
        diff.insert("after".into(), json!(new));
    }
    let mut changed = changed;
    let mut backup = None;
    let mut written = false;
    if !ctx.check_mode {
        let exists_after = f.exists || changed;
        let plan = if exists_after {
            match f.plan_attrs(&attrs) {
                Ok(p) => p,
                Err(e) => return Ok(failed(e).into()),
            }
        } else {
            crate::target::file_state::AttrPlan {
                cmds: Vec::new(),
                before: serde_json::Map::new(),
                after: serde_json::Map::new(),
            }
        };
        let change = Change {
            data: changed.then_some(new.as_bytes()),
            backup: a.backup && f.exists,
            validate: None,
            make_parents: !f.exists && !f.parent_exists,
            unsafe_writes: a.unsafe_writes,
        };
        match edit::commit(ctx, &f, &change, &plan, |_, _| ResultMap::new())? {
            Ok(b) => backup = b,
            Err(fail) => return Ok(fail.into()),
        }
        changed |= !plan.cmds.is_empty();
        written = change.data.is_some() || !plan.cmds.is_empty();
        if !f.exists && !f.parent_exists && change.data.is_none() {
            // The module makes the missing directories before it decides anything.
            let dir = crate::target::file_state::parent(&target);
            crate::target::script::run_script(ctx, format!("mkdir -p -- {}", quote(&dir)))?;
        }
    }
    let mut r = ResultMap::new();
    r.insert("changed".into(), json!(changed));
    r.insert("diff".into(), Value::Object(diff));
    r.insert("msg".into(), json!(msg));
    r.insert("path".into(), json!(path));
    if let Some(b) = backup {
        r.insert("backup_file".into(), json!(b));
    }
    // `exit_json` adds the attributes of what now sits at the path.
    let (l, t) = if written {
        edit::stat_now(ctx, &path)?
    } else {
        (f.lookups.l.clone(), f.lookups.t.clone())
    };
    crate::target::file_state::path_info(&mut r, &l, &t);
    Ok(r.into())
}

#[cfg(test)]
mod tests;

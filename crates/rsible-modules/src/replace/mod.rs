//! `replace`: replace every match of a regular expression in a file.
//!
//! ```yaml
//! - replace: { path: /etc/hosts, regexp: '(\s+)old\.host\.name(\s+.*)?$', replace: '\1new.host.name\2' }
//! ```
//!
//! The file is read in one script, the substitution runs on the controller as Python's
//! `re.subn` with `MULTILINE` (a `str` pattern: Unicode classes), and one script writes it back
//! with its backup, `validate` and attributes (`target::edit`).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::args::{de_bool, de_opt_string, parse, ArgSpec};
use crate::pyregex;
use crate::target::edit::{self, Change, FileArgs};
use crate::target::script::expand_path;
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "replace",
    ArgSpec::new(
        "replace",
        &[
            "after",
            "attributes",
            "backup",
            "before",
            "encoding",
            "group",
            "mode",
            "owner",
            "path",
            "regexp",
            "replace",
            "selevel",
            "serole",
            "setype",
            "seuser",
            "unsafe_writes",
            "validate",
            "attr",
            "dest",
            "destfile",
            "name",
        ],
    )
    .aliases(&["attr", "dest", "destfile", "name"]),
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
    regexp: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    replace: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    after: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    before: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default, deserialize_with = "de_opt_string")]
    validate: Option<String>,
    #[serde(default, deserialize_with = "de_opt_string")]
    encoding: Option<String>,
    #[serde(flatten)]
    file: FileArgs,
}

pub(crate) struct Replace;
pub(crate) static REPLACE: Replace = Replace;

impl Module for Replace {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let a: Args = parse(&INFO.args, args)?;
        let missing: Vec<&str> = [("path", a.path.is_none()), ("regexp", a.regexp.is_none())]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Ok(failed(format!(
                "missing required arguments: {}",
                missing.join(", ")
            ))
            .into());
        }
        if let Some(f) = edit::refuse_chattr(args) {
            return Ok(f.into());
        }
        run(ctx, &a).map(ModuleOutput::from)
    }
}

/// How the file's bytes become Python text and back.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Utf8,
    Ascii,
    Latin1,
}

impl Encoding {
    fn of(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" | "u8" => Some(Self::Utf8),
            "ascii" | "us-ascii" => Some(Self::Ascii),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => Some(Self::Latin1),
            _ => None,
        }
    }

    /// The text as UTF-8, or Python's decode error.
    fn decode(self, data: &[u8], name: &str) -> Result<String, String> {
        match self {
            Self::Latin1 => Ok(data.iter().map(|&b| char::from(b)).collect()),
            Self::Ascii => match data.iter().position(|b| !b.is_ascii()) {
                Some(i) => Err(format!("'{name}' codec can't decode byte 0x{:02x} in position {i}: ordinal not in range(128)", data[i])),
                None => Ok(String::from_utf8_lossy(data).into_owned()),
            },
            Self::Utf8 => String::from_utf8(data.to_vec()).map_err(|e| {
                let i = e.utf8_error().valid_up_to();
                format!("'utf-8' codec can't decode byte 0x{:02x} in position {i}: invalid start byte", data[i])
            }),
        }
    }

    fn encode(self, text: &str) -> Result<Vec<u8>, String> {
        let limit = match self {
            Self::Utf8 => return Ok(text.as_bytes().to_vec()),
            Self::Ascii => 0x7f,
            Self::Latin1 => 0xff,
        };
        text.chars()
            .map(|c| {
                u8::try_from(u32::from(c))
                    .ok()
                    .filter(|&b| u32::from(b) <= limit)
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| "the new content cannot be encoded".to_owned())
    }
}

fn run(ctx: &ModuleContext<'_>, a: &Args) -> Result<ResultMap, ModuleError> {
    let enc_name = a.encoding.clone().unwrap_or_else(|| "utf-8".to_owned());
    let Some(enc) = Encoding::of(&enc_name) else {
        return Ok(failed(format!(
            "rsible's replace supports the utf-8, ascii and latin-1 encodings, not {enc_name}"
        )));
    };
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
    if !f.exists {
        return Ok(with_rc(
            failed(format!("Path {path} does not exist !")),
            257,
        ));
    }
    if f.unreadable {
        return Ok(failed(format!(
            "Unable to read the contents of {}.",
            rsible_template::py_repr(&json!(path))
        )));
    }
    let contents = match enc.decode(&f.data, &enc_name) {
        Ok(t) => t,
        Err(e) => return Ok(failed(e)),
    };
    let truthy = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let pattern = match (truthy(&a.after), truthy(&a.before)) {
        (Some(x), Some(y)) => format!("{x}(?P<subsection>.*?){y}"),
        (Some(x), None) => format!("{x}(?P<subsection>.*)"),
        (None, Some(y)) => format!("(?P<subsection>.*){y}"),
        (None, None) => String::new(),
    };
    let (start, end) = if pattern.is_empty() {
        (0, contents.len())
    } else {
        let re = match pyregex::compile_with(&pattern, true, false, true) {
            Ok(re) => re,
            Err(e) => return Ok(failed(e)),
        };
        match re
            .captures(contents.as_bytes())
            .and_then(|c| c.name("subsection"))
        {
            Some(m) => (m.start(), m.end()),
            None => {
                let mut r = ResultMap::new();
                r.insert("rc".into(), json!(0));
                r.insert(
                    "msg".into(),
                    json!(format!(
                        "Pattern for before/after params did not match the given file: {pattern}"
                    )),
                );
                r.insert("changed".into(), json!(false));
                return Ok(r);
            }
        }
    };
    let mre =
        match pyregex::compile_with(a.regexp.as_deref().unwrap_or_default(), true, true, false) {
            Ok(re) => re,
            Err(e) => return Ok(failed(e)),
        };
    let section = &contents.as_bytes()[start..end];
    let template = a.replace.clone().unwrap_or_default();
    let (new_section, count) = match pyregex::subn(&mre, template.as_bytes(), section) {
        Ok(x) => x,
        Err(e) => {
            return Ok(failed(format!(
                "Unable to process replace due to error: {e}"
            )))
        }
    };
    let mut r = ResultMap::new();
    r.insert("rc".into(), json!(0));
    let changed = count > 0 && new_section != section;
    let mut msg = String::new();
    let mut new_text = String::new();
    if changed {
        let mut all = contents.as_bytes()[..start].to_vec();
        all.extend_from_slice(&new_section);
        all.extend_from_slice(&contents.as_bytes()[end..]);
        new_text = String::from_utf8_lossy(&all).into_owned();
        msg = format!("{count} replacements made");
        if ctx.diff {
            r.insert(
                "diff".into(),
                json!({"before_header": path, "before": contents, "after_header": path, "after": new_text}),
            );
        }
    }
    let data = match enc.encode(&new_text) {
        Ok(d) => d,
        Err(e) => return Ok(failed(e)),
    };
    let plan = match f.plan_attrs(&attrs) {
        Ok(p) => p,
        Err(e) => return Ok(failed(e)),
    };
    if let (true, Some(v)) = (changed && !ctx.check_mode, a.validate.as_deref()) {
        if !v.contains("%s") {
            return Ok(failed(format!("validate must contain %s: {v}")));
        }
    }
    let change = Change {
        data: changed.then_some(data.as_slice()),
        backup: a.backup,
        validate: a.validate.as_deref(),
        make_parents: false,
        unsafe_writes: a.file.unsafe_writes,
    };
    let validate_failure =
        |rc: i32, err: &str| failed(format!("failed to validate: rc:{rc} error:{err}"));
    match edit::commit(ctx, &f, &change, &plan, validate_failure)? {
        Ok(Some(b)) => {
            r.insert("backup_file".into(), json!(b));
        }
        Ok(None) => {}
        Err(fail) => return Ok(fail),
    }
    let mut changed = changed;
    let _ = edit::attr_outcome(&path, &plan, &mut changed, &mut msg);
    r.insert("msg".into(), json!(msg));
    r.insert("changed".into(), json!(changed));
    Ok(r)
}

#[cfg(test)]
mod tests;

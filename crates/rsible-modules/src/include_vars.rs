//! `include_vars`: variables from YAML/JSON files on the controller, of include_vars precedence
//! (above task vars, below `set_fact`), kept for the rest of the run.
//!
//! ```yaml
//! - include_vars: "{{ ansible_os_family }}.yml"
//! - include_vars: { dir: vars/common, files_matching: '\.yml$', name: common }
//! ```
//!
//! The action plugin's quirks are kept: its failures carry `message` (not `msg`), so Ansible
//! reports them as "Unknown error."; `extensions` given as a string is taken character by
//! character, as Python's `list(str)` does.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::{json, Value};

use rsible_template::py_str;

use crate::args::{parse_bool, ArgSpec, Unknown};
use crate::util::find_needle;
use crate::{Facts, Kind, Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput, ResultMap};

const INFO: ModuleInfo = ModuleInfo::builtin(
    "include_vars",
    // The action checks its options itself (its own message for an unknown one).
    ArgSpec::new(
        "include_vars",
        &[
            "_raw_params",
            "file",
            "dir",
            "depth",
            "files_matching",
            "ignore_files",
            "extensions",
            "ignore_unknown_extensions",
            "name",
            "hash_behaviour",
        ],
    )
    .unknown(Unknown::Accepted),
)
.kind(Kind::Controller)
.without_async()
.free_form();

const DIR_ARGS: &[&str] = &[
    "dir",
    "depth",
    "files_matching",
    "ignore_files",
    "extensions",
    "ignore_unknown_extensions",
];
const FILE_ARGS: &[&str] = &["file", "_raw_params"];
const ALL_ARGS: &[&str] = &["name", "hash_behaviour"];
const DEFAULT_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

pub(crate) struct IncludeVars;
pub(crate) static INCLUDE_VARS: IncludeVars = IncludeVars;

/// What was read so far: the variables, the files they came from, or why it stopped.
#[derive(Default)]
struct Loaded {
    vars: ResultMap,
    files: Vec<String>,
    error: Option<String>,
    /// A file was vault encrypted: Ansible then hides the result (`_ansible_no_log`).
    encrypted: bool,
}

struct DirOptions {
    depth: usize,
    matcher: Option<Regex>,
    ignore: Vec<String>,
    extensions: Vec<String>,
    ignore_unknown: bool,
}

impl Module for IncludeVars {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let (mut dirs, mut files) = (0, 0);
        for key in args.keys() {
            if DIR_ARGS.contains(&key.as_str()) {
                dirs += 1;
            } else if FILE_ARGS.contains(&key.as_str()) {
                files += 1;
            } else if !ALL_ARGS.contains(&key.as_str()) {
                return Err(ModuleError::Raised(format!(
                    "{key} is not a valid option in include_vars"
                )));
            }
        }
        if dirs > 0 && files > 0 {
            return Err(ModuleError::Raised(
                "You are mixing file only and dir only arguments, these are incompatible".into(),
            ));
        }
        let text = |key: &str| args.get(key).filter(|v| !v.is_null()).map(py_str);
        let extensions = match args.get("extensions") {
            None | Some(Value::Null) => DEFAULT_EXTENSIONS.iter().map(|e| e.to_string()).collect(),
            Some(Value::String(s)) => s.chars().map(String::from).collect(),
            Some(Value::Array(list)) => list.iter().map(py_str).collect(),
            Some(_) => {
                return Err(ModuleError::Raised(
                    "Invalid type for \"extensions\" option, it must be a list".into(),
                ))
            }
        };
        let mut loaded = Loaded::default();
        if let Some(dir) = text("dir") {
            let options = match dir_options(args, extensions) {
                Ok(o) => o,
                Err(msg) => return Err(ModuleError::Raised(msg)),
            };
            let root = root_dir(ctx, &dir);
            if !root.exists() {
                loaded.error = Some(format!("{} directory does not exist", root.display()));
            } else if !root.is_dir() {
                loaded.error = Some(format!("{} is not a directory", root.display()));
            } else {
                load_dir(&root, &options, &mut loaded);
            }
        } else {
            let source = text("file")
                .or_else(|| text("_raw_params").map(|raw| raw.trim_end_matches('\n').to_owned()));
            match find_needle(ctx, "vars", source.as_deref().unwrap_or_default()) {
                Ok(path) => load_file(&path, None, &mut loaded),
                Err(msg) => loaded.error = Some(msg),
            }
        }
        let mut vars = std::mem::take(&mut loaded.vars);
        if let Some(name) = text("name") {
            vars = [(name, Value::Object(vars))].into_iter().collect();
        }
        let mut result = ResultMap::new();
        result.insert("changed".into(), Value::Bool(false));
        if let Some(message) = loaded.error {
            result.insert("failed".into(), Value::Bool(true));
            result.insert("message".into(), Value::from(message));
            vars = ResultMap::new();
        } else if text("hash_behaviour").as_deref() == Some("merge") {
            vars = merged_over(ctx.vars, vars);
        }
        result.insert("ansible_included_var_files".into(), json!(loaded.files));
        result.insert("ansible_facts".into(), Value::Object(vars.clone()));
        if loaded.encrypted {
            result.insert("_ansible_no_log".into(), Value::Bool(true));
        }
        Ok(ModuleOutput {
            facts: Some(Facts::Included(vars)),
            ..ModuleOutput::from(result)
        })
    }
}

fn dir_options(
    args: &serde_json::Map<String, Value>,
    extensions: Vec<String>,
) -> Result<DirOptions, String> {
    let depth = match args.get("depth") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_u64().or_else(|| py_str(v).trim().parse().ok()) {
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => return Err(format!("invalid depth: {}", py_str(v))),
        },
    };
    let matcher = match args.get("files_matching").filter(|v| !v.is_null()) {
        Some(v) => {
            let pattern = py_str(v);
            Some(
                Regex::new(&pattern)
                    .map_err(|e| format!("Invalid regular expression: {pattern}: {e}"))?,
            )
        }
        None => None,
    };
    let ignore = match args.get("ignore_files") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(list)) => list.iter().map(py_str).collect(),
        Some(other) => return Err(format!("{} must be a list", py_str(other))),
    };
    let ignore_unknown = args
        .get("ignore_unknown_extensions")
        .and_then(parse_bool)
        .unwrap_or(false);
    Ok(DirOptions {
        depth,
        matcher,
        ignore,
        extensions,
        ignore_unknown,
    })
}

/// `dir:` relative to the role's `vars/` (or the role when it starts with `vars`), else to the
/// directory of the file the task is written in.
fn root_dir(ctx: &ModuleContext<'_>, dir: &str) -> PathBuf {
    if let Some(role) = &ctx.role_path {
        if dir.split('/').next() == Some("vars") {
            let p = role.join(dir);
            return if p.exists() { p } else { PathBuf::from(dir) };
        }
        return role.join("vars").join(dir);
    }
    let task_dir = ctx
        .origin
        .span
        .map(|s| rsible_source::SourceMap::path(s.source))
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| ctx.playbook_dir.clone());
    std::path::absolute(task_dir.join(dir)).unwrap_or_else(|_| PathBuf::from(dir))
}

/// The directory's files, directories in path order and files by name within each, as
/// Ansible's sorted `os.walk` (symlinked directories followed).
fn load_dir(root: &Path, o: &DirOptions, loaded: &mut Loaded) {
    let mut dirs: Vec<(PathBuf, Vec<String>)> = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| {
            let mut names: Vec<String> = std::fs::read_dir(e.path())
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter(|f| !f.path().is_dir())
                        .map(|f| f.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            (e.path().to_path_buf(), names)
        })
        .collect();
    dirs.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
    for (dir, names) in dirs {
        let depth = dir.strip_prefix(root).map_or(0, |r| r.components().count()) + 1;
        if o.depth != 0 && depth > o.depth {
            continue;
        }
        for name in names {
            if o.matcher.as_ref().is_some_and(|m| !m.is_match(&name)) {
                continue;
            }
            let path = dir.join(&name);
            let ignored = match ignored(&o.ignore, &name) {
                Ok(i) => i,
                Err(msg) => {
                    loaded.error = Some(msg);
                    return;
                }
            };
            if !path.exists() || ignored {
                continue;
            }
            if o.ignore_unknown && !valid_extension(&name, &o.extensions) {
                continue;
            }
            load_file(&path, Some(&o.extensions), loaded);
            if loaded.error.is_some() {
                return;
            }
        }
    }
}

fn ignored(patterns: &[String], name: &str) -> Result<bool, String> {
    for p in patterns {
        let re =
            Regex::new(&format!("{p}$")).map_err(|_| format!("Invalid regular expression: {p}"))?;
        if re.is_match(name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Python's `os.path.splitext`: a leading dot does not start an extension.
fn valid_extension(name: &str, extensions: &[String]) -> bool {
    let stem = name.trim_start_matches('.');
    stem.rfind('.')
        .is_some_and(|i| extensions.iter().any(|e| *e == stem[i + 1..]))
}

fn load_file(path: &Path, extensions: Option<&[String]>, loaded: &mut Loaded) {
    let shown = path.display().to_string();
    if let Some(ext) = extensions {
        if !valid_extension(&shown, ext) {
            loaded.error = Some(format!(
                "{shown} does not have a valid extension: {}",
                ext.join(", ")
            ));
            return;
        }
    }
    let encrypted = std::fs::read(path).is_ok_and(|d| rsible_vault::is_encrypted(&d));
    let docs = match rsible_parser::load_yaml_file(path) {
        Ok(d) => {
            loaded.encrypted |= encrypted;
            d
        }
        Err(e) => {
            loaded.error = Some(e.to_string());
            return;
        }
    };
    match docs.first().map(|d| d.to_value()) {
        None | Some(Value::Null) => loaded.files.push(shown),
        Some(Value::Object(map)) => {
            loaded.files.push(shown);
            loaded.vars.extend(map);
        }
        Some(_) => loaded.error = Some(format!("{shown} must be stored as a dictionary/hash")),
    }
}

/// `hash_behaviour: merge`: the loaded dictionaries merged recursively into the values the
/// task already sees.
fn merged_over(existing: &rsible_template::Vars, loaded: ResultMap) -> ResultMap {
    fn merge(low: &mut ResultMap, high: ResultMap) {
        for (k, v) in high {
            match (low.get_mut(&k), v) {
                (Some(Value::Object(l)), Value::Object(h)) => merge(l, h),
                (_, v) => {
                    low.insert(k, v);
                }
            }
        }
    }
    let mut out: ResultMap = loaded
        .keys()
        .filter_map(|k| existing.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    merge(&mut out, loaded);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_as_python_splitext() {
        let ext: Vec<String> = ["yml", "json"].iter().map(|s| s.to_string()).collect();
        assert!(valid_extension("a.yml", &ext));
        assert!(valid_extension("/x/b.c.json", &ext));
        assert!(!valid_extension(".yml", &ext));
        assert!(!valid_extension("a.txt", &ext));
        assert!(!valid_extension("yml", &ext));
    }

    #[test]
    fn ignore_files_match_at_the_end() {
        let pats = vec!["a.yml".to_owned(), r"c\.json".to_owned()];
        assert_eq!(ignored(&pats, "a.yml"), Ok(true));
        assert_eq!(ignored(&pats, "xa.yml"), Ok(true));
        assert_eq!(ignored(&pats, "a.yml.bak"), Ok(false));
        assert!(ignored(&["(".to_owned()], "x").is_err());
    }

    #[test]
    fn merge_keeps_what_the_file_does_not_set() {
        let existing: rsible_template::Vars =
            serde_json::from_value(json!({"d": {"a": 1, "b": {"x": 1}}, "o": 2})).unwrap();
        let loaded: ResultMap = serde_json::from_value(json!({"d": {"b": {"y": 2}}})).unwrap();
        assert_eq!(
            Value::Object(merged_over(&existing, loaded)),
            json!({"d": {"a": 1, "b": {"x": 1, "y": 2}}})
        );
    }
}

//! `first_found`: the first of a list of files that exists, searched as ansible-core's
//! `find_file_in_search_path` searches (`DataLoader.path_dwim_relative_stack`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use super::{plugin_error, search_paths};
use crate::convert::{py_str, py_type};
use crate::TemplateError;

/// `unfrackpath(path, follow=False)`: `~` expanded, made absolute, normalised.
fn unfrack(p: &str) -> PathBuf {
    let expanded = crate::filters::expand_user(p);
    let abs = if expanded.starts_with('/') {
        expanded
    } else {
        let cwd =
            std::env::current_dir().map_or_else(|_| "/".to_owned(), |d| d.display().to_string());
        format!("{cwd}/{expanded}")
    };
    PathBuf::from(crate::filters::normpath_str(&abs))
}

/// The candidates `path_dwim_relative_stack` tries for `source` in `subdir` (`None` when the
/// lookup is called as `lookup()`/`query()`, which searches no sub directory).
pub(crate) fn dwim_candidates(
    paths: &[PathBuf],
    basedir: Option<&Path>,
    subdir: Option<&str>,
    source: &str,
) -> Vec<PathBuf> {
    if source.starts_with('~') || source.starts_with('/') {
        return vec![unfrack(source)];
    }
    let mut search = Vec::new();
    let first = source.split('/').next().unwrap_or("");
    let mut push = |base: &Path| {
        if let Some(sub) = subdir.filter(|s| *s != first) {
            search.push(base.join(sub).join(source));
        }
        search.push(base.join(source));
    };
    for p in paths {
        push(&unfrack(&p.display().to_string()));
    }
    if let Some(b) = basedir {
        push(b);
    }
    search
}

fn find(scope: &crate::scope::Scope, subdir: Option<&str>, source: &str) -> Option<PathBuf> {
    let basedir = scope
        .vars
        .get("playbook_dir")
        .and_then(Json::as_str)
        .map(PathBuf::from);
    let paths: Vec<PathBuf> = match scope.vars.get("ansible_search_path") {
        Some(Json::Array(a)) => a.iter().map(|p| PathBuf::from(py_str(p))).collect(),
        // The runner's list also holds `files/`, `templates/` and `vars/` of each directory;
        // Ansible's stack is the directories themselves (role, its tasks, the playbook's).
        _ => {
            let all = search_paths(scope);
            all.iter()
                .filter(|p| {
                    let sub = p.file_name().and_then(|n| n.to_str());
                    let parent_listed = p.parent().is_some_and(|up| all.iter().any(|q| q == up));
                    !(matches!(sub, Some("files" | "templates" | "vars")) && parent_listed)
                })
                .cloned()
                .collect()
        }
    };
    dwim_candidates(&paths, basedir.as_deref(), subdir, source)
        .into_iter()
        .find(|p| p.exists())
}

/// `_split_on`: a string split on any of `splitters`; a list's items split in turn.
fn split_on(v: &Json, splitters: &[char]) -> Vec<String> {
    match v {
        Json::Array(a) => a.iter().flat_map(|i| split_on(i, splitters)).collect(),
        Json::Null => Vec::new(),
        other => py_str(other).split(splitters).map(str::to_owned).collect(),
    }
}

/// The options one term sees: a dict term replaces them all (`set_options(direct=term)`).
#[derive(Default, Clone)]
struct Options {
    files: Vec<String>,
    paths: Vec<String>,
    skip: bool,
}

impl Options {
    fn from_map(m: &Map<String, Json>) -> Result<Self, TemplateError> {
        Ok(Options {
            files: m
                .get("files")
                .map(|f| split_on(f, &[',', ';']))
                .unwrap_or_default(),
            paths: m
                .get("paths")
                .map(|p| split_on(p, &[',', ':', ';']))
                .unwrap_or_default(),
            skip: m.get("skip").is_some_and(crate::filters::truthy_word),
        })
    }
}

fn process(terms: &[Json], opts: &mut Options, out: &mut Vec<String>) -> Result<(), TemplateError> {
    for term in terms {
        let files = match term {
            Json::Object(m) => {
                *opts = Options::from_map(m)?;
                opts.files.clone()
            }
            Json::String(s) => split_on(&Json::String(s.clone()), &[',', ';']),
            Json::Array(a) => {
                process(a, opts, out)?;
                continue;
            }
            other => {
                return Err(plugin_error(
                    "first_found",
                    format!(
                        "Invalid term supplied. A string, dict or list is required, not '{}').",
                        py_type(other)
                    ),
                ))
            }
        };
        if opts.paths.is_empty() {
            out.extend(files);
        } else {
            for p in &opts.paths {
                for f in &files {
                    out.push(if f.starts_with('/') {
                        f.clone()
                    } else if p.ends_with('/') || p.is_empty() {
                        format!("{p}{f}")
                    } else {
                        format!("{p}/{f}")
                    });
                }
            }
        }
    }
    Ok(())
}

/// `with_subdir`: run by `with_first_found`, which also searches that sub-directory
/// (`files/`, `templates/` or `vars/`, from the task's action).
pub(crate) fn first_found(
    scope: &crate::scope::Scope,
    terms: &[Json],
    kwargs: &Map<String, Json>,
    with_subdir: Option<&str>,
) -> Result<Vec<Json>, TemplateError> {
    let mut opts = Options::from_map(kwargs)?;
    let terms: Vec<Json> = if terms.is_empty() {
        opts.files.iter().cloned().map(Json::String).collect()
    } else {
        terms.to_vec()
    };
    let mut total = Vec::new();
    process(&terms, &mut opts, &mut total)?;
    let subdir = with_subdir;
    for f in &total {
        if let Some(p) = find(scope, subdir, f) {
            let found = unfrack(&p.display().to_string());
            return Ok(vec![Json::String(found.display().to_string())]);
        }
    }
    if opts.skip {
        return Ok(Vec::new());
    }
    Err(plugin_error(
        "first_found",
        "No file was found when using first_found.",
    ))
}

//! community.general lookups playbooks use through their short names: `flattened`
//! (ansible-core redirects `with_flattened` to it) and `collection_version`.

use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use crate::convert::py_str;
use crate::scope::Scope;
use crate::TemplateError;

fn error(name: &str, msg: impl std::fmt::Display) -> TemplateError {
    TemplateError::Render {
        message: format!("The lookup plugin 'community.general.{name}' failed: {msg}"),
        span: None,
    }
}

/// A list of one list (of one list …) is its innermost item.
fn one_list(term: &Json) -> &Json {
    match term {
        Json::Array(a) if a.len() == 1 => match &a[0] {
            inner @ Json::Array(_) => one_list(inner),
            other => other,
        },
        other => other,
    }
}

fn do_flatten(terms: &[Json], out: &mut Vec<Json>) {
    for term in terms {
        let term = one_list(term);
        // `None`/`null` ends the list: the plugin's way of skipping undefined items.
        if matches!(term, Json::String(s) if s == "None" || s == "null") {
            break;
        }
        match term {
            Json::Array(a) => do_flatten(a, out),
            other => out.push(other.clone()),
        }
    }
}

/// `flattened`: the terms with every nested list spliced in.
pub(crate) fn flattened(terms: &[Json]) -> Vec<Json> {
    let mut out = Vec::new();
    do_flatten(terms, &mut out);
    out
}

/// Where collections are installed: `ANSIBLE_COLLECTIONS_PATH` (or Ansible's defaults), and
/// the `collections/` directory beside the playbook, which ansible-playbook searches first.
fn collection_roots(scope: &Scope) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(pb) = scope.vars.get("playbook_dir").and_then(Json::as_str) {
        roots.push(PathBuf::from(pb).join("collections"));
    }
    let configured = std::env::var("ANSIBLE_COLLECTIONS_PATH")
        .or_else(|_| std::env::var("ANSIBLE_COLLECTIONS_PATHS"))
        .unwrap_or_else(|_| "~/.ansible/collections:/usr/share/ansible/collections".to_owned());
    roots.extend(
        configured
            .split(':')
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(crate::filters::expand_user(p))),
    );
    roots
}

fn fqcn_ok(term: &str) -> bool {
    let mut parts = term.split('.');
    let word = |p: Option<&str>| {
        p.is_some_and(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    };
    word(parts.next()) && word(parts.next()) && parts.next().is_none()
}

/// `collection_version`: an installed collection's version from its `MANIFEST.json` or
/// `galaxy.yml`; `result_not_found` (None) when it is not installed, `result_no_version`
/// (`*`) when it says no version.
pub(crate) fn collection_version(
    scope: &Scope,
    terms: &[Json],
    opts: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let name = "collection_version";
    let not_found = opts.get("result_not_found").cloned().unwrap_or(Json::Null);
    let no_version = opts
        .get("result_no_version")
        .cloned()
        .unwrap_or_else(|| Json::from("*"));
    let roots = collection_roots(scope);
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        if !fqcn_ok(&term) {
            return Err(error(name, format!("\"{term}\" is not a FQCN")));
        }
        let (ns, coll) = term.split_once('.').unwrap_or((&term, ""));
        let dir = roots.iter().find_map(|r| {
            let nested = r.join("ansible_collections").join(ns).join(coll);
            let direct = r.join(ns).join(coll);
            if nested.is_dir() {
                Some(nested)
            } else if r.ends_with("ansible_collections") && direct.is_dir() {
                Some(direct)
            } else {
                None
            }
        });
        let Some(dir) = dir else {
            out.push(not_found.clone());
            continue;
        };
        let load_err = |e: String| {
            error(
                name,
                format!("Error while loading metadata for {term}: {e}"),
            )
        };
        let manifest = dir.join("MANIFEST.json");
        let galaxy = dir.join("galaxy.yml");
        let version = if manifest.exists() {
            let text = fs_err::read_to_string(&manifest).map_err(|e| load_err(e.to_string()))?;
            let meta: Json = serde_json::from_str(&text).map_err(|e| load_err(e.to_string()))?;
            meta.get("collection_info")
                .and_then(|c| c.get("version"))
                .cloned()
                .ok_or_else(|| load_err("'version'".to_owned()))?
        } else if galaxy.exists() {
            let text = fs_err::read_to_string(&galaxy).map_err(|e| load_err(e.to_string()))?;
            let meta = crate::yaml::load(&text).map_err(load_err)?;
            meta.get("version")
                .filter(|v| crate::convert::py_truthy(v))
                .cloned()
                .unwrap_or_else(|| no_version.clone())
        } else {
            no_version.clone()
        };
        out.push(version);
    }
    Ok(out)
}

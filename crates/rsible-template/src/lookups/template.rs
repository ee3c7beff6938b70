//! `template`: files from `templates/` rendered with the task's variables, the template
//! variables Ansible adds, `template_vars`, and optional Jinja delimiters.

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use serde_json::{Map, Value as Json};

use super::{find, plugin_error};
use crate::convert::{py_str, value_to_json};
use crate::scope::Scope;
use crate::TemplateError;

/// `str(datetime)` of a local time: microseconds only when there are any.
fn py_datetime(t: &chrono::DateTime<chrono::Local>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}

/// The controller user's name for a uid (the uid itself when `/etc/passwd` has none).
fn user_name(uid: u32) -> Json {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| Json::from(f[0]))
        })
        .unwrap_or_else(|| Json::from(uid))
}

/// `generate_ansible_template_vars(path, fullpath)`.
fn template_vars(vars: &mut Map<String, Json>, term: &str, found: &std::path::Path) {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(found).ok();
    let mtime = meta.as_ref().and_then(|m| {
        chrono::DateTime::from_timestamp(m.mtime(), u32::try_from(m.mtime_nsec()).unwrap_or(0))
            .map(|t| py_datetime(&t.with_timezone(&chrono::Local)))
    });
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    vars.insert("template_host".into(), Json::from(host));
    vars.insert("template_path".into(), Json::from(term));
    vars.insert(
        "template_mtime".into(),
        mtime.map_or(Json::Null, Json::from),
    );
    vars.insert(
        "template_uid".into(),
        user_name(meta.as_ref().map_or(0, |m| m.uid())),
    );
    vars.insert(
        "template_run_date".into(),
        Json::from(py_datetime(&chrono::Local::now())),
    );
    vars.insert(
        "template_fullpath".into(),
        Json::from(found.display().to_string()),
    );
    if !vars.contains_key("ansible_managed") {
        vars.insert("ansible_managed".into(), Json::from("Ansible managed"));
    }
}

/// The environment for `opts`: the scope's own unless a delimiter or `trim_blocks` changes.
fn environment(
    scope: &Scope,
    opts: &Map<String, Json>,
) -> Result<Option<Arc<minijinja::Environment<'static>>>, TemplateError> {
    let s = |k: &str, d: &str| opts.get(k).map_or_else(|| d.to_owned(), py_str);
    let (vs, ve) = (
        s("variable_start_string", "{{"),
        s("variable_end_string", "}}"),
    );
    let (cs, ce) = (
        s("comment_start_string", "{#"),
        s("comment_end_string", "#}"),
    );
    let trim = opts
        .get("trim_blocks")
        .is_none_or(crate::filters::truthy_word);
    if vs == "{{" && ve == "}}" && cs == "{#" && ce == "#}" && trim {
        return Ok(None);
    }
    let syntax = SyntaxConfig::builder()
        .variable_delimiters(vs, ve)
        .comment_delimiters(cs, ce)
        .trim_blocks(trim)
        .keep_trailing_newline(false)
        .build()
        .map_err(|e| plugin_error("template", e))?;
    let _ = scope;
    let mut env = crate::env::build(false);
    env.set_syntax(syntax);
    Ok(Some(Arc::new(env)))
}

pub(crate) fn template(
    scope: &Arc<Scope>,
    terms: &[Json],
    opts: &Map<String, Json>,
) -> Result<Vec<Json>, TemplateError> {
    let extra = match opts.get("template_vars") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(other) => {
            return Err(plugin_error(
                "template",
                format!(
                    "Invalid type for configuration option template_vars: {}",
                    py_str(other)
                ),
            ))
        }
    };
    let custom = environment(scope, opts)?;
    let mut out = Vec::new();
    for t in terms {
        let term = py_str(t);
        let path = find(scope, "templates", &term).ok_or_else(|| {
            plugin_error(
                "template",
                format!("the template file {term} could not be found for the lookup"),
            )
        })?;
        let text = fs_err::read_to_string(&path).map_err(|e| plugin_error("template", e))?;
        let mut vars = (*scope.vars).clone();
        template_vars(&mut vars, &term, &path);
        vars.extend(extra.clone());
        let env = custom.clone().unwrap_or_else(|| scope.env.clone());
        let inner = if crate::includes::loads_templates(&text) {
            // Jinja looks beside the file first, then in `ansible_search_path`.
            let listed: Vec<std::path::PathBuf> = match scope.vars.get("ansible_search_path") {
                Some(Json::Array(a)) => a.iter().map(|p| py_str(p).into()).collect(),
                _ => Vec::new(),
            };
            let dirs: Vec<std::path::PathBuf> = path
                .parent()
                .map(std::path::Path::to_path_buf)
                .into_iter()
                .chain(crate::includes::loader_dirs(&listed))
                .collect();
            let env = crate::includes::with_loader(&env, dirs.clone(), str::to_owned);
            Scope::with_loader_dirs(env, Arc::new(vars), scope.search_paths.clone(), dirs)
        } else {
            Scope::new(env, Arc::new(vars), scope.search_paths.clone())
        };
        let single = crate::render::single_expression(&text).is_some();
        out.push(if custom.is_some() || !single {
            Json::String(crate::render::render_string(&inner, &text, false, None)?)
        } else {
            // A template that is one expression keeps its type, as 2.19's native rendering.
            let v = crate::render::render_native(&inner, &text, None)?;
            value_to_json(&v).map_err(|e| plugin_error("template", e))?
        });
    }
    Ok(out)
}

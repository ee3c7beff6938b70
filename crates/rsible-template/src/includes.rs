//! `{% include %}`, `{% import %}`, `{% from %}` and `{% extends %}` in template files.
//!
//! ansible-core's template action gives Jinja a file loader over the task's search path, the
//! playbook's directory and the template's own directory, each tried as `<dir>/templates`
//! first, then `<dir>`. The engine's environment is shared by every render, so a template that
//! names another one renders in a copy of it that carries such a loader: the loader's cache
//! then lives only as long as that one render, and two roles' `header.j2` never mix.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use minijinja::Environment;

/// True when `text` has a tag that loads another template.
pub(crate) fn loads_templates(text: &str) -> bool {
    static TAG: OnceLock<Option<regex::Regex>> = OnceLock::new();
    TAG.get_or_init(|| regex::Regex::new(r"\{%[-+]?\s*(?:include|import|from|extends)\b").ok())
        .as_ref()
        .is_some_and(|re| re.is_match(text))
}

/// The directories Jinja searches, in Ansible's order: each of `dirs` as `<dir>/templates`,
/// then `<dir>` itself.
pub(crate) fn loader_dirs(dirs: &[PathBuf]) -> Vec<PathBuf> {
    dirs.iter()
        .flat_map(|d| [d.join("templates"), d.clone()])
        .collect()
}

/// A copy of `env` whose loader reads templates from `dirs` (see [`loader_dirs`]), each file
/// passed through `rewrite` (the including template's `trim_blocks`/`lstrip_blocks` handling).
pub(crate) fn with_loader(
    env: &Environment<'static>,
    dirs: Vec<PathBuf>,
    rewrite: impl Fn(&str) -> String + Send + Sync + 'static,
) -> Arc<Environment<'static>> {
    let mut env = env.clone();
    env.set_loader(move |name| {
        let Some(found) = dirs
            .iter()
            .find_map(|d| join(d, name).filter(|p| p.is_file()))
        else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&found).map_err(|e| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("could not read template {}: {e}", found.display()),
            )
        })?;
        Ok(Some(rewrite(&text)))
    });
    Arc::new(env)
}

/// Jinja's `TemplateNotFound` as Ansible reports it, from minijinja's message, which quotes
/// the names it tried.
pub(crate) fn not_found(detail: &str, dirs: &[PathBuf]) -> crate::TemplateError {
    let name = detail
        .find(['"', '\''])
        .and_then(|start| {
            let quote = detail[start..].chars().next()?;
            let end = detail.rfind(quote)?;
            detail.get(start + 1..end)
        })
        .unwrap_or(detail);
    let paths = dirs
        .iter()
        .map(|d| format!("'{}'", d.display()))
        .collect::<Vec<_>>()
        .join(", ");
    crate::TemplateError::Render {
        message: format!("Error rendering template: '{name}' not found in search paths: {paths}"),
        span: None,
    }
}

/// `dir` joined with a template name as Jinja's `split_template_path` does: `/`-separated
/// pieces, empty and `.` pieces dropped, and no way out of `dir` through `..`.
fn join(dir: &Path, name: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for piece in name.split('/') {
        match piece {
            "" | "." => {}
            ".." => return None,
            p => path.push(p),
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags_that_load_templates() {
        assert!(loads_templates("a {% include 'x.j2' %}"));
        assert!(loads_templates("{%- import 'm.j2' as m %}"));
        assert!(loads_templates("{% from 'm.j2' import f %}"));
        assert!(loads_templates("{%extends \"base.j2\"%}"));
        assert!(!loads_templates("{% if included %}{% endif %}"));
        assert!(!loads_templates("{{ 'include' }}"));
    }

    #[test]
    fn names_the_missing_template_as_jinja_does() {
        let dirs = [PathBuf::from("/p/templates"), PathBuf::from("/p")];
        for detail in [
            "tried to include non-existing template 'a/b.j2'",
            "template \"a/b.j2\" does not exist",
        ] {
            assert_eq!(
                not_found(detail, &dirs).to_string(),
                "Error rendering template: 'a/b.j2' not found in search paths: '/p/templates', '/p'"
            );
        }
    }

    #[test]
    fn joins_like_jinja() {
        let d = Path::new("/r");
        assert_eq!(join(d, "a/./b.j2"), Some(PathBuf::from("/r/a/b.j2")));
        assert_eq!(join(d, "/a//b.j2"), Some(PathBuf::from("/r/a/b.j2")));
        assert_eq!(join(d, "../etc/passwd"), None);
        assert_eq!(
            loader_dirs(&[PathBuf::from("/r")]),
            [PathBuf::from("/r/templates"), PathBuf::from("/r")]
        );
    }
}

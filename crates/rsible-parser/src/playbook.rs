//! `load_playbook`: the playbook file → [`Playbook`], with every role it names.

use std::path::Path;
use std::sync::Arc;

use rsible_source::{Position, SourceMap, Span};

use crate::fields::{conditions, invalid, tags, vars, wrong_type};
use crate::keywords::short_name;
use crate::play::parse_play;
use crate::yaml::load_yaml_source;
use crate::{Node, NodeKind, ParseError, Play, Playbook, Role, Task};

/// What the parser needs to know from the outside.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Canonical short names of every module rsible has (`command`, `copy`, …). A task key that
    /// is neither a keyword nor one of these (after FQCN resolution) is an error.
    pub modules: Vec<String>,
    /// `roles_path`: searched for roles after the playbook's `roles/` directory.
    pub roles_path: Vec<std::path::PathBuf>,
    /// `collections_path`: where `namespace.collection.role` names are looked for (each
    /// directory holds `ansible_collections/`), after the playbook's `collections/`.
    pub collections_path: Vec<std::path::PathBuf>,
    /// Other names Ansible resolves to a module (the FQCN it resolves them to): a task naming
    /// one parses, and fails only on a host that reaches it. `None`: only `modules` exist.
    pub other_modules: Option<fn(&str) -> Option<String>>,
    /// Modules of a `library/` directory beside the playbook or in a role: Ansible runs them
    /// (Python) on the target; rsible parses a task naming one and fails a host reaching it.
    pub library_modules: Vec<String>,
}

impl ParseOptions {
    /// The module name a task key stands for: an implemented module's short name, another
    /// module's name as Ansible resolves it, or `None` when Ansible would not resolve it.
    pub(crate) fn module_for(&self, written: &str) -> Option<String> {
        let short = crate::keywords::short_name(written);
        if self.modules.iter().any(|m| m == short) {
            return Some(short.to_owned());
        }
        if self.library_modules.iter().any(|m| m == written) {
            return Some(written.to_owned());
        }
        let resolved = self.other_modules?(written)?;
        Some(crate::keywords::short_name(&resolved).to_owned())
    }

    /// These options with the modules of `dir`'s `library/` directory added.
    pub(crate) fn with_library(&self, dir: &Path) -> std::borrow::Cow<'_, Self> {
        let Ok(entries) = std::fs::read_dir(dir.join("library")) else {
            return std::borrow::Cow::Borrowed(self);
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                // Ansible's module loader: the file name without its extension, no dunder files.
                let stem = name.split('.').next().unwrap_or_default().to_owned();
                (!stem.is_empty() && !stem.starts_with("__")).then_some(stem)
            })
            .collect();
        if names.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        names.sort();
        names.dedup();
        let mut opts = self.clone();
        opts.library_modules.extend(names);
        std::borrow::Cow::Owned(opts)
    }
}

/// Loads a playbook file and every role it names.
pub fn load_playbook(path: &Path, opts: &ParseOptions) -> Result<Playbook, ParseError> {
    let read_error = |source| ParseError::Read {
        path: path.to_owned(),
        source,
    };
    let abs = std::path::absolute(path).map_err(read_error)?;
    let text = crate::vault::read_text(&abs)?;
    load_playbook_str(path, &text, opts)
}

/// Loads a playbook from text, as if read from `path` (roles are searched beside `path`).
pub fn load_playbook_str(
    path: &Path,
    text: &str,
    opts: &ParseOptions,
) -> Result<Playbook, ParseError> {
    let abs = std::path::absolute(path).map_err(|source| ParseError::Read {
        path: path.to_owned(),
        source,
    })?;
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let opts = opts.with_library(&dir);
    let plays = plays_of(path, &abs, text, &opts, 0)?;
    Ok(Playbook {
        path: abs,
        dir,
        plays,
    })
}

/// The plays of one playbook file, imported playbooks inlined.
fn plays_of(
    shown: &Path,
    abs: &Path,
    text: &str,
    opts: &ParseOptions,
    depth: usize,
) -> Result<Vec<Play>, ParseError> {
    let source = SourceMap::add(shown, text);
    let docs = load_yaml_source(source, text)?;
    let start = Span::point(source, Position::new(1, 1));
    let mut docs = docs.into_iter();
    let doc = match docs.next() {
        Some(doc) if doc.kind != NodeKind::Null => doc,
        _ => {
            return Err(ParseError::Invalid {
                message: format!("Empty playbook, nothing to do: {}", abs.display()),
                span: start,
                hint: None,
            })
        }
    };
    if let Some(extra) = docs.next() {
        return Err(invalid("expected a single document in the stream", &extra));
    }
    let Some(entries) = doc.as_seq() else {
        return Err(invalid(
            format!(
                "A playbook must be a list of plays, got {} instead",
                doc.type_name()
            ),
            &doc,
        ));
    };
    if entries.is_empty() {
        return Err(invalid(
            format!(
                "A playbook must contain at least one play: {}",
                abs.display()
            ),
            &doc,
        ));
    }
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut plays = Vec::new();
    for entry in entries {
        let import = entry.as_map().and_then(|pairs| {
            pairs.iter().find(|(k, _)| {
                k.as_str()
                    .is_some_and(|k| short_name(k) == "import_playbook")
            })
        });
        match import {
            Some((key, value)) => {
                plays.extend(import_playbook(entry, key, value, &dir, opts, depth)?);
            }
            None => plays.push(parse_play(entry, &dir, opts)?),
        }
    }
    Ok(plays)
}

/// Imported playbooks nested deeper than this are taken for a cycle.
const MAX_PLAYBOOK_DEPTH: usize = 16;

/// `- import_playbook: other.yml` (with optional `vars:`, `tags:`, `when:`), as Ansible's
/// `PlaybookInclude`: the import's vars override the plays' own, its tags are added to each
/// play, and its `when:` is prepended to every task and role of those plays.
fn import_playbook(
    entry: &Node,
    key: &Node,
    value: &Node,
    dir: &Path,
    opts: &ParseOptions,
    depth: usize,
) -> Result<Vec<Play>, ParseError> {
    if depth >= MAX_PLAYBOOK_DEPTH {
        return Err(invalid(
            format!("`import_playbook` nested more than {MAX_PLAYBOOK_DEPTH} deep (a cycle?)"),
            key,
        ));
    }
    let mut vars_over = Vec::new();
    let mut tags_over = Vec::new();
    let mut when = Vec::new();
    for (k, v) in entry.as_map().unwrap_or_default() {
        match k.as_str().unwrap_or_default() {
            _ if k == key => {}
            "name" => {}
            "vars" => vars_over = vars(v, "PlaybookInclude")?,
            "tags" => tags_over = tags(v, "tags")?,
            "when" => when = conditions(v),
            other => {
                return Err(invalid(
                    format!("`{other}` is not a valid keyword for `import_playbook`"),
                    k,
                ))
            }
        }
    }
    let Some(file) = value.as_str().filter(|f| !f.trim().is_empty()) else {
        return Err(wrong_type("import_playbook", "a playbook file name", value));
    };
    if file.contains("{{") || file.contains("{%") {
        return Err(invalid(
            "a templated `import_playbook` file name is not supported yet",
            value,
        ));
    }
    let path = dir.join(file);
    let text = crate::vault::read_text(&path).map_err(|e| match e {
        ParseError::Vault { .. } => e,
        _ => ParseError::Invalid {
            message: format!(
                "Could not find or access '{}' on the Ansible Controller",
                path.display()
            ),
            span: value.span,
            hint: None,
        },
    })?;
    let mut plays = plays_of(&path, &path, &text, opts, depth + 1)?;
    // `tags` given as a var is a tag list too (`PlaybookInclude` pops it from the vars).
    if let Some(i) = vars_over.iter().position(|(k, _)| k == "tags") {
        let (_, t) = vars_over.remove(i);
        if let Some(s) = t.as_str() {
            tags_over.extend(s.split(',').map(str::to_owned));
        }
    }
    for play in &mut plays {
        for (k, v) in &vars_over {
            match play.vars.iter_mut().find(|(pk, _)| pk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => play.vars.push((k.clone(), v.clone())),
            }
        }
        for t in &tags_over {
            if !play.tags.contains(t) {
                play.tags.push(t.clone());
            }
        }
        if !when.is_empty() {
            prepend_when(play, &when);
        }
    }
    Ok(plays)
}

fn prepend_when(play: &mut Play, when: &[Node]) {
    let add = |tasks: &mut Vec<Task>| {
        for t in tasks {
            t.keywords.when = when.iter().chain(&t.keywords.when).cloned().collect();
        }
    };
    add(&mut play.pre_tasks);
    add(&mut play.tasks);
    add(&mut play.post_tasks);
    play.roles = play
        .roles
        .iter()
        .map(|role| {
            let mut role = Role::clone(role);
            role.when = when.iter().chain(&role.when).cloned().collect();
            // Role tasks point at a header copy of their role; it must carry the new `when:`.
            let header = Arc::new(Role {
                tasks: Vec::new(),
                handlers: Vec::new(),
                ..role.clone()
            });
            for t in role.tasks.iter_mut().chain(role.handlers.iter_mut()) {
                t.role = Some(Arc::clone(&header));
            }
            Arc::new(role)
        })
        .collect();
}

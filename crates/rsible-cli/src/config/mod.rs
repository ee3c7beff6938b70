//! `ansible.cfg`: found and read as ansible-core does, then consulted under the `ANSIBLE_*`
//! environment variables (which override it) wherever rsible reads a setting.
//!
//! Everything downstream asks for settings by their environment variable name
//! ([`Settings::get`]), so a value from the file and one from the environment take the same
//! path; values from the file are unquoted and their paths resolved against the file's
//! directory first, as Ansible's `ensure_type` does.

pub mod find;
pub mod ini;
pub mod paths;
pub mod settings;
mod validate;

use std::path::{Path, PathBuf};

use rsible_source::{Diagnostic, Position, SourceId, SourceMap, Span};

use self::ini::Ini;
use self::settings::{Kind, Setting};

pub use self::validate::ConfigWarning;

/// Why the configuration cannot be used; ansible-playbook exits 5 on each.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Unsupported configuration file extension for {}: {ext}", path.display())]
    Extension { path: PathBuf, ext: String },
    #[error("Error reading config file ({}): {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Error reading config file({}) because the config file was not utf8 encoded: {source}", path.display())]
    Encoding {
        path: PathBuf,
        source: std::string::FromUtf8Error,
    },
    #[error("Error reading config file ({}): {source}", path.display())]
    Syntax {
        path: PathBuf,
        source: ini::IniError,
        at: Span,
    },
    #[error("Invalid value {value:?} for [{section}] {key}: {expected}")]
    Value {
        section: String,
        key: String,
        value: String,
        expected: String,
        at: Option<Span>,
    },
}

impl ConfigError {
    /// The error with the file, line and column it is about.
    pub fn diagnostic(&self) -> Diagnostic {
        let span = match self {
            Self::Syntax { at, .. } => Some(*at),
            Self::Value { at, .. } => *at,
            _ => None,
        };
        Diagnostic::error(self.to_string()).with_span(span)
    }
}

/// The configuration file in use, parsed.
#[derive(Debug, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Relative paths in the file are relative to this directory.
    pub dir: PathBuf,
    pub ini: Ini,
    source: Option<SourceId>,
}

impl ConfigFile {
    /// Reads and parses `path`, refusing what ansible-core refuses.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ext != "cfg" && ext != "ini" {
            return Err(ConfigError::Extension {
                path: path.to_owned(),
                ext: if ext.is_empty() {
                    ext
                } else {
                    format!(".{ext}")
                },
            });
        }
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|source| ConfigError::Encoding {
            path: path.to_owned(),
            source,
        })?;
        let source_id = SourceMap::add(path, text.clone());
        let ini = ini::parse(&text).map_err(|source| ConfigError::Syntax {
            path: path.to_owned(),
            at: Span::point(source_id, Position::new(source.line(), 1)),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            ini,
            source: Some(source_id),
        })
    }

    /// Where `line` of the file is, for messages.
    pub fn span(&self, line: u32) -> Option<Span> {
        self.source
            .map(|id| Span::point(id, Position::new(line, 1)))
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Env(String),
    File {
        section: &'static str,
        key: &'static str,
        line: u32,
    },
}

/// The settings of a run: the environment over the configuration file.
pub struct Settings<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: Option<ConfigFile>,
    cwd: PathBuf,
}

impl<'a> Settings<'a> {
    pub fn new(
        env: &'a dyn Fn(&str) -> Option<String>,
        file: Option<ConfigFile>,
        cwd: PathBuf,
    ) -> Self {
        Self { env, file, cwd }
    }

    /// Finds the configuration file as Ansible does and reads it. The warning is Ansible's,
    /// for an `ansible.cfg` passed over in a world-writable working directory.
    pub fn discover(
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> (Result<Self, ConfigError>, Option<String>) {
        let cwd = std::env::current_dir().ok();
        let found = find::find(&find::Places {
            env,
            cwd: cwd.as_deref(),
            system: Path::new(find::SYSTEM_CONFIG),
        });
        let cwd = cwd.unwrap_or_else(|| PathBuf::from("/"));
        let settings = match found.path {
            Some(path) => ConfigFile::load(&path).map(|f| Self::new(env, Some(f), cwd)),
            None => Ok(Self::new(env, None, cwd)),
        };
        (settings, found.warning)
    }

    /// The configuration file in use.
    pub fn file(&self) -> Option<&ConfigFile> {
        self.file.as_ref()
    }

    pub fn config_path(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path.as_path())
    }

    /// The value of the setting an `ANSIBLE_*` variable names: the variable (the last of the
    /// setting's variables that is set), else the file, converted as Ansible converts it.
    /// Other names are plain environment lookups.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_with_origin(name).map(|(v, _)| v)
    }

    /// [`Settings::get`] and where the value came from.
    pub fn get_with_origin(&self, name: &str) -> Option<(String, Origin)> {
        let rows: Vec<&'static Setting> = settings::by_env(name).collect();
        let Some(first) = rows.first() else {
            return (self.env)(name).map(|v| (v, Origin::Env(name.to_owned())));
        };
        let from_env = first
            .env
            .iter()
            .rev()
            .find_map(|n| (self.env)(n).map(|v| (v, (*n).to_owned())));
        if let Some((value, var)) = from_env {
            // An inventory from the environment may be a `host1,host2,` list: left as given.
            let value = if first.kind == Kind::PathList {
                value
            } else {
                convert(&value, first.kind, &self.cwd, &self.cwd, self.env)
            };
            return Some((value, Origin::Env(var)));
        }
        let file = self.file.as_ref()?;
        let (setting, entry) = rows
            .iter()
            .rev()
            .find_map(|s| file.ini.get(s.section, s.key).map(|e| (*s, e)))?;
        let value = convert(
            &unquote_for(&entry.value, setting.kind),
            setting.kind,
            &file.dir,
            &self.cwd,
            self.env,
        );
        Some((
            value,
            Origin::File {
                section: setting.section,
                key: setting.key,
                line: entry.line,
            },
        ))
    }

    /// A boolean setting (Ansible's non-strict `boolean`).
    pub fn flag(&self, name: &str, default: bool) -> bool {
        self.get(name)
            .filter(|v| !v.is_empty())
            .map_or(default, |v| crate::env::truthy(&v))
    }

    /// Checks every entry of the file: values rsible applies must be valid; anything it does
    /// not apply is reported.
    pub fn check(&self) -> Result<Vec<ConfigWarning>, ConfigError> {
        match &self.file {
            Some(file) => validate::check(file),
            None => Ok(Vec::new()),
        }
    }

    /// How to name where a value came from in a message.
    pub fn describe(&self, origin: &Origin) -> String {
        match (origin, &self.file) {
            (Origin::File { section, key, line }, Some(f)) => {
                format!("[{section}] {key} ({}:{line})", f.path.display())
            }
            (Origin::File { section, key, .. }, None) => format!("[{section}] {key}"),
            (Origin::Env(var), _) => var.clone(),
        }
    }

    /// Where an origin points in the file, for diagnostics.
    pub fn span_of(&self, origin: &Origin) -> Option<Span> {
        match origin {
            Origin::File { line, .. } => self.file.as_ref().and_then(|f| f.span(*line)),
            Origin::Env(_) => None,
        }
    }
}

/// Ansible unquotes string results of ini values after conversion; paths are unquoted first
/// here (Ansible would join the quoted text onto the directory, see [`validate`]).
fn unquote_for(value: &str, kind: Kind) -> String {
    match kind {
        Kind::List => value.to_owned(),
        _ => unquote(value).to_owned(),
    }
}

/// `parsing/quoting.py: unquote`: one pair of matching outer quotes.
pub fn unquote(value: &str) -> &str {
    let b = value.as_bytes();
    if b.len() > 1
        && b[0] == b[b.len() - 1]
        && (b[0] == b'"' || b[0] == b'\'')
        && b[b.len() - 2] != b'\\'
    {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

/// The value in the form rsible's option code reads: lists joined with `,`, path specs with
/// `:`, every path resolved.
fn convert(
    value: &str,
    kind: Kind,
    base: &Path,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let path = |v: &str| paths::resolve(v, base, cwd, env).display().to_string();
    match kind {
        Kind::Str | Kind::Bool => value.to_owned(),
        // `3.0` is 3 to Ansible; the option code parses plain integers.
        Kind::Int => validate::parse_int(value).map_or_else(|| value.to_owned(), |n| n.to_string()),
        Kind::List => value
            .split(',')
            .map(|item| unquote(item.trim()))
            .collect::<Vec<_>>()
            .join(","),
        Kind::Path => path(value),
        Kind::CwdPath => paths::resolve(value, cwd, cwd, env).display().to_string(),
        Kind::PathList => value
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(path)
            .collect::<Vec<_>>()
            .join(","),
        Kind::PathSpec => value.split(':').map(path).collect::<Vec<_>>().join(":"),
    }
}

#[cfg(test)]
mod tests;

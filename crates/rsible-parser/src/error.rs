use std::path::PathBuf;

use rsible_source::{Diagnostic, Span};

/// Everything that can be wrong with a playbook, role, vars file or inventory before it runs.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{message}")]
    Yaml {
        message: String,
        span: Span,
        /// Ansible's advice for the usual causes (unquoted `{{ }}`, a `: ` in a value).
        hint: Option<String>,
    },
    #[error("duplicate key `{key}` (the later value wins in Ansible, but this is almost always a mistake)")]
    DuplicateKey {
        key: String,
        span: Span,
        first: Span,
    },
    #[error("`{name}` is not a known module or keyword")]
    UnknownKey {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    /// A play (or other non-task) keyword Ansible does not know.
    #[error("`{name}` is not a valid keyword for {owner}")]
    UnknownKeyword {
        name: String,
        /// `a play`.
        owner: &'static str,
        span: Span,
        suggestion: Option<String>,
    },
    #[error("`{keyword}` expects {expected}, found {found}")]
    WrongType {
        keyword: String,
        expected: &'static str,
        found: &'static str,
        span: Span,
    },
    #[error("{message}")]
    Invalid {
        message: String,
        span: Span,
        hint: Option<String>,
    },
    #[error("the role `{name}` was not found in {}", searched.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", "))]
    RoleNotFound {
        name: String,
        span: Span,
        searched: Vec<PathBuf>,
    },
    /// A host pattern that cannot be used (`hosts: ~[`, a subscript past the end).
    #[error("{message}")]
    Pattern { message: String },
    /// A vault file that could not be decrypted: Ansible's plain error (exit 1) with the file
    /// as its origin.
    #[error("{source}")]
    Vault {
        path: PathBuf,
        #[source]
        source: rsible_vault::VaultError,
    },
    /// An action ansible-core has removed (`include:`): Ansible's plain error, exit 1.
    #[error("The '{fqcn}' action plugin has been removed. {hint} This feature was removed from ansible-core in a release after {date}.")]
    Removed {
        fqcn: &'static str,
        hint: &'static str,
        date: &'static str,
        span: Span,
    },
}

impl ParseError {
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::Read { .. } | Self::Pattern { .. } | Self::Vault { .. } => None,
            Self::Yaml { span, .. }
            | Self::DuplicateKey { span, .. }
            | Self::UnknownKey { span, .. }
            | Self::UnknownKeyword { span, .. }
            | Self::WrongType { span, .. }
            | Self::Invalid { span, .. }
            | Self::RoleNotFound { span, .. }
            | Self::Removed { span, .. } => Some(*span),
        }
    }

    /// The error as the user sees it: message, position, snippet, hint.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.to_string()).with_span(self.span());
        match self {
            Self::UnknownKey {
                suggestion: Some(s),
                ..
            }
            | Self::UnknownKeyword {
                suggestion: Some(s),
                ..
            } => d = d.with_hint(format!("did you mean `{s}`?")),
            Self::Vault { path, .. } => d = d.with_note(format!("Origin: {}", path.display())),
            Self::DuplicateKey { first, .. } => {
                d = d.with_note(format!("first defined at {first}"))
            }
            Self::Invalid { hint: Some(h), .. } | Self::Yaml { hint: Some(h), .. } => {
                d = d.with_hint(h.clone());
            }
            _ => {}
        }
        d
    }
}

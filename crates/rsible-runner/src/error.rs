use rsible_source::Diagnostic;

/// A fault that stops the whole run (not a task result).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Parse(#[from] rsible_parser::ParseError),
    #[error(transparent)]
    Template(#[from] rsible_template::TemplateError),
    #[error("{0}")]
    Other(String),
    /// A setting that cannot be used (Ansible's `AnsibleOptionsError`, exit 5).
    #[error("{0}")]
    Options(String),
}

impl RunError {
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            Self::Parse(e) => e.diagnostic(),
            Self::Template(e) => e.diagnostic(),
            Self::Other(m) | Self::Options(m) => Diagnostic::error(m.clone()),
        }
    }
}

use rsible_source::{Diagnostic, Span};

/// A template that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A variable (or attribute/key) that is not defined was used.
    #[error("{message}")]
    Undefined {
        /// The undefined name as written (`foo`, `foo.bar`).
        name: String,
        /// Ansible's wording, as `msg` of the failed task.
        message: String,
        span: Option<Span>,
    },
    /// Jinja syntax error.
    #[error("{message}")]
    Syntax {
        /// Jinja's wording, as Ansible shows it.
        message: String,
        span: Option<Span>,
        /// minijinja's own description, often more precise than Jinja's.
        detail: Option<String>,
    },
    /// Any other failure while rendering (bad filter input, failed lookup, …).
    #[error("{message}")]
    Render { message: String, span: Option<Span> },
    /// A template or expression that is not trusted (`!unsafe`, data from a host, the output
    /// of another template): ansible-core 2.19's `TemplateTrustCheckFailedError`.
    #[error("Encountered untrusted template or expression.")]
    Untrusted { span: Option<Span> },
    /// An error Ansible chains to a cause at another place: a `!vault` value that could not
    /// be decrypted, used (`Error rendering template` caused by `Attempt to use undecryptable
    /// variable: …` at the `!vault` tag), a vault file a lookup could not decrypt.
    #[error("{}: {}", .0.context, .0.cause)]
    Caused(Box<Caused>),
}

/// [`TemplateError::Caused`]: an error and its cause, each at its own place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caused {
    /// The error as the template layer raises it (`Error rendering template`).
    pub context: String,
    /// Its cause (`Attempt to use undecryptable variable: Decryption failed …`).
    pub cause: String,
    /// Where the cause is: the `!vault` value, the file.
    pub origin: Option<Span>,
    /// Where the template or expression is.
    pub span: Option<Span>,
}

impl TemplateError {
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::Undefined { span, .. }
            | Self::Syntax { span, .. }
            | Self::Render { span, .. }
            | Self::Untrusted { span } => *span,
            Self::Caused(c) => c.span,
        }
    }

    /// The error placed at `span` when it knows no place of its own.
    #[must_use]
    pub fn or_at(mut self, at: Span) -> Self {
        match &mut self {
            Self::Undefined { span, .. }
            | Self::Syntax { span, .. }
            | Self::Render { span, .. }
            | Self::Untrusted { span } => {
                span.get_or_insert(at);
            }
            Self::Caused(c) => {
                c.span.get_or_insert(at);
            }
        }
        self
    }

    /// The error this one was raised from, shown apart in the error chain.
    pub fn cause(&self) -> Option<&str> {
        match self {
            Self::Caused(c) => Some(&c.cause),
            _ => None,
        }
    }

    /// [`Self::or_at`] when there is a place.
    #[must_use]
    pub fn or_at_opt(self, at: Option<Span>) -> Self {
        match at {
            Some(at) => self.or_at(at),
            None => self,
        }
    }

    /// The help text Ansible prints after the error's source excerpt.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            Self::Untrusted { .. } => Some(
                "Templates and expressions must be defined by trusted sources such as playbooks or roles, not untrusted sources such as module results.",
            ),
            _ => None,
        }
    }

    /// The message as Ansible puts it in a failed task's `msg`.
    pub fn ansible_message(&self) -> String {
        self.to_string()
    }

    pub fn diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string()).with_span(self.span());
        match self {
            Self::Undefined { name, .. } => d.with_hint(format!(
                "define `{name}` (in vars, vars_files, inventory or with -e), or guard it with `| default(...)`"
            )),
            Self::Syntax {
                detail: Some(detail),
                ..
            } => d.with_note(format!("minijinja: {detail}")),
            _ => d,
        }
    }
}

//! Rendering one string with Ansible's rules: a lone `{{ expr }}` keeps its native type,
//! anything else is text with Python's `str()` of each value.

use std::sync::Arc;

use minijinja::value::Value;
use minijinja::ErrorKind;
use rsible_source::Span;

use crate::scope::Scope;
use crate::{Origin, TemplateError};

/// The expression inside `text` when `text` is exactly one `{{ … }}` (plus one trailing
/// newline, which Jinja drops).
pub(crate) fn single_expression(text: &str) -> Option<&str> {
    let t = text.strip_suffix('\n').unwrap_or(text);
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
    // `{{ a }} and {{ b }}` also starts and ends with braces; such text never parses as a
    // single expression, so the caller's compile check tells them apart.
    Some(inner)
}

fn count_trailing_newlines(s: &str) -> usize {
    s.len() - s.trim_end_matches('\n').len()
}

/// Renders `text` as text, restoring trailing newlines as Ansible's templar does.
pub(crate) fn render_string(
    scope: &Arc<Scope>,
    text: &str,
    escape: bool,
    origin: Option<&Origin>,
) -> Result<String, TemplateError> {
    Ok(render_nodes(scope, text, escape, origin)?.unwrap_or_default())
}

/// [`render_string`], or `None` when the template produced no output node at all (a loop over
/// nothing, a false `if`): Ansible's native concatenation of no nodes is `None`, and its
/// trailing newlines are not restored then.
fn render_nodes(
    scope: &Arc<Scope>,
    text: &str,
    escape: bool,
    origin: Option<&Origin>,
) -> Result<Option<String>, TemplateError> {
    let source = if escape {
        escape_backslashes(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let tmpl = scope
        .env
        .template_from_str(&source)
        .map_err(|e| convert_error(scope, &e, text, 0, origin))?;
    crate::env::reset_emitted();
    let mut out = tmpl
        .render(scope.context())
        .map_err(|e| convert_error(scope, &e, text, 0, origin))?;
    if out.is_empty() && !crate::env::emitted() {
        return Ok(None);
    }
    let missing = count_trailing_newlines(text).saturating_sub(count_trailing_newlines(&out));
    out.extend(std::iter::repeat_n('\n', missing));
    Ok(Some(out))
}

/// Renders `text`, keeping the native value when it is a single expression.
pub(crate) fn render_native(
    scope: &Arc<Scope>,
    text: &str,
    origin: Option<&Origin>,
) -> Result<Value, TemplateError> {
    if !crate::Templar::is_template(text) {
        return Ok(Value::from(text));
    }
    if let Some(inner) = single_expression(text) {
        let escaped = escape_backslashes(&format!("{{{{{inner}}}}}")).into_owned();
        let escaped_inner = escaped.get(2..escaped.len() - 2).unwrap_or("");
        if let Ok(expr) = scope.env.compile_expression(escaped_inner) {
            let offset = (inner.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            let v = expr
                .eval(scope.context())
                .map_err(|e| convert_error(scope, &e, text, offset, origin))?;
            if v.is_undefined() {
                let expr_at = offset + (inner.len() - inner.trim_start().len());
                return Err(with_span(
                    undefined_error(scope, None),
                    origin.and_then(|o| span_at(o, text, expr_at)),
                ));
            }
            return Ok(restore_trailing_newlines(text, v));
        }
    }
    Ok(render_nodes(scope, text, true, origin)?.map_or_else(|| Value::from(()), Value::from))
}

/// Jinja drops the template's last newline; Ansible adds the missing ones back, but only
/// when the result is a string (`"{{ 5 }}\n"` stays the integer 5).
fn restore_trailing_newlines(text: &str, v: Value) -> Value {
    let Some(s) = v.as_str() else {
        return v;
    };
    let missing = count_trailing_newlines(text).saturating_sub(count_trailing_newlines(s));
    if missing == 0 {
        return v;
    }
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n('\n', missing));
    Value::from(out)
}

/// Evaluates a bare expression to its value.
pub(crate) fn eval_bare(
    scope: &Arc<Scope>,
    expr: &str,
    escape: bool,
    origin: Option<&Origin>,
) -> Result<Value, TemplateError> {
    let escaped;
    let source = if escape {
        escaped = escape_backslashes(&format!("{{{{{expr}}}}}")).into_owned();
        escaped.get(2..escaped.len() - 2).unwrap_or("")
    } else {
        expr
    };
    let compiled = scope
        .env
        .compile_expression(source)
        .map_err(|e| convert_error(scope, &e, expr, 0, origin))?;
    let v = compiled
        .eval(scope.context())
        .map_err(|e| convert_error(scope, &e, expr, 0, origin))?;
    if v.is_undefined() {
        return Err(with_span(
            undefined_error(scope, None),
            origin.and_then(|o| o.span),
        ));
    }
    Ok(v)
}

fn undefined_error(scope: &Scope, detail: Option<&str>) -> TemplateError {
    if let Some(miss) = scope.last_miss() {
        return TemplateError::Undefined {
            name: miss.name(),
            message: miss.message(),
            span: None,
        };
    }
    // minijinja words it "`foo.bar` is undefined"; keep the expression, in Jinja's quotes.
    let name = detail
        .and_then(|d| d.split('`').nth(1))
        .unwrap_or("variable")
        .to_owned();
    TemplateError::Undefined {
        message: format!("'{name}' is undefined"),
        name,
        span: None,
    }
}

/// Turns minijinja's syntax wording into Jinja's where they differ; `token` is the source
/// text the error points at.
fn jinja_syntax_message(detail: &str, token: Option<&str>) -> String {
    let d = detail.replace('`', "'");
    if let Some(rest) = d.strip_prefix("unexpected ") {
        if let Some((got, want)) = rest.split_once(", expected ") {
            let got = got.trim_matches('\'');
            if matches!(got, "}" | ")" | "]") {
                return format!("unexpected '{got}'");
            }
            let got = match (got, token) {
                ("identifier", Some(t)) => t,
                _ => got,
            };
            let want = match want {
                "end of variable block" => "end of print statement",
                other => other,
            };
            let want = want.trim_matches('\'');
            if got == "end of input" {
                return format!("unexpected end of template, expected '{want}'.");
            }
            return format!("expected token '{want}', got '{got}'");
        }
        return format!("unexpected {rest}");
    }
    d
}

/// Converts a minijinja error raised while rendering `text`.
pub(crate) fn convert_error(
    scope: &Scope,
    err: &minijinja::Error,
    text: &str,
    offset: usize,
    origin: Option<&Origin>,
) -> TemplateError {
    // An error inside an included template is wrapped in one that only names the file.
    if err.kind() == ErrorKind::BadInclude {
        if let Some(inner) =
            std::error::Error::source(err).and_then(|s| s.downcast_ref::<minijinja::Error>())
        {
            return convert_error(scope, inner, text, offset, origin);
        }
    }
    if err.kind() == ErrorKind::TemplateNotFound && !scope.loader_dirs.is_empty() {
        return with_span(
            crate::includes::not_found(err.detail().unwrap_or(""), &scope.loader_dirs),
            origin.and_then(|o| o.span),
        );
    }
    // A position inside an included template is not a position in `text`.
    let err_range = err
        .range()
        .filter(|_| err.name().is_none_or(|n| n == "<string>"));
    let span = origin.and_then(|o| error_span(o, err_range.clone(), text, offset));
    if let Some(pending) = scope.take_pending() {
        return with_span(pending, span);
    }
    let detail = err.detail().map(str::to_owned);
    // The text the error's range is in: ours, or the included template's own source.
    let (text, range) = match (&err_range, err.template_source()) {
        (None, Some(included)) if err.range().is_some() => (included, err.range()),
        _ => (text, err_range.map(|r| r.start + offset..r.end + offset)),
    };
    let token = range.clone().and_then(|r| text.get(r));
    let undefined_involved = detail
        .as_deref()
        .is_some_and(|d| d.contains("` is undefined"));
    let e = match err.kind() {
        ErrorKind::SyntaxError => {
            let d = detail.as_deref().unwrap_or("invalid syntax");
            let msg = crate::jinja_errors::syntax_message(d, text, range)
                .unwrap_or_else(|| jinja_syntax_message(d, token));
            TemplateError::Syntax {
                message: format!("Syntax error in template: {msg}"),
                span: None,
                detail: Some(d.to_owned()),
            }
        }
        ErrorKind::UnknownFilter | ErrorKind::UnknownTest => {
            let what = if err.kind() == ErrorKind::UnknownFilter {
                "filter"
            } else {
                "test"
            };
            let name = detail
                .as_deref()
                .and_then(|d| d.split_whitespace().nth(1))
                .unwrap_or("")
                .to_owned();
            TemplateError::Syntax {
                message: format!("Syntax error in template: No {what} named '{name}'."),
                span: None,
                detail: detail.clone(),
            }
        }
        ErrorKind::UndefinedError => undefined_error(scope, detail.as_deref()),
        _ if undefined_involved => {
            let inner = detail
                .as_deref()
                .and_then(|d| d.rsplit_once("(`"))
                .map(|(_, r)| format!("`{r}"));
            undefined_error(scope, inner.as_deref())
        }
        _ => TemplateError::Render {
            message: detail
                .as_deref()
                .and_then(crate::jinja_errors::operator_message)
                .or(detail)
                .unwrap_or_else(|| err.kind().to_string()),
            span: None,
        },
    };
    with_span(e, span)
}

pub(crate) fn with_span(err: TemplateError, new: Option<Span>) -> TemplateError {
    match err {
        TemplateError::Undefined {
            name,
            message,
            span,
        } => TemplateError::Undefined {
            name,
            message,
            span: span.or(new),
        },
        TemplateError::Syntax {
            message,
            span,
            detail,
        } => TemplateError::Syntax {
            message,
            span: span.or(new),
            detail,
        },
        TemplateError::Render { message, span } => TemplateError::Render {
            message,
            span: span.or(new),
        },
        TemplateError::Untrusted { span } => TemplateError::Untrusted { span: span.or(new) },
        e @ TemplateError::Caused(_) => e.or_at_opt(new),
    }
}

/// Where in the YAML file the error is: inside the scalar when its lines map 1:1.
fn error_span(
    origin: &Origin,
    range: Option<std::ops::Range<usize>>,
    text: &str,
    offset: usize,
) -> Option<Span> {
    match range {
        Some(range) => span_at(origin, text, range.start + offset),
        None => origin.span.map(|s| s.offset_start(0, None)),
    }
}

/// The file position of byte `at` of the template `text`.
fn span_at(origin: &Origin, text: &str, at: usize) -> Option<Span> {
    let span = origin.span?;
    if !origin.exact_lines {
        return Some(span.offset_start(0, None));
    }
    let start = at.min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line_delta = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count());
    let col = u32::try_from(col).unwrap_or(0).saturating_add(1);
    let line_delta = u32::try_from(line_delta).unwrap_or(0);
    if let Some(indent) = block_scalar_indent(span) {
        // A `|` block: the template starts on the line after the indicator, indented.
        let at = rsible_source::Position::new(
            span.start.line + 1 + line_delta,
            indent.saturating_add(col),
        );
        return Some(Span::point(span.source, at));
    }
    if line_delta == 0 {
        Some(span.offset_start(0, Some(col)))
    } else {
        Some(span.offset_start(line_delta, None))
    }
}

/// For a span that starts at a block scalar indicator (`|`, `>`), the indentation of its
/// first content line.
fn block_scalar_indent(span: Span) -> Option<u32> {
    let line = rsible_source::SourceMap::line(span.source, span.start.line)?;
    let at = line
        .chars()
        .nth(span.start.column.checked_sub(1)? as usize)?;
    if at != '|' && at != '>' {
        return None;
    }
    let next = rsible_source::SourceMap::line(span.source, span.start.line + 1)?;
    let indent = next.chars().take_while(|c| *c == ' ').count();
    u32::try_from(indent).ok()
}

/// Ansible's `escape_backslashes`: inside `{{ }}`, backslashes in string constants are kept
/// as written, because YAML already processed them once.
pub(crate) fn escape_backslashes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\\') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut in_var = false;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (in_var, quote) {
            (false, _) => {
                out.push(c);
                if c == '{' && chars.peek() == Some(&'{') {
                    out.push('{');
                    chars.next();
                    in_var = true;
                }
            }
            (true, None) => {
                out.push(c);
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '}' && chars.peek() == Some(&'}') {
                    out.push('}');
                    chars.next();
                    in_var = false;
                }
            }
            (true, Some(q)) => {
                if c == '\\' {
                    match chars.next() {
                        Some(n) if n == q => {
                            out.push_str("\\\\\\");
                            out.push(n);
                        }
                        Some('\\') => out.push_str("\\\\\\\\"),
                        Some(n) => {
                            out.push_str("\\\\");
                            out.push(n);
                        }
                        None => out.push_str("\\\\"),
                    }
                } else {
                    if c == q {
                        quote = None;
                    }
                    out.push(c);
                }
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

//! Conditionals as ansible-core 2.19 evaluates them (`TemplateEngine.evaluate_conditional`),
//! and the part of 2.19's trust model they need.
//!
//! In 2.19 an expression is evaluated only if its string is *trusted*: it came from a
//! playbook, a role, a vars file, the inventory or `-e`, never from a module result, a fact, a
//! lookup or a template's output. A conditional that is entirely a template (`when: "{{ x }}"`)
//! is rendered first; a string result is then an expression, which is allowed only when the
//! rendering handed back a trusted string unchanged — the value of a variable reached through
//! `{{ name }}`, `{{ a.b[0] }}`… ("indirection"). A string the template built (`{{ '1 == 1'
//! }}`, `{{ a }} == {{ b }}`) or read from data is refused. `docs/trust.md` says how rsible
//! carries the mark and where it is still coarser than Ansible's.

use serde_json::Value;

use crate::scope::{is_data, untrusted_paths, Seg};
use crate::{Origin, Templar, TemplateError, Vars};

/// Indirection through variables holding `{{ other }}` is followed at most this deep.
const MAX_INDIRECTION: usize = 16;

/// `is_possibly_all_template`: the text starts with a Jinja start delimiter and ends with an
/// end delimiter (even if what is between is not one template).
pub(crate) fn is_possibly_all_template(text: &str) -> bool {
    ["{{", "{%", "{#"].iter().any(|m| text.starts_with(m))
        && ["}}", "%}", "#}"].iter().any(|m| text.ends_with(m))
}

pub(crate) fn empty(origin: &Origin) -> TemplateError {
    TemplateError::Render {
        message: "Empty conditional expressions are not allowed.".to_owned(),
        span: origin.span,
    }
}

/// `TemplateTrustCheckFailedError`'s message.
pub(crate) fn untrusted(origin: &Origin) -> TemplateError {
    TemplateError::Untrusted { span: origin.span }
}

/// An undefined variable met while rendering a conditional, worded as Ansible wraps it.
pub(crate) fn in_conditional(e: TemplateError) -> TemplateError {
    match e {
        TemplateError::Undefined {
            name,
            message,
            span,
        } if !message.starts_with("Error while evaluating conditional") => {
            TemplateError::Undefined {
                name,
                message: format!("Error while evaluating conditional: {message}"),
                span,
            }
        }
        other => other,
    }
}

/// True when rendering the all-template `text` returns a trusted string: `text` is
/// `{{ path }}` (a variable name followed by `.attr`, `[index]` or `['key']` accesses) and the
/// path leads to a string of a trusted variable that is no template, or that is itself such an
/// indirection. Anything else (an expression, a filter, a constant, a registered result or a
/// fact) renders to an untrusted string.
pub(crate) fn trusted_indirection(vars: &Vars, text: &str) -> bool {
    let untrusted = untrusted_paths(vars);
    let mut text = text.to_owned();
    for _ in 0..MAX_INDIRECTION {
        let Some(path) = parse_path(&text) else {
            return false;
        };
        let Some((Seg::Key(name), rest)) = path.split_first() else {
            return false;
        };
        if is_data(&untrusted, &path) {
            return false;
        }
        let Some(mut cur) = vars.get(name.as_str()) else {
            return false;
        };
        for seg in rest {
            let next = match (seg, cur) {
                (Seg::Key(k), Value::Object(m)) => m.get(k.as_str()),
                (Seg::Idx(i), Value::Array(a)) => a.get(*i),
                _ => None,
            };
            let Some(next) = next else { return false };
            cur = next;
        }
        let Value::String(s) = cur else { return false };
        if !Templar::is_template(s) {
            return true;
        }
        // The variable is itself rendered on access: trusted only if it is one more
        // indirection, never if it builds a string.
        text = s.trim().to_owned();
    }
    false
}

/// `{{ a.b[0]['c'] }}` as its accesses; `None` for anything else.
fn parse_path(text: &str) -> Option<Vec<Seg>> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let mut chars = inner.char_indices().peekable();
    let mut segs = Vec::new();
    let ident = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| -> Option<String> {
        let mut out = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                out.push(c);
                chars.next();
            } else {
                break;
            }
        }
        (out.chars().next().is_some_and(|c| !c.is_ascii_digit())).then_some(out)
    };
    segs.push(Seg::Key(ident(&mut chars)?));
    while let Some((_, c)) = chars.next() {
        match c {
            '.' => segs.push(Seg::Key(ident(&mut chars)?)),
            '[' => {
                let mut body = String::new();
                loop {
                    let (_, c) = chars.next()?;
                    if c == ']' {
                        break;
                    }
                    body.push(c);
                }
                let body = body.trim();
                let quoted = ['\'', '"'].iter().find_map(|q| {
                    body.strip_prefix(*q)
                        .and_then(|b| b.strip_suffix(*q))
                        .filter(|b| !b.contains(*q) && !b.contains('\\'))
                });
                match quoted {
                    Some(key) => segs.push(Seg::Key(key.to_owned())),
                    None => segs.push(Seg::Idx(body.parse().ok()?)),
                }
            }
            _ => return None,
        }
    }
    Some(segs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UNTRUSTED_VARS;
    use serde_json::json;

    fn vars(v: Value) -> Vars {
        match v {
            Value::Object(m) => m,
            _ => Vars::new(),
        }
    }

    #[test]
    fn paths_are_parsed() {
        assert_eq!(
            parse_path("{{ a.b[0]['c'] }}"),
            Some(vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Idx(0),
                Seg::Key("c".into())
            ])
        );
        assert_eq!(parse_path("{{ a ~ b }}"), None);
        assert_eq!(parse_path("{{ 'x' }}"), None);
        assert_eq!(parse_path("{{ a | default(1) }}"), None);
        assert_eq!(parse_path("{{ a[b] }}"), None);
    }

    // What ansible-core 2.19 accepts as an indirection (`when: "{{ … }}"` followed by the
    // expression in the variable) and what it refuses as untrusted.
    #[test]
    fn only_variables_from_trusted_sources_are_trusted() {
        let v = vars(json!({
            "expr": "1 == 1",
            "indirect": "{{ expr }}",
            "built": "{{ '1 == ' ~ '1' }}",
            "nested": {"list": ["x is defined"]},
            "out": {"stdout": "1 == 1"},
            "fact": {"literal": "1 == 1", "rendered": "1 == 1"},
            UNTRUSTED_VARS: ["out", ["fact", "rendered"]],
        }));
        assert!(trusted_indirection(&v, "{{ fact.literal }}"));
        assert!(!trusted_indirection(&v, "{{ fact.rendered }}"));
        assert!(!trusted_indirection(&v, "{{ fact['rendered'] }}"));
        assert!(trusted_indirection(&v, "{{ expr }}"));
        assert!(trusted_indirection(&v, "{{ indirect }}"));
        assert!(trusted_indirection(&v, "{{ nested.list[0] }}"));
        assert!(trusted_indirection(&v, "{{ nested['list'][0] }}"));
        assert!(!trusted_indirection(&v, "{{ built }}"));
        assert!(!trusted_indirection(&v, "{{ '1 == 1' }}"));
        assert!(!trusted_indirection(&v, "{{ out.stdout }}"));
        assert!(!trusted_indirection(&v, "{{ missing }}"));
        let looped = vars(json!({"a": "{{ b }}", "b": "{{ a }}"}));
        assert!(!trusted_indirection(&looped, "{{ a }}"));
    }

    #[test]
    fn all_template_detection() {
        assert!(is_possibly_all_template("{{ a }}"));
        assert!(is_possibly_all_template("{{ a }} == {{ b }}"));
        assert!(is_possibly_all_template("{% if a %}x{% endif %}"));
        assert!(!is_possibly_all_template("a == {{ b }}"));
        assert!(!is_possibly_all_template("a == b"));
    }
}

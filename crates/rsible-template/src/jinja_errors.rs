//! Jinja2's wording for template errors that minijinja words differently.

/// The blocks still open at byte `upto` of `text` (innermost last), from `{% name … %}` tags.
fn open_blocks(text: &str, upto: usize) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = text.get(..upto.min(text.len())).unwrap_or(text);
    while let Some(i) = rest.find("{%") {
        rest = &rest[i + 2..];
        let tag = rest.trim_start_matches(['-', '+', ' ', '\t', '\n']);
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let body_end = tag.find("%}").unwrap_or(tag.len());
        let body = &tag[..body_end];
        match name.as_str() {
            "if" | "for" | "block" | "macro" | "call" | "filter" | "with" | "raw"
            | "autoescape" => stack.push(name),
            // `{% set x %}…{% endset %}` is a block; `{% set x = 1 %}` is not.
            "set" if !body.contains('=') => stack.push(name),
            n if n.starts_with("end") && stack.last().is_some_and(|top| n[3..] == **top) => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack
}

fn looking_for(block: &str) -> String {
    let tags: Vec<String> = match block {
        "if" => vec!["elif".into(), "else".into(), "endif".into()],
        "for" => vec!["endfor".into(), "else".into()],
        other => vec![format!("end{other}")],
    };
    let quoted: Vec<String> = tags.iter().map(|t| format!("'{t}'")).collect();
    format!(
        "Jinja was looking for the following tags: {}. The innermost block that needs to be closed is '{block}'.",
        quoted.join(" or ")
    )
}

/// Jinja's message for a minijinja syntax error `detail` at byte range `at` of `text`.
pub(crate) fn syntax_message(
    detail: &str,
    text: &str,
    at: Option<std::ops::Range<usize>>,
) -> Option<String> {
    let start = at.as_ref().map_or(text.len(), |r| r.start);
    if let Some(tag) = detail.strip_prefix("unknown statement ") {
        let blocks = open_blocks(text, start);
        return Some(match blocks.last() {
            Some(b) => format!("Encountered unknown tag '{tag}'. {}", looking_for(b)),
            None => format!("Encountered unknown tag '{tag}'."),
        });
    }
    if detail.starts_with("unexpected end of input") {
        if let Some(b) = open_blocks(text, text.len()).last() {
            return Some(format!("Unexpected end of template. {}", looking_for(b)));
        }
    }
    if detail == "unexpected end of comment" {
        return Some("Missing end of comment tag".into());
    }
    let end_of = match detail {
        "unexpected end of block" => Some("statement block"),
        "unexpected end of variable block" => Some("print statement"),
        _ => None,
    };
    if let Some(what) = end_of {
        return Some(if expression_starts_at(text, start) {
            format!("Expected an expression, got 'end of {what}'")
        } else {
            format!("unexpected 'end of {what}'")
        });
    }
    if let Some(got) = detail
        .strip_prefix("unexpected `")
        .and_then(|r| r.chars().next())
        .filter(|c| matches!(c, '}' | ')' | ']'))
    {
        // Jinja's lexer balances brackets: a closer that does not match names the expected one.
        return Some(match open_bracket(text, start) {
            Some(want) if want != got => format!("unexpected '{got}', expected '{want}'"),
            _ => format!("unexpected '{got}'"),
        });
    }
    if detail == "unexpected end of string" {
        let quote_at = text
            .get(..start.min(text.len()))
            .and_then(|before| before.rfind(['\'', '"']));
        let idx = quote_at.or_else(|| {
            text.get(start..)
                .and_then(|s| s.find(['\'', '"']).map(|i| i + start))
        })?;
        let q = text[idx..].chars().next()?;
        let pos = text[..idx].chars().count();
        return Some(format!("unexpected char \"{q}\" at {pos}"));
    }
    None
}

/// The text of the tag that holds byte `at`, from just after its `{{` or `{%`.
fn tag_before(text: &str, at: usize) -> &str {
    let before = text.get(..at.min(text.len())).unwrap_or(text);
    let open = before.rfind("{{").max(before.rfind("{%"));
    open.map_or(before, |i| &before[i + 2..])
        .trim_start_matches(['-', '+'])
}

/// True when an expression would start at byte `at`: Jinja parsed nothing of it yet, so it
/// says "Expected an expression" rather than "unexpected" (`{{ }}`, `{% if %}`, `x =`).
fn expression_starts_at(text: &str, at: usize) -> bool {
    static START: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let tag = tag_before(text, at).trim();
    tag.is_empty()
        || START
            .get_or_init(|| {
                regex::Regex::new(r"^(?:(?:if|elif|return)|set\s.*[^=!<>]=|for\s.*\sin)$").ok()
            })
            .as_ref()
            .is_some_and(|re| re.is_match(tag))
}

/// The closer of the innermost bracket still open in the tag that holds byte `at`.
fn open_bracket(text: &str, at: usize) -> Option<char> {
    let mut stack = Vec::new();
    let mut quote = None;
    for c in tag_before(text, at).chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => stack.push(')'),
            (None, '[') => stack.push(']'),
            (None, '{') => stack.push('}'),
            (None, ')' | ']' | '}') => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

/// Jinja's message for an unsupported binary operation: Python's TypeError wording.
pub(crate) fn operator_message(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("tried to use ")?;
    let (op, rest) = rest.split_once(" operator on unsupported types ")?;
    let rest = rest.split(" (`").next().unwrap_or(rest);
    let (a, b) = rest.split_once(" and ")?;
    let py = |k: &str| {
        match k {
            "number" => "int",
            "string" => "str",
            "sequence" => "list",
            "map" => "dict",
            "none" => "NoneType",
            "bool" => "bool",
            other => other,
        }
        .to_owned()
    };
    Some(format!(
        "Error rendering template: unsupported operand type(s) for {op}: '{}' and '{}'",
        py(a),
        py(b.trim())
    ))
}

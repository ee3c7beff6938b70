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
    if detail == "unexpected end of block" {
        return Some("Expected an expression, got 'end of statement block'".into());
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

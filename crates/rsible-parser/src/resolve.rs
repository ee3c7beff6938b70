//! Plain-scalar resolution by PyYAML's YAML 1.1 rules (`yaml/resolver.py` and
//! `yaml/constructor.py`), which is what Ansible sees: `yes` is a bool, `0644` is octal, `1e3` is
//! a string (a float needs a dot, and an exponent needs a sign).

use crate::NodeKind;

/// Resolves a plain, untagged scalar.
pub(crate) fn resolve_plain(text: &str) -> NodeKind {
    if is_null(text) {
        return NodeKind::Null;
    }
    if let Some(b) = parse_bool(text) {
        return NodeKind::Bool(b);
    }
    if is_int(text) {
        if let Some(kind) = construct_int(text) {
            return kind;
        }
    }
    if is_float(text) {
        if let Some(f) = construct_float(text) {
            return NodeKind::Float(f);
        }
    }
    NodeKind::Str(text.to_owned())
}

pub(crate) fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn strip_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    }
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

/// `[0-5]?[0-9]` — one sexagesimal part.
fn is_sexagesimal_part(part: &str) -> bool {
    let b = part.as_bytes();
    match b.len() {
        1 => b[0].is_ascii_digit(),
        2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
        _ => false,
    }
}

/// `[1-9][0-9_]*` (or `[0-9][0-9_]*` when `zero_ok`).
fn is_decimal_head(s: &str, zero_ok: bool) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() && (zero_ok || c != '0') => {
            chars.all(|c| c.is_ascii_digit() || c == '_')
        }
        _ => false,
    }
}

fn is_int(text: &str) -> bool {
    let (_, body) = strip_sign(text);
    if let Some(bits) = body.strip_prefix("0b") {
        return all(bits, |c| matches!(c, '0' | '1' | '_'));
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return all(hex, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if body == "0" {
        return true;
    }
    if let Some(oct) = body.strip_prefix('0') {
        return all(oct, |c| matches!(c, '0'..='7' | '_'));
    }
    if body.contains(':') {
        let mut parts = body.split(':');
        let head = parts.next().unwrap_or_default();
        return is_decimal_head(head, false) && parts.all(is_sexagesimal_part);
    }
    is_decimal_head(body, false)
}

/// `SafeConstructor.construct_yaml_int`; `None` where Python would raise (`0b_`).
fn construct_int(text: &str) -> Option<NodeKind> {
    let cleaned = text.replace('_', "");
    let (negative, body) = strip_sign(&cleaned);
    let magnitude: i128 = if body == "0" {
        0
    } else if let Some(bits) = body.strip_prefix("0b") {
        i128::from_str_radix(bits, 2).ok()?
    } else if let Some(hex) = body.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = body.strip_prefix('0') {
        i128::from_str_radix(oct, 8).ok()?
    } else if body.contains(':') {
        let mut value: i128 = 0;
        for part in body.split(':') {
            value = value
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        value
    } else {
        body.parse::<i128>().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    // Python ints are unbounded; beyond 64 bits the nearest we can hold is a float.
    #[expect(
        clippy::cast_precision_loss,
        reason = "only for integers beyond 64 bits"
    )]
    Some(match (i64::try_from(value), u64::try_from(value)) {
        (Ok(i), _) => NodeKind::Int(i),
        (Err(_), Ok(u)) => NodeKind::UInt(u),
        _ => NodeKind::Float(value as f64),
    })
}

fn is_exponent(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(['e', 'E']) else {
        return false;
    };
    let Some(digits) = rest.strip_prefix(['-', '+']) else {
        return false;
    };
    all(digits, |c| c.is_ascii_digit())
}

/// `[0-9_]*` followed by an optional exponent.
fn is_fraction_tail(s: &str) -> bool {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(s.len());
    let rest = &s[end..];
    rest.is_empty() || is_exponent(rest)
}

fn is_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (_, body) = strip_sign(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // `.[0-9][0-9_]*(exp)?` takes no sign.
    if let Some(frac) = text.strip_prefix('.') {
        return frac.starts_with(|c: char| c.is_ascii_digit()) && is_fraction_tail(frac);
    }
    let Some((int_part, frac)) = body.split_once('.') else {
        return false;
    };
    if int_part.contains(':') {
        let mut parts = int_part.split(':');
        let head = parts.next().unwrap_or_default();
        return is_decimal_head(head, true)
            && parts.all(is_sexagesimal_part)
            && frac.chars().all(|c| c.is_ascii_digit() || c == '_');
    }
    is_decimal_head(int_part, true) && is_fraction_tail(frac)
}

/// `SafeConstructor.construct_yaml_float`.
fn construct_float(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "").to_lowercase();
    let (negative, body) = strip_sign(&cleaned);
    let sign = if negative { -1.0 } else { 1.0 };
    if body == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Some(f64::NAN);
    }
    if body.contains(':') {
        let mut value = 0.0;
        for part in body.split(':') {
            value = value * 60.0 + part.parse::<f64>().ok()?;
        }
        return Some(sign * value);
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values come from `yaml.safe_load` in the Ansible venv (PyYAML 6).
    #[test]
    fn resolves_like_pyyaml() {
        let cases: &[(&str, NodeKind)] = &[
            ("yes", NodeKind::Bool(true)),
            ("Yes", NodeKind::Bool(true)),
            ("YES", NodeKind::Bool(true)),
            ("yEs", NodeKind::Str("yEs".into())),
            ("y", NodeKind::Str("y".into())),
            ("n", NodeKind::Str("n".into())),
            ("On", NodeKind::Bool(true)),
            ("OFF", NodeKind::Bool(false)),
            ("no", NodeKind::Bool(false)),
            ("False", NodeKind::Bool(false)),
            ("~", NodeKind::Null),
            ("null", NodeKind::Null),
            ("Null", NodeKind::Null),
            ("NULL", NodeKind::Null),
            ("nULL", NodeKind::Str("nULL".into())),
            ("", NodeKind::Null),
            ("0644", NodeKind::Int(420)),
            ("0x1F", NodeKind::Int(31)),
            ("-0x1f", NodeKind::Int(-31)),
            ("0b101", NodeKind::Int(5)),
            ("1_000", NodeKind::Int(1000)),
            ("1:30", NodeKind::Int(90)),
            ("-1:30:00", NodeKind::Int(-5400)),
            ("1:60", NodeKind::Str("1:60".into())),
            ("0", NodeKind::Int(0)),
            (
                "12345678901234567890",
                NodeKind::UInt(12_345_678_901_234_567_890),
            ),
            ("+12", NodeKind::Int(12)),
            ("09", NodeKind::Str("09".into())),
            ("0_", NodeKind::Int(0)),
            ("0b_", NodeKind::Str("0b_".into())),
            ("1e3", NodeKind::Str("1e3".into())),
            ("1.0e+3", NodeKind::Float(1000.0)),
            ("1.0e3", NodeKind::Str("1.0e3".into())),
            ("1.5", NodeKind::Float(1.5)),
            ("1.", NodeKind::Float(1.0)),
            (".5", NodeKind::Float(0.5)),
            ("-.5", NodeKind::Str("-.5".into())),
            ("1_0.5_0", NodeKind::Float(10.5)),
            ("1:30.5", NodeKind::Float(90.5)),
            (".inf", NodeKind::Float(f64::INFINITY)),
            ("-.Inf", NodeKind::Float(f64::NEG_INFINITY)),
            ("1.2.3", NodeKind::Str("1.2.3".into())),
            ("2020-01-01", NodeKind::Str("2020-01-01".into())),
            ("a:b", NodeKind::Str("a:b".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(&resolve_plain(text), expected, "{text:?}");
        }
        assert!(matches!(resolve_plain(".NaN"), NodeKind::Float(f) if f.is_nan()));
    }
}

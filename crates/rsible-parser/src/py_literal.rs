//! INI inventory values, typed as Ansible types them: `ast.literal_eval` when the text is a
//! Python literal (`42`, `True`, `'x'`, `[1, 2]`, `{'a': 1}`), else the text itself.

use serde_json::{Map, Number, Value};

/// `_parse_value` of Ansible's INI inventory plugin.
pub(crate) fn parse_ini_value(text: &str) -> Value {
    let mut p = LiteralParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    let parsed = p.skip_ws().and_then(|()| p.expr()).and_then(|v| {
        p.skip_ws()?;
        (p.pos == p.chars.len()).then_some(v)
    });
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

struct LiteralParser {
    chars: Vec<char>,
    pos: usize,
}

impl LiteralParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Option<()> {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.pos += 1;
        }
        Some(())
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Value> {
        self.skip_ws();
        let c = self.peek()?;
        match c {
            '\'' | '"' => {
                let mut s = self.string()?;
                // Adjacent string literals concatenate.
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some('\'' | '"') => s.push_str(&self.string()?),
                        _ => break,
                    }
                }
                Some(Value::String(s))
            }
            '[' => {
                self.pos += 1;
                self.sequence(']').map(Value::Array)
            }
            '(' => {
                self.pos += 1;
                self.sequence(')').map(Value::Array)
            }
            '{' => {
                self.pos += 1;
                self.dict()
            }
            '-' | '+' => {
                self.pos += 1;
                let v = self.expr()?;
                let negate = c == '-';
                match v {
                    Value::Number(n) if negate => {
                        if let Some(i) = n.as_i64() {
                            Some(Value::from(i.checked_neg()?))
                        } else {
                            n.as_f64()
                                .and_then(|f| Number::from_f64(-f))
                                .map(Value::Number)
                        }
                    }
                    Value::Number(_) => Some(v),
                    _ => None,
                }
            }
            c if c.is_ascii_digit() || c == '.' => self.number(),
            _ => self.name(),
        }
    }

    fn sequence(&mut self, close: char) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expr()?);
            if !self.eat(',') {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn dict(&mut self) -> Option<Value> {
        let mut map = Map::new();
        loop {
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            let key = match self.expr()? {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(true) => "True".to_owned(),
                Value::Bool(false) => "False".to_owned(),
                Value::Null => "None".to_owned(),
                _ => return None,
            };
            if !self.eat(':') {
                return None;
            }
            let value = self.expr()?;
            map.insert(key, value);
            if !self.eat(',') {
                return self.eat('}').then_some(Value::Object(map));
            }
        }
    }

    fn name(&mut self) -> Option<Value> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        match word.as_str() {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            // An exponent sign belongs to the number.
            let c = self.peek();
            self.pos += 1;
            if matches!(c, Some('e' | 'E')) && matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if text.starts_with('_') || text.ends_with('_') || text.contains("__") {
            return None;
        }
        let clean = text.replace('_', "");
        let lower = clean.to_ascii_lowercase();
        let radix = |prefix: &str, radix: u32| {
            lower
                .strip_prefix(prefix)
                .and_then(|d| i64::from_str_radix(d, radix).ok())
                .map(Value::from)
        };
        if lower.starts_with("0x") {
            return radix("0x", 16);
        }
        if lower.starts_with("0o") {
            return radix("0o", 8);
        }
        if lower.starts_with("0b") {
            return radix("0b", 2);
        }
        if clean.chars().all(|c| c.is_ascii_digit()) {
            // Python 3 refuses `0644`; only zeros may lead with 0.
            if clean.len() > 1 && clean.starts_with('0') && clean.chars().any(|c| c != '0') {
                return None;
            }
            return clean.parse::<i64>().ok().map(Value::from);
        }
        if lower.ends_with('j') {
            return None;
        }
        let f: f64 = clean.parse().ok()?;
        if !f.is_finite() || clean.contains("inf") || clean.contains("nan") {
            return None;
        }
        Number::from_f64(f).map(Value::Number)
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.pos += 1;
            if c == quote {
                return Some(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let e = self.peek()?;
            self.pos += 1;
            let simple = match e {
                'n' => Some('\n'),
                't' => Some('\t'),
                'r' => Some('\r'),
                '\\' => Some('\\'),
                '\'' => Some('\''),
                '"' => Some('"'),
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                'f' => Some('\x0c'),
                'v' => Some('\x0b'),
                '0' => Some('\0'),
                _ => None,
            };
            if let Some(s) = simple {
                out.push(s);
                continue;
            }
            let width = match e {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            if width == 0 {
                out.push('\\');
                out.push(e);
                continue;
            }
            let digits: String = self.chars.get(self.pos..self.pos + width)?.iter().collect();
            out.push(char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?);
            self.pos += width;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Expected values from `ast.literal_eval` (falling back to the text) in Python 3.11.
    #[test]
    fn types_like_literal_eval() {
        let cases = [
            ("42", json!(42)),
            ("-7", json!(-7)),
            ("0x1f", json!(31)),
            ("0644", json!("0644")),
            ("1_000", json!(1000)),
            ("1.5", json!(1.5)),
            ("1e3", json!(1000.0)),
            ("True", json!(true)),
            ("true", json!("true")),
            ("None", json!(null)),
            ("'x y'", json!("x y")),
            ("\"a\\tb\"", json!("a\tb")),
            ("[1, 'a', [True]]", json!([1, "a", [true]])),
            ("{'a': 1, 'b': [2]}", json!({"a": 1, "b": [2]})),
            ("(1, 2)", json!([1, 2])),
            ("hello world", json!("hello world")),
            ("/usr/bin/python3", json!("/usr/bin/python3")),
            ("1.2.3.4", json!("1.2.3.4")),
            ("", json!("")),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_ini_value(text), expected, "{text:?}");
        }
    }
}

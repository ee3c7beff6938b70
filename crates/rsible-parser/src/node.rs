use rsible_source::Span;
use serde_json::Value;

/// How a string scalar was written; decides how a Jinja error position maps back into the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// One YAML value with the span it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// For string scalars: how it was written. `None` for everything else.
    pub style: Option<ScalarStyle>,
    /// Tagged `!unsafe`: a string that is never templated nor evaluated as an expression
    /// (ansible-core 2.19 leaves such a string without its trust mark).
    pub untrusted: bool,
}

/// A YAML value after YAML 1.1 (PyYAML) resolution. Maps keep their order; keys are nodes so
/// duplicate and non-string keys can be reported where they stand.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX` that still fits 64 bits; Python keeps it exact.
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a map node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value stored under this exact key node of a map node.
    pub fn get_node(&self, key: &Node) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// A short name for the kind, for "expected a list, found a string" messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) | NodeKind::UInt(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The plain data, positions dropped (map keys turned into strings as Python would print them).
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::UInt(u) => Value::from(*u),
            NodeKind::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.key_string(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// A map key as a JSON object key, as Python's `json.dumps` writes non-string keys
    /// (`1` → "1", `true` → "true", `~` → "null").
    pub fn key_string(&self) -> String {
        match &self.kind {
            NodeKind::Null => "null".to_owned(),
            NodeKind::Bool(true) => "true".to_owned(),
            NodeKind::Bool(false) => "false".to_owned(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::UInt(u) => u.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Str(s) => s.clone(),
            NodeKind::Seq(_) | NodeKind::Map(_) => self.to_value().to_string(),
        }
    }
}

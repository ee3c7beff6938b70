//! Argument handling shared by every module: Ansible's unknown-parameter check, its lenient
//! `boolean()`, `mode` values, and typed `Args` deserialisation from the templated map.

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// How a module treats keys outside its spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// A module's `argument_spec`: "Unsupported parameters for (…) module: …".
    Unsupported,
    /// An action plugin's `_VALID_ARGS`: "Invalid options for …: …".
    InvalidOptions,
    /// Every key is data (`set_fact`'s fact names).
    Accepted,
}

/// The names a module accepts, as Ansible's `argument_spec` lists them.
#[derive(Debug)]
pub struct ArgSpec {
    /// Name in "Unsupported parameters for (…) module" (Ansible prints `ansible.legacy.command`
    /// for some, the short name for others).
    pub label: &'static str,
    /// Every accepted key, aliases included.
    pub names: &'static [&'static str],
    /// The subset of `names` that are aliases (listed apart, in parentheses).
    pub aliases: &'static [&'static str],
    pub unknown: Unknown,
}

impl ArgSpec {
    /// A module's spec without aliases.
    pub const fn new(label: &'static str, names: &'static [&'static str]) -> Self {
        Self {
            label,
            names,
            aliases: &[],
            unknown: Unknown::Unsupported,
        }
    }

    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    pub const fn unknown(mut self, unknown: Unknown) -> Self {
        self.unknown = unknown;
        self
    }

    /// Ansible's refusal of keys outside the spec, or `Ok` when every key is known.
    pub fn check(&self, args: &serde_json::Map<String, Value>) -> Result<(), ArgsError> {
        let mut unknown: Vec<String> = args
            .keys()
            .filter(|k| !self.names.contains(&k.as_str()))
            .cloned()
            .collect();
        if unknown.is_empty() || self.unknown == Unknown::Accepted {
            return Ok(());
        }
        unknown.sort_unstable();
        if self.unknown == Unknown::InvalidOptions {
            return Err(ArgsError::InvalidOptions {
                action: self.label,
                unknown,
            });
        }
        // The supported list is the sorted names, then the sorted aliases in parentheses.
        let mut names: Vec<&'static str> = self
            .names
            .iter()
            .copied()
            .filter(|n| !self.aliases.contains(n))
            .collect();
        names.sort_unstable();
        let mut aliases = self.aliases.to_vec();
        aliases.sort_unstable();
        Err(ArgsError::Unsupported {
            module: self.label,
            unknown,
            names,
            aliases,
        })
    }
}

/// Arguments a module refuses before doing anything; its text is Ansible's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("Unsupported parameters for ({module}) module: {}. Supported parameters include: {}.", unknown.join(", "), supported(names, aliases))]
    Unsupported {
        module: &'static str,
        /// Sorted.
        unknown: Vec<String>,
        /// Sorted, aliases apart.
        names: Vec<&'static str>,
        aliases: Vec<&'static str>,
    },
    #[error("Invalid options for {action}: {}", unknown.join(","))]
    InvalidOptions {
        action: &'static str,
        unknown: Vec<String>,
    },
    /// A value of the wrong type or form.
    #[error("{0}")]
    Invalid(String),
}

fn supported(names: &[&str], aliases: &[&str]) -> String {
    let mut s = names.join(", ");
    if !aliases.is_empty() {
        s.push_str(&format!(" ({})", aliases.join(", ")));
    }
    s
}

/// Checks the keys, then deserialises `T`.
pub(crate) fn parse<T: DeserializeOwned>(
    spec: &ArgSpec,
    args: &serde_json::Map<String, Value>,
) -> Result<T, ArgsError> {
    spec.check(args)?;
    // Ansible treats an explicit `null` like an absent key.
    let cleaned: serde_json::Map<String, Value> = args
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    T::deserialize(Value::Object(cleaned)).map_err(|e| ArgsError::Invalid(e.to_string()))
}

/// Ansible's `boolean()`: `yes/on/1/true/y/t` and their negations, any case, or 1/0.
pub(crate) fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().and_then(|f| {
            if f == 1.0 {
                Some(true)
            } else if f == 0.0 {
                Some(false)
            } else {
                None
            }
        }),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" | "" => Some(false),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}

/// `#[serde(deserialize_with)]` for a lenient bool.
pub(crate) fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    parse_bool(&v).ok_or_else(|| {
        de::Error::custom(format!(
            "The value {} is not a valid boolean.  Valid booleans include: 'no', 'n', 'true', 'y', 'false', 'on', 'yes', '1', '0', 'off', 't', 'f', 1, 0, 1.0, 0.0, True, False",
            scalar_text(&v)
        ))
    })
}

/// `#[serde(deserialize_with)]` for a lenient bool that may be absent.
pub(crate) fn de_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    de_bool(d).map(Some)
}

/// Ansible `type='str'`: numbers and bools become their text.
pub(crate) fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(if b { "True" } else { "False" }.to_owned())),
        other => Err(de::Error::custom(format!(
            "expected a string, got {}",
            type_name(&other)
        ))),
    }
}

/// Ansible `type='int'`: a number or its text.
pub(crate) fn de_opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("{n} is not an integer"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("'{s}' cannot be converted to an int"))),
        other => Err(de::Error::custom(format!(
            "expected an integer, got {}",
            type_name(other)
        ))),
    }
}

/// A string or a list of strings (`that:`, `fail_msg:`).
pub(crate) fn de_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Array(items) => items.iter().map(|i| Ok(scalar_text(i))).collect(),
        Value::Null => Ok(Vec::new()),
        other => Ok(vec![scalar_text(&other)]),
    }
}

/// Ansible `type='list'` with string elements: a list, or a comma-separated string.
pub(crate) fn de_opt_list<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.split(',').map(str::to_owned).collect())),
        Value::Array(items) => Ok(Some(items.iter().map(scalar_text).collect())),
        Value::Object(_) => Err(de::Error::custom("expected a list, got dict")),
        other => Ok(Some(vec![scalar_text(&other)])),
    }
}

/// A value as Python's `str()` would show a scalar (strings unquoted).
pub(crate) fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A `mode:` value. YAML `0644` arrives as the int 420 and is taken as is; strings are octal
/// (`'0644'`, `'644'`) or symbolic (`u=rw,g=r`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Octal(u32),
    Symbolic(String),
    /// copy/template `mode: preserve`: the source file's mode.
    Preserve,
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Mode::Octal)
                .ok_or_else(|| {
                    de::Error::custom(format!("mode must be in octal or symbolic form: {n}"))
                }),
            Value::String(s) => Mode::parse(s).map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "mode must be in octal or symbolic form, got {}",
                type_name(other)
            ))),
        }
    }
}

impl Mode {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        if s == "preserve" {
            return Ok(Mode::Preserve);
        }
        if !s.is_empty() && s.chars().all(|c| c.is_digit(8)) {
            return u32::from_str_radix(s, 8)
                .map(Mode::Octal)
                .map_err(|e| e.to_string());
        }
        // Validate now so a typo fails before anything is touched.
        symbolic_to_octal(s, 0, false, 0o022)?;
        Ok(Mode::Symbolic(s.to_owned()))
    }

    /// The permission bits this mode gives a path whose current bits are `current`.
    pub(crate) fn resolve(&self, current: u32, is_dir: bool) -> Result<u32, String> {
        match self {
            Mode::Octal(m) => Ok(*m),
            Mode::Symbolic(s) => symbolic_to_octal(s, current, is_dir, 0o022),
            Mode::Preserve => Ok(current),
        }
    }
}

const PERM_BITS: u32 = 0o7777;

/// chmod's symbolic syntax as Ansible's `_symbolic_mode_to_octal` reads it (`u=rw-x+X,o-r`).
/// An empty user list means `a` filtered through the umask.
pub(crate) fn symbolic_to_octal(
    symbolic: &str,
    current: u32,
    is_dir: bool,
    umask: u32,
) -> Result<u32, String> {
    let mut mode = current & PERM_BITS;
    for clause in symbolic.split(',') {
        let bad = || format!("bad symbolic permission for mode: {clause}");
        let op_pos = clause.find(['+', '-', '=']).ok_or_else(bad)?;
        let users_part = &clause[..op_pos];
        let use_umask = users_part.is_empty();
        let users = if users_part.is_empty() || users_part == "a" {
            "ugo"
        } else {
            users_part
        };
        if !users.chars().all(|c| "ugo".contains(c)) {
            return Err(bad());
        }
        let mut rest = &clause[op_pos..];
        while let Some(op) = rest.chars().next() {
            let body = &rest[1..];
            let end = body.find(['+', '-', '=']).unwrap_or(body.len());
            let perms = &body[..end];
            if !perms.chars().all(|c| "rwxXstugo".contains(c)) {
                return Err(bad());
            }
            for user in users.chars() {
                let apply = perms_for(user, perms, mode, is_dir, use_umask, umask);
                mode = match op {
                    '=' => {
                        let mask = match user {
                            'u' => 0o4700,
                            'g' => 0o2070,
                            _ => 0o1007,
                        };
                        (mode & (mask ^ PERM_BITS)) | apply
                    }
                    '+' => mode | apply,
                    _ => mode & !apply,
                };
            }
            rest = &body[end..];
        }
    }
    Ok(mode)
}

fn perms_for(user: char, perms: &str, prev: u32, is_dir: bool, use_umask: bool, umask: u32) -> u32 {
    let rev_umask = umask ^ PERM_BITS;
    let apply_x = is_dir || prev & 0o111 != 0;
    let masked = |bit: u32| if use_umask { rev_umask & bit } else { bit };
    let (shift, s_bit, t_bit) = match user {
        'u' => (6, 0o4000, 0),
        'g' => (3, 0o2000, 0),
        _ => (0, 0, 0o1000),
    };
    let copy_from = |src_shift: u32| ((prev >> src_shift) & 0o7) << shift;
    perms.chars().fold(0, |acc, p| {
        acc | match p {
            'r' => masked(0o4 << shift),
            'w' => masked(0o2 << shift),
            'x' => masked(0o1 << shift),
            'X' if apply_x => 0o1 << shift,
            's' => s_bit,
            't' => t_bit,
            'u' => copy_from(6),
            'g' => copy_from(3),
            'o' => copy_from(0),
            _ => 0,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: ArgSpec = ArgSpec::new("stat", &["path", "follow", "get_checksum", "dest", "name"])
        .aliases(&["dest", "name"]);

    #[test]
    fn unknown_parameters_fail_like_ansible() {
        let args = json!({"path": "/x", "zz": 1, "bogus": 2});
        let err = SPEC.check(args.as_object().unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unsupported parameters for (stat) module: bogus, zz. Supported parameters include: follow, get_checksum, path (dest, name)."
        );
        assert!(
            matches!(&err, ArgsError::Unsupported { unknown, .. } if unknown == &["bogus", "zz"])
        );
        assert!(SPEC
            .check(json!({"name": "/x"}).as_object().unwrap())
            .is_ok());
        let action = ArgSpec::new("fail", &["msg"]).unknown(Unknown::InvalidOptions);
        assert_eq!(
            action
                .check(args.as_object().unwrap())
                .unwrap_err()
                .to_string(),
            "Invalid options for fail: bogus,path,zz"
        );
        let any = ArgSpec::new("set_fact", &["cacheable"]).unknown(Unknown::Accepted);
        assert!(any.check(args.as_object().unwrap()).is_ok());
    }

    #[test]
    fn booleans_are_lenient() {
        for t in [
            json!("yes"),
            json!("On"),
            json!("1"),
            json!(1),
            json!(true),
            json!("t"),
        ] {
            assert_eq!(parse_bool(&t), Some(true), "{t}");
        }
        for f in [
            json!("no"),
            json!("OFF"),
            json!("0"),
            json!(0),
            json!(false),
        ] {
            assert_eq!(parse_bool(&f), Some(false), "{f}");
        }
        assert_eq!(parse_bool(&json!("maybe")), None);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(Mode::parse("0644"), Ok(Mode::Octal(0o644)));
        assert_eq!(Mode::parse("755"), Ok(Mode::Octal(0o755)));
        assert_eq!(
            serde_json::from_value::<Mode>(json!(420)).unwrap(),
            Mode::Octal(0o644)
        );
        assert!(Mode::parse("u=rw,g=r").is_ok());
        assert!(Mode::parse("q=rw").is_err());
    }

    // Expected values computed with Ansible's AnsibleModule._symbolic_mode_to_octal.
    #[test]
    fn symbolic_modes_match_ansible() {
        assert_eq!(
            symbolic_to_octal("u=rw,g=r,o=r", 0o777, false, 0o022),
            Ok(0o644)
        );
        assert_eq!(symbolic_to_octal("u+x", 0o644, false, 0o022), Ok(0o744));
        assert_eq!(symbolic_to_octal("go-rwx", 0o755, true, 0o022), Ok(0o700));
        assert_eq!(symbolic_to_octal("a+X", 0o644, true, 0o022), Ok(0o755));
        assert_eq!(symbolic_to_octal("a+X", 0o644, false, 0o022), Ok(0o644));
        assert_eq!(symbolic_to_octal("+w", 0o444, false, 0o022), Ok(0o644));
        assert_eq!(
            symbolic_to_octal("u=rwx-x+X", 0o600, true, 0o022),
            Ok(0o700)
        );
        assert_eq!(symbolic_to_octal("g=u", 0o640, false, 0o022), Ok(0o660));
        assert_eq!(symbolic_to_octal("u+s", 0o755, false, 0o022), Ok(0o4755));
    }
}

//! An ini reader that accepts exactly what Python's `configparser.ConfigParser(
//! inline_comment_prefixes=(';',))` accepts (what ansible-core reads `ansible.cfg` with), and
//! keeps the line of every value so that warnings and errors can point at it.
//!
//! The rules that matter: `#` and `;` start a comment when they are the first non-blank
//! character of a line; `;` also starts one after whitespace inside a line (`#` never does);
//! keys are lower-cased, section names are not; a line indented deeper than its key continues
//! the value; a blank line inside a value is kept; duplicate sections and keys are errors;
//! values are read raw (no `%` interpolation), as Ansible reads them.

use indexmap::IndexMap;
use serde_json::Value;

use rsible_template::py_repr;

/// Why configparser would refuse the file; the texts are Python's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    #[error(
        "File contains no section headers.\nfile: '<string>', line: {line}\n{}",
        repr(text)
    )]
    MissingSectionHeader { line: u32, text: String },
    #[error(
        "While reading from '<string>' [line {line:>2}]: section {} already exists",
        repr(section)
    )]
    DuplicateSection { line: u32, section: String },
    #[error(
        "While reading from '<string>' [line {line:>2}]: option {} in section {} already exists",
        repr(key),
        repr(section)
    )]
    DuplicateOption {
        line: u32,
        section: String,
        key: String,
    },
    /// Lines that are neither a section, an option nor a comment (all of them, as Python lists
    /// them in one error).
    #[error("Source contains parsing errors: '<string>'{}", bad_lines(lines))]
    Parsing { lines: Vec<(u32, String)> },
}

impl IniError {
    /// The first line the error is about.
    pub fn line(&self) -> u32 {
        match self {
            Self::MissingSectionHeader { line, .. }
            | Self::DuplicateSection { line, .. }
            | Self::DuplicateOption { line, .. } => *line,
            Self::Parsing { lines } => lines.first().map_or(1, |(l, _)| *l),
        }
    }
}

fn repr(text: &str) -> String {
    py_repr(&Value::String(text.to_owned()))
}

fn bad_lines(lines: &[(u32, String)]) -> String {
    lines
        .iter()
        .map(|(n, text)| format!("\n\t[line {n:>2}]: {}", repr(text)))
        .collect()
}

/// One `key = value`, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub line: u32,
}

/// The sections of the file in order, each key lower-cased. `[DEFAULT]` is kept apart, as
/// configparser does: its keys show through in every other section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    pub sections: IndexMap<String, IndexMap<String, Entry>>,
    pub defaults: IndexMap<String, Entry>,
}

impl Ini {
    /// `parser.get(section, key, raw=True, fallback=None)`.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        let own = self.sections.get(section)?;
        own.get(key).or_else(|| self.defaults.get(key))
    }
}

/// Where a value being read goes.
enum Target {
    Defaults,
    Section(String),
}

/// Parses the text of an ini file.
pub fn parse(text: &str) -> Result<Ini, IniError> {
    let mut ini = Ini::default();
    let mut current: Option<Target> = None;
    // The key being read, and the lines of its value so far.
    let mut open: Option<(String, Vec<String>)> = None;
    let mut indent_level = 0usize;
    let mut seen_sections: Vec<String> = Vec::new();
    let mut bad: Vec<(u32, String)> = Vec::new();

    let mut lineno = 0u32;
    for raw in text.split_inclusive('\n') {
        lineno += 1;
        let comment_start = comment_start(raw);
        let value = raw[..comment_start.unwrap_or(raw.len())].trim();
        if value.is_empty() {
            // A blank line inside a value is part of it; a comment line is not.
            if comment_start.is_none() && current.is_some() {
                if let Some((_, lines)) = open.as_mut() {
                    lines.push(String::new());
                }
            }
            continue;
        }
        let indent = raw.find(|c: char| !c.is_whitespace()).unwrap_or(0);
        if current.is_some() && open.is_some() && indent > indent_level {
            if let Some((_, lines)) = open.as_mut() {
                lines.push(value.to_owned());
            }
            continue;
        }
        indent_level = indent;
        finish(&mut ini, current.as_ref(), open.take());
        if let Some(name) = section_header(value) {
            if name == "DEFAULT" {
                current = Some(Target::Defaults);
                continue;
            }
            if seen_sections.iter().any(|s| s == name) {
                return Err(IniError::DuplicateSection {
                    line: lineno,
                    section: name.to_owned(),
                });
            }
            seen_sections.push(name.to_owned());
            ini.sections.entry(name.to_owned()).or_default();
            current = Some(Target::Section(name.to_owned()));
            continue;
        }
        let Some(target) = current.as_ref() else {
            return Err(IniError::MissingSectionHeader {
                line: lineno,
                text: raw.to_owned(),
            });
        };
        let Some((key, val)) = split_option(value) else {
            bad.push((lineno, raw.to_owned()));
            continue;
        };
        if key.is_empty() {
            bad.push((lineno, raw.to_owned()));
        }
        let key = key.to_lowercase();
        let (section_name, existing) = match target {
            Target::Defaults => ("DEFAULT", &ini.defaults),
            Target::Section(s) => (s.as_str(), &ini.sections[s.as_str()]),
        };
        if existing.contains_key(&key) {
            return Err(IniError::DuplicateOption {
                line: lineno,
                section: section_name.to_owned(),
                key,
            });
        }
        // Reserve the key now so a duplicate of it is noticed even before the value ends.
        let entry = Entry {
            value: String::new(),
            line: lineno,
        };
        match target {
            Target::Defaults => ini.defaults.insert(key.clone(), entry),
            Target::Section(s) => ini
                .sections
                .get_mut(s.as_str())
                .and_then(|m| m.insert(key.clone(), entry)),
        };
        open = Some((key, vec![val.to_owned()]));
    }
    finish(&mut ini, current.as_ref(), open.take());
    if bad.is_empty() {
        Ok(ini)
    } else {
        Err(IniError::Parsing { lines: bad })
    }
}

/// Stores the value read so far: its lines joined with newlines, trailing blank lines dropped.
fn finish(ini: &mut Ini, target: Option<&Target>, open: Option<(String, Vec<String>)>) {
    let (Some(target), Some((key, lines))) = (target, open) else {
        return;
    };
    let value = lines.join("\n").trim_end().to_owned();
    let map = match target {
        Target::Defaults => Some(&mut ini.defaults),
        Target::Section(s) => ini.sections.get_mut(s.as_str()),
    };
    if let Some(entry) = map.and_then(|m| m.get_mut(&key)) {
        entry.value = value;
    }
}

/// Where the comment of a line starts: a line whose first non-blank character is `#` or `;`
/// is all comment; otherwise a `;` at the start or after whitespace starts one.
fn comment_start(line: &str) -> Option<usize> {
    let trimmed = line.trim();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Some(0);
    }
    let mut prev: Option<char> = None;
    for (i, c) in line.char_indices() {
        if c == ';' && prev.is_none_or(char::is_whitespace) {
            return Some(i);
        }
        prev = Some(c);
    }
    None
}

/// `[name]` (configparser's `\[(?P<header>.+)\]`, matched at the start, greedy).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    let name = &rest[..end];
    (!name.is_empty()).then_some(name)
}

/// `key = value` or `key: value`, split at the first delimiter; both sides trimmed.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    Some((value[..at].trim_end(), value[at + 1..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(ini: &'a Ini, s: &str, k: &str) -> Option<&'a str> {
        ini.get(s, k).map(|e| e.value.as_str())
    }

    // Expected values from python3: configparser.ConfigParser(inline_comment_prefixes=(';',))
    // .read_string(text) then .get(section, key, raw=True).
    #[test]
    fn reads_values_like_configparser() {
        let text = "# comment\n[defaults]\nForks = 3 ; inline\nremote_user: \"bob\" # not a comment\n  ; indented comment\nroles_path = a\n   b\n\n   c\n\npath = x;y\nempty =\n[ssh_connection]\nssh_args = -o A=%(x)s\n";
        let ini = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&ini, "defaults", "forks"), Some("3"));
        assert_eq!(
            get(&ini, "defaults", "remote_user"),
            Some("\"bob\" # not a comment")
        );
        assert_eq!(get(&ini, "defaults", "roles_path"), Some("a\nb\n\nc"));
        assert_eq!(get(&ini, "defaults", "path"), Some("x;y"));
        assert_eq!(get(&ini, "defaults", "empty"), Some(""));
        assert_eq!(get(&ini, "ssh_connection", "ssh_args"), Some("-o A=%(x)s"));
        assert_eq!(ini.get("defaults", "forks").map(|e| e.line), Some(3));
        assert_eq!(get(&ini, "Defaults", "forks"), None);
    }

    #[test]
    fn default_section_shows_through_existing_sections() {
        let ini = parse("[DEFAULT]\nx = 1\n[a]\ny = 2\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&ini, "a", "x"), Some("1"));
        assert_eq!(get(&ini, "b", "x"), None);
    }

    // Messages from python3 configparser on the same input.
    #[test]
    fn errors_carry_pythons_text() {
        let e = parse("[defaults]\nforks = 3\nfoo\n").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("Source contains parsing errors: '<string>'\n\t[line  3]: 'foo\\n'".to_owned())
        );
        let e = parse("forks = 3\n").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "File contains no section headers.\nfile: '<string>', line: 1\n'forks = 3\\n'"
                    .to_owned()
            )
        );
        let e = parse("[defaults]\nforks = 3\n[defaults]\n").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "While reading from '<string>' [line  3]: section 'defaults' already exists"
                    .to_owned()
            )
        );
        let e = parse("[defaults]\nforks = 3\nFORKS=4\n").err();
        assert_eq!(
            e.as_ref().map(ToString::to_string),
            Some("While reading from '<string>' [line  3]: option 'forks' in section 'defaults' already exists".to_owned())
        );
        assert_eq!(e.map(|e| e.line()), Some(3));
        let e = parse("[a]\nx\n= y\nz = 1\n").err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "Source contains parsing errors: '<string>'\n\t[line  2]: 'x\\n'\n\t[line  3]: '= y\\n'"
                    .to_owned()
            )
        );
    }
}

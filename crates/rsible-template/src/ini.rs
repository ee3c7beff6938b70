//! The reader behind the `ini` lookup: Python's `configparser.ConfigParser` with its default
//! settings (what the lookup builds), so that values, their order and the error texts are
//! Python's.
//!
//! The rules: a line whose first non-blank character is `#` or `;` is a comment (no inline
//! comments); keys are lower-cased unless case-sensitive; a line indented deeper than its key
//! continues the value, and a blank line inside a value is kept; duplicate sections and keys
//! are errors; `[DEFAULT]` shows through every section; `%(key)s` interpolation happens when a
//! value is read. `rsible-cli`'s `config/ini.rs` reads `ansible.cfg` with the same rules plus
//! `;` inline comments and no interpolation.

use crate::convert::py_str_repr;

/// `configparser.MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// How the parser is built (`ConfigParser(allow_no_value=…)`, `optionxform`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IniOptions {
    /// A key alone on its line is read, with no value (`None`).
    pub allow_no_value: bool,
    /// Keys keep their case (`optionxform = str`).
    pub case_sensitive: bool,
}

/// Keys with their values in file order; `None` is a key without a value.
type Options = Vec<(String, Option<String>)>;

/// The sections read so far, in order, and `[DEFAULT]` apart.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ini {
    sections: Vec<(String, Options)>,
    defaults: Options,
    options: IniOptions,
}

/// One read value, while its continuation lines are collected.
struct Open {
    section: Option<usize>,
    key: String,
    lines: Option<Vec<String>>,
}

impl Ini {
    pub(crate) fn new(options: IniOptions) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    fn optionxform(&self, key: &str) -> String {
        if self.options.case_sensitive {
            key.to_owned()
        } else {
            key.to_lowercase()
        }
    }

    /// `read_file` of `text`: adds its sections to those read before. The error is the text
    /// of the exception configparser raises (file name `<???>`, as for a StringIO).
    pub(crate) fn read(&mut self, text: &str) -> Result<(), String> {
        // Sections and keys of this read, for the strict duplicate checks (per read, as Python).
        let mut added_sections: Vec<String> = Vec::new();
        let mut added_keys: Vec<(Option<usize>, String)> = Vec::new();
        // Where values go: `None` before any header, `Some(None)` is [DEFAULT].
        let mut cursect: Option<Option<usize>> = None;
        let mut open: Option<Open> = None;
        let mut indent_level = 0usize;
        let mut bad: Vec<(usize, String)> = Vec::new();

        for (index, line) in text.split_inclusive('\n').enumerate() {
            let lineno = index + 1;
            let trimmed = line.trim();
            let comment = trimmed.starts_with('#') || trimmed.starts_with(';');
            let value = if comment { "" } else { trimmed };
            if value.is_empty() {
                // A blank line belongs to the value being read; a comment line does not.
                if !comment && cursect.is_some() {
                    if let Some(Open {
                        lines: Some(lines), ..
                    }) = open.as_mut()
                    {
                        lines.push(String::new());
                    }
                }
                continue;
            }
            let indent = line.find(|c: char| !c.is_whitespace()).unwrap_or(0);
            if cursect.is_some() && open.is_some() && indent > indent_level {
                match open.as_mut().and_then(|o| o.lines.as_mut()) {
                    Some(lines) => lines.push(value.to_owned()),
                    // Python appends to the None a key without value holds.
                    None => {
                        return Err("'NoneType' object has no attribute 'append'".to_owned());
                    }
                }
                continue;
            }
            indent_level = indent;
            self.finish(open.take());
            if let Some(name) = section_header(value) {
                if name == "DEFAULT" {
                    cursect = Some(None);
                } else {
                    if added_sections.iter().any(|s| s == name) {
                        return Err(format!(
                            "While reading from '<???>' [line {lineno:>2}]: section {} already exists",
                            py_str_repr(name)
                        ));
                    }
                    added_sections.push(name.to_owned());
                    let at = match self.sections.iter().position(|(s, _)| s == name) {
                        Some(at) => at,
                        None => {
                            self.sections.push((name.to_owned(), Vec::new()));
                            self.sections.len() - 1
                        }
                    };
                    cursect = Some(Some(at));
                }
                continue;
            }
            let Some(section) = cursect else {
                return Err(format!(
                    "File contains no section headers.\nfile: '<???>', line: {lineno}\n{}",
                    py_str_repr(line)
                ));
            };
            let Some((key, val)) = split_option(value, self.options.allow_no_value) else {
                bad.push((lineno, line.to_owned()));
                continue;
            };
            if key.is_empty() {
                bad.push((lineno, line.to_owned()));
            }
            let key = self.optionxform(key);
            if added_keys.iter().any(|(s, k)| *s == section && *k == key) {
                let name = section.map_or("DEFAULT", |at| self.sections[at].0.as_str());
                return Err(format!(
                    "While reading from '<???>' [line {lineno:>2}]: option {} in section {} already exists",
                    py_str_repr(&key),
                    py_str_repr(name)
                ));
            }
            added_keys.push((section, key.clone()));
            open = Some(Open {
                section,
                key,
                lines: val.map(|v| vec![v.to_owned()]),
            });
        }
        self.finish(open.take());
        if bad.is_empty() {
            return Ok(());
        }
        let listed: String = bad
            .iter()
            .map(|(n, text)| format!("\n\t[line {n:>2}]: {}", py_str_repr(text)))
            .collect();
        Err(format!("Source contains parsing errors: '<???>'{listed}"))
    }

    /// Stores a value: its lines joined with newlines, trailing blank lines dropped.
    fn finish(&mut self, open: Option<Open>) {
        let Some(open) = open else { return };
        let value = open.lines.map(|l| l.join("\n").trim_end().to_owned());
        let map = match open.section {
            None => &mut self.defaults,
            Some(at) => &mut self.sections[at].1,
        };
        match map.iter_mut().find(|(k, _)| *k == open.key) {
            Some(slot) => slot.1 = value,
            None => map.push((open.key, value)),
        }
    }

    /// The section's keys over `[DEFAULT]`'s, in the order of Python's `defaults.copy()`
    /// updated with the section (an overridden default keeps its place).
    fn merged(&self, section: &str) -> Result<Options, String> {
        let mut out = self.defaults.clone();
        if section == "DEFAULT" {
            return Ok(out);
        }
        let Some((_, own)) = self.sections.iter().find(|(s, _)| s == section) else {
            return Err(format!("No section: {}", py_str_repr(section)));
        };
        for (k, v) in own {
            match out.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1.clone_from(v),
                None => out.push((k.clone(), v.clone())),
            }
        }
        Ok(out)
    }

    /// True when the section exists (`[DEFAULT]` always does).
    pub(crate) fn has_section(&self, section: &str) -> bool {
        section == "DEFAULT" || self.sections.iter().any(|(s, _)| s == section)
    }

    /// `get(section, key)`: `Ok(None)` when the key is missing, `Ok(Some(None))` for a key
    /// without a value (never interpolated).
    pub(crate) fn get(
        &self,
        section: &str,
        key: &str,
        interpolate: bool,
    ) -> Result<Option<Option<String>>, String> {
        let map = self.merged(section)?;
        let key = self.optionxform(key);
        let Some((_, value)) = map.iter().find(|(k, _)| *k == key) else {
            return Ok(None);
        };
        match value {
            None => Ok(Some(None)),
            Some(raw) if interpolate => Ok(Some(Some(self.interpolate(section, &key, raw, &map)?))),
            Some(raw) => Ok(Some(Some(raw.clone()))),
        }
    }

    /// `items(section)`: every key with its value; with interpolation a key without value
    /// reads as the empty string, as BasicInterpolation renders `None`.
    pub(crate) fn items(
        &self,
        section: &str,
        interpolate: bool,
    ) -> Result<Vec<(String, Option<String>)>, String> {
        let map = self.merged(section)?;
        let mut out = Vec::with_capacity(map.len());
        for (key, value) in &map {
            let value = match value {
                Some(raw) if interpolate => Some(self.interpolate(section, key, raw, &map)?),
                None if interpolate => Some(String::new()),
                other => other.clone(),
            };
            out.push((key.clone(), value));
        }
        Ok(out)
    }

    /// BasicInterpolation: `%(key)s` is the key's value (interpolated in turn, at most ten
    /// levels deep), `%%` is `%`, any other `%` is an error.
    fn interpolate(
        &self,
        section: &str,
        option: &str,
        raw: &str,
        map: &Options,
    ) -> Result<String, String> {
        let mut out = String::new();
        self.interpolate_some(section, option, raw, raw, map, 1, &mut out)?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn interpolate_some(
        &self,
        section: &str,
        option: &str,
        rawval: &str,
        mut rest: &str,
        map: &Options,
        depth: usize,
        out: &mut String,
    ) -> Result<(), String> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(format!(
                "Recursion limit exceeded in value substitution: option {} in section {} contains an interpolation key which cannot be substituted in {MAX_INTERPOLATION_DEPTH} steps. Raw value: {}",
                py_str_repr(option),
                py_str_repr(section),
                py_str_repr(rawval)
            ));
        }
        while !rest.is_empty() {
            let Some(p) = rest.find('%') else {
                out.push_str(rest);
                return Ok(());
            };
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            let next = rest[1..].chars().next();
            match next {
                Some('%') => {
                    out.push('%');
                    rest = &rest[2..];
                }
                Some('(') => {
                    // `%\(([^)]+)\)s`
                    let name_end = rest[2..].find(')').map(|i| i + 2);
                    let Some(end) = name_end.filter(|&e| e > 2 && rest[e + 1..].starts_with('s'))
                    else {
                        return Err(format!(
                            "bad interpolation variable reference {}",
                            py_str_repr(rest)
                        ));
                    };
                    let var = self.optionxform(&rest[2..end]);
                    rest = &rest[end + 2..];
                    let Some((_, value)) = map.iter().find(|(k, _)| *k == var) else {
                        return Err(format!(
                            "Bad value substitution: option {} in section {} contains an interpolation key {} which is not a valid option name. Raw value: {}",
                            py_str_repr(option),
                            py_str_repr(section),
                            py_str_repr(&var),
                            py_str_repr(rawval)
                        ));
                    };
                    let value = value.as_deref().unwrap_or_default();
                    if value.contains('%') {
                        self.interpolate_some(section, option, rawval, value, map, depth + 1, out)?;
                    } else {
                        out.push_str(value);
                    }
                }
                _ => {
                    return Err(format!(
                        "'%' must be followed by '%' or '(', found: {}",
                        py_str_repr(rest)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `[name]` (configparser's `\[(?P<header>.+)\]`, matched at the start, greedy).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    let name = &rest[..end];
    (!name.is_empty()).then_some(name)
}

/// `key = value` or `key: value`, split at the first delimiter; with `allow_no_value` a line
/// without one is a key alone.
fn split_option(value: &str, allow_no_value: bool) -> Option<(&str, Option<&str>)> {
    match value.find(['=', ':']) {
        Some(at) => Some((value[..at].trim_end(), Some(value[at + 1..].trim()))),
        None if allow_no_value => Some((value.trim_end(), None)),
        None => None,
    }
}

/// Decodes a file's bytes as Python's codec `encoding` would (the ones ini files use).
pub(crate) fn decode(bytes: &[u8], encoding: &str) -> Result<String, String> {
    let name = encoding.to_lowercase().replace('_', "-");
    match name.as_str() {
        "utf-8" | "utf8" | "u8" => String::from_utf8(bytes.to_vec()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            format!(
                "'utf-8' codec can't decode byte 0x{:02x} in position {at}: invalid start byte",
                bytes.get(at).copied().unwrap_or_default()
            )
        }),
        "latin-1" | "latin1" | "l1" | "iso8859-1" | "iso-8859-1" | "8859" | "cp819" => {
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        }
        "iso8859-15" | "iso-8859-15" | "latin-9" | "latin9" | "l9" => {
            Ok(bytes.iter().map(|&b| latin9(b)).collect())
        }
        "ascii" | "us-ascii" => match bytes.iter().position(|b| !b.is_ascii()) {
            None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            Some(at) => Err(format!(
                "'ascii' codec can't decode byte 0x{:02x} in position {at}: ordinal not in range(128)",
                bytes[at]
            )),
        },
        _ => Err(format!("unknown encoding: {encoding}")),
    }
}

/// ISO 8859-15: Latin-1 but for eight code points.
fn latin9(b: u8) -> char {
    match b {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        other => char::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, options: IniOptions) -> Result<Ini, String> {
        let mut ini = Ini::new(options);
        ini.read(text)?;
        Ok(ini)
    }

    fn get(ini: &Ini, s: &str, k: &str) -> Option<Option<String>> {
        ini.get(s, k, true).unwrap_or_else(|e| panic!("{e}"))
    }

    // Expected values from python3: c = configparser.ConfigParser(); c.read_string(text);
    // c.get(section, key) / c.items(section).
    #[test]
    fn reads_values_like_configparser() {
        let text = "[DEFAULT]\nbase = /srv\n[a]\n# comment\nKey = v ; not a comment\nmulti = one\n  two\n\n  three\n\npath = %(base)s/x\npct = 50%%\n";
        let ini = read(text, IniOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            get(&ini, "a", "key"),
            Some(Some("v ; not a comment".into()))
        );
        assert_eq!(
            get(&ini, "a", "KEY"),
            Some(Some("v ; not a comment".into()))
        );
        assert_eq!(
            get(&ini, "a", "multi"),
            Some(Some("one\ntwo\n\nthree".into()))
        );
        assert_eq!(get(&ini, "a", "path"), Some(Some("/srv/x".into())));
        assert_eq!(get(&ini, "a", "pct"), Some(Some("50%".into())));
        assert_eq!(get(&ini, "a", "missing"), None);
        let keys: Vec<String> = ini
            .items("a", true)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["base", "key", "multi", "path", "pct"]);
        assert_eq!(
            ini.get("b", "x", true).err().as_deref(),
            Some("No section: 'b'")
        );
    }

    #[test]
    fn keys_without_values_and_case() {
        let opts = IniOptions {
            allow_no_value: true,
            case_sensitive: true,
        };
        let ini = read("[m]\nuser = mysql\nskip-bdb\nName = x\nname = y\n", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&ini, "m", "skip-bdb"), Some(None));
        assert_eq!(get(&ini, "m", "Name"), Some(Some("x".into())));
        assert_eq!(get(&ini, "m", "name"), Some(Some("y".into())));
    }

    // Messages from python3's configparser on the same input (read_file of a StringIO).
    #[test]
    fn errors_carry_pythons_text() {
        let e = read("[r]\nname = bob\nNAME = marley\n", IniOptions::default()).err();
        assert_eq!(
            e.as_deref(),
            Some(
                "While reading from '<???>' [line  3]: option 'name' in section 'r' already exists"
            )
        );
        let e = read("x = 1\n", IniOptions::default()).err();
        assert_eq!(
            e.as_deref(),
            Some("File contains no section headers.\nfile: '<???>', line: 1\n'x = 1\\n'")
        );
        let e = read("[m]\nuser = a\nskip\n", IniOptions::default()).err();
        assert_eq!(
            e.as_deref(),
            Some("Source contains parsing errors: '<???>'\n\t[line  3]: 'skip\\n'")
        );
        let ini = read(
            "[g]\na = %(nope)s\nb = 100%\nc = %(c)s\n",
            IniOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ini.get("g", "a", true).err().as_deref(),
            Some("Bad value substitution: option 'a' in section 'g' contains an interpolation key 'nope' which is not a valid option name. Raw value: '%(nope)s'")
        );
        assert_eq!(
            ini.get("g", "b", true).err().as_deref(),
            Some("'%' must be followed by '%' or '(', found: '%'")
        );
        assert_eq!(
            ini.get("g", "c", true).err().as_deref(),
            Some("Recursion limit exceeded in value substitution: option 'c' in section 'g' contains an interpolation key which cannot be substituted in 10 steps. Raw value: '%(c)s'")
        );
        assert_eq!(ini.get("g", "b", false), Ok(Some(Some("100%".into()))));
    }

    #[test]
    fn decodes_latin_encodings() {
        assert_eq!(decode(b"\xe9t\xe9", "iso8859-1").as_deref(), Ok("été"));
        assert_eq!(decode(b"\xa4", "iso8859-15").as_deref(), Ok("€"));
        assert_eq!(
            decode(b"x", "bogus").err().as_deref(),
            Some("unknown encoding: bogus")
        );
    }
}

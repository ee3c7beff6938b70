//! Every entry of the configuration file, checked: a value rsible applies must be one Ansible
//! accepts, and a setting rsible does not apply is never passed over in silence.

use super::settings::{self, Kind, Support};
use super::{unquote, ConfigError, ConfigFile};

/// A `[WARNING]:` about one line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub line: u32,
    /// The whole text, starting with `file:line:`.
    pub text: String,
}

/// `gathering`'s values (`config/base.yml: DEFAULT_GATHERING.choices`).
const GATHERING: &[&str] = &["implicit", "explicit", "smart"];

pub(super) fn check(file: &ConfigFile) -> Result<Vec<ConfigWarning>, ConfigError> {
    let mut warnings = Vec::new();
    let mut warn = |line: u32, what: String| {
        warnings.push(ConfigWarning {
            line,
            text: format!("{}:{line}: {what}", file.path.display()),
        });
    };
    for (section, entries) in &file.ini.sections {
        for (key, entry) in entries {
            let Some(setting) = settings::find(section, key) else {
                if !settings::accepted_section(section) {
                    warn(
                        entry.line,
                        format!("unknown setting [{section}] {key}, ignored"),
                    );
                }
                continue;
            };
            let value = unquote(&entry.value);
            match setting.support {
                Support::Honoured => {
                    check_value(file, section, key, value, setting.kind, entry.line)?;
                    if is_path(setting.kind) && value != entry.value {
                        warn(
                            entry.line,
                            format!("the quotes around [{section}] {key} are removed; Ansible would take them as part of the path"),
                        );
                    }
                }
                Support::Accepted => {}
                Support::Ignored(harmless) => {
                    if !harmless.is_some_and(|h| same_value(h, value)) {
                        warn(
                            entry.line,
                            format!("[{section}] {key} is not supported by rsible, ignored"),
                        );
                    }
                }
                Support::NotAnsible(why) => warn(
                    entry.line,
                    format!("[{section}] {key} is not read by ansible-core 2.19 ({why}), ignored"),
                ),
            }
        }
    }
    for (key, entry) in &file.ini.defaults {
        let known = settings::HONOURED
            .iter()
            .chain(settings::OTHERS)
            .any(|s| s.key == key);
        if !known {
            warn(
                entry.line,
                format!("unknown setting [DEFAULT] {key}, ignored"),
            );
        }
    }
    Ok(warnings)
}

fn is_path(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Path | Kind::PathList | Kind::PathSpec | Kind::CwdPath
    )
}

/// Values Ansible would refuse with `has an invalid value` (exit 5).
fn check_value(
    file: &ConfigFile,
    section: &str,
    key: &str,
    value: &str,
    kind: Kind,
    line: u32,
) -> Result<(), ConfigError> {
    let bad = |expected: String| ConfigError::Value {
        section: section.to_owned(),
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
        at: file.span(line),
    };
    if kind == Kind::Int && parse_int(value).is_none() {
        return Err(bad("an integer is required".to_owned()));
    }
    if (section, key) == ("defaults", "gathering") && !GATHERING.contains(&value) {
        return Err(bad(format!("valid values are {}", GATHERING.join(", "))));
    }
    Ok(())
}

/// Ansible's integer conversion: a whole number, also written as a decimal with no fraction.
pub fn parse_int(value: &str) -> Option<i64> {
    let v = value.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    let f: f64 = v.parse().ok()?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "only whole numbers in range reach the cast"
    )]
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// Whether `value` means Ansible's default `harmless` (booleans compared as booleans).
fn same_value(harmless: &str, value: &str) -> bool {
    match harmless {
        "true" | "false" => crate::env::truthy(value) == (harmless == "true"),
        _ => value.trim().eq_ignore_ascii_case(harmless),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_ansible_reads_them() {
        assert_eq!(parse_int(" 3 "), Some(3));
        assert_eq!(parse_int("3.0"), Some(3));
        assert_eq!(parse_int("3.5"), None);
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int(""), None);
    }

    #[test]
    fn harmless_values() {
        assert!(same_value("false", "no"));
        assert!(!same_value("false", "yes"));
        assert!(same_value("linear", "Linear"));
        assert!(!same_value("linear", "free"));
    }
}

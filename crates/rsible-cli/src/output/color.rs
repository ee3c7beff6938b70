//! Ansible's colours (`ansible/utils/color.py`, `constants.COLOR_CODES`, `config/base.yml`).

/// The SGR codes of the colour names Ansible's defaults use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// `COLOR_OK`: green.
    Ok,
    /// `COLOR_CHANGED`: yellow.
    Changed,
    /// `COLOR_SKIP` and `COLOR_INCLUDED`: cyan.
    Skip,
    /// `COLOR_ERROR`: red.
    Error,
    /// `COLOR_UNREACHABLE`: bright red.
    Unreachable,
    /// `COLOR_WARN`: bright purple.
    Warn,
    /// `COLOR_DEBUG`: dark gray.
    Debug,
    /// `COLOR_DEPRECATE`: purple.
    Deprecate,
    /// `COLOR_VERBOSE`: blue.
    Verbose,
    /// `COLOR_DIFF_ADD`: green.
    DiffAdd,
    /// `COLOR_DIFF_REMOVE`: red.
    DiffRemove,
    /// `COLOR_DIFF_LINES`: cyan.
    DiffLines,
}

impl Color {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ok | Self::DiffAdd => "0;32",
            Self::Changed => "0;33",
            Self::Skip | Self::DiffLines => "0;36",
            Self::Error | Self::DiffRemove => "0;31",
            Self::Unreachable => "1;31",
            Self::Warn => "1;35",
            Self::Debug => "1;30",
            Self::Deprecate => "0;35",
            Self::Verbose => "0;34",
        }
    }
}

/// `stringc`: every line wrapped on its own, so a multi-line message stays coloured in pagers.
pub fn stringc(text: &str, color: Color, enabled: bool) -> String {
    if !enabled {
        return text.to_owned();
    }
    text.split('\n')
        .map(|line| format!("\x1b[{}m{line}\x1b[0m", color.code()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `colorize`: `lead=num` padded to 4, coloured only when non-zero.
pub fn colorize(lead: &str, num: u32, color: Option<Color>, enabled: bool) -> String {
    let s = format!("{lead}={num:<4}");
    match color {
        Some(c) if num != 0 && enabled => stringc(&s, c, true),
        _ => s,
    }
}

/// Whether to colour: `ANSIBLE_FORCE_COLOR` wins, then `ANSIBLE_NOCOLOR`/`NO_COLOR`, then
/// whether stdout is a terminal.
pub fn color_enabled(env: &dyn Fn(&str) -> Option<String>, stdout_is_tty: bool) -> bool {
    if env("ANSIBLE_FORCE_COLOR").is_some_and(|v| crate::env::truthy(&v)) {
        return true;
    }
    let nocolor = env("ANSIBLE_NOCOLOR")
        .or_else(|| env("NO_COLOR"))
        .is_some_and(|v| crate::env::truthy(&v));
    !nocolor && stdout_is_tty
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colorize_pads_and_colours_non_zero_only() {
        assert_eq!(colorize("ok", 3, Some(Color::Ok), false), "ok=3   ");
        assert_eq!(colorize("ok", 0, Some(Color::Ok), true), "ok=0   ");
        assert_eq!(
            colorize("ok", 12345, Some(Color::Ok), true),
            "\x1b[0;32mok=12345\x1b[0m"
        );
        assert_eq!(
            stringc("a\nb", Color::Error, true),
            "\x1b[0;31ma\x1b[0m\n\x1b[0;31mb\x1b[0m"
        );
    }

    #[test]
    fn force_color_beats_nocolor() {
        let env = |k: &str| match k {
            "ANSIBLE_FORCE_COLOR" | "ANSIBLE_NOCOLOR" => Some("true".to_owned()),
            _ => None,
        };
        assert!(color_enabled(&env, false));
        let env = |k: &str| (k == "NO_COLOR").then(|| "1".to_owned());
        assert!(!color_enabled(&env, true));
        assert!(color_enabled(&|_| None, true));
        assert!(!color_enabled(&|_| None, false));
    }
}

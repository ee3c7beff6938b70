//! `ANSIBLE_*` environment defaults, read the way Ansible's config manager reads them.

/// Ansible's `boolean(value, strict=False)`: `y yes on 1 true t` (any case) are true.
pub fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "y" | "yes" | "on" | "1" | "true" | "t" | "1.0"
    )
}

/// The process environment as a lookup function, so tests can pass their own.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The first of `names` that is set and not empty.
pub fn first(env: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthy_matches_ansible_boolean() {
        for v in ["yes", "True", "1", "on", "t", "Y"] {
            assert!(truthy(v), "{v}");
        }
        for v in ["no", "false", "0", "", "2", "off"] {
            assert!(!truthy(v), "{v}");
        }
    }
}

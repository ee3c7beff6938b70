use crate::Module;

/// Every module rsible has.
fn all() -> &'static [&'static dyn Module] {
    &[]
}

/// `ansible.builtin.copy`, `ansible.legacy.copy`, `ansible.posix.synchronize`,
/// `community.general.modprobe` → the short name.
pub fn canonical_name(name: &str) -> &str {
    for prefix in [
        "ansible.builtin.",
        "ansible.legacy.",
        "ansible.posix.",
        "community.general.",
    ] {
        if let Some(short) = name.strip_prefix(prefix) {
            return short;
        }
    }
    name
}

/// The module for a name as written in a task.
pub fn find_module(name: &str) -> Option<&'static dyn Module> {
    let short = canonical_name(name);
    all().iter().copied().find(|m| m.name() == short)
}

/// Canonical names of every module.
pub fn module_names() -> Vec<String> {
    all().iter().map(|m| m.name().to_owned()).collect()
}

use crate::Module;

static ALL: &[&dyn Module] = &[
    &crate::assert::ASSERT,
    &crate::command::COMMAND,
    &crate::command::SHELL,
    &crate::copy::COPY,
    &crate::debug::DEBUG,
    &crate::fail::FAIL,
    &crate::file::FILE,
    &crate::ping::PING,
    &crate::set_fact::SET_FACT,
    &crate::setup::SETUP,
    &crate::stat::STAT,
    &crate::template::TEMPLATE,
    &crate::authorized_key::AUTHORIZED_KEY,
    &crate::synchronize::SYNCHRONIZE,
    &crate::apt::APT,
    &crate::unarchive::UNARCHIVE,
    &crate::modprobe::MODPROBE,
    &crate::wait_for_connection::WAIT_FOR_CONNECTION,
    &crate::async_status::ASYNC_STATUS,
];

/// Every module rsible has.
fn all() -> &'static [&'static dyn Module] {
    ALL
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_is_found_by_its_written_names() {
        let names = module_names();
        assert_eq!(
            names,
            [
                "assert",
                "command",
                "shell",
                "copy",
                "debug",
                "fail",
                "file",
                "ping",
                "set_fact",
                "setup",
                "stat",
                "template",
                "authorized_key",
                "synchronize",
                "apt",
                "unarchive",
                "modprobe",
                "wait_for_connection",
                "async_status"
            ]
        );
        for n in &names {
            for written in [
                n.clone(),
                format!("ansible.builtin.{n}"),
                format!("ansible.legacy.{n}"),
            ] {
                assert_eq!(find_module(&written).map(Module::name), Some(n.as_str()));
            }
        }
        assert!(find_module("nope").is_none());
        assert_eq!(
            find_module("shell").map(Module::resolved_name).as_deref(),
            Some("ansible.legacy.command")
        );
        assert!(find_module("command").is_some_and(Module::free_form));
        assert!(find_module("debug").is_some_and(Module::controller_only));
        assert!(!find_module("copy").is_some_and(Module::controller_only));
    }
}

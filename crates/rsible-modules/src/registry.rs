use crate::Module;

static ALL: &[&dyn Module] = &[
    &crate::assert::ASSERT,
    &crate::command::COMMAND,
    &crate::command::SHELL,
    &crate::copy::COPY,
    &crate::debug::DEBUG,
    &crate::fail::FAIL,
    &crate::validate_argument_spec::VALIDATE_ARGUMENT_SPEC,
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
    &crate::slurp::SLURP,
    &crate::add_host::ADD_HOST,
    &crate::group_by::GROUP_BY,
    &crate::include_vars::INCLUDE_VARS,
    &crate::raw::RAW,
    &crate::script::SCRIPT,
    &crate::pause::PAUSE,
    &crate::make::MAKE,
    &crate::systemd::SYSTEMD,
    &crate::systemd::SYSTEMD_SERVICE,
    &crate::systemd::SERVICE,
    &crate::reboot::REBOOT,
    &crate::service_facts::SERVICE_FACTS,
    &crate::hostname::HOSTNAME,
    &crate::timezone::TIMEZONE,
    &crate::lineinfile::LINEINFILE,
    &crate::replace::REPLACE,
    &crate::user::USER,
    &crate::group::GROUP,
    &crate::getent::GETENT,
    &crate::cron::CRON,
    &crate::package::PACKAGE,
    &crate::package_facts::PACKAGE_FACTS,
    &crate::blockinfile::BLOCKINFILE,
    &crate::get_url::GET_URL,
    &crate::uri::URI,
    &crate::wait_for::WAIT_FOR,
    &crate::fetch::FETCH,
    &crate::apt_repository::APT_REPOSITORY,
    &crate::deb822_repository::DEB822_REPOSITORY,
    &crate::apt_key::APT_KEY,
    &crate::locale_gen::LOCALE_GEN,
    &crate::sysctl::SYSCTL,
    &crate::mount::MOUNT,
    &crate::alternatives::ALTERNATIVES,
    &crate::debconf::DEBCONF,
    &crate::ini_file::INI_FILE,
    &crate::tempfile::TEMPFILE,
    &crate::find::FIND,
    &crate::git::GIT,
    &crate::pip::PIP,
];

/// Every module rsible has.
pub(crate) fn all() -> &'static [&'static dyn Module] {
    ALL
}

/// The module for a name as written in a task (`copy`, `ansible.builtin.copy`,
/// `ansible.posix.synchronize`).
pub fn find_module(name: &str) -> Option<&'static dyn Module> {
    all()
        .iter()
        .copied()
        .find(|m| m.info().id.is_written_as(name))
}

/// Short names of every module.
pub fn module_names() -> Vec<String> {
    all().iter().map(|m| m.info().id.name.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

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
                "validate_argument_spec",
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
                "async_status",
                "slurp",
                "add_host",
                "group_by",
                "include_vars",
                "raw",
                "script",
                "pause",
                "make",
                "systemd",
                "systemd_service",
                "service",
                "reboot",
                "service_facts",
                "hostname",
                "timezone",
                "lineinfile",
                "replace",
                "user",
                "group",
                "getent",
                "cron",
                "package",
                "package_facts",
                "blockinfile",
                "get_url",
                "uri",
                "wait_for",
                "fetch",
                "apt_repository",
                "deb822_repository",
                "apt_key",
                "locale_gen",
                "sysctl",
                "mount",
                "alternatives",
                "debconf",
                "ini_file",
                "tempfile",
                "find",
                "git",
                "pip"
            ]
        );
        for n in &names {
            for written in [
                n.clone(),
                format!("ansible.builtin.{n}"),
                format!("ansible.legacy.{n}"),
            ] {
                let found = find_module(&written).map(|m| m.info().id.name);
                assert_eq!(found, Some(n.as_str()));
            }
        }
        assert!(find_module("nope").is_none());
        let info = |n: &str| find_module(n).map(Module::info);
        assert_eq!(
            info("ansible.posix.synchronize")
                .map(|i| i.id.fqcn())
                .as_deref(),
            Some("ansible.posix.synchronize")
        );
        assert_eq!(
            info("community.general.modprobe")
                .map(|i| i.id.fqcn())
                .as_deref(),
            Some("community.general.modprobe")
        );
        assert!(find_module("community.general.copy").is_none());
        assert_eq!(
            info("shell").map(|i| i.args.label),
            Some("ansible.legacy.command")
        );
        assert!(info("command").is_some_and(|i| i.free_form));
        assert!(info("debug").is_some_and(|i| i.kind == Kind::Controller));
        assert!(info("wait_for_connection").is_some_and(|i| i.kind == Kind::Action));
        assert!(info("copy").is_some_and(|i| i.kind == Kind::Remote && !i.supports_async));
        assert!(info("shell").is_some_and(|i| i.supports_async));
        assert!(info("set_fact").is_some_and(|i| !i.supports_async));
        assert!(info("add_host").is_some_and(|i| i.bypass_host_loop && i.changes_inventory));
        assert!(info("group_by").is_some_and(|i| !i.bypass_host_loop && i.changes_inventory));
    }
}

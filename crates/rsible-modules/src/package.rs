//! `package`: the host's package manager module, run with the task's arguments.
//!
//! ```yaml
//! - package: { name: [git, make], state: present }
//! ```
//!
//! As Ansible's action plugin: the manager is `use:`, else the variable `ansible_package_use`,
//! else the fact `ansible_facts.pkg_mgr`, else what `setup` (filtered to `ansible_pkg_mgr`)
//! finds now. The chosen module gets every argument but `use`, and its result is the task's.
//! rsible runs `apt`; a manager Ansible knows but rsible has no module for fails, saying so.

use serde_json::Value;

use crate::args::{scalar_text, ArgsError};
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

// The action plugin checks no argument itself: the chosen module does.
const INFO: ModuleInfo = ModuleInfo::builtin(
    "package",
    crate::args::ArgSpec::new("package", &["name", "state", "use"])
        .unknown(crate::args::Unknown::Accepted),
);

/// Package manager modules Ansible finds (ansible-core's, and those community.general ships),
/// which rsible does not have.
const FOREIGN_MANAGERS: &[&str] = &[
    "apk",
    "apt_rpm",
    "dnf",
    "dnf5",
    "homebrew",
    "installp",
    "macports",
    "openbsd_pkg",
    "opkg",
    "pacman",
    "pkg5",
    "pkgin",
    "pkgng",
    "pkgutil",
    "portage",
    "slackpkg",
    "sorcery",
    "svr4pkg",
    "swdepot",
    "swupd",
    "urpmi",
    "xbps",
    "yum",
    "zypper",
];

pub(crate) struct Package;
pub(crate) static PACKAGE: Package = Package;

/// The manager `auto` stands for: the variable, the fact, or a fresh `setup`.
fn detect(ctx: &ModuleContext<'_>) -> Result<Result<String, ModuleOutput>, ModuleError> {
    if let Some(v) = ctx.vars.get("ansible_package_use").filter(|v| truthy(v)) {
        return Ok(Ok(scalar_text(v)));
    }
    let fact = ctx
        .vars
        .get("ansible_facts")
        .and_then(|f| f.get("pkg_mgr"))
        .filter(|v| truthy(v));
    if let Some(v) = fact {
        return Ok(Ok(scalar_text(v)));
    }
    let mut args = serde_json::Map::new();
    args.insert("filter".into(), Value::from("ansible_pkg_mgr"));
    args.insert("gather_subset".into(), Value::from("!all"));
    let facts = crate::setup::SETUP.run(ctx, &args)?.result;
    if facts.get("failed").is_some_and(truthy) {
        let msg = facts.get("msg").map(scalar_text).unwrap_or_default();
        return Ok(Err(ModuleOutput::raised(format!(
            "Failed to fetch ansible_pkg_mgr to determine the package action backend: {msg}"
        ))));
    }
    match facts
        .get("ansible_facts")
        .and_then(|f| f.get("ansible_pkg_mgr"))
    {
        Some(v) => Ok(Ok(scalar_text(v))),
        None => Ok(Err(ModuleOutput::raised(
            "Could not detect a package manager. Try using the \"use\" option.",
        ))),
    }
}

/// Python truthiness of a variable's value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

impl Module for Package {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut module = args
            .get("use")
            .filter(|v| !v.is_null())
            .map_or_else(|| "auto".to_owned(), scalar_text);
        if module == "auto" {
            module = match detect(ctx)? {
                Ok(m) => m,
                Err(fail) => return Ok(fail),
            };
        }
        if module.is_empty() || module == "auto" {
            return Ok(ModuleOutput::raised(
                "Could not detect which package manager to use. Try gathering facts or setting the \"use\" option.",
            ));
        }
        let short = module
            .strip_prefix("ansible.builtin.")
            .or_else(|| module.strip_prefix("ansible.legacy."))
            .unwrap_or(&module);
        let mut new_args = args.clone();
        new_args.remove("use");
        if short == "apt" {
            return match crate::apt::APT.run(ctx, &new_args) {
                // Ansible runs it as `ansible.legacy.apt`, the name its refusal shows.
                Err(ModuleError::Args(ArgsError::Unsupported {
                    unknown,
                    names,
                    aliases,
                    ..
                })) => Err(ModuleError::Args(ArgsError::Unsupported {
                    module: "ansible.legacy.apt",
                    unknown,
                    names,
                    aliases,
                })),
                other => other,
            };
        }
        let known = FOREIGN_MANAGERS.contains(&short)
            || module.starts_with("community.general.")
                && FOREIGN_MANAGERS.contains(&module.trim_start_matches("community.general."));
        if known {
            return Ok(crate::util::failed(format!(
                "rsible has no module for the \"{module}\" package manager: only apt is implemented"
            ))
            .into());
        }
        Ok(ModuleOutput::raised(format!(
            "Could not find a matching action for the \"{module}\" package manager."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{args, Env, FakeConnection, RunResult};
    use serde_json::json;

    #[test]
    fn unknown_managers_fail_as_ansible() {
        let env = Env::default();
        let conn = FakeConnection::with_outputs(Vec::new());
        let out = PACKAGE
            .run(
                &env.ctx(&conn),
                &args(json!({"name": "x", "use": "nonexist"})),
            )
            .unwrap();
        assert!(out.raised);
        assert_eq!(
            out.result["msg"],
            "Could not find a matching action for the \"nonexist\" package manager."
        );
        let r = PACKAGE
            .run(&env.ctx(&conn), &args(json!({"name": "x", "use": "dnf"})))
            .result();
        assert_eq!(
            r["msg"],
            "rsible has no module for the \"dnf\" package manager: only apt is implemented"
        );
    }

    #[test]
    fn apt_refusals_name_the_legacy_module() {
        let mut env = Env::default();
        env.vars
            .insert("ansible_facts".into(), json!({"pkg_mgr": "apt"}));
        let conn = FakeConnection::with_outputs(Vec::new());
        let r = PACKAGE
            .run(&env.ctx(&conn), &args(json!({"name": "x", "bogus": 1})))
            .result();
        let msg = r["msg"].as_str().unwrap();
        assert!(
            msg.starts_with("Unsupported parameters for (ansible.legacy.apt) module: bogus."),
            "{msg}"
        );
    }
}

//! `service`: the action that picks the host's service manager module (`use:`, else the
//! `service_mgr` fact, else a `setup` run filtered to it) and runs that module with the task's
//! arguments minus `use` — on systemd hosts the `systemd` module, with the parameters it has no
//! use for dropped with Ansible's warning. A manager without a module of its own (no systemd:
//! tier-1b hosts, upstart, OpenRC) gets ansible-core's generic `service` module, whose SysV
//! init script path is in `linux_service.rs`; managers whose Ansible module rsible lacks
//! (`sysvinit`, `runit`, `svc`, `openwrt_init`) are refused with a message naming them.

use serde_json::{json, Value};

use super::SPEC_VIA_SERVICE;
use crate::args::{ArgSpec, Unknown};
use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ModuleInfo, ModuleOutput};

/// The action checks no names itself: the module it runs does.
const INFO: ModuleInfo = ModuleInfo::builtin(
    "service",
    ArgSpec::new(
        "service",
        &[
            "name",
            "state",
            "sleep",
            "pattern",
            "enabled",
            "runlevel",
            "arguments",
            "args",
            "use",
        ],
    )
    .aliases(&["args"])
    .unknown(Unknown::Accepted),
);

/// What Ansible's service action removes before running `systemd`, with a warning each.
const UNUSED_BY_SYSTEMD: &[&str] = &["pattern", "runlevel", "sleep", "arguments", "args"];

pub(crate) struct Service;
pub(crate) static SERVICE: Service = Service;

impl Module for Service {
    fn info(&self) -> &'static ModuleInfo {
        &INFO
    }

    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError> {
        let mut module = match args.get("use") {
            Some(Value::String(s)) => s.to_lowercase(),
            Some(Value::Null) | None => "auto".to_owned(),
            Some(other) => crate::args::scalar_text(other).to_lowercase(),
        };
        if module == "auto" {
            if let Some(Value::String(mgr)) = ctx
                .vars
                .get("ansible_facts")
                .and_then(|f| f.get("service_mgr"))
            {
                module = mgr.clone();
            }
        }
        if module == "auto" {
            let setup_args = json!({"gather_subset": "!all", "filter": "ansible_service_mgr"});
            let Value::Object(setup_args) = setup_args else {
                unreachable!("a json object literal")
            };
            let facts = crate::setup::SETUP.run(ctx, &setup_args)?;
            if let Some(Value::String(mgr)) = facts
                .result
                .get("ansible_facts")
                .and_then(|f| f.get("ansible_service_mgr"))
            {
                module = mgr.clone();
            }
        }
        let mut forwarded = args.clone();
        forwarded.remove("use");
        match module.as_str() {
            "systemd" | "ansible.builtin.systemd" | "ansible.legacy.systemd" => {
                let mut warnings = Vec::new();
                for unused in UNUSED_BY_SYSTEMD {
                    if forwarded.remove(*unused).is_some() {
                        warnings.push(format!(
                            "Ignoring \"{unused}\" as it is not used in \"systemd\""
                        ));
                    }
                }
                let mut out = super::run_module(ctx, &forwarded, &SPEC_VIA_SERVICE);
                if !warnings.is_empty() {
                    // Ansible's action warns before the module runs: its warnings come first.
                    let add = |r: &mut crate::ResultMap| {
                        let mut all: Vec<Value> = warnings.iter().map(|w| json!(w)).collect();
                        if let Some(Value::Array(own)) = r.remove("warnings") {
                            all.extend(own);
                        }
                        r.insert("warnings".into(), Value::Array(all));
                    };
                    match &mut out {
                        Ok(o) => add(&mut o.result),
                        Err(ModuleError::Args(e)) => {
                            let mut o = ModuleOutput::from(e.clone());
                            add(&mut o.result);
                            out = Ok(o);
                        }
                        Err(_) => {}
                    }
                }
                out
            }
            // Service managers that have a module of their own in Ansible.
            "sysvinit" | "runit" | "svc" | "openwrt_init" => Ok(failed(format!(
                "rsible has no {module} module for the service action to run (this host's service manager); set `use: service` or manage the service with command"
            ))
            .into()),
            // Any other name (no module of that name): Ansible runs its generic `service`.
            _ => super::linux_service::run(ctx, &forwarded),
        }
    }
}

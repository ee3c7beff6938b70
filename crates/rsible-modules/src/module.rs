use serde_json::Value;

use crate::{ConnectionError, ModuleContext, RemoteJob};

/// A task result as Ansible's result dict (`changed`, `failed`, `msg`, `rc`, `stdout`, …).
pub type ResultMap = serde_json::Map<String, Value>;

/// A fault that is not a task result: the runner turns `Unreachable` into an UNREACHABLE
/// host and the rest into a failed task with the message.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Template(#[from] rsible_template::TemplateError),
}

/// One module.
pub trait Module: Send + Sync {
    /// The canonical short name (`command`).
    fn name(&self) -> &'static str;

    /// The name Ansible uses in "Unsupported parameters for (…) module" (`ansible.legacy.command`,
    /// `ansible.posix.synchronize`).
    fn resolved_name(&self) -> String {
        format!("ansible.legacy.{}", self.name())
    }

    /// Every accepted parameter name, aliases included.
    fn params(&self) -> &'static [&'static str];

    /// True when free-form text (`command: ls -l`) is accepted as `_raw_params`.
    fn free_form(&self) -> bool {
        false
    }

    /// True for action plugins that never touch the target (`debug`, `set_fact`, `assert`,
    /// `fail`): they run even when the connection is not open yet.
    fn controller_only(&self) -> bool {
        false
    }

    /// The module's work as one script for the target, so `async:` can run it detached (see
    /// [`crate::start_async`]). `None`: the module runs to completion even under `async`.
    fn remote_job(
        &self,
        _ctx: &ModuleContext<'_>,
        _args: &serde_json::Map<String, Value>,
    ) -> Option<Result<RemoteJob, ModuleError>> {
        None
    }

    /// Runs the module. A failure of the module is `Ok` with `failed: true`; `Err` is for
    /// connection faults and template errors.
    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError>;
}

use serde_json::Value;

use crate::args::{ArgSpec, ArgsError};
use crate::{ConnectionError, ModuleContext, RemoteJob};

/// A task result as Ansible's result dict (`changed`, `failed`, `msg`, `rc`, `stdout`, …).
pub type ResultMap = serde_json::Map<String, Value>;

/// A fault that is not a task result: the runner turns `Unreachable` into an UNREACHABLE
/// host, an argument error into Ansible's failed result (pointing at the offending keys), and
/// the rest into a failed task with the message.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Template(#[from] rsible_template::TemplateError),
    #[error(transparent)]
    Args(#[from] ArgsError),
    /// An error the action raises (`AnsibleError`, not `AnsibleActionFail`): the task fails
    /// with `Task failed: <msg>` as its `msg`, and no result of the action is shown.
    #[error("{0}")]
    Raised(String),
    /// [`Self::Raised`] for an error that comes from a controller file rather than the task
    /// (a vault file that cannot be decrypted): the chain points at the file.
    #[error("{message}")]
    RaisedFrom {
        message: String,
        origin: rsible_source::Span,
    },
}

/// The collection a module ships in, which decides its fully qualified name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collection {
    /// `ansible.builtin`, part of ansible-core.
    Builtin,
    /// `ansible.posix`.
    Posix,
    /// `community.general`.
    CommunityGeneral,
}

impl Collection {
    pub fn name(self) -> &'static str {
        match self {
            Self::Builtin => "ansible.builtin",
            Self::Posix => "ansible.posix",
            Self::CommunityGeneral => "community.general",
        }
    }
}

/// A module's name as users write it and the collection it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleId {
    pub name: &'static str,
    pub collection: Collection,
}

impl ModuleId {
    /// `ansible.posix.synchronize`: the name Ansible prints in its messages.
    pub fn fqcn(self) -> String {
        format!("{}.{}", self.collection.name(), self.name)
    }

    /// Whether a task's action names this module: the short name, the FQCN, or the
    /// `ansible.builtin.`/`ansible.legacy.` spelling (ansible-core redirects the modules that
    /// moved to collections).
    pub fn is_written_as(self, written: &str) -> bool {
        let short = written
            .strip_prefix("ansible.builtin.")
            .or_else(|| written.strip_prefix("ansible.legacy."))
            .or_else(|| {
                written
                    .strip_prefix(self.collection.name())
                    .and_then(|rest| rest.strip_prefix('.'))
            })
            .unwrap_or(written);
        short == self.name
    }
}

/// Where a module does its work, which decides how the runner treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An action that never touches the target (`debug`, `set_fact`, `assert`, `fail`): it
    /// runs even when the host's connection cannot be opened, and its failures read "Action
    /// failed".
    Controller,
    /// An action plugin that drives the target itself and gives its own verdict
    /// (`wait_for_connection`): its failures read "Action failed" too.
    Action,
    /// A module whose verdict comes from the target.
    Remote,
}

/// Everything the runner and the parser need to know about a module, in one place.
#[derive(Debug)]
pub struct ModuleInfo {
    pub id: ModuleId,
    pub kind: Kind,
    /// Whether `async:` may run it (Ansible refuses async for actions and for `copy`/`template`).
    pub supports_async: bool,
    /// Whether free-form text (`command: ls -l`) is taken as `_raw_params`.
    pub free_form: bool,
    /// Ansible's `BYPASS_HOST_LOOP` (`add_host`): the task runs once per play, on its first
    /// host, as with `run_once` but registered for that host only.
    pub bypass_host_loop: bool,
    /// The module's result is an [`InventoryChange`] (`add_host`, `group_by`: Ansible's
    /// `_ACTION_INVENTORY_TASKS`): the runner applies it, which decides `changed`, and only
    /// then shows the result.
    pub changes_inventory: bool,
    pub args: ArgSpec,
}

impl ModuleInfo {
    /// A remote builtin module that supports async, taking exactly `args`: the common case.
    pub const fn builtin(name: &'static str, args: ArgSpec) -> Self {
        Self {
            id: ModuleId {
                name,
                collection: Collection::Builtin,
            },
            kind: Kind::Remote,
            supports_async: true,
            free_form: false,
            bypass_host_loop: false,
            changes_inventory: false,
            args,
        }
    }

    pub const fn in_collection(mut self, collection: Collection) -> Self {
        self.id.collection = collection;
        self
    }

    pub const fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self.supports_async = matches!(kind, Kind::Remote) && self.supports_async;
        self
    }

    pub const fn without_async(mut self) -> Self {
        self.supports_async = false;
        self
    }

    pub const fn free_form(mut self) -> Self {
        self.free_form = true;
        self
    }

    pub const fn bypass_host_loop(mut self) -> Self {
        self.bypass_host_loop = true;
        self
    }

    pub const fn changes_inventory(mut self) -> Self {
        self.changes_inventory = true;
        self
    }
}

/// Facts a module hands the runner besides its displayed result.
#[derive(Clone, Debug, PartialEq)]
pub enum Facts {
    /// Host facts (`setup`, or any module returning `ansible_facts`): `ansible_facts.*` and the
    /// `ansible_*` variables.
    Host(serde_json::Map<String, Value>),
    /// `set_fact` variables, of set_fact precedence.
    Vars(serde_json::Map<String, Value>),
    /// `include_vars` variables: above task vars, below `set_fact`, kept for the whole run.
    Included(serde_json::Map<String, Value>),
}

/// A change of the run's in-memory inventory, which the runner applies for the rest of the
/// playbook; whether it changed anything is the result's `changed`.
#[derive(Clone, Debug, PartialEq)]
pub enum InventoryChange {
    /// `add_host`: the host (a member of `all` when new), variables merged over its own, and
    /// the groups it joins (created when new).
    AddHost {
        name: String,
        groups: Vec<String>,
        vars: serde_json::Map<String, Value>,
    },
    /// `group_by`: the task's host joins `group`, which is made a child of each of `parents`
    /// (all created when new).
    GroupBy { group: String, parents: Vec<String> },
}

/// What a module run gives the runner.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleOutput {
    /// The result as Ansible shows and registers it.
    pub result: ResultMap,
    pub facts: Option<Facts>,
    /// What `add_host`/`group_by` change in the inventory.
    pub inventory: Option<InventoryChange>,
    /// Set when the result is the module's refusal of its arguments, so the runner can point
    /// at the offending keys of the task.
    pub refused: Option<ArgsError>,
    /// The error a failing module hands `fail_json(…, exception=…)` (`[Errno 2] No such file
    /// or directory: 'x'`): Ansible prints it after the message in the error chain.
    pub cause: Option<String>,
    /// The action raised its failure (`AnsibleActionFail`, an action plugin's invalid options)
    /// rather than returning it: Ansible's error chain then reads `Task failed: <msg>`, without
    /// `Action failed`.
    pub raised: bool,
    /// The failure is a module's the action ran on the target (`fetch`'s slurp), with this
    /// message: Ansible's error chain reads `Module failed: <it>`, whatever the result's `msg`.
    pub module_failure: Option<String>,
}

impl ModuleOutput {
    /// A refusal whose result the module shaped itself (`copy` adds the content's checksum,
    /// `debug` has no `changed`).
    pub fn refused(error: ArgsError, result: ResultMap) -> Self {
        Self {
            result,
            facts: None,
            inventory: None,
            refused: Some(error),
            cause: None,
            raised: false,
            module_failure: None,
        }
    }
}

impl ModuleOutput {
    /// A failure the action raises (`AnsibleActionFail`): `changed: false, failed: true, msg`.
    pub fn raised(msg: impl Into<String>) -> Self {
        Self {
            raised: true,
            ..crate::util::failed(msg).into()
        }
    }

    /// A failed result whose error chain goes on with `cause`.
    pub fn failed_with_cause(msg: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..crate::util::failed(msg).into()
        }
    }

    /// The module raised an exception it did not handle (`[Errno 21] Is a directory: 'x'`):
    /// its result has no `msg`, and Ansible's error chain (and `msg`) read
    /// `Task failed: Module failed: <exception>`.
    pub fn crashed(exception: impl Into<String>) -> Self {
        let mut result = ResultMap::new();
        result.insert("changed".into(), serde_json::Value::Bool(false));
        result.insert("failed".into(), serde_json::Value::Bool(true));
        Self {
            cause: Some(exception.into()),
            ..result.into()
        }
    }
}

impl From<ArgsError> for ModuleOutput {
    /// Ansible's failed result for refused arguments: `changed: false, failed: true, msg`.
    fn from(error: ArgsError) -> Self {
        let raised = matches!(error, ArgsError::InvalidOptions { .. });
        Self {
            raised,
            ..Self::refused(error.clone(), crate::util::failed(error.to_string()))
        }
    }
}

impl From<ResultMap> for ModuleOutput {
    /// A module's result dict, whose `ansible_facts` (if any) are host facts, as Ansible
    /// takes them from every module.
    fn from(result: ResultMap) -> Self {
        let facts = result
            .get("ansible_facts")
            .and_then(Value::as_object)
            .map(|f| Facts::Host(f.clone()));
        Self {
            result,
            facts,
            inventory: None,
            refused: None,
            cause: None,
            raised: false,
            module_failure: None,
        }
    }
}

/// One module. Adding one: docs/contributing.md.
pub trait Module: Send + Sync {
    /// The module's name, collection, kind and argument spec.
    fn info(&self) -> &'static ModuleInfo;

    /// The module's work as one script for the target, so `async:` can run it detached (see
    /// [`crate::start_async`]). `None`: the module runs to completion even under `async`.
    fn remote_job(
        &self,
        _ctx: &ModuleContext<'_>,
        _args: &serde_json::Map<String, Value>,
    ) -> Option<Result<RemoteJob, ModuleError>> {
        None
    }

    /// Runs the module. A failure of the module is `Ok` with `failed: true` in the result;
    /// `Err` is for connection faults, template errors and arguments the spec refuses.
    fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &serde_json::Map<String, Value>,
    ) -> Result<ModuleOutput, ModuleError>;
}

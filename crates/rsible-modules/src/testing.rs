//! Test helpers: a context builder over any connection (the fake one from
//! `rsible-connection`'s `testing` feature, or the real local one) and result helpers.

use std::path::PathBuf;

use rsible_template::{Origin, Templar, Vars};

use crate::{Connection, ModuleContext, ResultMap};

pub(crate) use rsible_connection::testing::FakeConnection;

/// Owns what a [`ModuleContext`] borrows.
pub(crate) struct Env {
    pub templar: Templar,
    pub vars: Vars,
    pub origin: Origin,
    pub playbook_dir: PathBuf,
    pub role_path: Option<PathBuf>,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    pub environment: Vec<(String, String)>,
}

impl Default for Env {
    fn default() -> Self {
        Self {
            templar: Templar::new(),
            vars: Vars::new(),
            origin: Origin::default(),
            playbook_dir: PathBuf::from("/nonexistent-playbook-dir"),
            role_path: None,
            check_mode: false,
            diff: false,
            verbosity: 0,
            environment: Vec::new(),
        }
    }
}

impl Env {
    pub(crate) fn ctx<'a>(&'a self, conn: &'a dyn Connection) -> ModuleContext<'a> {
        ModuleContext {
            conn,
            templar: &self.templar,
            vars: &self.vars,
            origin: &self.origin,
            role_path: self.role_path.clone(),
            playbook_dir: self.playbook_dir.clone(),
            become_: None,
            environment: self.environment.clone(),
            check_mode: self.check_mode,
            diff: self.diff,
            verbosity: self.verbosity,
            connection_info: None,
            display: &|_| {},
            action: "",
        }
    }
}

/// `json!({...})` as the argument map a module receives.
pub(crate) fn args(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// A result's keys, sorted: tests compare them with the key sets Ansible returns.
pub(crate) fn keys(r: &ResultMap) -> Vec<&str> {
    let mut k: Vec<&str> = r.keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// A module run as the runner sees it: the result map, with a refusal of the arguments turned
/// into Ansible's failed result. Other errors fail the test.
pub(crate) trait RunResult {
    fn result(self) -> ResultMap;
}

impl RunResult for Result<crate::ModuleOutput, crate::ModuleError> {
    fn result(self) -> ResultMap {
        match self {
            Ok(out) => out.result,
            Err(crate::ModuleError::Args(e)) => crate::ModuleOutput::from(e).result,
            Err(e) => panic!("module error: {e}"),
        }
    }
}

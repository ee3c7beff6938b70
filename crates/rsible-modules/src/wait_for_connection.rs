//! `wait_for_connection` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct WaitForConnection;
pub(crate) static WAIT_FOR_CONNECTION: WaitForConnection = WaitForConnection;

impl Module for WaitForConnection {
    fn name(&self) -> &'static str {
        "wait_for_connection"
    }

    fn params(&self) -> &'static [&'static str] {
        &[]
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        _args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError> {
        Ok(failed(
            "the wait_for_connection module is not supported by rsible yet",
        ))
    }
}

//! `async_status` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct AsyncStatus;
pub(crate) static ASYNC_STATUS: AsyncStatus = AsyncStatus;

impl Module for AsyncStatus {
    fn name(&self) -> &'static str {
        "async_status"
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
            "the async_status module is not supported by rsible yet",
        ))
    }
}

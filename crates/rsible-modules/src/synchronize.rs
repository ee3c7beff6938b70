//! `synchronize` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct Synchronize;
pub(crate) static SYNCHRONIZE: Synchronize = Synchronize;

impl Module for Synchronize {
    fn name(&self) -> &'static str {
        "synchronize"
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
            "the synchronize module is not supported by rsible yet",
        ))
    }
}

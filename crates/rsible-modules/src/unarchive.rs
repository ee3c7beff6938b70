//! `unarchive` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct Unarchive;
pub(crate) static UNARCHIVE: Unarchive = Unarchive;

impl Module for Unarchive {
    fn name(&self) -> &'static str {
        "unarchive"
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
            "the unarchive module is not supported by rsible yet",
        ))
    }
}

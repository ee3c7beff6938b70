//! `apt` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct Apt;
pub(crate) static APT: Apt = Apt;

impl Module for Apt {
    fn name(&self) -> &'static str {
        "apt"
    }

    fn params(&self) -> &'static [&'static str] {
        &[]
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        _args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError> {
        Ok(failed("the apt module is not supported by rsible yet"))
    }
}

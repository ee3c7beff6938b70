//! `modprobe` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct Modprobe;
pub(crate) static MODPROBE: Modprobe = Modprobe;

impl Module for Modprobe {
    fn name(&self) -> &'static str {
        "modprobe"
    }

    fn params(&self) -> &'static [&'static str] {
        &[]
    }

    fn run(
        &self,
        _ctx: &ModuleContext<'_>,
        _args: &serde_json::Map<String, Value>,
    ) -> Result<ResultMap, ModuleError> {
        Ok(failed("the modprobe module is not supported by rsible yet"))
    }
}

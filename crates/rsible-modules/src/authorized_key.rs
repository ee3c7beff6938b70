//! `authorized_key` — not written yet: fails with a clear message.

use serde_json::Value;

use crate::util::failed;
use crate::{Module, ModuleContext, ModuleError, ResultMap};

pub(crate) struct AuthorizedKey;
pub(crate) static AUTHORIZED_KEY: AuthorizedKey = AuthorizedKey;

impl Module for AuthorizedKey {
    fn name(&self) -> &'static str {
        "authorized_key"
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
            "the authorized_key module is not supported by rsible yet",
        ))
    }
}

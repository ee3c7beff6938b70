//! Whether the real SSH test hosts can run here.

use std::sync::OnceLock;

use rsible_testhosts::{check_support, cleanup_stale};

/// `RSIBLE_REQUIRE_TESTHOSTS=1` (CI) turns "hosts unavailable, skipped" into a failure.
pub fn require_testhosts() -> bool {
    std::env::var_os("RSIBLE_REQUIRE_TESTHOSTS").is_some_and(|v| v == "1")
}

/// Whether hosts can be created here. Elsewhere the caller prints why and passes, except with
/// `RSIBLE_REQUIRE_TESTHOSTS=1`, where this panics.
pub fn supported() -> bool {
    static CLEANED: OnceLock<()> = OnceLock::new();
    match check_support() {
        Ok(()) => {
            CLEANED.get_or_init(|| {
                // Leftovers of killed test runs would otherwise hold subnets.
                let _ = cleanup_stale();
            });
            true
        }
        Err(e) if require_testhosts() => {
            panic!("RSIBLE_REQUIRE_TESTHOSTS=1 but test hosts are unavailable: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: real SSH test hosts are unavailable here: {e}");
            false
        }
    }
}

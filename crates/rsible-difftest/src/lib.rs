//! Holds no code: the differential tests live in `tests/`, the fixtures they run in the
//! repository's top-level `tests/` directory. `build.rs` turns every fixture directory into one
//! `#[test]` so that a new case needs no Rust edit. See `tests/difftest/README.md`.

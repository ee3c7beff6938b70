//! The crate's one integration-test binary.

mod become_method;
mod cli_args;
mod config_file;
mod exit_codes;
mod listing;
mod render_basic;
mod render_color;
mod render_diff;
mod render_json;
mod render_multi;
mod render_unreachable;
mod render_verbose;
mod support;
mod unimplemented;
mod vagrant;
mod vault_prompt;

//! Play-level tests of the runner: real YAML plays run against scripted fake connections
//! through the `Connector` seam (`harness.rs`), the callback's event stream compared with a
//! snapshot in `snapshots/`.
//!
//! Every snapshot was checked against ansible-core 2.19: `oracle.py` runs the same plays with
//! ansible-playbook on localhost and compares what each task did on each host and item, and
//! the recap; the values shown (messages, results) were read against its output. Cases that
//! ansible-playbook cannot reproduce on localhost say so (`no_oracle`).

mod harness;

mod blocks;
mod check_mode;
mod conditions;
mod delegation;
mod failures;
mod handlers;
mod includes;
mod keywords;
mod loops;
mod meta;
mod register;
mod retries;
mod serial;
mod tags;
mod unreachable;
mod variables;

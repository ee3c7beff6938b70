//! Holds no code: the acceptance tests of "real remote hosts" live in `tests/`, their fixtures
//! in `tests/cases/`. They start real SSH hosts with `rsible-testhosts`, run `ansible-playbook`
//! (the oracle) and `target/debug/rsible-playbook` against twin fresh host sets, and compare
//! output, exit codes and what the runs left on the hosts.

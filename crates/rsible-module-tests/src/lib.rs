//! Acceptance tests only: see `tests/`. Each test starts fresh tier-1b hosts, runs a playbook
//! under ansible-playbook (the oracle) on one set and rsible-playbook on another, and compares
//! exit codes, masked stdout and the hosts' end state.

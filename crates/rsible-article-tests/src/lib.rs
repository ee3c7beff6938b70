//! Holds no code: the acceptance test lives in `tests/article.rs`, its payload (source-tree
//! stand-ins served to the hosts, host stand-ins for `cmake` and `update-grub`, the script
//! building the local apt repository) in `fixtures/`. It runs the article's
//! `provisioning/install.yaml`, unchanged, against two tier-1b test hosts named `nadu1` and
//! `nadu2` under `ansible-playbook` (the oracle) and `rsible-playbook`, and compares output,
//! exit codes and what the runs left on the hosts. See `docs/article-on-test-hosts.md`.

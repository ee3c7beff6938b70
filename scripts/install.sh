#!/usr/bin/env bash
# Installs rsible-playbook (into ~/.cargo/bin) and runs the example playbook with it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "install: cargo is required (https://rustup.rs)" >&2; exit 1; }
cargo install --quiet --locked --path crates/rsible-cli
"${CARGO_HOME:-$HOME/.cargo}/bin/rsible-playbook" examples/hello.yml

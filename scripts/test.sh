#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
export RSIBLE_ANSIBLE_PLAYBOOK="${RSIBLE_ANSIBLE_VENV:-/opt/ansible-venv}/bin/ansible-playbook"
# The SSH tests need root and network namespaces; on CI a skip would hide a broken setup.
export RSIBLE_REQUIRE_TESTHOSTS=1

echo "== provisioning/ is the article's playbook, unchanged"
if [ -f ../shared/reference/kernel-vargrant.SHA256SUMS ]; then
    sha256sum --quiet -c ../shared/reference/kernel-vargrant.SHA256SUMS
else
    echo "(../shared/reference not present: skipped)"
fi

# The Vagrant smoke test's box is built from Debian's packages (mostly downloading) while cargo
# compiles; the test itself runs last.
mkdir -p target
echo "== preparing the Vagrant smoke test in the background (log: target/vagrant-smoke-prepare.log)"
tests/e2e/vagrant-smoke.sh --prepare >target/vagrant-smoke-prepare.log 2>&1 &
prepare_pid=$!

echo "== no placeholders left"
if grep -rn -E '\b(todo!|unimplemented!|dbg!)\(' crates --include='*.rs'; then
    exit 1
fi

echo "== shellcheck (scripts, end-to-end tests)"
shellcheck -x -S warning scripts/*.sh tests/e2e/*.sh tests/e2e/lib/*.sh tests/ansible-integration/run.sh bench/run.sh .ci/run

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo build (the binaries the end-to-end tests run)"
cargo build --workspace --bins --quiet

echo "== cargo test"
cargo test --workspace --no-fail-fast

echo "== ansible-core's own integration targets that rsible passes (tests/ansible-integration/run.sh --expect-pass)"
tests/ansible-integration/run.sh --expect-pass --rsible-bin target/debug

echo "== the benchmark in its small mode (bench/run.sh --small): proves it runs, asserts no timing"
RSIBLE_BENCH_BIN_DIR=target/debug bench/run.sh --small

echo "== Vagrant smoke test: two VMs provisioned by rsible through Vagrant (tests/e2e/vagrant-smoke.sh)"
if ! wait "$prepare_pid"; then
    cat target/vagrant-smoke-prepare.log
    echo "the smoke test's preparation failed" >&2
    exit 1
fi
tests/e2e/vagrant-smoke.sh

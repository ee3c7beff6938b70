#!/usr/bin/env bash
# Times rsible-playbook against ansible-core (with pipelining, and with mitogen) on N real SSH
# test hosts (network namespaces, tier 1; tests/hosts/README.md) and writes a markdown report to
# stdout and target/bench/latest.md. The harness itself is bench/bench.py; bench/README.md says
# what is measured and how.
#
#   bench/run.sh [--hosts "1 10 50"] [--runs 3] [--playbooks "noop files facts pyinfra sync"]
#                [--programs "rsible ansible mitogen"] [--small]
#   bench/run.sh --small                              # N=2, one run, everything, tiny sync tree
#   bench/run.sh --programs rsible --hosts 500        # rsible alone
#
# Environment: RSIBLE_BENCH_SYNC_MB / RSIBLE_BENCH_SYNC_FILES (sync tree, default 200 MB in
# 20000 files), RSIBLE_BENCH_SYNC_MAX_HOSTS (sync only for N ≤ this, default 10),
# RSIBLE_BENCH_TIMEOUT (seconds per program run, default 3600), RSIBLE_BENCH_CONNECT_TIMEOUT
# (SSH connect timeout given to every program, default 60), RSIBLE_BENCH_VENV (default
# /opt/rsible-bench-venv), RSIBLE_ANSIBLE_VENV (where ansible.posix is copied from, default
# /opt/ansible-venv), RSIBLE_BENCH_NO_BUILD=1 (use the binaries in target/release as they are),
# RSIBLE_BENCH_BIN_DIR=DIR (use DIR's rsible-playbook and rsible-testhosts, build nothing: CI's
# small mode runs the debug binaries it already built).
set -euo pipefail
cd "$(dirname "$0")/.."

# ansible-core and mitogen for the two Python peers, in their own venv (the test oracle in
# /opt/ansible-venv is left alone). mitogen 0.3.54's mitogen_linear strategy works with
# ansible-core 2.19 (shared/docs/baseline.md); it is the newest mitogen on PyPI.
ANSIBLE_CORE_SPEC='ansible-core>=2.19,<2.20'
MITOGEN_SPEC='mitogen==0.3.54'
venv="${RSIBLE_BENCH_VENV:-/opt/rsible-bench-venv}"
oracle_venv="${RSIBLE_ANSIBLE_VENV:-/opt/ansible-venv}"
python=/usr/bin/python3

programs="rsible ansible mitogen"
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --programs) programs="${2:-}"; shift ;;
        --programs=*) programs="${1#--programs=}" ;;
        -h|--help) exec "$python" bench/bench.py --help ;;
    esac
    shift
done

bin_dir="${RSIBLE_BENCH_BIN_DIR:-}"
if [ -n "$bin_dir" ]; then
    args+=(--rsible "$bin_dir/rsible-playbook" --testhosts "$bin_dir/rsible-testhosts")
elif [ "${RSIBLE_BENCH_NO_BUILD:-0}" != 1 ]; then
    echo "bench: cargo build --release -p rsible-cli -p rsible-testhosts" >&2
    CARGO_INCREMENTAL=0 cargo build --release --quiet -p rsible-cli -p rsible-testhosts
fi

if [[ " ${programs//,/ } " =~ \ (ansible|mitogen)\  ]]; then
    site_ok() {
        "$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
core, mito = m.version("ansible-core"), m.version("mitogen")
assert core.startswith("2.19.") and mito == "0.3.54", (core, mito)
PY
    }
    if ! site_ok; then
        echo "bench: installing $ANSIBLE_CORE_SPEC and $MITOGEN_SPEC into $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$ANSIBLE_CORE_SPEC" "$MITOGEN_SPEC"
        site_ok
    fi
    # ansible.posix (synchronize) is not part of ansible-core: copy the oracle venv's collection
    # (from the `ansible` package that scripts/deps.sh installs) into this venv's site-packages,
    # where ansible-core finds it on sys.path.
    site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    if [ ! -f "$site/ansible_collections/ansible/posix/MANIFEST.json" ]; then
        src=$(compgen -G "$oracle_venv/lib/python3*/site-packages/ansible_collections/ansible/posix" | head -n 1 || true)
        if [ -z "$src" ]; then
            echo "bench: ansible.posix not found under $oracle_venv (run scripts/deps.sh)" >&2
            exit 1
        fi
        mkdir -p "$site/ansible_collections/ansible"
        cp -a "$src" "$site/ansible_collections/ansible/posix"
    fi
fi

exec "$python" bench/bench.py "${args[@]}"

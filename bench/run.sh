#!/usr/bin/env bash
# Times rsible-playbook against ansible-playbook on N real SSH test hosts (network namespaces,
# tier 1) with the playbooks of ../shared/docs/baseline.md: `noop` (20 × command /bin/true) and
# `files` (20 file/copy/template/stat tasks, run twice). Prints wall time per task-host.
#
#   bench/run.sh [HOSTS...]        default: 1 10
#   RSIBLE_BENCH_ANSIBLE=0 bench/run.sh 50   # rsible only
set -euo pipefail
cd "$(dirname "$0")/.."
hosts_list=("${@:-1 10}")
[ $# -eq 0 ] && hosts_list=(1 10)
ansible="${RSIBLE_ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}"
cargo build --release --quiet -p rsible-cli -p rsible-testhosts
rsible=target/release/rsible-playbook
work=$(mktemp -d /tmp/rsible-bench.XXXXXX)
trap 'target/release/rsible-testhosts down --dir "$work/hosts" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

gen() { # playbooks under $work
    python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
noop = "\n".join("    - command: /bin/true" for _ in range(20))
open(f"{w}/noop.yml", "w").write(f"- hosts: all\n  gather_facts: false\n  tasks:\n{noop}\n")
t = []
for i in range(5):
    t.append(f"    - file: path=/tmp/bench-{{{{ inventory_hostname }}}}/d{i} state=directory")
for i in range(5):
    t.append(f"    - copy: content='c{i}\\n' dest=/tmp/bench-{{{{ inventory_hostname }}}}/c{i}")
for i in range(5):
    t.append(f"    - template: src=t.j2 dest=/tmp/bench-{{{{ inventory_hostname }}}}/t{i}")
for i in range(5):
    t.append(f"    - stat: path=/tmp/bench-{{{{ inventory_hostname }}}}/c{i}")
open(f"{w}/files.yml", "w").write("- hosts: all\n  gather_facts: false\n  tasks:\n    - file: path=/tmp/bench-{{ inventory_hostname }} state=directory\n" + "\n".join(t) + "\n")
open(f"{w}/t.j2", "w").write("{{ inventory_hostname }} {{ 21 * 2 }}\n")
PY
}
gen

run() { # program playbook hosts → prints ms per task-host
    local prog=$1 pb=$2 n=$3 tasks=$4
    local t0 t1
    t0=$(date +%s.%N)
    ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 "$prog" -f "$n" -i "$work/hosts/inventory" "$work/$pb" >"$work/out" 2>&1 || { tail -20 "$work/out"; exit 1; }
    t1=$(date +%s.%N)
    python3 -c "print(f'{($t1-$t0)*1000/($tasks*$n):8.1f}')"
}

printf '%-8s %6s %12s %12s\n' playbook hosts "rsible ms" "ansible ms"
for n in "${hosts_list[@]}"; do
    target/release/rsible-testhosts down --dir "$work/hosts" >/dev/null 2>&1 || true
    (target/release/rsible-testhosts up --count "$n" --tier 1 --dir "$work/hosts" >"$work/up.log" 2>&1 &)
    for _ in $(seq 1 120); do [ -f "$work/hosts/state" ] && break; sleep 0.5; done
    [ -f "$work/hosts/state" ] || { cat "$work/up.log"; exit 1; }
    declare -A res=()
    for prog in rsible ansible; do
        [ "$prog" = ansible ] && [ "${RSIBLE_BENCH_ANSIBLE:-1}" != 1 ] && continue
        bin=$rsible; [ "$prog" = ansible ] && bin=$ansible
        rm -rf /tmp/bench-h*
        res[$prog.noop]=$(run "$bin" noop.yml "$n" 20)
        res[$prog.files1]=$(run "$bin" files.yml "$n" 21)
        res[$prog.files2]=$(run "$bin" files.yml "$n" 21)
    done
    rm -rf /tmp/bench-h*
    for pb in noop files1 files2; do
        printf '%-8s %6s %12s %12s\n' "$pb" "$n" "${res[rsible.$pb]}" "${res[ansible.$pb]:--}"
    done
done

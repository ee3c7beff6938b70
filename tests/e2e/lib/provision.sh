# shellcheck shell=bash
# Running Vagrant's ansible provisioner and reading what it printed. Sourced.

# rsible's binaries: release for the article run (its timings are reported), the debug build
# CI already made for the smoke test (RSIBLE_PROFILE=debug).
RSIBLE_PROFILE="${RSIBLE_PROFILE:-release}"

# Builds rsible and installs it as `ansible`/`ansible-playbook` into a directory of its own
# (scripts/install.sh --as-ansible), which the runs put first on PATH. Sets RSIBLE_BIN_DIR
# (rsible-playbook and rsible's `ansible`) and RSIBLE_AS_ANSIBLE_DIR.
install_rsible_as_ansible() {
    local flag=()
    [ "$RSIBLE_PROFILE" = release ] && flag=(--release)
    (cd "$REPO_DIR" && cargo build -q "${flag[@]}" -p rsible-cli --bins) >>"$E2E_LOG" 2>&1 \
        || die "cargo build of rsible-cli failed"
    RSIBLE_BIN_DIR="$REPO_DIR/target/$RSIBLE_PROFILE"
    RSIBLE_AS_ANSIBLE_DIR="$E2E_CACHE/rsible-as-ansible"
    "$REPO_DIR/scripts/install.sh" --as-ansible --bin-dir "$RSIBLE_AS_ANSIBLE_DIR" \
        --from "$RSIBLE_BIN_DIR" >>"$E2E_LOG" 2>&1 || die "scripts/install.sh --as-ansible failed"
    "$RSIBLE_AS_ANSIBLE_DIR/ansible" --version | head -1 | grep '^ansible \[core ' >/dev/null \
        || die "$RSIBLE_AS_ANSIBLE_DIR/ansible --version does not answer as Vagrant expects"
}

# A directory whose `ansible-playbook` is ansible-core's and whose `ansible --version` is
# ansible-core's answer written in one go. ansible-core writes it line by line, and Vagrant keeps
# only the last chunk it reads: when the lines arrive in several chunks (a loaded machine),
# Vagrant misses the version, falls back to compatibility mode 1.8 and writes `ansible_ssh_host`,
# which ansible.posix.synchronize does not read.
ansible_core_bin_dir() {
    local venv="${RSIBLE_ANSIBLE_VENV:-/opt/ansible-venv}" dir="$E2E_CACHE/ansible-core-bin"
    mkdir -p "$dir"
    ln -sfn "$venv/bin/ansible-playbook" "$dir/ansible-playbook"
    printf '#!/bin/sh\nout=$("%s" "$@") || exit\nprintf "%%s\\n" "$out"\n' "$venv/bin/ansible" >"$dir/ansible"
    chmod +x "$dir/ansible"
    printf '%s\n' "$dir"
}

# provisioning/ must be the article's, byte for byte.
check_provisioning_unchanged() {
    local sums="$REPO_DIR/../shared/reference/kernel-vargrant.SHA256SUMS"
    if [ -f "$sums" ]; then
        (cd "$1" && sha256sum --quiet -c "$sums") || die "provisioning/ differs from the article's"
    else
        (cd "$REPO_DIR" && git diff --quiet -- provisioning) || die "provisioning/ has local changes"
    fi
}

# `vagrant ARGS` in project DIR inside the namespace. Its output goes to the log with a time
# stamp per line, and to $LAST_OUTPUT (plain) and $LAST_OUTPUT.ts (epoch seconds per line);
# play and task banners also go to the terminal, as progress.
vagrant_logged() {
    local dir=$1; shift
    LAST_OUTPUT=$(mktemp "$E2E_CACHE/logs/vagrant-out.XXXXXX")
    E2E_CLEANUP+=("rm -f '$LAST_OUTPUT' '$LAST_OUTPUT.ts'")
    log "vagrant $*"
    local rc
    (cd "$dir" && vg vagrant "$@" </dev/null 2>&1) | while IFS= read -r line; do
        printf '%s\n' "$line" >>"$LAST_OUTPUT"
        printf '%s %s\n' "$(date +%s)" "$line" >>"$LAST_OUTPUT.ts"
        printf '%s | %s\n' "$(date +%T)" "$line" >>"$E2E_LOG"
        case "$line" in
            *"PLAY ["*|*"TASK ["*|*"RUNNING HANDLER ["*|*"PLAY RECAP"*|*"==> "*"Running provisioner"*)
                printf '%s   %s\n' "$(date +%T)" "$(sed 's/ *\**$//; s/^ *//' <<<"$line")" >&2 ;;
        esac
    done
    rc=${PIPESTATUS[0]}
    return "$rc"
}

# The PLAY RECAP block of a provisioner run (Vagrant indents the playbook's output).
recap_of() {
    sed -n '/PLAY RECAP/,/^ *$/p' "$1" | sed 's/^ *//; /^$/d'
}

# True when HOST's recap line says failed=0 and unreachable=0.
recap_ok() {
    recap_of "$1" | grep -E "^$2 +:" | grep 'unreachable=0 .*failed=0 ' >/dev/null
}

# The counts of each host's recap line, one "host k=v k=v …" line each, sorted.
recap_counts() {
    recap_of "$1" | grep -E '^[^ ]+ +: ' | sed -E 's/ +: +/ /; s/ +/ /g' | sort
}

# Two provisioner runs gave the same counts for every host.
same_counts() {
    if diff <(recap_counts "$1") <(recap_counts "$2") >>"$E2E_LOG"; then
        log "recaps match: $(recap_counts "$1" | tr '\n' ';')"
    else
        log "recaps differ (see the log)"
        return 1
    fi
}

# "provisioning N": seconds from Vagrant's "Running provisioner: ansible..." to the recap.
provision_seconds() {
    local start end
    start=$(grep -m1 'Running provisioner: ansible' "$1.ts" | cut -d' ' -f1)
    end=$(grep 'PLAY RECAP' "$1.ts" | tail -1 | cut -d' ' -f1)
    [ -n "$start" ] && [ -n "$end" ] && printf 'provisioning %d\n' $((end - start))
}

# Runs a command in a VM of $PROJECT with `vagrant ssh -c`, words quoted for its shell.
in_vm() {
    local host=$1; shift
    (cd "$PROJECT" && vg vagrant ssh "$host" -c "$(printf '%q ' "$@")" </dev/null 2>>"$E2E_LOG") | tr -d '\r'
}

# Compares two provisioner runs of one playbook task by task (lib/task_statuses.py). Returns 0
# when every task ended the same on every host, 2 when every difference is explained, 1 when one
# is not. Explained: a task whose async job ansible-core's own wrapper killed ("Timeout
# exceeded") in run B — under TCG ansible-core's Python module needs more than the playbook's
# `async: 1` just to start, so its job never ran, a limit of this machine reported as such — and
# the tasks listed in the optional file $3 (`<task>\t<host>\t<why>`), which the caller measured
# to start from different states in the two runs.
compare_runs() {
    local out rc
    out=$(python3 "$E2E_DIR/lib/task_statuses.py" --compare "$1" "$2" ${3:+"$3"})
    rc=$?
    case $rc in
        0) log "every task ended the same on every host" ;;
        2) log "runs differ only where the state or ansible-core's async limit explains it:" ;;
        *) log "runs differ task by task:" ;;
    esac
    [ -z "$out" ] || printf '  %s\n' "$out" >&2
    return $rc
}

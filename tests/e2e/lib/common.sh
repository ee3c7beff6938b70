# shellcheck shell=bash
# Shared by the end-to-end scripts: logging, the cache outside the repository, apt installs.
# Sourced, never run.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
# Built once and reused by every run: the box, the kernel tree, the VMs' apt repository.
E2E_CACHE="${RSIBLE_E2E_CACHE:-/var/cache/rsible-e2e}"
mkdir -p "$E2E_CACHE"

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${E2E_STEP:-e2e}" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# Runs "$@" and records how long it took in $E2E_TIMINGS (one "name seconds" line each).
timed() {
    local name=$1; shift
    local start=$SECONDS
    E2E_STEP=$name "$@"
    local rc=$?
    [ -n "${E2E_TIMINGS:-}" ] && printf '%s %d\n' "$name" $((SECONDS - start)) >>"$E2E_TIMINGS"
    return $rc
}

# apt-get install of the packages not yet installed (no recommends: nothing the run does not need).
# A `name/release` package counts as installed only in a version that release has: a machine may
# carry a backport (qemu-utils 10 from bookworm-backports breaks bookworm's qemu-system-x86), and
# apt then has to be asked for the downgrade.
apt_ensure() {
    local missing=() p v
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "${p%%/*}" 2>/dev/null | grep "ok installed" >/dev/null; then
            missing+=("$p")
        elif [ "${p%%/*}" != "$p" ]; then
            v=$(dpkg-query -W -f='${Version}' "${p%%/*}")
            apt-cache madison "${p%%/*}" 2>/dev/null | grep -F " $v " | grep -F " ${p#*/}/" >/dev/null \
                || missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        --allow-downgrades "${missing[@]}" >/dev/null
}

# Cleanup steps, run last-in first-out when the script exits, however it exits.
E2E_CLEANUP=()
e2e_cleanup() {
    local i
    for ((i = ${#E2E_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${E2E_CLEANUP[i]}" || true
    done
    E2E_CLEANUP=()
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

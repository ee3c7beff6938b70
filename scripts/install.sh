#!/usr/bin/env bash
# Installs rsible-playbook and rsible's `ansible` (into ~/.cargo/bin) and runs the example
# playbook with it.
#
#   scripts/install.sh                      install, then run examples/hello.yml
#   scripts/install.sh --as-ansible         also link `ansible` and `ansible-playbook` to rsible
#                                           in /usr/local/bin (root) or ~/.local/bin (others)
#        [--bin-dir DIR]                    ... in DIR instead
#        [--from DIR]                       ... using the binaries already built in DIR (for
#                                           example target/release) instead of cargo install
#   scripts/install.sh --uninstall [--bin-dir DIR]
#                                           remove those links (only rsible's) and the cargo
#                                           installed binaries
#
# A file in the link directory that is not one of rsible's links (a real Ansible) is never
# replaced or removed: the install stops and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

as_ansible=false
uninstall=false
bin_dir=""
from=""
while [ $# -gt 0 ]; do
    case "$1" in
        --as-ansible) as_ansible=true ;;
        --uninstall) uninstall=true ;;
        --bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a directory"; bin_dir=$2; shift ;;
        --bin-dir=*) bin_dir=${1#--bin-dir=} ;;
        --from) [ $# -ge 2 ] || die "--from needs a directory"; from=$2; shift ;;
        --from=*) from=${1#--from=} ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -z "$bin_dir" ]; then
    if [ "$(id -u)" = 0 ]; then bin_dir=/usr/local/bin; else bin_dir="$HOME/.local/bin"; fi
fi

# The executable a link name runs, for each name Vagrant calls.
target_of() {
    case "$1" in
        ansible) echo ansible ;;
        ansible-playbook) echo rsible-playbook ;;
    esac
}

# True when PATH is one of rsible's links: a symlink to an executable that introduces itself
# as rsible, or a dangling one (the build it pointed to is gone) to an rsible-playbook, or to
# an `ansible` beside the rsible-playbook the other link points to.
is_rsible_link() {
    local path=$1 target
    [ -L "$path" ] || return 1
    if [ -e "$path" ]; then
        "$path" --version 2>/dev/null | grep -q '^  rsible version = '
        return
    fi
    target=$(readlink "$path")
    case "$(basename "$target")" in
        rsible-playbook) return 0 ;;
        ansible) [ "$(readlink "$(dirname "$path")/ansible-playbook" 2>/dev/null)" = "$(dirname "$target")/rsible-playbook" ] ;;
        *) return 1 ;;
    esac
}

if $uninstall; then
    for name in ansible ansible-playbook; do
        link="$bin_dir/$name"
        if is_rsible_link "$link"; then
            rm -f "$link"
            say "removed $link"
        elif [ -e "$link" ] || [ -L "$link" ]; then
            say "kept $link: it is not rsible's"
        fi
    done
    if command -v cargo >/dev/null && cargo install --list | grep -q '^rsible-cli '; then
        cargo uninstall --quiet rsible-cli
        say "removed rsible-playbook and ansible from $cargo_bin (cargo uninstall rsible-cli)"
    fi
    exit 0
fi

if [ -n "$from" ]; then
    $as_ansible || die "--from is for --as-ansible"
    from=$(cd "$from" && pwd) || die "no directory $from"
    for exe in rsible-playbook ansible; do
        [ -x "$from/$exe" ] || die "$from/$exe is missing (cargo build -p rsible-cli --bins)"
    done
    src_dir=$from
else
    command -v cargo >/dev/null || die "cargo is required (https://rustup.rs)"
    cargo install --quiet --locked --path crates/rsible-cli
    say "installed rsible-playbook and ansible into $cargo_bin"
    src_dir=$cargo_bin
    "$src_dir/rsible-playbook" examples/hello.yml
fi

$as_ansible || exit 0

# Check both names before touching either, so a refusal leaves nothing half done.
mkdir -p "$bin_dir"
bin_dir=$(cd "$bin_dir" && pwd)
for name in ansible ansible-playbook; do
    link="$bin_dir/$name"
    if { [ -e "$link" ] || [ -L "$link" ]; } && ! is_rsible_link "$link"; then
        die "$link exists and is not rsible's (a real Ansible?); it is left alone.
Install the links elsewhere with --bin-dir DIR and put DIR first on PATH."
    fi
done
for name in ansible ansible-playbook; do
    ln -sfn "$src_dir/$(target_of "$name")" "$bin_dir/$name"
    say "linked $bin_dir/$name -> $src_dir/$(target_of "$name")"
done
"$bin_dir/ansible" --version | head -n 1 | grep -q '^ansible \[core ' \
    || die "$bin_dir/ansible --version does not answer as Vagrant expects"

# Vagrant finds `ansible` and `ansible-playbook` on PATH: say whether these come first.
for name in ansible ansible-playbook; do
    found=$(command -v "$name" || true)
    if [ "$found" != "$bin_dir/$name" ]; then
        case ":$PATH:" in
            *":$bin_dir:"*) say "note: $found comes before $bin_dir/$name on PATH; put $bin_dir first: export PATH=\"$bin_dir:\$PATH\"" ;;
            *) say "note: $bin_dir is not on PATH; add it first: export PATH=\"$bin_dir:\$PATH\"" ;;
        esac
        break
    fi
done
say "undo with: scripts/install.sh --uninstall --bin-dir $bin_dir"

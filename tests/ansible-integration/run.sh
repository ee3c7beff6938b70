#!/usr/bin/env bash
# Runs ansible-core 2.19.14's own integration targets under ansible-core and under rsible
# (run.py does the work; README.md explains it).
#
#   tests/ansible-integration/run.sh                  every target the list runs, both programs
#   tests/ansible-integration/run.sh --expect-pass    only those rsible must pass; exit 1 if one fails
#   tests/ansible-integration/run.sh assert loops     these targets only
#   tests/ansible-integration/run.sh --help           the other options
set -euo pipefail
# The system Python: the runner needs only its standard library, and a pyenv shim first on PATH
# must not choose another one.
exec "${RSIBLE_INTEGRATION_PYTHON:-/usr/bin/python3}" "$(dirname "$0")/run.py" "$@"

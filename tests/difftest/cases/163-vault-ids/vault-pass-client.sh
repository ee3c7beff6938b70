#!/bin/sh
# A vault-id client script: asked for the password of the id after --vault-id.
[ "$2" = prod ] && { echo test-only-prod-password; exit 0; }
echo "unknown vault id $2" >&2
exit 2

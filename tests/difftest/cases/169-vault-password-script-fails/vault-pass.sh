#!/bin/sh
# A password script that fails (test only).
echo "no password here" >&2
exit 3

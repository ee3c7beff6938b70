#!/bin/sh
echo "hello $1 $2 from $(basename "$0")"
echo "env ${GREETING:-none}"
echo "pwd $(pwd)"
echo oops >&2

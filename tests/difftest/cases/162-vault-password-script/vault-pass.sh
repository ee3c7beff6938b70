#!/bin/sh
# A vault password script: its stdout is the password (test-only).
echo test-only-script-password

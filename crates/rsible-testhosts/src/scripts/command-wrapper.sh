#!/bin/sh
# sshd ForceCommand of every test host: append what the client asked for to the host's command log,
# then run it the way sshd would have without a ForceCommand (the login shell with -c).
# Records are NUL-terminated because commands contain newlines; flock keeps records of parallel
# sessions whole. A session without a command (interactive login) is recorded as an empty record.
log=$1
{
  flock 9
  printf '%s\0' "${SSH_ORIGINAL_COMMAND-}" >&9
} 9>>"$log"
shell=${SHELL:-/bin/sh}
if [ -z "${SSH_ORIGINAL_COMMAND+set}" ]; then
  exec "$shell" -l
fi
exec "$shell" -c "$SSH_ORIGINAL_COMMAND"

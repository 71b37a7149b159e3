#!/bin/sh
# The README's main command: sets up the toolchain, starts a user-mode daemon
# on examples/ (private socket, runtime and log directories), shows
# `initctl list` and `status`, then ends the session with SIGTERM.
# With --keep the daemon is left running and the commands to use it are printed.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
session=demo
. "$root/tools/example-session.sh"
sleep 0.5 # let the startup jobs settle
echo "\$ initctl list"
initctl list
echo "\$ initctl status web"
initctl status web
echo "\$ initctl start worker QUEUE=mail"
initctl start worker QUEUE=mail
echo "\$ initctl check-config"
initctl check-config || true
echo "== daemon log"
cat "$work/init.log"
if [ "${1:-}" = "--keep" ]; then
  echo "daemon pid $daemon; use: $root/bin/initctl --socket $sock list; stop with: kill $daemon"
  exit 0
fi
kill -TERM "$daemon"
wait "$daemon" || true
echo "== session ended; job logs in $work/cache/upstart:"
ls "$work/cache/upstart"

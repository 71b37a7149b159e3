#!/bin/sh
# The README's main command: sets up the toolchain, starts a user-mode daemon
# on examples/ (private socket, runtime and log directories), shows
# `initctl list` and `status`, then ends the session with SIGTERM.
# With --keep the daemon is left running and the commands to use it are printed.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
"$root/tools/install-deno.sh" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/daybreak-demo.XXXXXX")
mkdir -m 700 "$work/run"
sock="$work/initctl.sock"
XDG_RUNTIME_DIR="$work/run" XDG_CACHE_HOME="$work/cache" \
  "$root/bin/init" --user --confdir "$root/examples" --socket "$sock" >"$work/init.log" 2>&1 &
daemon=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
initctl() { "$root/bin/initctl" --socket "$sock" "$@"; }
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

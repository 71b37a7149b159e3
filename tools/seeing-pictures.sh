#!/bin/sh
# Regenerates the pictures of docs/seeing.md from the example session: starts a user-mode daemon
# on examples/ (as tools/demo.sh does), lets it run a moment, starts two worker instances, then
# writes the event graph (through Graphviz) and the timeline as SVG into docs/, and ends the
# session.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
"$root/tools/install-deno.sh" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/daybreak-pictures.XXXXXX")
mkdir -m 700 "$work/run"
sock="$work/initctl.sock"
XDG_RUNTIME_DIR="$work/run" XDG_CACHE_HOME="$work/cache" \
  "$root/bin/init" --user --confdir "$root/examples" --socket "$sock" >"$work/init.log" 2>&1 &
daemon=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
initctl() { "$root/bin/initctl" --socket "$sock" "$@"; }
sleep 1
initctl start worker QUEUE=mail >/dev/null
sleep 0.5
initctl start worker QUEUE=print >/dev/null
sleep 0.5
initctl stop worker QUEUE=mail >/dev/null
initctl restart web >/dev/null
sleep 1
initctl graph --format svg >"$root/docs/seeing-graph.svg"
initctl timeline --svg "$root/docs/seeing-timeline.svg"
"$root/tools/deno/node_modules/deno/deno" fmt --quiet "$root/docs/seeing-graph.svg" "$root/docs/seeing-timeline.svg"
kill -TERM "$daemon"
wait "$daemon" || true
rm -rf "$work"

#!/bin/sh
# Regenerates the pictures of docs/seeing.md from the example session: starts a user-mode daemon
# on examples/ (as tools/demo.sh does), lets it run a moment, starts two worker instances, then
# writes the event graph (through Graphviz) and the timeline as SVG into docs/, and ends the
# session.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
session=pictures
. "$root/tools/example-session.sh"
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

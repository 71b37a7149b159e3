#!/bin/sh
# The README's main command. Sets up the toolchain, then checks the example
# jobs and every job of the shared corpus with bin/init-checkconf.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
"$root/tools/install-deno.sh" >/dev/null
echo "== init-checkconf examples/*.conf (broken.conf is broken on purpose)"
"$root/bin/init-checkconf" "$root"/examples/*.conf || true
corpus="$root/../shared/corpus"
if [ -d "$corpus" ]; then
  echo "== init-checkconf on the shared corpus"
  find "$corpus" -name '*.conf' -print0 | sort -z | xargs -0 "$root/bin/init-checkconf"
fi

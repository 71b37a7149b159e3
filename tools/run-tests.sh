#!/bin/sh
# Runs every test of the project (the README's test command; .ci/run runs it too).
# Usage: tools/run-tests.sh [--junit-path=FILE] [extra deno test args]
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
deno=$("$root/tools/install-deno.sh")
export DENO_DIR="${DENO_DIR:-$root/.deno_dir}" DENO_DISABLE_NODE_SHIM=1 RUST_BACKTRACE=0 NO_COLOR=1
cd "$root"
exec "$deno" test --frozen --parallel --doc \
  --allow-read --allow-write --allow-run --allow-env --allow-ffi --allow-net --allow-sys "$@"

#!/bin/sh
# Installs the pinned Deno from npm into tools/deno/ (kept apart from deno.json, see
# docs/platform.md#environment) and fills the dependency cache from deno.lock.
# Prints the path of the deno binary on stdout. Idempotent; safe to run at every set-up.
set -eu
DENO_VERSION=2.9.6
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
tooldir="$root/tools/deno"
bin="$tooldir/node_modules/deno/deno"

have_version() { "$1" --version 2>/dev/null | head -n1 | grep -q "^deno $DENO_VERSION "; }

deno=""
if [ -x "$bin" ] && have_version "$bin"; then
  deno="$bin"
elif command -v deno >/dev/null 2>&1 && have_version "$(command -v deno)"; then
  deno=$(command -v deno)
else
  mkdir -p "$tooldir"
  [ -f "$tooldir/package.json" ] || printf '{ "name": "daybreak-tools", "private": true }\n' >"$tooldir/package.json"
  (cd "$tooldir" && npm install --no-audit --no-fund --no-update-notifier --loglevel=error "deno@$DENO_VERSION" >&2)
  deno="$bin"
  have_version "$deno" || { echo "install-deno: $deno is not deno $DENO_VERSION" >&2; exit 1; }
fi

export DENO_DIR="${DENO_DIR:-$root/.deno_dir}" DENO_DISABLE_NODE_SHIM=1 RUST_BACKTRACE=0 NO_COLOR=1
# Trust the machine's CA store as well as deno's bundled roots (as npm does), so that
# the install works behind a TLS-inspecting proxy whose CA the system trusts.
export DENO_TLS_CA_STORE="${DENO_TLS_CA_STORE:-mozilla,system}"
# Fill the npm cache exactly from the lockfile (no network once filled).
(cd "$root" && "$deno" install --frozen --quiet >&2)
# `deno bundle` (deno task dist) fetches esbuild from npm on first use: fetch it now, online.
if [ ! -d "$DENO_DIR/npm/registry.npmjs.org/@esbuild" ]; then
  tmp=$(mktemp -d)
  printf 'export {};\n' >"$tmp/probe.ts"
  (cd "$tmp" && "$deno" bundle --quiet -o "$tmp/probe.js" "$tmp/probe.ts" >&2) || :
  rm -rf "$tmp"
fi
echo "$deno"

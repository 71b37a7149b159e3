# Sourced by every launcher in bin/: finds the project root, its own deno and
# its dependency cache, whatever the caller's directory and environment
# (init, cron and scripts run us with PATH=/usr/bin:/bin and no HOME).
# Nothing is ever downloaded here: run tools/install-deno.sh once to set up.
DENO_VERSION=2.9.6
# Shell built-ins only, unless $0 is a symlink or holds "." or "..": each command run here costs
# a fork and an exec (1 to 3 ms) before Deno even starts (docs/platform.md#start-up-costs).
self=$0
case $self in /*) ;; *) self=$PWD/$self ;; esac
case $self in */.*) self=$(readlink -f -- "$self") ;; esac # "./", ".."
[ -L "$self" ] && self=$(readlink -f -- "$self")
DAYBREAK_ROOT=${self%/*}
DAYBREAK_ROOT=${DAYBREAK_ROOT%/*}
PROG=${0##*/}

if [ -n "${DAYBREAK_DENO:-}" ] && [ -x "$DAYBREAK_DENO" ]; then
  DENO=$DAYBREAK_DENO
elif [ -x "$DAYBREAK_ROOT/deno" ]; then # the dist/ artifact (tools/dist.ts)
  DENO=$DAYBREAK_ROOT/deno
elif [ -x "$DAYBREAK_ROOT/tools/deno/node_modules/deno/deno" ]; then
  DENO=$DAYBREAK_ROOT/tools/deno/node_modules/deno/deno
elif command -v deno >/dev/null 2>&1 &&
  deno --version 2>/dev/null | head -n1 | grep -q "^deno $DENO_VERSION "; then
  DENO=$(command -v deno)
else
  echo "$PROG: deno $DENO_VERSION not found; run $DAYBREAK_ROOT/tools/install-deno.sh" >&2
  exit 1
fi

# The cache filled by tools/install-deno.sh; an explicit DAYBREAK_DENO_DIR wins.
export DENO_DIR="${DAYBREAK_DENO_DIR:-$DAYBREAK_ROOT/.deno_dir}"
export DENO_DISABLE_NODE_SHIM=1 RUST_BACKTRACE=0 DENO_NO_UPDATE_CHECK=1
[ -t 1 ] || export NO_COLOR=1

# run ENTRY PERMISSION-FLAGS... -- ARGS...
run_entry() {
  entry=$1
  shift
  flags=""
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    flags="$flags $1"
    shift
  done
  [ "${1:-}" = "--" ] && shift
  # In the dist/ artifact each entry is one bundled file that needs no config, lock or cache.
  if [ -f "$DAYBREAK_ROOT/lib/${entry%.ts}.js" ]; then
    # shellcheck disable=SC2086 # flags are word lists on purpose
    exec "$DENO" run --quiet --cached-only --no-prompt --no-config --no-lock \
      $flags "$DAYBREAK_ROOT/lib/${entry%.ts}.js" "$@"
  fi
  # shellcheck disable=SC2086 # flags are word lists on purpose
  exec "$DENO" run --quiet --cached-only --no-prompt --config "$DAYBREAK_ROOT/deno.json" \
    $flags "$DAYBREAK_ROOT/$entry" "$@"
}

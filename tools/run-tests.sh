#!/bin/sh
# Runs every test of the project (the README's test command; .ci/run runs it too).
#
# Three phases: most test files run in parallel; the process-layer tests
# (daemon/supervisor/) run one file at a time, because they check that the
# test process has no zombie child, and parallel test files share that process;
# the real-kernel tests (tests/vm/) run last, one at a time, because a QEMU
# guest under TCG takes a whole core and slows every test beside it.
#
# Usage: tools/run-tests.sh            every test, all three phases
#        tools/run-tests.sh PATH...    only those files or directories
# With JUNIT_DIR set, each phase writes its JUnit report there.
set -u
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
deno=$("$root/tools/install-deno.sh") || exit 1
export DENO_DIR="${DENO_DIR:-$root/.deno_dir}" DENO_DISABLE_NODE_SHIM=1 RUST_BACKTRACE=0 NO_COLOR=1
cd "$root" || exit 1
perms="--allow-read --allow-write --allow-run --allow-env --allow-ffi --allow-net --allow-sys"
junit() { [ -n "${JUNIT_DIR:-}" ] && printf -- '--junit-path=%s/%s.xml' "$JUNIT_DIR" "$1"; }

if [ "$#" -gt 0 ]; then
  # shellcheck disable=SC2086,SC2046
  exec "$deno" test --frozen $perms $(junit selected) "$@"
fi
# shellcheck disable=SC2086,SC2046
"$deno" test --frozen --parallel --doc $perms $(junit parallel) --ignore=daemon/supervisor/,tests/vm/,tools/deno/,.deno_dir/,dist/
first=$?
# shellcheck disable=SC2086,SC2046
"$deno" test --frozen --doc $perms $(junit supervisor) daemon/supervisor/
second=$?
# shellcheck disable=SC2086,SC2046
"$deno" test --frozen --doc $perms $(junit vm) tests/vm/
third=$?
[ "$first" -eq 0 ] && [ "$second" -eq 0 ] && [ "$third" -eq 0 ]

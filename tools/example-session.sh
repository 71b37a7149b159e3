# Sourced by tools/demo.sh and tools/seeing-pictures.sh, with $root (the checkout) and $session
# (names the temporary directory) set: sets up the toolchain, starts a user-mode daemon on
# examples/ with a private socket, runtime and log directories under a fresh $work, waits for its
# socket, and defines `initctl` for it. Leaves $work, $sock and $daemon (the daemon's pid) set.
"$root/tools/install-deno.sh" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/daybreak-$session.XXXXXX")
mkdir -m 700 "$work/run"
sock="$work/initctl.sock"
XDG_RUNTIME_DIR="$work/run" XDG_CACHE_HOME="$work/cache" \
  "$root/bin/init" --user --confdir "$root/examples" --socket "$sock" >"$work/init.log" 2>&1 &
daemon=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
initctl() { "$root/bin/initctl" --socket "$sock" "$@"; }

# Sourced by bin/initctl and bin/telinit: their fast path for root (docs/pid1.md#the-command-fifo).
# At boot, each Deno process costs seconds under emulation, and the boot path runs several
# `initctl emit --no-wait` and one `telinit`: these write one line to the system daemon's command
# FIFO instead, with shell built-ins only. Each function returns 0 once the line is written, or
# 1 having written nothing (the launcher then runs Deno as usual): unless the caller owns the FIFO
# (the daemon makes it root's, mode 0600, and checks it), every word is a non-empty run of plain
# characters (no blank, control, quote or glob character, nothing outside ASCII), and the line
# is short enough for one atomic pipe write (the daemon takes up to PIPE_BUF, 4,096 bytes; this
# stays well under it, so that no shell's buffering splits it).
DAYBREAK_FIFO=/run/daybreak/initctl.fifo

# fifo_send WORD...: writes "WORD WORD...\n" in one write.
fifo_send() {
  [ -p "$DAYBREAK_FIFO" ] && [ -O "$DAYBREAK_FIFO" ] && [ -w "$DAYBREAK_FIFO" ] || return 1
  fifo_line=
  for fifo_word in "$@"; do
    case $fifo_word in
    "" | *[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=.,:/@%+-]*) return 1 ;;
    esac
    fifo_line="$fifo_line${fifo_line:+ }$fifo_word"
  done
  [ "${#fifo_line}" -le 1000 ] || return 1
  # Read-write: the open never waits for a reader (the daemon keeps its end open).
  printf '%s\n' "$fifo_line" 2>/dev/null 1<>"$DAYBREAK_FIFO"
}

# fifo_emit NAME [KEY=VALUE]...: `initctl emit --no-wait NAME [KEY=VALUE]...`.
fifo_emit() {
  case $1 in -*) return 1 ;; esac
  fifo_name=$1
  shift
  for fifo_word in "$@"; do
    case $fifo_word in [!=]*=*) ;; *) return 1 ;; esac
  done
  fifo_send emit "$fifo_name" "$@"
}

# fifo_telinit RUNLEVEL: `telinit RUNLEVEL`, with the caller's $RUNLEVEL when it is set (telinit
# takes the previous runlevel from it).
fifo_telinit() {
  case $1 in [0123456sSqQuU]) ;; *) return 1 ;; esac
  # The runlevel event stops the job that ran us (rc-sysinit: `stop on runlevel`), maybe before
  # this shell has exited: finish with 0 rather than die of its SIGTERM (as cli/telinit.ts does).
  trap '' TERM
  if [ "${RUNLEVEL+set}" = set ]; then
    fifo_send telinit "RUNLEVEL=$RUNLEVEL" "$1" && return 0
  else
    fifo_send telinit "$1" && return 0
  fi
  trap - TERM
  return 1
}

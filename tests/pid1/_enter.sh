#!/bin/sh
# Run by the PID-1 tests as the first process of new mount and PID namespaces
# (so that it is PID 1): hides the host's /run and /var/log (and /etc/init when
# it exists) under tmpfs mounts of this namespace, then becomes daybreak's init
# as the machine's would be: `init` with no mode flag.
#
# $1: the project root; $2: the job directory; more arguments go to init.
# Every mount is made inside the new mount namespace and vanishes with it.
set -eu
root=$1
conf=$2
shift 2
mount --make-rprivate /
for mnt in /run /var/log /etc/init; do
  [ -d "$mnt" ] || continue
  mount -t tmpfs "pid1-test-${mnt##*/}" "$mnt"
done
# PID1_TEST_BARE_RUN=1: no /run mount at all (this namespace's copies of the host's included),
# for daybreak's early boot to mount one.
if [ "${PID1_TEST_BARE_RUN:-}" = 1 ]; then
  while findmnt -n /run >/dev/null; do umount -l /run; done
fi
cd /
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
  "$root/bin/init" --confdir "$conf" "$@"

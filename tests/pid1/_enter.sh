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
# PID1_TEST_BARE_RUN=1 leaves /run unmounted, for daybreak's early boot to mount.
for mnt in /run /var/log /etc/init; do
  [ -d "$mnt" ] || continue
  [ "$mnt" = /run ] && [ "${PID1_TEST_BARE_RUN:-}" = 1 ] && [ -z "$(findmnt -n /run)" ] && continue
  mount -t tmpfs "pid1-test-${mnt##*/}" "$mnt"
done
cd /
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
  "$root/bin/init" --confdir "$conf" "$@"

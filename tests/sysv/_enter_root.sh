#!/bin/sh
# Run as the first process of new mount/pid/net/uts/ipc namespaces (so it is
# PID 1) by the tests that shut the system down (tests/sysv/_system.ts):
# builds a private root file system and becomes daybreak's init in it.
#
# $1: the project root; $2: a staging directory whose files/ tree is copied
# over the new root (etc/init/, etc/init.d/, etc/rcN.d/, usr/sbin/...).
#
# Why a whole private root, unlike _enter_boot.sh: Debian's shutdown scripts
# unmount every file system they see (umountfs) and remount / read-only
# (umountroot). A remount acts on the file system itself, not on one mount of
# it, so it must never reach one of the host's: here / is an overlay whose
# lower layer is the host's root (never written), every other mount is a
# tmpfs, proc, sysfs or devpts made for this namespace, and nothing of the
# host is bind-mounted except the console's pty. Every mount vanishes with the
# namespace's last process.
#
# With stdin on a terminal (the test runs this under `script`, which holds a
# pty's master), that terminal becomes /dev/console.
set -eu
root=$1
stage=$2
console=$(tty 2>/dev/null) || console=""
mount --make-rprivate /

new=$stage/root
layers=$stage/layers
mkdir -p "$new" "$layers"
mount -t tmpfs -o mode=0755 layers "$layers"
mkdir -p "$layers/up" "$layers/work"
mount -t overlay -o "lowerdir=/,upperdir=$layers/up,workdir=$layers/work" rootfs "$new"

mount -t proc -o nosuid,nodev,noexec proc "$new/proc"
mount -t sysfs -o nosuid,nodev,noexec,ro sysfs "$new/sys"

# /dev: a tmpfs with the nodes a system needs, and a devpts of its own.
mount -t tmpfs -o nosuid,mode=0755 dev "$new/dev"
mknod -m 666 "$new/dev/null" c 1 3
mknod -m 666 "$new/dev/zero" c 1 5
mknod -m 666 "$new/dev/full" c 1 7
mknod -m 666 "$new/dev/random" c 1 8
mknod -m 666 "$new/dev/urandom" c 1 9
mknod -m 666 "$new/dev/tty" c 5 0
mkdir -m 755 "$new/dev/pts" "$new/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$new/dev/pts"
ln -s pts/ptmx "$new/dev/ptmx"
mount -t tmpfs -o nosuid,nodev shm "$new/dev/shm"
ln -s /proc/self/fd "$new/dev/fd"
ln -s /proc/self/fd/0 "$new/dev/stdin"
ln -s /proc/self/fd/1 "$new/dev/stdout"
ln -s /proc/self/fd/2 "$new/dev/stderr"
: >"$new/dev/console"
[ -n "$console" ] && mount --bind "$console" "$new/dev/console"

mount -t tmpfs -o nosuid,nodev,mode=0755 run "$new/run"
mkdir -m 1777 "$new/run/lock"
# An empty utmp and wtmp: no runlevel yet.
: >"$new/run/utmp"
mkdir -p "$new/var/log"
: >"$new/var/log/wtmp"

# The system's own jobs and scripts are replaced by the test's (deleting in
# the overlay only hides the host's files).
for d in init init.d rc0.d rc1.d rc2.d rc3.d rc4.d rc5.d rc6.d rcS.d; do
  rm -rf "${new:?}/etc/$d"
  mkdir -p "$new/etc/$d"
done
rm -f "$new/etc/inittab" "$new/etc/nologin"
cp -a "$stage/files/." "$new/"

# The tools under their usual names, as an installed system has them.
for tool in init telinit runlevel shutdown halt reboot poweroff service initctl \
  start stop restart reload status; do
  ln -sfn "$root/bin/$tool" "$new/usr/sbin/$tool"
done

cd "$new"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
# Never go on where a remount of / could reach the host's file system.
if [ "$(stat -f -c %T /)" != overlayfs ]; then
  echo "_enter_root.sh: / is not the private overlay; stopping" >&2
  exit 1
fi

# As the kernel starts init: HOME and TERM, nothing else.
exec env -i HOME=/ TERM=linux /usr/sbin/init

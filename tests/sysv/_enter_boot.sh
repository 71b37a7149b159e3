#!/bin/sh
# Run by boot_test.ts as the first process of new mount/pid/net/uts/ipc
# namespaces (so it is PID 1): builds a private system over the host's
# without changing it, then becomes daybreak's init.
#
# $1: the project root; $2: a staging directory holding etc-init/,
# init.d/, rcN.d/ (link lists), sbin/ (extra programs for /usr/sbin).
# Every mount is made inside the new mount namespace, whose mounts vanish
# with its last process.
set -eu
root=$1
stage=$2
mount --make-rprivate /

# Writable layers live on a tmpfs of this namespace (an overlay's upper
# directory cannot sit on every file system the host may use).
layers=$stage/layers
mkdir -p "$layers"
mount -t tmpfs layers "$layers"
overlay() { # DIR: a writable copy-on-write view of DIR
  name=$(echo "$1" | tr / _)
  mkdir -p "$layers/$name.up" "$layers/$name.work"
  mount -t overlay overlay \
    -o "lowerdir=$1,upperdir=$layers/$name.up,workdir=$layers/$name.work" "$1"
}
overlay /etc
overlay /usr/sbin
overlay /var

# The system's own job and script directories are hidden by fresh ones.
for d in init init.d rc0.d rc1.d rc2.d rc3.d rc4.d rc5.d rc6.d rcS.d; do
  mkdir -p "/etc/$d"
  mount -t tmpfs "etc-$d" "/etc/$d"
done
cp "$stage"/etc-init/*.conf /etc/init/
cp -a "$stage"/init.d/. /etc/init.d/
for d in "$stage"/rc?.d; do
  [ -d "$d" ] || continue
  cp -a "$d"/. "/etc/${d##*/}/"
done
rm -f /etc/inittab
[ -f "$stage/inittab" ] && cp "$stage/inittab" /etc/inittab

for mnt in /run /var/log /var/spool; do
  mkdir -p "$mnt"
  mount -t tmpfs "ns-${mnt##*/}" "$mnt"
done
mkdir -p /var/spool/cron/crontabs /run/lock
: >/run/utmp
: >/var/log/wtmp

# The tools under their usual names, as an installed system has them.
for tool in init telinit runlevel service initctl start stop restart reload status; do
  ln -sf "$root/bin/$tool" "/usr/sbin/$tool"
done
cp -a "$stage"/sbin/. /usr/sbin/

cd /
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/ TERM=linux \
  /usr/sbin/init

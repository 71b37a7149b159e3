#!/bin/sh
# PID 1 of a test guest (busybox sh). Mounts the kernel filesystems, runs /scenario as a child
# and powers off. Its lines on the serial console are read by tests/vm/boot.ts: scenarios print
# "VM-RESULT: PASS name" / "VM-RESULT: FAIL name: reason"; this script prints the final VM-DONE.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=linux
# Without these, deno prepends a node shim to PATH for every child (see
# docs/platform.md#environment) and writes its caches into $HOME/.cache.
export DENO_DIR=/tmp/deno_dir DENO_DISABLE_NODE_SHIM=1 DENO_NO_UPDATE_CHECK=1 RUST_BACKTRACE=0 NO_COLOR=1

. /vmlib.sh
vm_mount_all
hostname daybreak-vm

vm_uptime() { cut -d' ' -f1 /proc/uptime; }
echo "VM-BOOT uptime=$(vm_uptime)"
if [ -x /scenario ]; then
  /scenario </dev/null 2>&1
  rc=$?
else
  echo "VM-RESULT: FAIL init: /scenario is missing or not executable"
  rc=127
fi
echo "VM-DONE exit=$rc uptime=$(vm_uptime)"
sync
poweroff -f
# Only reached if poweroff failed: returning would panic the kernel, which panic=-1 turns into a
# reboot, which -no-reboot turns into a QEMU exit.
sleep 5

# Helpers for guest scenarios (busybox sh): `. /vmlib.sh`. Every check prints exactly one
# VM-RESULT line, which tests/vm/boot.ts verdict() collects.

# vm_mount_all: the kernel filesystems /init mounts; a replacement /init (say, the daybreak
# daemon started by a shell) calls it first.
vm_mount_all() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  mkdir -p /dev/pts /dev/shm
  mount -t devpts devpts /dev/pts
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  mount -t tmpfs -o mode=755 tmpfs /run
  # AppArmor's interface (/sys/kernel/security/apparmor) lives in securityfs.
  mount -t securityfs securityfs /sys/kernel/security
}

# vm_pass NAME
vm_pass() { echo "VM-RESULT: PASS $1"; }

# vm_fail NAME REASON...   (the reason is folded onto one line)
vm_fail() {
  vm_name=$1
  shift
  echo "VM-RESULT: FAIL $vm_name: $(echo "$*" | tr '\n' ' ')"
}

# vm_check NAME CMD [ARG...]   passes when CMD exits 0; otherwise shows its status and output
vm_check() {
  vm_name=$1
  shift
  if vm_out=$("$@" 2>&1); then
    vm_pass "$vm_name"
  else
    vm_fail "$vm_name" "exit $? from $*: $vm_out"
  fi
}

# vm_expect NAME EXPECTED ACTUAL   passes when the two strings are equal
vm_expect() {
  if [ "$2" = "$3" ]; then
    vm_pass "$1"
  else
    vm_fail "$1" "expected '$2', got '$3'"
  fi
}

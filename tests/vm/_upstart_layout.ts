/**
 * The layout of a machine that ran Upstart with daybreak put in its place from a copied checkout
 * (tests/vm/upstart_jobs_boot_test.ts, upstart_jobs_disk_test.ts): the work tree at
 * /opt/daybreak (its deno at tools/deno/node_modules/deno/deno, its npm cache in .deno_dir),
 * /sbin/init a link to /opt/daybreak/bin/init, so that daybreak runs from its TypeScript sources,
 * /sbin/NAME a link to bin/NAME for each tool, Upstart's own rc.conf, rcS.conf, rc-sysinit.conf
 * and control-alt-delete.conf and Ubuntu's tty1.conf unmodified in /etc/init
 * (tests/vm/testdata/upstart/), Debian's real /etc/init.d/rc and rcS (sysv-rc), marker scripts
 * in /etc/rcS.d, /etc/rc2.d and /etc/rc0.d, and a probe job that checks the system at runlevel 2
 * and runs `shutdown -h now`. Nothing in /etc/init emits `filesystem` or `static-network-up`
 * (daybreak's built-in providers must, docs/pid1.md#built-in-providers), and no rc0.d script
 * halts: daybreak's final phase powers off.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { fetchDebs } from "../sysv/_system.ts";
import type { GuestFile } from "./initramfs.ts";
import { prepareVmHost } from "./scenario.ts";

const TESTDATA = fileURLToPath(new URL("./testdata/upstart/", import.meta.url));

/** Upstart's (and Ubuntu's) job files, as `/etc/init` holds them. */
export const UPSTART_JOBS = ["rc", "rcS", "rc-sysinit", "control-alt-delete", "tty1"] as const;

/** The tools linked from /sbin, as the hidden layout has them. */
const TOOLS = [
  "initctl",
  "start",
  "stop",
  "restart",
  "reload",
  "status",
  "telinit",
  "runlevel",
  "shutdown",
  "halt",
  "poweroff",
  "reboot",
  "service",
  "init-checkconf",
] as const;

/** Where the checkout is copied. */
export const AT = "/opt/daybreak";

/** What {@linkcode prepareUpstartLayout} found. */
export type UpstartLayout =
  | { readonly ready: true; readonly debs: string; readonly kernel: string }
  | { readonly ready: false; readonly reason: string };

/**
 * Prepares the VM host and fetches Debian's sysv-rc (rc, rcS) and sysvinit-utils (the
 * init-functions rc reads) into a temporary directory the caller removes.
 */
export async function prepareUpstartLayout(): Promise<UpstartLayout> {
  const host = await prepareVmHost();
  if (!host.ready) return host;
  const debs = await Deno.makeTempDir({ prefix: "daybreak-upstart-debs-" });
  const why = await fetchDebs(debs, ["sysv-rc", "sysvinit-utils"]);
  if (why === null) return { ready: true, debs, kernel: host.kernel };
  await Deno.remove(debs, { recursive: true });
  return { ready: false, reason: why };
}

// An /etc/rcS.d script: proves rc-sysinit ran Debian's rcS (whose rc exports the levels as
// $runlevel and $previous; rc-sysinit empties $RUNLEVEL).
const RCS_MARKER = `#!/bin/sh
case "$1" in
start) echo "$runlevel $previous" > /run/vm-rcS-marker ;;
esac
`;

// An /etc/rc2.d script: proves rc ran /etc/init.d/rc 2, and times the boot.
const RC2_MARKER = `#!/bin/sh
case "$1" in
start)
  echo "$RUNLEVEL $PREVLEVEL" > /run/vm-rc2-marker
  echo "$RUNLEVEL $PREVLEVEL" > /var/vm-rc2-marker
  echo "VM-RC2 uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
  ;;
esac
`;

// An /etc/rc0.d script: the way down ran; then nothing but daybreak powers the machine off.
const RC0_MARKER = `#!/bin/sh
case "$1" in
stop)
  echo "VM-RC0 $RUNLEVEL $PREVLEVEL uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
  # Never synced by hand: on a disk, only daybreak's final phase saves it.
  echo "$RUNLEVEL $PREVLEVEL" > /var/vm-rc0-marker
  echo "VM-DONE exit=0" > /dev/console
  ;;
esac
`;

/** Checks the system at runlevel 2 and shuts it down; the names it passes are {@linkcode PROBE_CHECKS}. */
const PROBE_JOB = String.raw`# vm-probe: checks the booted system at runlevel 2, then shuts it down.
start on stopped rc RUNLEVEL=2
task
script
  exec >/dev/console 2>&1
  . /vmlib.sh
  dmesg | grep -E 'Run /sbin/init as init process' || true
  echo "VM-PROBE uptime=$(cut -d' ' -f1 /proc/uptime)"
  vm_expect pid1-is-deno deno "$(cat /proc/1/comm)"
  if tr '\0' ' ' < /proc/1/cmdline | grep -q "${AT}/daemon/main.ts"; then
    vm_pass pid1-from-sources
  else
    vm_fail pid1-from-sources "$(tr '\0' ' ' < /proc/1/cmdline)"
  fi
  # Ubuntu's tty1 also waits for not-container, which daybreak's built-in container-detect
  # emits (nothing in this /etc/init does): tty1 starts, and its /sbin/getty (busybox's, which
  # refuses -8) fails at once, until the respawn limit stops the job.
  vm_expect container-detect-ran "container-detect stop/waiting" "$(status container-detect 2>&1)"
  vm_expect not-a-container "absent" "$(cat /run/container_type 2>/dev/null || echo absent)"
  # From the probe's environment (the stopped rc event's RUNLEVEL and PREVLEVEL), then from utmp.
  vm_expect runlevel-2 "N 2" "$(runlevel 2>&1)"
  vm_expect runlevel-2-utmp "N 2" "$(env -u RUNLEVEL -u PREVLEVEL runlevel 2>&1)"
  vm_expect rcS-script-ran "S N" "$(cat /run/vm-rcS-marker 2>&1)"
  vm_expect rc2-script-ran "2 N" "$(cat /run/vm-rc2-marker 2>&1)"
  vm_expect status-rc-sysinit "rc-sysinit stop/waiting" "$(status rc-sysinit 2>&1)"
  vm_expect status-rc "rc stop/waiting" "$(status rc 2>&1)"
  list=$(initctl list 2>&1)
  echo "$list" | sed 's/^/INITCTL-LIST: /'
  for job in rc rcS rc-sysinit control-alt-delete tty1; do
    if echo "$list" | grep -Eq "^$job (stop/waiting|start/running(, process [0-9]+)?)$"; then
      vm_pass "list-$job"
    else
      vm_fail "list-$job" "$(echo "$list" | grep "^$job " || echo absent)"
    fi
  done
  tty1=$(status tty1 2>&1)
  echo "TTY1: $tty1"
  # Started at all: its state changes are in the timeline.
  if initctl timeline --json | grep -Eq '"job": ?"tty1"'; then
    vm_pass tty1-was-started
  else
    vm_fail tty1-was-started "no state change of tty1 in the timeline"
  fi
  case $tty1 in
  "tty1 stop/waiting" | "tty1 start/running, process "*) vm_pass tty1-started-or-gave-up ;;
  *) vm_fail tty1-started-or-gave-up "$tty1" ;;
  esac
  vm_check checkconf-upstart init-checkconf /etc/init/rc-sysinit.conf
  vm_check shutdown-asks-init shutdown -h now
end script
`;

/** The names of the probe's checks. */
export const PROBE_CHECKS: readonly string[] = [
  "pid1-is-deno",
  "pid1-from-sources",
  "container-detect-ran",
  "not-a-container",
  "runlevel-2",
  "runlevel-2-utmp",
  "rcS-script-ran",
  "rc2-script-ran",
  "status-rc-sysinit",
  "status-rc",
  ...UPSTART_JOBS.map((j) => `list-${j}`),
  "tty1-was-started",
  "tty1-started-or-gave-up",
  "checkconf-upstart",
  "shutdown-asks-init",
];

/**
 * The guest's files beside the checkout.
 *
 * @param debs where {@linkcode prepareUpstartLayout} fetched the packages
 */
export function upstartGuestFiles(debs: string): Record<string, GuestFile> {
  const files: Record<string, GuestFile> = {
    "/sbin/init": { symlink: `${AT}/bin/init` },
    "/lib/init/rc": { hostPath: `${debs}/x/lib/init/rc`, mode: 0o755 },
    "/lib/init/rcS": { hostPath: `${debs}/x/lib/init/rcS`, mode: 0o755 },
    "/etc/init.d/rc": { symlink: "/lib/init/rc" },
    "/etc/init.d/rcS": { symlink: "/lib/init/rcS" },
    "/lib/lsb/init-functions": { hostPath: `${debs}/x/lib/lsb/init-functions` },
    "/lib/lsb/init-functions.d/00-verbose": {
      hostPath: `${debs}/x/lib/lsb/init-functions.d/00-verbose`,
    },
    "/etc/init.d/vm-rcs-marker": { text: RCS_MARKER, mode: 0o755 },
    "/etc/init.d/vm-rc2-marker": { text: RC2_MARKER, mode: 0o755 },
    "/etc/init.d/vm-rc0-marker": { text: RC0_MARKER, mode: 0o755 },
    "/etc/rcS.d/S01vm-rcs-marker": { symlink: "../init.d/vm-rcs-marker" },
    "/etc/rc2.d/S01vm-rc2-marker": { symlink: "../init.d/vm-rc2-marker" },
    "/etc/rc0.d/S01vm-rc0-marker": { symlink: "../init.d/vm-rc0-marker" },
    "/etc/init/vm-probe.conf": { text: PROBE_JOB },
  };
  for (const tool of TOOLS) files[`/sbin/${tool}`] = { symlink: `${AT}/bin/${tool}` };
  for (const job of UPSTART_JOBS) {
    files[`/etc/init/${job}.conf`] = { hostPath: `${TESTDATA}${job}.conf` };
  }
  return files;
}

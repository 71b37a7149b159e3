// A machine that ran Upstart, with daybreak put in its place from a copied checkout: the work
// tree at /opt/daybreak (its deno at tools/deno/node_modules/deno/deno, its npm cache in
// .deno_dir), /sbin/init a link to /opt/daybreak/bin/init (so daybreak runs from its TypeScript
// sources, not from dist/), /sbin/NAME a link to bin/NAME for each tool, Upstart's own rc.conf,
// rcS.conf, rc-sysinit.conf and control-alt-delete.conf and Ubuntu's tty1.conf unmodified in
// /etc/init (tests/vm/testdata/upstart/), and Debian's real /etc/init.d/rc and rcS (sysv-rc).
// Nothing in /etc/init emits `filesystem` or `static-network-up`: daybreak's built-in providers
// must (docs/pid1.md#built-in-providers). On the way up rc-sysinit runs rcS (an /etc/rcS.d script
// leaves a marker), then `telinit 2` by its bare name; rc runs /etc/rc2.d (a marker script). At
// runlevel 2 a probe job checks `runlevel`, `initctl list`, `status`, then runs
// `shutdown -h now`: /etc/rc0.d has no halt script, so daybreak's final phase powers off.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { fetchDebs } from "../sysv/_system.ts";
import type { GuestFile } from "./initramfs.ts";
import { assertVmPassed, prepareVmHost, runVmScenario } from "./scenario.ts";

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

const AT = "/opt/daybreak";

const host = await prepareVmHost();
const debs = await Deno.makeTempDir({ prefix: "daybreak-upstart-boot-" });
const fetched = host.ready ? await fetchDebs(debs, ["sysv-rc", "sysvinit-utils"]) : host.reason;
const skip = fetched === null ? "" : ` (skipped: ${fetched})`;
if (fetched !== null) await Deno.remove(debs, { recursive: true });

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
  echo "VM-RC2 uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
  ;;
esac
`;

// An /etc/rc0.d script: the way down ran; then nothing but daybreak powers the machine off.
const RC0_MARKER = `#!/bin/sh
case "$1" in
stop)
  echo "VM-RC0 $RUNLEVEL uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
  echo "VM-DONE exit=0" > /dev/console
  ;;
esac
`;

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
  vm_expect runlevel-2 "N 2" "$(runlevel 2>&1)"
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
  vm_check checkconf-upstart init-checkconf /etc/init/rc-sysinit.conf
  vm_check shutdown-asks-init shutdown -h now
end script
`;

function guestFiles(): Record<string, GuestFile> {
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

Deno.test(
  `daybreak from its sources boots Upstart's own jobs to runlevel 2 and powers off${skip}`,
  {
    ignore: skip !== "",
  },
  async () => {
    try {
      const result = await runVmScenario({
        name: "upstart-jobs-boot",
        script: "exit 0\n", // /init (and so /scenario) does not run: rdinit=/sbin/init
        withDaybreak: true,
        daybreakAt: AT,
        files: guestFiles(),
        append: "rdinit=/sbin/init printk.time=1",
        // Under TCG each deno start from the sources takes seconds (its modules are transpiled once,
        // then cached in the guest's .deno_dir), far more on a loaded machine.
        timeoutMs: 900_000,
      });
      // deno-lint-ignore no-console -- the boot's timings, reported beside the result
      console.log(
        result.serial.split("\n").filter((l) => /VM-(RC|PROBE)|Run \/sbin\/init/.test(l)).join(
          "\n",
        ),
        `\nboot ${result.bootMs} ms, image ${result.buildMs} ms`,
      );
      assertVmPassed(result, [
        "pid1-is-deno",
        "pid1-from-sources",
        "runlevel-2",
        "rcS-script-ran",
        "rc2-script-ran",
        "status-rc-sysinit",
        "status-rc",
        ...UPSTART_JOBS.map((j) => `list-${j}`),
        "checkconf-upstart",
        "shutdown-asks-init",
      ]);
      // No script of runlevel 0 halts: daybreak's final phase powered the machine off.
      assert.match(result.serial, /VM-RC0 0/);
      assert.match(result.serial, /reboot: Power down/);
      assert.equal(result.exitCode, 0);
    } finally {
      await Deno.remove(debs, { recursive: true }).catch(() => {});
    }
  },
);

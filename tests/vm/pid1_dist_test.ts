// daybreak as the kernel's PID 1, from the artifact: `deno task dist` installed at / with
// `deno task install` (tools/install.ts), booted with rdinit=/sbin/init. The default jobs run:
// mountall mounts and emits filesystem, network emits static-network-up, and the probe job
// started by both checks the system from inside, then runs `shutdown -P now`: the runlevel 0
// event starts a stand-in for rc0's last script, which powers the machine off with halt -f.
import assert from "node:assert/strict";
import { assertVmPassed, prepareVmHost, runVmScenario } from "./scenario.ts";

const host = await prepareVmHost();
const skip = host.ready ? "" : ` (skipped: ${host.reason})`;

const PROBE_JOB = String.raw`# vm-probe: checks the booted system from inside, then powers off.
start on filesystem and static-network-up
task
script
  exec >/dev/console 2>&1
  . /vmlib.sh
  vm_pass boot-reached-jobs
  vm_expect pid1-is-deno deno "$(cat /proc/1/comm)"
  vm_expect initctl-version "init (upstart 1.13.2)" "$(initctl version 2>&1 | head -n1)"
  vm_expect mountall-done "mountall stop/waiting" "$(initctl status mountall 2>&1)"
  vm_expect network-done "network stop/waiting" "$(initctl status network 2>&1)"
  vm_check proc-mounted grep -q "^proc /proc proc" /proc/mounts
  vm_check dev-mounted grep -q " /dev devtmpfs" /proc/mounts
  vm_check lo-up sh -c "ip link show lo | grep -q UP"
  # The way down: shutdown emits runlevel 0, which starts the stand-in for rc0's last script.
  vm_check shutdown-asks-init shutdown -P now
end script
`;

// What Debian's /etc/init.d/halt does at the end of runlevel 0, in one job.
const HALT_JOB = String.raw`# vm-halt: the last step of runlevel 0 or 6.
start on runlevel [06]
task
script
  exec >/dev/console 2>&1
  . /vmlib.sh
  vm_expect runlevel-0-poweroff "0 POWEROFF" "$RUNLEVEL $INIT_HALT"
  echo "VM-DONE exit=0"
  # By path: busybox sh runs its own applet for a bare "halt", whatever PATH says.
  exec /sbin/halt -d -f -i -p -h
end script
`;

Deno.test(`daybreak from dist boots as PID 1 and answers initctl${skip}`, {
  ignore: !host.ready,
}, async () => {
  const result = await runVmScenario({
    name: "pid1-dist",
    script: "exit 0\n", // /init (and so /scenario) does not run: rdinit=/sbin/init
    withDist: true,
    files: {
      "/etc/init/vm-probe.conf": { text: PROBE_JOB },
      "/etc/init/vm-halt.conf": { text: HALT_JOB },
    },
    append: "rdinit=/sbin/init",
    memoryMb: 1024,
    // Under TCG every deno start takes 1.5 s or more (each initctl emit of mountall is one), and
    // far more on a loaded machine.
    timeoutMs: 480_000,
  });
  assertVmPassed(result, [
    "boot-reached-jobs",
    "pid1-is-deno",
    "initctl-version",
    "mountall-done",
    "network-done",
    "proc-mounted",
    "dev-mounted",
    "lo-up",
    "shutdown-asks-init",
    "runlevel-0-poweroff",
  ]);
  // halt -f powered the machine off: QEMU ended by itself, before the timeout.
  assert.match(result.serial, /reboot: Power down/);
});

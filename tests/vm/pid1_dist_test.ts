// daybreak as the kernel's PID 1, from the artifact: `deno task dist` installed at / with
// `deno task install` (tools/install.ts), booted with rdinit=/sbin/init. The default jobs run:
// mountall mounts and emits filesystem, network emits static-network-up, and the probe job
// started by both checks the system from inside and powers the machine off with halt -f.
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
  echo "VM-DONE exit=0"
  sync
  exec poweroff -f
end script
`;

Deno.test(`daybreak from dist boots as PID 1 and answers initctl${skip}`, {
  ignore: !host.ready,
}, async () => {
  const result = await runVmScenario({
    name: "pid1-dist",
    script: "exit 0\n", // /init (and so /scenario) does not run: rdinit=/sbin/init
    withDist: true,
    files: { "/etc/init/vm-probe.conf": { text: PROBE_JOB } },
    append: "rdinit=/sbin/init",
    memoryMb: 1024,
    // Under TCG every deno start takes 1.5 s or more (each initctl emit of mountall is one), and
    // far more on a loaded machine.
    timeoutMs: 300_000,
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
  ]);
});

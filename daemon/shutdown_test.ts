import assert from "node:assert/strict";
import {
  type FinalPorts,
  finalSequence,
  readOnlyPlan,
  runFinalSequence,
  ShutdownTrigger,
} from "./shutdown.ts";
import { FakeClock } from "../tests/fakes/fake_clock.ts";
import { FakeMachine } from "../tests/fakes/fake_machine.ts";

/** Lets promise callbacks run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

function rig(remaining: () => number) {
  const machine = new FakeMachine();
  machine.mountTable = [
    { mountPoint: "/", fsType: "ext4" },
    { mountPoint: "/proc", fsType: "proc" },
    { mountPoint: "/run", fsType: "tmpfs" },
    { mountPoint: "/home", fsType: "ext4" },
  ];
  const clock = new FakeClock();
  const log: string[] = [];
  let jobsStopped = 0;
  const ports: FinalPorts = {
    machine,
    clock,
    stopJobs: () => {
      jobsStopped++;
      machine.calls.push("(jobs stopped)");
      return Promise.resolve();
    },
    remaining,
    log: (p, m) => log.push(`${p}: ${m}`),
  };
  return { machine, clock, log, ports, jobsStopped: () => jobsStopped };
}

Deno.test("finalSequence: jobs, TERM, grace, KILL, sync, read-only, sync, reboot(2) by action", () => {
  const steps = finalSequence("poweroff", 3000);
  assert.deepEqual(steps.map((s) => s.step), [
    "stop-jobs",
    "kill-all",
    "grace",
    "kill-all",
    "grace",
    "sync",
    "read-only",
    "sync",
    "reboot",
  ]);
  assert.deepEqual(steps.at(-1), { step: "reboot", command: "power-off" });
  assert.deepEqual(finalSequence("halt").at(-1), { step: "reboot", command: "halt" });
  assert.deepEqual(finalSequence("reboot").at(-1), { step: "reboot", command: "restart" });
});

Deno.test("readOnlyPlan: innermost first, the kernel's own file systems kept, / remounted", () => {
  assert.deepEqual(
    readOnlyPlan([
      { mountPoint: "/", fsType: "ext4" },
      { mountPoint: "/sys", fsType: "sysfs" },
      { mountPoint: "/var", fsType: "xfs" },
      { mountPoint: "/var/lib", fsType: "ext4" },
      { mountPoint: "/dev/pts", fsType: "devpts" },
    ]),
    [
      { target: "/var/lib", how: "unmount" },
      { target: "/var", how: "unmount" },
      { target: "/", how: "remount" },
    ],
  );
});

Deno.test("runFinalSequence: the grace period lasts while processes remain, then SIGKILL and power-off", async () => {
  let left = 2;
  const r = rig(() => left);
  const done = runFinalSequence(finalSequence("poweroff", 1000), r.ports);
  await settle();
  assert.deepEqual(r.machine.calls, ["(jobs stopped)", "killAll 15"]);
  r.clock.advance(500);
  await settle();
  assert.deepEqual(r.machine.calls, ["(jobs stopped)", "killAll 15"], "still in the grace period");
  left = 0;
  r.clock.advance(100);
  await settle();
  await done;
  assert.deepEqual(r.machine.calls, [
    "(jobs stopped)",
    "killAll 15",
    "killAll 9",
    "sync",
    "unmount /home 0",
    "unmount /run 0",
    "mount  /  33 -",
    "sync",
    "reboot power-off",
  ]);
  assert.equal(r.clock.now(), 600, "ended early: nothing was left");
  assert.equal(r.jobsStopped(), 1);
  assert.ok(r.log.includes("error: reboot(2) returned: the machine is still up"));
});

Deno.test("runFinalSequence: the grace period ends at its limit; a busy mount is remounted read-only", async () => {
  const r = rig(() => 1);
  r.machine.failing.add("unmount");
  const done = runFinalSequence(finalSequence("reboot", 1000), r.ports);
  for (let i = 0; i < 25; i++) {
    r.clock.advance(100);
    await settle();
  }
  await done;
  assert.deepEqual(r.machine.calls.slice(0, 4), [
    "(jobs stopped)",
    "killAll 15",
    "killAll 9",
    "sync",
  ]);
  assert.ok(r.machine.calls.includes("mount  /home  33 -"), r.machine.calls.join("\n"));
  assert.equal(r.machine.calls.at(-1), "reboot restart");
  assert.ok(r.clock.now() >= 2000, "the whole grace period, then a second after SIGKILL");
});

Deno.test("runFinalSequence: in a PID namespace the host's file systems are left alone", async () => {
  const r = rig(() => 0);
  r.machine.owner = false;
  await runFinalSequence(finalSequence("halt"), r.ports);
  assert.deepEqual(r.machine.calls, [
    "(jobs stopped)",
    "killAll 15",
    "killAll 9",
    "sync",
    "sync",
    "reboot halt",
  ]);
});

Deno.test("runFinalSequence: a failing step is logged and the next one runs", async () => {
  const r = rig(() => 0);
  r.machine.failing.add("killAll");
  r.machine.owner = false;
  await runFinalSequence(finalSequence("reboot"), r.ports);
  assert.equal(r.machine.calls.at(-1), "reboot restart");
  assert.ok(r.log.some((l) => l.startsWith("error: Shutdown step kill-all failed")));
});

Deno.test("ShutdownTrigger: rc stopped after runlevel 0 or 6, or no rc job at all", () => {
  const t = new ShutdownTrigger();
  assert.equal(t.event("stopped", ["JOB=rc", "RUNLEVEL=0"], true), null, "no runlevel 0 yet");
  assert.equal(t.event("runlevel", ["RUNLEVEL=0", "PREVLEVEL=2"], true), null);
  assert.equal(t.pending, "poweroff", "INIT_HALT missing means power off");
  assert.equal(t.event("stopped", ["JOB=tty1", "RUNLEVEL=0"], true), null);
  assert.equal(t.event("stopped", ["JOB=rc", "RUNLEVEL=0"], true), "poweroff");

  assert.equal(t.event("runlevel", ["RUNLEVEL=2"], true), null);
  assert.equal(t.pending, null, "a later runlevel cancels");
  assert.equal(t.event("stopped", ["JOB=rc", "RUNLEVEL=2"], true), null);

  assert.equal(t.event("runlevel", ["RUNLEVEL=6", "PREVLEVEL=2"], false), "reboot", "no rc job");
  assert.equal(t.event("runlevel", ["RUNLEVEL=0", "INIT_HALT=HALT"], false), "halt");
  assert.equal(t.event("runlevel", ["RUNLEVEL=0", "INIT_HALT=POWEROFF"], false), "poweroff");
});

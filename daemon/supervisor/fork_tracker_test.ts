import assert from "node:assert/strict";
import {
  EXPECT_GRACE_MS as GRACE,
  EXPECT_SETTLE_MS as SETTLE,
  runScenario,
} from "./testdata/run_scenario.ts";

// Bounds are the scenario's grace period and settle time, not how fast this machine is.

function assertTrackedSleep(r: Record<string, unknown>): void {
  assert.equal(r.subreaper, true);
  assert.equal(typeof r.tracked, "number");
  assert.equal(r.isMain, false, "the forked process, not the spawned one");
  assert.equal(r.comm, "sleep");
  assert.deepEqual(r.trackedExit, { signal: 15 }, "its exit is seen through the reaper");
  assert.deepEqual(r.leftChildren, []);
}

Deno.test("trackForks() follows a single fork (expect fork)", async () => {
  const r = await runScenario("fork");
  assertTrackedSleep(r);
  assert.ok((r.ms as number) < GRACE, `settled in ${r.ms} ms`);
});

Deno.test("trackForks() follows a double fork (expect daemon)", async () => {
  const classic = await runScenario("daemonClassic");
  assertTrackedSleep(classic);
  assert.ok((classic.ms as number) < GRACE, "a setsid()-then-fork daemon needs no grace period");
  const subshell = await runScenario("daemonDouble");
  assertTrackedSleep(subshell);
  assert.ok((subshell.ms as number) < SETTLE, `settled in ${subshell.ms} ms`);
});

Deno.test("trackForks() accepts a daemon that forked only once after the grace period", async () => {
  const r = await runScenario("daemonForkedOnce");
  assertTrackedSleep(r);
  assert.equal(r.ownSession, true);
  assert.ok((r.ms as number) >= GRACE - 50 && (r.ms as number) < SETTLE, `settled in ${r.ms} ms`);
});

Deno.test("trackForks() sees through a script wrapper's extra fork", async () => {
  const r = await runScenario("scriptWrapper");
  assertTrackedSleep(r);
});

Deno.test("trackForks() does not hang on a process that never forks", async () => {
  const r = await runScenario("neverForks");
  assert.equal(r.isMain, true, "the spawned process itself is supervised");
  assert.ok(
    (r.ms as number) >= SETTLE - 100 && (r.ms as number) < 2 * SETTLE,
    `settled in ${r.ms} ms`,
  );
  assert.deepEqual(r.trackedExit, { signal: 15 });
  assert.deepEqual(r.leftChildren, []);
});

Deno.test("trackForks() reports nothing left when the process exits without forking", async () => {
  const r = await runScenario("exitsWithoutFork");
  assert.equal(r.tracked, null);
  assert.deepEqual(r.main, { code: 5 });
  assert.ok((r.ms as number) < GRACE, `settled in ${r.ms} ms`);
  assert.deepEqual(r.leftChildren, []);
});

Deno.test("trackStop() continues a process that stopped itself (expect stop)", async () => {
  const r = await runScenario("stop");
  assert.equal(r.isMain, true);
  assert.equal(r.resumed, "resumed\n");
  assert.deepEqual(r.mainExit, { code: 0 });
  assert.deepEqual(r.leftChildren, []);
});

Deno.test("FdSpawner gives console output the daemon's own stdio", async () => {
  const r = await runScenario("output");
  assert.deepEqual([r.same, r.stdin], [true, true]);
  assert.deepEqual(r.leftChildren, []);
});

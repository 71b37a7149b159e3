/**
 * The engine and driver with spawns whose pid arrives later (`ProcessSpawner.spawnAsync`): every
 * path where a process is being spawned (pid 0) when something else happens.
 */
import assert from "node:assert/strict";
import { EngineHarness } from "../tests/fakes/engine_harness.ts";

const SVC = { svc: "respawn\nexec /bin/svc" };

Deno.test("a spawn under way: status shows no pid, the driver counts it, the pid comes later", async () => {
  const h = new EngineHarness(SVC, { holdSpawns: true });
  h.start("svc");
  assert.equal(h.state("svc"), "start/spawned");
  assert.deepEqual(h.engine.status("svc").processes, [], "no pid 0 in the status");
  assert.equal(h.driver.spawning, 1);
  assert.deepEqual(h.driver.livePids(), []);
  let settled = false;
  const done = h.driver.spawnsSettled().then(() => settled = true);
  await null;
  assert.equal(settled, false, "not settled while the spawn is under way");
  h.spawner.releaseSpawns();
  await done;
  assert.equal(h.state("svc"), "start/running");
  const pid = h.pid("svc");
  assert.deepEqual(h.engine.status("svc").processes, [{ process: "main", pid }]);
  assert.deepEqual(h.driver.livePids(), [pid]);
  assert.equal(h.driver.spawning, 0);
});

Deno.test("a stop while the main spawn is under way kills the process once its pid arrives", () => {
  const h = new EngineHarness(SVC, { holdSpawns: true });
  h.start("svc");
  h.stop("svc");
  assert.equal(h.state("svc"), "stop/spawned", "it waits for the pid");
  assert.deepEqual(h.spawner.kills, [], "nothing to signal yet");
  h.spawner.releaseSpawns();
  const pid = h.spawner.spawns[0]!.pid;
  assert.deepEqual(h.spawner.kills, [{ pid, signal: 15, group: true }]);
  assert.equal(h.spawner.live.length, 0, "the process is gone");
  assert.equal(h.state("svc"), "stop/waiting");
});

Deno.test("a spawn failure that arrives late fails the job like an immediate one", () => {
  const h = new EngineHarness(SVC, { holdSpawns: true });
  h.spawner.failSpawns("svc", "main", "unable to execute: No such file or directory");
  h.start("svc");
  assert.equal(h.state("svc"), "start/spawned");
  h.spawner.releaseSpawns();
  assert.equal(h.state("svc"), "stop/waiting");
  assert.ok(
    h.messages("warn").includes(
      "Failed to spawn svc main process: unable to execute: No such file or directory",
    ),
  );
  assert.equal(h.driver.spawning, 0);
});

Deno.test("a respawn under way: the new pid arrives later and the job runs again", () => {
  const h = new EngineHarness(SVC, { holdSpawns: true });
  h.start("svc");
  h.spawner.releaseSpawns();
  const first = h.pid("svc");
  h.signal("svc", "KILL");
  assert.equal(h.state("svc"), "start/spawned", "respawning, its spawn under way");
  assert.deepEqual(h.driver.livePids(), []);
  h.spawner.releaseSpawns();
  assert.equal(h.state("svc"), "start/running");
  assert.notEqual(h.pid("svc"), first);
  assert.deepEqual(h.driver.livePids(), [h.pid("svc")]);
});

Deno.test("a stop while a pre-start hook's spawn is under way interrupts the hook once it runs", () => {
  // docs/behaviour.md#fix-hooks: a stop signals a running pre-start hook.
  const h = new EngineHarness({ svc: "pre-start exec /bin/pre\nexec /bin/svc" }, {
    holdSpawns: true,
    engine: { stopInterruptsHooks: true },
  });
  h.start("svc");
  assert.equal(h.state("svc"), "start/pre-start");
  h.stop("svc");
  assert.deepEqual(h.spawner.kills, []);
  h.spawner.releaseSpawns();
  const pre = h.spawner.spawns[0]!;
  assert.equal(pre.process, "pre-start");
  assert.deepEqual(h.spawner.kills, [{ pid: pre.pid, signal: 15, group: true }]);
  assert.equal(h.state("svc"), "stop/waiting");
  assert.equal(h.spawner.spawns.length, 1, "the main process never ran");
});

Deno.test("spawns of a burst may complete in any order; each instance gets its own pid", () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) files[`s${i}`] = "exec /bin/svc";
  const h = new EngineHarness(files, { holdSpawns: true });
  for (let i = 0; i < 20; i++) h.start(`s${i}`);
  assert.equal(h.driver.spawning, 20);
  h.spawner.releaseSpawns(7);
  h.spawner.releaseSpawns();
  for (let i = 0; i < 20; i++) {
    assert.equal(h.state(`s${i}`), "start/running");
    assert.equal(h.spawner.find(`s${i}`)?.pid, h.pid(`s${i}`));
  }
  assert.equal(h.driver.livePids().length, 20);
});

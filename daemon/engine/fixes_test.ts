// The opt-in fixes of docs/behaviour.md#fix-restart, docs/behaviour.md#fix-hooks and
// docs/behaviour.md#fix-respawn (see the top of engine.ts).
import assert from "node:assert/strict";
import { EngineHarness, jobs } from "../../tests/fakes/engine_harness.ts";
import { Engine } from "./engine.ts";

Deno.test("restartKeepsEnv: restart keeps the start environment, K=V overrides it", () => {
  const h = new EngineHarness({ j: "exec d" }, { engine: { restartKeepsEnv: true } });
  h.start("j", ["B=1", "C=1"]);
  h.restart("j");
  assert.ok(h.spawner.find("j")?.env.includes("B=1"));
  h.restart("j", ["C=2"]);
  const env = h.spawner.find("j")?.env ?? [];
  assert.ok(env.includes("B=1") && env.includes("C=2") && !env.includes("C=1"));
});

Deno.test("restartFullCycle: a job with pre-stop really restarts, with its new definition", () => {
  const [v1, v2] = [
    jobs({ j: "exec old\npre-stop exec drain" })[0]!,
    jobs({ j: "exec new\npre-stop exec drain" })[0]!,
  ];
  const h = new EngineHarness([v1], { engine: { restartFullCycle: true } });
  h.start("j");
  const pid = h.pid("j");
  h.apply(h.engine.upsertClass(v2));
  h.clear();
  h.restart("j", [], "w");
  h.exit("j", "pre-stop");
  assert.notEqual(h.pid("j"), pid);
  assert.equal(h.spawner.find("j")?.command, "new");
  assert.equal(h.engine.getClass("j"), v2);
  assert.deepEqual(h.events, [
    "stopping JOB=j INSTANCE= RESULT=ok",
    "starting JOB=j INSTANCE=",
    "started JOB=j INSTANCE=",
  ]);
  assert.equal(h.notifications.get("w")?.ok, true);
});

Deno.test("stopInterruptsHooks: stop signals a running pre-start, then kills it", () => {
  const h = new EngineHarness(
    { j: "kill timeout 3\npre-start exec hang\nexec d" },
    { engine: { stopInterruptsHooks: true }, dieOnSignal: false },
  );
  h.start("j");
  const pre = h.pid("j", "pre-start");
  h.stop("j", [], "w");
  assert.deepEqual(h.spawner.kills, [{ pid: pre, signal: 15, group: true }]);
  h.advance(3000);
  assert.deepEqual(h.spawner.kills[1], { pid: pre, signal: 9, group: true });
  h.signal("j", "KILL", "pre-start");
  assert.deepEqual(h.events.slice(-1), ["stopped JOB=j INSTANCE= RESULT=ok"]);
  assert.equal(h.notifications.get("w")?.ok, true);
  assert.equal(h.spawner.spawns.some((p) => p.process === "main"), false);
});

Deno.test("stopInterruptsHooks: a hook still being spawned is signalled once spawned", () => {
  const engine = new Engine({ stopInterruptsHooks: true });
  engine.setClasses(jobs({ j: "pre-start exec p\nexec d" }));
  const spawn = engine.start("j").find((e) => e.type === "spawn");
  assert.ok(spawn?.type === "spawn" && spawn.process === "pre-start");
  assert.equal(engine.stop("j").some((e) => e.type === "kill"), false);
  const out = engine.dispatch({
    type: "spawned",
    instance: spawn.instanceId,
    process: "pre-start",
    pid: 77,
  });
  assert.deepEqual(out.filter((e) => e.type === "kill" || e.type === "armTimer"), [
    { type: "kill", pid: 77, signal: 15, group: true },
    { type: "armTimer", id: `${spawn.instanceId}:kill:pre-start`, ms: 5000 },
  ]);
});

Deno.test("without stopInterruptsHooks a stop waits for pre-start (Upstart)", () => {
  const h = new EngineHarness({ j: "pre-start exec hang\nexec d" });
  h.start("j");
  h.stop("j");
  h.advance(60_000);
  assert.deepEqual(h.spawner.kills, []);
  assert.equal(h.state("j"), "stop/pre-start");
});

Deno.test("hookTimeout: a hung pre-start is signalled and the job fails", () => {
  const h = new EngineHarness(
    { j: "pre-start exec hang\nexec d" },
    { engine: { hookTimeout: 10 } },
  );
  h.start("j", [], "w");
  const pre = h.pid("j", "pre-start");
  h.advance(9_999);
  assert.deepEqual(h.spawner.kills, []);
  h.advance(1);
  assert.deepEqual(h.spawner.kills, [{ pid: pre, signal: 15, group: true }]);
  assert.ok(h.messages("warn").includes(`j pre-start process (${pre}) timed out, killing it`));
  assert.deepEqual(h.events.slice(-1), [
    "stopped JOB=j INSTANCE= RESULT=failed PROCESS=pre-start EXIT_SIGNAL=TERM",
  ]);
  assert.equal(h.notifications.get("w")?.ok, false);
});

Deno.test("hookTimeout: a hook that finishes in time cancels its timer", () => {
  const h = new EngineHarness({ j: "pre-start exec p\nexec d" }, { engine: { hookTimeout: 10 } });
  h.start("j");
  h.exit("j", "pre-start");
  assert.deepEqual(h.clock.pending, []);
  h.advance(20_000);
  assert.equal(h.state("j"), "start/running");
});

Deno.test("respawnBackoff: respawning too fast waits, doubling the delay", () => {
  const h = new EngineHarness(
    { flaky: "respawn\nrespawn limit 1 10\nexec false" },
    { engine: { respawnBackoff: { baseMs: 1000, maxMs: 3000 } } },
  );
  h.start("flaky");
  h.exit("flaky", "main", 1); // first respawn of the window: immediate
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const spawned = h.spawner.spawns.length;
    h.exit("flaky", "main", 1);
    assert.equal(h.state("flaky"), "start/post-stop");
    let waited = 0;
    while (h.spawner.spawns.length === spawned) {
      h.advance(100);
      waited += 100;
    }
    delays.push(waited);
  }
  assert.deepEqual(delays, [1000, 2000, 3000, 3000]);
  assert.ok(h.messages("warn").includes("flaky respawning too fast, next respawn in 2000 ms"));
});

Deno.test("respawnBackoff: a stop during the delay ends the job", () => {
  const h = new EngineHarness(
    { flaky: "respawn\nrespawn limit 1 10\nexec false" },
    { engine: { respawnBackoff: { baseMs: 1000, maxMs: 8000 } } },
  );
  h.start("flaky");
  h.exit("flaky", "main", 1);
  h.exit("flaky", "main", 1);
  h.stop("flaky", [], "w");
  assert.equal(h.engine.instancesOf("flaky").length, 0);
  assert.deepEqual(h.clock.pending, []);
  assert.equal(h.notifications.get("w")?.ok, true);
});

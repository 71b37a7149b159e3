// Event blocking (see docs/events.md#evaluation, docs/events.md#job-events): one test per row of
// the ordering idioms table, the partial-and-holds-the-event quirk, and failed events.
import assert from "node:assert/strict";
import { EngineHarness } from "../../tests/fakes/engine_harness.ts";

Deno.test("start on starting A (service B): A stays in starting until B is running", () => {
  const h = new EngineHarness({
    a: "exec daemon-a",
    b: "start on starting a\npre-start exec prepare\nexec daemon-b",
  });
  h.start("a", [], "wa");
  assert.equal(h.state("a"), "start/starting");
  assert.equal(h.state("b"), "start/pre-start");
  assert.equal(h.notifications.has("wa"), false);
  h.exit("b", "pre-start");
  assert.equal(h.state("b"), "start/running");
  assert.equal(h.state("a"), "start/running");
  assert.deepEqual(h.events, [
    "starting JOB=a INSTANCE=",
    "starting JOB=b INSTANCE=",
    "started JOB=b INSTANCE=",
    "started JOB=a INSTANCE=",
  ]);
  assert.equal(h.notifications.get("wa")?.ok, true);
});

Deno.test("start on starting A (task B): A stays in starting until B has finished", () => {
  const h = new EngineHarness({
    a: "exec daemon-a",
    b: "start on starting a\ntask\nexec setup",
  });
  h.start("a");
  assert.equal(h.state("b"), "start/running");
  assert.equal(h.state("a"), "start/starting");
  h.exit("b");
  assert.equal(h.state("a"), "start/running");
  assert.deepEqual(h.events, [
    "starting JOB=a INSTANCE=",
    "starting JOB=b INSTANCE=",
    "started JOB=b INSTANCE=",
    "stopping JOB=b INSTANCE= RESULT=ok",
    "stopped JOB=b INSTANCE= RESULT=ok",
    "started JOB=a INSTANCE=",
  ]);
});

Deno.test("start on started A: B starts after A is running and A is not delayed", () => {
  const h = new EngineHarness({
    a: "exec daemon-a",
    b: "start on started a\npre-start exec prepare\nexec daemon-b",
  });
  h.start("a", [], "wa");
  assert.equal(h.state("a"), "start/running");
  assert.equal(h.notifications.get("wa")?.ok, true);
  assert.equal(h.state("b"), "start/pre-start");
  h.exit("b", "pre-start");
  assert.deepEqual(h.events, [
    "starting JOB=a INSTANCE=",
    "started JOB=a INSTANCE=",
    "starting JOB=b INSTANCE=",
    "started JOB=b INSTANCE=",
  ]);
});

Deno.test("stop on stopping A: A stays in stopping, main alive, until B has stopped", () => {
  const h = new EngineHarness({
    a: "start on go\nexec daemon-a",
    b: "start on go\nstop on stopping a\nexec daemon-b\npost-stop exec cleanup",
  });
  h.emit("go");
  const pidA = h.pid("a");
  h.clear();
  h.stop("a", [], "wa");
  assert.equal(h.state("a"), "stop/stopping");
  assert.equal(h.spawner.find("a")?.pid, pidA);
  assert.equal(h.state("b"), "stop/post-stop");
  h.exit("b", "post-stop");
  assert.equal(h.engine.instancesOf("a").length, 0);
  assert.deepEqual(h.events, [
    "stopping JOB=a INSTANCE= RESULT=ok",
    "stopping JOB=b INSTANCE= RESULT=ok",
    "stopped JOB=b INSTANCE= RESULT=ok",
    "stopped JOB=a INSTANCE= RESULT=ok",
  ]);
  assert.deepEqual(h.notifications.get("wa"), {
    ok: true,
    status: { job: "a", instance: "", goal: "stop", state: "waiting", processes: [] },
  });
});

Deno.test("start on stopping A: A stays in stopping until task B has finished", () => {
  const h = new EngineHarness({
    a: "exec daemon-a",
    b: "start on stopping a\ntask\nexec save-state",
  });
  h.start("a");
  h.clear();
  h.stop("a");
  assert.equal(h.state("a"), "stop/stopping");
  assert.equal(h.spawner.find("a") !== undefined, true);
  h.exit("b");
  assert.equal(h.engine.instancesOf("a").length, 0);
  assert.deepEqual(h.events, [
    "stopping JOB=a INSTANCE= RESULT=ok",
    "starting JOB=b INSTANCE=",
    "started JOB=b INSTANCE=",
    "stopping JOB=b INSTANCE= RESULT=ok",
    "stopped JOB=b INSTANCE= RESULT=ok",
    "stopped JOB=a INSTANCE= RESULT=ok",
  ]);
});

Deno.test("start on stopped A: B runs after A fully stopped and A is not delayed", () => {
  const h = new EngineHarness({
    a: "exec daemon-a",
    b: "start on stopped a\ntask\nexec report",
  });
  h.start("a");
  h.clear();
  h.stop("a", [], "wa");
  assert.equal(h.engine.instancesOf("a").length, 0);
  assert.equal(h.notifications.get("wa")?.ok, true);
  assert.equal(h.state("b"), "start/running");
  assert.deepEqual(h.events, [
    "stopping JOB=a INSTANCE= RESULT=ok",
    "stopped JOB=a INSTANCE= RESULT=ok",
    "starting JOB=b INSTANCE=",
    "started JOB=b INSTANCE=",
  ]);
});

Deno.test("a partially satisfied and holds its event until the rest arrives", () => {
  const h = new EngineHarness({ both: "start on ev-a and ev-b\nexec daemon" });
  h.emit("ev-b", [], "wb");
  assert.equal(h.notifications.has("wb"), false);
  assert.equal(h.state("both"), "stop/waiting");
  h.emit("ev-a", [], "wa");
  assert.deepEqual(h.notifications.get("wb"), { ok: true, status: null });
  assert.deepEqual(h.notifications.get("wa"), { ok: true, status: null });
  assert.deepEqual(h.events, [
    "ev-b",
    "ev-a",
    "starting JOB=both INSTANCE=",
    "started JOB=both INSTANCE=",
  ]);
  assert.ok(h.spawner.find("both")?.env.includes("UPSTART_EVENTS=ev-a ev-b"));
});

Deno.test("an event that started a service finishes when it runs, a task when it is done", () => {
  const h = new EngineHarness({
    svc: "start on go\npre-start exec prepare\nexec daemon",
    job: "start on go\ntask\nexec work",
  });
  h.emit("go", [], "w");
  h.exit("svc", "pre-start");
  assert.equal(h.notifications.has("w"), false);
  h.exit("job");
  assert.deepEqual(h.notifications.get("w"), { ok: true, status: null });
});

Deno.test("an event for an instance already started is handled at once", () => {
  const h = new EngineHarness({ svc: "start on go\nexec daemon" });
  h.start("svc");
  h.clear();
  h.emit("go", [], "w");
  assert.deepEqual(h.events, ["go"]);
  assert.deepEqual(h.notifications.get("w"), { ok: true, status: null });
});

Deno.test("a failed event answers EventFailed and emits NAME/failed with its environment", () => {
  const h = new EngineHarness({
    boom: "start on boom\ntask\nexec false",
    after: "start on boom/failed\ntask\nexec report",
  });
  h.emit("boom", ["K=v"], "w");
  h.exit("boom", "main", 1);
  assert.deepEqual(h.notifications.get("w"), {
    ok: false,
    code: "EventFailed",
    message: "Event failed",
  });
  assert.deepEqual(h.events, [
    "boom K=v",
    "starting JOB=boom INSTANCE=",
    "started JOB=boom INSTANCE=",
    "stopping JOB=boom INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=1",
    "boom/failed K=v",
    "stopped JOB=boom INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=1",
    "starting JOB=after INSTANCE=",
    "started JOB=after INSTANCE=",
  ]);
  const env = h.spawner.find("after")?.env ?? [];
  assert.ok(env.includes("K=v") && env.includes("UPSTART_EVENTS=boom/failed"));
});

Deno.test("a failed NAME/failed event emits nothing further", () => {
  const h = new EngineHarness({ f: "start on x/failed\ntask\nexec false" });
  h.emit("x/failed", [], "w");
  h.exit("f", "main", 2);
  assert.equal(h.notifications.get("w")?.ok, false);
  assert.equal(h.events.filter((e) => e.startsWith("x/failed/failed")).length, 0);
});

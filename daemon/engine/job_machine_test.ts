// One test per row of the docs/behaviour.md#states transition table, driven through the engine with
// fakes.
import assert from "node:assert/strict";
import { EngineHarness } from "../../tests/fakes/engine_harness.ts";

function idOf(h: EngineHarness, job: string): number {
  const inst = h.engine.instancesOf(job)[0];
  assert.ok(inst, `${job} has an instance`);
  return inst.id;
}

const UP = [
  "waiting>starting",
  "starting>security",
  "security>pre-start",
  "pre-start>spawned",
  "spawned>post-start",
  "post-start>running",
];
const DOWN = ["stopping>killed", "killed>post-stop", "post-stop>waiting"];

Deno.test("waiting: goal start moves to starting; the instance is destroyed on returning", () => {
  const h = new EngineHarness({ abstract: "" });
  h.start("abstract");
  assert.deepEqual(h.stateChanges("abstract"), UP);
  assert.deepEqual(h.events, ["starting JOB=abstract INSTANCE=", "started JOB=abstract INSTANCE="]);
  h.clear();
  h.stop("abstract");
  assert.deepEqual(h.stateChanges("abstract"), ["running>stopping", ...DOWN]);
  assert.deepEqual(h.events, [
    "stopping JOB=abstract INSTANCE= RESULT=ok",
    "stopped JOB=abstract INSTANCE= RESULT=ok",
  ]);
  assert.deepEqual(h.engine.instancesOf("abstract"), []);
  assert.equal(h.state("abstract"), "stop/waiting");
});

Deno.test("starting: waits for its event, then security (start) or stopping (stop)", async (t) => {
  const files = {
    a: "exec daemon-a",
    b: "start on starting a\npre-start exec prepare\nexec daemon-b",
  };
  await t.step("goal start", () => {
    const h = new EngineHarness(files);
    h.start("a");
    assert.equal(h.state("a"), "start/starting");
    h.exit("b", "pre-start");
    assert.deepEqual(h.stateChanges("a"), UP);
    assert.deepEqual(h.events, [
      "starting JOB=a INSTANCE=",
      "starting JOB=b INSTANCE=",
      "started JOB=b INSTANCE=",
      "started JOB=a INSTANCE=",
    ]);
  });
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("a");
    h.stop("a");
    assert.equal(h.state("a"), "stop/starting");
    h.exit("b", "pre-start");
    assert.deepEqual(h.stateChanges("a"), ["waiting>starting", "starting>stopping", ...DOWN]);
    assert.deepEqual(h.events, [
      "starting JOB=a INSTANCE=",
      "starting JOB=b INSTANCE=",
      "started JOB=b INSTANCE=",
      "stopping JOB=a INSTANCE= RESULT=ok",
      "stopped JOB=a INSTANCE= RESULT=ok",
    ]);
  });
});

Deno.test("security: loads the profile, then pre-start (start) or stopping (stop)", async (t) => {
  const files = { sec: "apparmor load /etc/apparmor.d/sec\nexec daemon" };
  await t.step("goal start", () => {
    const h = new EngineHarness(files);
    h.start("sec");
    const load = h.effects.find((e) => e.type === "loadSecurity");
    assert.deepEqual(load, {
      type: "loadSecurity",
      instanceId: idOf(h, "sec"),
      job: "sec",
      instance: "",
      profile: "/etc/apparmor.d/sec",
    });
    assert.equal(h.state("sec"), "start/security");
    h.feed({ type: "securityLoaded", instance: idOf(h, "sec"), ok: true });
    assert.deepEqual(h.stateChanges("sec"), UP);
    assert.equal(h.state("sec"), "start/running");
  });
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("sec");
    h.stop("sec");
    h.feed({ type: "securityLoaded", instance: idOf(h, "sec"), ok: true });
    assert.deepEqual(h.stateChanges("sec"), [
      "waiting>starting",
      "starting>security",
      "security>stopping",
      ...DOWN,
    ]);
    assert.equal(h.spawner.spawns.length, 0);
  });
});

Deno.test("pre-start: spawned after it exits (start); stopping, main never run (stop)", async (t) => {
  const files = { pre: "pre-start exec check\nexec daemon" };
  await t.step("goal start", () => {
    const h = new EngineHarness(files);
    h.start("pre");
    assert.equal(h.state("pre"), "start/pre-start");
    h.exit("pre", "pre-start", 0);
    assert.deepEqual(h.stateChanges("pre"), UP);
    assert.equal(h.spawner.find("pre", "main")?.command, "daemon");
  });
  await t.step("goal stop (stop inside pre-start)", () => {
    const h = new EngineHarness(files);
    h.start("pre", [], "w");
    const pid = h.pid("pre", "pre-start");
    h.stop("pre");
    // The waiting start is answered at once, with the status as it is now (see
    // docs/tools.md#status-line).
    assert.deepEqual(h.notifications.get("w"), {
      ok: true,
      status: {
        job: "pre",
        instance: "",
        goal: "stop",
        state: "pre-start",
        processes: [{ process: "pre-start", pid }],
      },
    });
    h.exit("pre", "pre-start", 0);
    assert.deepEqual(h.stateChanges("pre").slice(3), ["pre-start>stopping", ...DOWN]);
    assert.equal(h.spawner.find("pre", "main"), undefined);
    assert.deepEqual(h.events, [
      "starting JOB=pre INSTANCE=",
      "stopping JOB=pre INSTANCE= RESULT=ok",
      "stopped JOB=pre INSTANCE= RESULT=ok",
    ]);
  });
});

Deno.test("spawned: post-start once the main process settled (start); stopping (stop)", async (t) => {
  const files = { stopper: "expect stop\nexec daemon" };
  await t.step("goal start", () => {
    const h = new EngineHarness(files);
    h.start("stopper");
    assert.equal(h.state("stopper"), "start/spawned");
    h.feed({ type: "stopped", pid: h.pid("stopper") });
    assert.deepEqual(h.stateChanges("stopper"), UP);
  });
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("stopper");
    const pid = h.pid("stopper");
    h.stop("stopper");
    assert.equal(h.state("stopper"), "stop/spawned");
    h.feed({ type: "stopped", pid });
    assert.deepEqual(h.stateChanges("stopper").slice(4), ["spawned>stopping", ...DOWN]);
    assert.deepEqual(h.spawner.kills, [{ pid, signal: 15, group: true }]);
  });
});

Deno.test("post-start: running after it exits (start); stopping, failure ignored (stop)", async (t) => {
  const files = { post: "exec daemon\npost-start exec wait-ready" };
  await t.step("goal start", () => {
    const h = new EngineHarness(files);
    h.start("post");
    const status = h.engine.status("post");
    assert.deepEqual(status.processes.map((p) => p.process), ["main", "post-start"]);
    assert.equal(h.state("post"), "start/post-start");
    h.exit("post", "post-start", 0);
    assert.deepEqual(h.stateChanges("post"), UP);
  });
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("post");
    h.stop("post");
    assert.equal(h.state("post"), "stop/post-start");
    h.exit("post", "post-start", 1);
    assert.deepEqual(h.stateChanges("post").slice(5), ["post-start>stopping", ...DOWN]);
    assert.deepEqual(h.events.slice(-1), ["stopped JOB=post INSTANCE= RESULT=ok"]);
  });
});

Deno.test("running: pre-stop if the main process lives, else stopping; start only by respawn", async (t) => {
  await t.step("goal stop, main alive", () => {
    const h = new EngineHarness({ svc: "exec daemon" });
    h.start("svc");
    h.stop("svc");
    assert.deepEqual(h.stateChanges("svc").slice(6), [
      "running>pre-stop",
      "pre-stop>stopping",
      ...DOWN,
    ]);
  });
  await t.step("goal stop, no main process", () => {
    const h = new EngineHarness({ abstract: "" });
    h.start("abstract");
    h.stop("abstract");
    assert.deepEqual(h.stateChanges("abstract").slice(6), ["running>stopping", ...DOWN]);
  });
  await t.step("goal start (the main process died, respawn)", () => {
    const h = new EngineHarness({ svc: "respawn\nexec daemon" });
    h.start("svc");
    h.exit("svc", "main", 1);
    assert.deepEqual(h.stateChanges("svc").slice(6, 8), ["running>stopping", "stopping>killed"]);
    assert.equal(h.state("svc"), "start/running");
  });
});

Deno.test("pre-stop: running when the stop was cancelled (start); stopping (stop)", async (t) => {
  const files = { ps: "exec daemon\npre-stop exec drain" };
  await t.step("goal start (start inside pre-stop)", () => {
    const h = new EngineHarness(files);
    h.start("ps");
    const pid = h.pid("ps");
    h.stop("ps");
    assert.equal(h.state("ps"), "stop/pre-stop");
    h.clear();
    h.start("ps", [], "w");
    h.exit("ps", "pre-stop", 0);
    assert.deepEqual(h.stateChanges("ps"), ["pre-stop>running"]);
    assert.equal(h.pid("ps"), pid);
    assert.deepEqual(h.events, []);
    assert.equal(h.notifications.get("w")?.ok, true);
  });
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("ps");
    h.stop("ps");
    h.exit("ps", "pre-stop", 1);
    assert.deepEqual(h.stateChanges("ps").slice(6), [
      "running>pre-stop",
      "pre-stop>stopping",
      ...DOWN,
    ]);
    assert.deepEqual(h.events.slice(-1), ["stopped JOB=ps INSTANCE= RESULT=ok"]);
  });
});

Deno.test("stopping: killed once the stopping event finished, whatever the goal", async (t) => {
  const files = {
    a: "exec daemon",
    b: "start on stopping a\ntask\nexec cleanup",
  };
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("a");
    h.stop("a");
    assert.equal(h.state("a"), "stop/stopping");
    h.exit("b");
    assert.deepEqual(h.stateChanges("a").slice(7), ["pre-stop>stopping", ...DOWN]);
  });
  await t.step("goal start (start while stopping: the instance starts again)", () => {
    const h = new EngineHarness(files);
    h.start("a");
    h.stop("a");
    h.start("a");
    assert.equal(h.state("a"), "start/stopping");
    h.clear();
    h.exit("b");
    assert.deepEqual(h.stateChanges("a"), [
      "stopping>killed",
      "killed>post-stop",
      "post-stop>starting",
      ...UP.slice(1),
    ]);
    assert.deepEqual(h.events, [
      "stopping JOB=b INSTANCE= RESULT=ok",
      "stopped JOB=b INSTANCE= RESULT=ok",
      "starting JOB=a INSTANCE=",
      "started JOB=a INSTANCE=",
    ]);
  });
});

Deno.test("killed: kill signal to the group, SIGKILL after kill timeout, then post-stop", () => {
  const h = new EngineHarness(
    { stubborn: "kill signal INT\nkill timeout 2\nexec daemon" },
    { dieOnSignal: false },
  );
  h.start("stubborn");
  const pid = h.pid("stubborn");
  h.stop("stubborn");
  assert.equal(h.state("stubborn"), "stop/killed");
  assert.deepEqual(h.spawner.kills, [{ pid, signal: 2, group: true }]);
  h.advance(1999);
  assert.equal(h.spawner.kills.length, 1);
  h.advance(1);
  assert.deepEqual(h.spawner.kills[1], { pid, signal: 9, group: true });
  assert.ok(h.messages().includes(`Sending KILL signal to stubborn main process (${pid})`));
  h.signal("stubborn", "KILL");
  assert.deepEqual(h.stateChanges("stubborn").slice(-2), ["killed>post-stop", "post-stop>waiting"]);
  assert.deepEqual(h.events.slice(-1), ["stopped JOB=stubborn INSTANCE= RESULT=ok"]);
});

Deno.test("post-stop: waiting after it exits (stop); starting again (start)", async (t) => {
  const files = { ps: "exec daemon\npost-stop exec cleanup" };
  await t.step("goal stop", () => {
    const h = new EngineHarness(files);
    h.start("ps");
    h.stop("ps");
    assert.equal(h.state("ps"), "stop/post-stop");
    h.exit("ps", "post-stop", 0);
    assert.deepEqual(h.stateChanges("ps").slice(-1), ["post-stop>waiting"]);
  });
  await t.step("goal start", () => {
    const h = new EngineHarness(files);
    h.start("ps");
    h.stop("ps");
    h.start("ps", ["B=2"], "w");
    h.clear();
    h.exit("ps", "post-stop", 0);
    assert.deepEqual(h.stateChanges("ps"), ["post-stop>starting", ...UP.slice(1)]);
    assert.deepEqual(h.events, ["starting JOB=ps INSTANCE=", "started JOB=ps INSTANCE="]);
    assert.ok(h.spawner.find("ps")?.env.includes("B=2"));
    assert.equal(h.notifications.get("w")?.ok, true);
  });
});

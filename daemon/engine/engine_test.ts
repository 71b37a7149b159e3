// The Engine's request API: validation and errors (see docs/tools.md#error-messages), status,
// waiters, restart, reload, job event environments, reconfiguration (see
// docs/configuration.md#reload) and session end (see docs/behaviour.md#user-session).
import assert from "node:assert/strict";
import { EngineHarness, jobs } from "../../tests/fakes/engine_harness.ts";
import { Engine } from "./engine.ts";
import { EngineError } from "./errors.ts";

function throwsEngine(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("requests fail with Upstart's messages and change nothing", () => {
  const h = new EngineHarness({
    svc: "exec d",
    inst: 'instance $N\nusage "inst N=x"\nexec d',
  });
  const e = h.engine;
  throwsEngine(() => e.start("nosuch"), "UnknownJob", "Unknown job: nosuch");
  throwsEngine(() => e.status("nosuch"), "UnknownJob", "Unknown job: nosuch");
  throwsEngine(() => e.stop("svc"), "UnknownInstance", "Unknown instance: ");
  throwsEngine(() => e.start("svc", ["NOEQUALS"]), "InvalidArgs", "Env must be KEY=VALUE pairs");
  throwsEngine(() => e.emit(""), "InvalidArgs", "Name may not be empty string");
  throwsEngine(() => e.emit("x", ["=v"]), "InvalidArgs", "Env must be KEY=VALUE pairs");
  throwsEngine(() => e.start("inst"), "UnknownParameter", "Unknown parameter: N");
  assert.throws(() => e.start("inst"), (err: EngineError) => err.data.usage === "inst N=x");
  h.start("inst", ["N=a"]);
  throwsEngine(
    () => e.start("inst", ["N=a"]),
    "AlreadyStarted",
    "Job is already running: inst (a)",
  );
  throwsEngine(() => e.stop("inst", ["N=b"]), "UnknownInstance", "Unknown instance: b");
  throwsEngine(() => e.reload("inst", ["N=b"]), "UnknownInstance", "Unknown instance: b");
  assert.deepEqual(h.engine.instancesOf("inst").map((i) => i.name), ["a"]);
});

Deno.test("stopping twice is AlreadyStopped; restarting a stopping job names the instance", () => {
  const h = new EngineHarness({
    svc: "exec d\npost-stop exec clean",
    inst: "instance $N\nexec d\npost-stop exec clean",
  });
  h.start("svc");
  h.stop("svc");
  throwsEngine(() => h.engine.stop("svc"), "AlreadyStopped", "Job has already been stopped: svc");
  throwsEngine(() => h.engine.restart("svc"), "AlreadyStopped", "Job has already been stopped: ");
  h.start("inst", ["N=a"]);
  h.stop("inst", ["N=a"]);
  throwsEngine(
    () => h.engine.stop("inst", ["N=a"]),
    "AlreadyStopped",
    "Job has already been stopped: inst (a)",
  );
});

Deno.test("reload sends the reload signal to the main pid only", () => {
  const h = new EngineHarness({ svc: "reload signal USR1\nexec d", abstract: "" });
  h.start("svc");
  h.start("abstract");
  assert.deepEqual(h.engine.reload("svc"), [
    { type: "kill", pid: h.pid("svc"), signal: 10, group: false },
  ]);
  throwsEngine(() => h.engine.reload("abstract"), "NotRunning", "Job is not running: abstract");
  assert.equal(h.state("svc"), "start/running");
});

Deno.test("status lists live processes in the fixed order; no instance is stop/waiting", () => {
  const h = new EngineHarness({
    ps: "exec d\npost-start exec wait\npre-stop exec drain",
    inst: "instance $N\nexec d",
  });
  assert.deepEqual(h.engine.status("ps"), {
    job: "ps",
    instance: "",
    goal: "stop",
    state: "waiting",
    processes: [],
  });
  h.start("ps");
  const main = h.pid("ps");
  assert.deepEqual(h.engine.status("ps").processes, [
    { process: "main", pid: main },
    { process: "post-start", pid: h.pid("ps", "post-start") },
  ]);
  throwsEngine(() => h.engine.status("inst", ["N=z"]), "UnknownInstance", "Unknown instance: z");
  h.start("inst", ["N=a"]);
  h.start("inst", ["N=b"]);
  assert.deepEqual(
    h.engine.list().map((s) =>
      `${s.job}${s.instance ? ` (${s.instance})` : ""} ${s.goal}/${s.state}`
    ),
    ["ps start/post-start", "inst (a) start/running", "inst (b) start/running"],
  );
});

Deno.test("job events carry JOB, INSTANCE, RESULT… then exported variables not present", () => {
  const h = new EngineHarness({
    exp: "instance $N\nexport RUNLEVEL JOB MISSING RUNLEVEL\nenv RUNLEVEL=2\nexec d",
  });
  h.start("exp", ["N=a", "JOB=fake"]);
  h.exit("exp", "main", 1);
  assert.deepEqual(h.events, [
    "starting JOB=exp INSTANCE=a RUNLEVEL=2",
    "started JOB=exp INSTANCE=a RUNLEVEL=2",
    "stopping JOB=exp INSTANCE=a RESULT=failed PROCESS=main EXIT_STATUS=1 RUNLEVEL=2",
    "stopped JOB=exp INSTANCE=a RESULT=failed PROCESS=main EXIT_STATUS=1 RUNLEVEL=2",
  ]);
});

Deno.test("the process environment: global table, class env, K=V, UPSTART_JOB/INSTANCE", () => {
  const h = new EngineHarness(
    { j: "instance $N\nenv A=1\nexec d" },
    { engine: { initEnv: ["PATH=/bin", "SECRET=x"], sessionAddress: "unix:abstract=/s" } },
  );
  h.engine.setGlobalEnv([...h.engine.getGlobalEnv(), "G=1"]);
  h.start("j", ["N=a", "A=2"]);
  assert.deepEqual(h.spawner.find("j")?.env, [
    "PATH=/bin",
    "G=1",
    "A=2",
    "N=a",
    "UPSTART_JOB=j",
    "UPSTART_INSTANCE=a",
    "UPSTART_SESSION=unix:abstract=/s",
  ]);
});

Deno.test("waiters learn failures with the request's message", async (t) => {
  await t.step("start", () => {
    const h = new EngineHarness({ j: "pre-start exec p\nexec d" });
    h.start("j", [], 1);
    h.exit("j", "pre-start", 1);
    assert.deepEqual(h.notifications.get(1), {
      ok: false,
      code: "JobFailed",
      message: "Job failed to start",
    });
  });
  await t.step("restart", () => {
    const h = new EngineHarness({ j: "pre-start exec p\nexec d" });
    h.start("j");
    h.exit("j", "pre-start");
    h.restart("j", [], 2);
    h.exit("j", "pre-start", 1);
    assert.deepEqual(h.notifications.get(2), {
      ok: false,
      code: "JobFailed",
      message: "Job failed to restart",
    });
  });
  await t.step("a new request answers the previous waiter", () => {
    const h = new EngineHarness({ j: "pre-start exec p\nexec d" });
    h.start("j", [], 3);
    h.stop("j", [], 4);
    assert.equal(h.notifications.get(3)?.ok, true);
    h.exit("j", "pre-start");
    assert.equal(h.notifications.get(4)?.ok, true);
  });
});

Deno.test("restart cycles stopping, starting, started and drops the start environment", () => {
  const h = new EngineHarness({ j: "exec d" });
  h.start("j", ["B=1"]);
  const first = h.pid("j");
  h.clear();
  h.restart("j", [], "w");
  assert.deepEqual(h.events, [
    "stopping JOB=j INSTANCE= RESULT=ok",
    "starting JOB=j INSTANCE=",
    "started JOB=j INSTANCE=",
  ]);
  assert.notEqual(h.pid("j"), first);
  assert.ok(!h.spawner.find("j")?.env.includes("B=1"));
  assert.equal(h.notifications.get("w")?.ok, true);
});

Deno.test("restart of a job with pre-stop keeps the same main process", () => {
  const h = new EngineHarness({ j: "exec d\npre-stop exec drain" });
  h.start("j");
  const pid = h.pid("j");
  h.restart("j", [], "w");
  h.exit("j", "pre-stop");
  assert.equal(h.pid("j"), pid);
  assert.equal(h.state("j"), "start/running");
  assert.equal(h.notifications.get("w")?.ok, true);
});

Deno.test("a replaced class applies once its running instance has stopped", () => {
  const [v1, v2] = [jobs({ j: "exec old" })[0]!, jobs({ j: "exec new" })[0]!];
  const h = new EngineHarness([v1]);
  h.start("j");
  h.apply(h.engine.upsertClass(v2));
  h.restart("j");
  assert.equal(h.spawner.find("j")?.command, "old");
  assert.ok(h.messages("warn").includes("j definition changed; restart keeps the old one"));
  h.stop("j");
  assert.equal(h.engine.getClass("j"), v2);
  h.start("j");
  assert.equal(h.spawner.find("j")?.command, "new");
});

Deno.test("a removed class disappears when its last instance stops", () => {
  const h = new EngineHarness({ j: "exec d", other: "" });
  h.start("j");
  h.apply(h.engine.setClasses(jobs({ other: "" })));
  assert.equal(h.state("j"), "start/running");
  h.stop("j");
  assert.throws(() => h.engine.status("j"), EngineError);
  assert.deepEqual(h.engine.list().map((s) => s.job), ["other"]);
});

Deno.test("re-registering an unchanged class keeps its partial start on", () => {
  const h = new EngineHarness({ j: "start on a and b\nexec d" });
  h.emit("a");
  h.apply(h.engine.setClasses(jobs({ j: "start on a and b\nexec d" })));
  h.emit("b");
  assert.equal(h.state("j"), "start/running");
});

Deno.test("replacing a class releases the events its start on held", () => {
  const h = new EngineHarness({ j: "start on a and b\nexec d" });
  h.emit("a", [], "w");
  assert.equal(h.notifications.has("w"), false);
  h.apply(h.engine.upsertClass(jobs({ j: "start on c\nexec d" })[0]!));
  assert.deepEqual(h.notifications.get("w"), { ok: true, status: null });
});

Deno.test("session end emits session-end, disables respawn and stops everything", () => {
  const h = new EngineHarness({
    svc: "respawn\nexec d",
    bye: "start on session-end\ntask\nexec say-bye",
  });
  h.start("svc");
  h.apply(h.engine.sessionEnd("shutdown"));
  assert.equal(h.events[2], "session-end TYPE=shutdown");
  assert.equal(h.engine.instancesOf("svc").length, 0);
  const env = h.spawner.find("bye")?.env ?? [];
  assert.ok(env.includes("TYPE=shutdown") && env.includes("UPSTART_EVENTS=session-end"));
});

Deno.test("session end with respawning disabled makes a dying service fail", () => {
  const h = new EngineHarness({ svc: "respawn\nexec d" });
  h.start("svc");
  h.apply(h.engine.sessionEnd("shutdown"));
  assert.equal(h.engine.instancesOf("svc").length, 0);
  h.start("svc");
  h.exit("svc", "main", 1);
  assert.ok(
    h.events.includes("stopping JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=1"),
  );
});

Deno.test("logout lets session-end jobs run for the grace period first", () => {
  const h = new EngineHarness({
    svc: "exec d",
    bye: "start on session-end\ntask\nexec say-bye",
  });
  h.start("svc");
  h.apply(h.engine.sessionEnd("logout"));
  assert.equal(h.state("svc"), "start/running");
  assert.equal(h.state("bye"), "start/running");
  h.advance(5000);
  assert.equal(h.engine.hasInstances(), false);
});

Deno.test("dispatch() ignores inputs for unknown pids, instances and timers", () => {
  const e = new Engine();
  e.setClasses(jobs({ j: "exec d" }));
  assert.deepEqual(e.dispatch({ type: "processExited", pid: 99, status: { code: 0 }, now: 0 }), []);
  assert.deepEqual(e.dispatch({ type: "spawned", instance: 7, process: "main", pid: 5 }), []);
  assert.deepEqual(e.dispatch({ type: "timer", id: "nope" }), []);
});

Deno.test("logsInfo: info lines only while wanted; the same states either way", () => {
  let wanted = false;
  const engine = new Engine({ initEnv: ["PATH=/bin"], logsInfo: () => wanted });
  engine.setClasses(jobs({ a: "start on go\nexec d", b: "exec e" }));
  const quiet = engine.emit("go");
  const levels = (effects: readonly { type: string; level?: string }[]) =>
    effects.filter((e) => e.type === "log").map((e) => e.level);
  assert.deepEqual(levels(quiet).filter((l) => l === "info"), []);
  assert.ok(quiet.some((e) => e.type === "spawn"), "the start goes on");
  assert.equal(engine.status("a").state, "spawned");
  wanted = true;
  const loud = engine.start("b");
  assert.ok(levels(loud).includes("info"));
  assert.ok(
    loud.some((e) => e.type === "log" && e.message === "b state changed from waiting to starting"),
  );
});

// Process endings (see docs/behaviour.md#exits), job kinds (see docs/behaviour.md#job-kinds), the
// respawn limit (see docs/behaviour.md#respawn), expect (see docs/behaviour.md#expect).
import assert from "node:assert/strict";
import { EngineHarness } from "../../tests/fakes/engine_harness.ts";

const stopEvents = (h: EngineHarness) => h.events.filter((e) => /^stopp(ing|ed) /.test(e));

Deno.test("a failing pre-start fails the job and the main process never runs", () => {
  const h = new EngineHarness({ pre: "pre-start exec check\nexec daemon" });
  h.start("pre", [], "w");
  h.exit("pre", "pre-start", 4);
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=pre INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=4",
    "stopped JOB=pre INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=4",
  ]);
  assert.equal(h.spawner.find("pre", "main"), undefined);
  assert.deepEqual(h.notifications.get("w"), {
    ok: false,
    code: "JobFailed",
    message: "Job failed to start",
  });
  assert.ok(h.messages("warn").includes(`pre pre-start process (1000) terminated with status 4`));
});

Deno.test("a pre-start killed by a signal reports EXIT_SIGNAL", () => {
  const h = new EngineHarness({ pre: "pre-start exec check\nexec daemon" });
  h.start("pre");
  h.signal("pre", "SEGV", "pre-start");
  assert.deepEqual(
    stopEvents(h)[0],
    "stopping JOB=pre INSTANCE= RESULT=failed PROCESS=pre-start EXIT_SIGNAL=SEGV",
  );
});

Deno.test("a main process exiting non-zero fails the job with its status", () => {
  const h = new EngineHarness({ failer: "exec sh -c 'exit 3'" });
  h.start("failer");
  h.exit("failer", "main", 3);
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=failer INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3",
    "stopped JOB=failer INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3",
  ]);
  assert.ok(h.messages("warn").includes("failer main process (1000) terminated with status 3"));
});

Deno.test("a main process killed from outside reports EXIT_SIGNAL=KILL", () => {
  const h = new EngineHarness({ svc: "exec daemon" });
  h.start("svc");
  h.signal("svc", "KILL");
  assert.deepEqual(
    stopEvents(h)[1],
    "stopped JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=KILL",
  );
  assert.ok(h.messages("warn").includes("svc main process (1000) killed by KILL signal"));
});

Deno.test("a signal without a name is reported by number", () => {
  const h = new EngineHarness({ svc: "exec daemon" });
  h.start("svc");
  h.feed({ type: "processExited", pid: h.pid("svc"), status: { signal: 40 }, now: 0 });
  assert.deepEqual(
    stopEvents(h)[0],
    "stopping JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=40",
  );
  assert.ok(h.messages("warn").includes("svc main process (1000) killed by signal 40"));
});

Deno.test("a main process exiting zero stops a service with RESULT=ok", () => {
  const h = new EngineHarness({ svc: "exec daemon" });
  h.start("svc");
  h.exit("svc", "main", 0);
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=svc INSTANCE= RESULT=ok",
    "stopped JOB=svc INSTANCE= RESULT=ok",
  ]);
  assert.ok(h.messages().includes("svc main process (1000) exited normally"));
});

Deno.test("statuses and signals in normal exit are not failures and log at info", () => {
  const h = new EngineHarness({ svc: "normal exit 3 TERM\nexec daemon" });
  h.start("svc");
  h.exit("svc", "main", 3);
  assert.equal(stopEvents(h)[0], "stopping JOB=svc INSTANCE= RESULT=ok");
  assert.ok(!h.messages("warn").some((m) => m.includes("terminated")));
  assert.ok(h.messages("info").includes("svc main process (1000) terminated with status 3"));
  h.clear();
  h.start("svc");
  h.signal("svc", "TERM");
  assert.equal(stopEvents(h)[0], "stopping JOB=svc INSTANCE= RESULT=ok");
});

Deno.test("normal exit above 255: a multiple of 256 is a signal, anything else never matches", () => {
  const h = new EngineHarness({ svc: "normal exit 256 300\nexec daemon" });
  h.start("svc");
  h.signal("svc", "HUP");
  assert.equal(stopEvents(h)[0], "stopping JOB=svc INSTANCE= RESULT=ok");
  h.clear();
  h.start("svc");
  h.feed({ type: "processExited", pid: h.pid("svc"), status: { code: 44 }, now: 0 });
  assert.equal(
    stopEvents(h)[0],
    "stopping JOB=svc INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=44",
  );
});

Deno.test("post-start and pre-stop failures are ignored", () => {
  const h = new EngineHarness({
    svc: "exec daemon\npost-start exec wait-ready\npre-stop exec drain",
  });
  h.start("svc", [], "w");
  h.exit("svc", "post-start", 1);
  assert.equal(h.state("svc"), "start/running");
  assert.equal(h.notifications.get("w")?.ok, true);
  h.stop("svc");
  h.signal("svc", "TERM", "pre-stop");
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=svc INSTANCE= RESULT=ok",
    "stopped JOB=svc INSTANCE= RESULT=ok",
  ]);
});

Deno.test("a failing post-stop fails the job and the stop request", () => {
  const h = new EngineHarness({ svc: "exec daemon\npost-stop exec cleanup" });
  h.start("svc");
  h.stop("svc", [], "w");
  h.exit("svc", "post-stop", 2);
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=svc INSTANCE= RESULT=ok",
    "stopped JOB=svc INSTANCE= RESULT=failed PROCESS=post-stop EXIT_STATUS=2",
  ]);
  assert.deepEqual(h.notifications.get("w"), {
    ok: false,
    code: "JobFailed",
    message: "Job failed while stopping",
  });
});

Deno.test("a main spawn failure fails the job without exit variables", () => {
  const h = new EngineHarness({ nobin: "exec /nonexistent" });
  h.spawner.failSpawns("nobin", "main", "unable to execute: No such file or directory");
  h.start("nobin", [], "w");
  assert.ok(
    h.messages("warn").includes(
      "Failed to spawn nobin main process: unable to execute: No such file or directory",
    ),
  );
  assert.deepEqual(h.events, [
    "starting JOB=nobin INSTANCE=",
    "stopping JOB=nobin INSTANCE= RESULT=failed PROCESS=main",
    "stopped JOB=nobin INSTANCE= RESULT=failed PROCESS=main",
  ]);
  assert.equal(h.notifications.get("w")?.ok, false);
});

Deno.test("a post-start spawn failure is ignored", () => {
  const h = new EngineHarness({ svc: "exec daemon\npost-start exec /nonexistent" });
  h.spawner.failSpawns("svc", "post-start", "unable to execute: No such file or directory");
  h.start("svc");
  assert.equal(h.state("svc"), "start/running");
});

Deno.test("a failed AppArmor load fails the job with PROCESS=security", () => {
  const h = new EngineHarness({ sec: "apparmor load /p\nexec daemon" });
  h.start("sec", [], "w");
  const id = h.engine.instancesOf("sec")[0]!.id;
  h.feed({ type: "securityLoaded", instance: id, ok: false, message: "parser failed" });
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=sec INSTANCE= RESULT=failed PROCESS=security",
    "stopped JOB=sec INSTANCE= RESULT=failed PROCESS=security",
  ]);
  assert.ok(h.messages("warn").includes("Failed to spawn sec security process: parser failed"));
  assert.equal(h.spawner.spawns.length, 0);
});

Deno.test("the main process dying while stopping or killed is never a failure", () => {
  const h = new EngineHarness({
    svc: "exec daemon",
    hold: "start on stopping svc\ntask\nexec slow",
  });
  h.start("svc");
  h.stop("svc");
  assert.equal(h.state("svc"), "stop/stopping");
  h.exit("svc", "main", 7);
  h.exit("hold");
  assert.deepEqual(stopEvents(h).filter((e) => e.includes("JOB=svc")), [
    "stopping JOB=svc INSTANCE= RESULT=ok",
    "stopped JOB=svc INSTANCE= RESULT=ok",
  ]);
});

Deno.test("a task's start waiter is answered when it is back to waiting", () => {
  const h = new EngineHarness({ work: "task\nexec work" });
  h.start("work", [], "w");
  assert.equal(h.state("work"), "start/running");
  assert.equal(h.notifications.has("w"), false);
  h.exit("work");
  assert.deepEqual(h.notifications.get("w"), {
    ok: true,
    status: { job: "work", instance: "", goal: "stop", state: "waiting", processes: [] },
  });
});

Deno.test("a task is never respawned after exit 0", () => {
  const h = new EngineHarness({ work: "task\nrespawn\nexec work" });
  h.start("work");
  h.exit("work");
  assert.equal(h.state("work"), "stop/waiting");
  assert.equal(h.spawner.spawns.length, 1);
});

Deno.test("an abstract job runs without a pid; its pre-start and post-stop still run", () => {
  const h = new EngineHarness({ state: "pre-start exec mark\npost-stop exec unmark" });
  h.start("state", [], "w");
  h.exit("state", "pre-start");
  assert.deepEqual(h.engine.status("state").processes, []);
  assert.equal(h.state("state"), "start/running");
  assert.equal(h.notifications.get("w")?.ok, true);
  h.stop("state");
  h.exit("state", "post-stop");
  assert.deepEqual(h.spawner.spawns.map((p) => p.process), ["pre-start", "post-stop"]);
});

Deno.test("respawn limit 2 10: two respawns, the third quick failure gives up", () => {
  const h = new EngineHarness({ flaky: "respawn\nrespawn limit 2 10\nexec false" });
  h.start("flaky");
  h.exit("flaky", "main", 1);
  h.exit("flaky", "main", 1);
  h.exit("flaky", "main", 1);
  assert.deepEqual(h.messages("warn").filter((m) => !m.includes("terminated")), [
    "flaky main process ended, respawning",
    "flaky main process ended, respawning",
    "flaky respawning too fast, stopped",
  ]);
  assert.deepEqual(stopEvents(h), [
    "stopping JOB=flaky INSTANCE= RESULT=ok",
    "stopping JOB=flaky INSTANCE= RESULT=ok",
    "stopping JOB=flaky INSTANCE= RESULT=failed PROCESS=respawn",
    "stopped JOB=flaky INSTANCE= RESULT=failed PROCESS=respawn",
  ]);
});

Deno.test("respawn limit 3 10: exit 0 of a respawning service counts as abnormal", () => {
  const h = new EngineHarness({ quick: "respawn\nrespawn limit 3 10\nexec true" });
  h.start("quick");
  for (let i = 0; i < 4; i++) h.exit("quick", "main", 0);
  assert.equal(h.messages("warn").filter((m) => m.endsWith("respawning")).length, 3);
  assert.equal(h.state("quick"), "stop/waiting");
});

Deno.test("the respawn window counts whole monotonic seconds", () => {
  const h = new EngineHarness({ flaky: "respawn\nrespawn limit 2 2\nexec false" });
  h.advance(10_500);
  h.start("flaky");
  h.exit("flaky", "main", 1); // 10.5 s: a window starts at second 10
  h.advance(1_400);
  h.exit("flaky", "main", 1); // 11.9 s: second 11, inside the window: count 2
  h.advance(100);
  h.exit("flaky", "main", 1); // 12.0 s: only 1.5 s later, but second 12: a new window
  assert.equal(h.state("flaky"), "start/running");
  h.exit("flaky", "main", 1); // count 2
  assert.equal(h.state("flaky"), "start/running");
  h.exit("flaky", "main", 1); // count 3 > 2
  assert.equal(h.state("flaky"), "stop/waiting");
  assert.equal(h.messages("warn").filter((m) => m.endsWith("respawning")).length, 4);
});

Deno.test("respawn limit unlimited never gives up", () => {
  const h = new EngineHarness({ flaky: "respawn\nrespawn limit unlimited\nexec false" });
  h.start("flaky");
  for (let i = 0; i < 50; i++) h.exit("flaky", "main", 1);
  assert.equal(h.state("flaky"), "start/running");
});

Deno.test("a respawn cycle emits stopping, starting, started but never stopped", () => {
  const h = new EngineHarness({
    svc: "respawn\npre-start exec prep\nexec daemon\npost-stop exec clean",
  });
  h.start("svc");
  h.exit("svc", "pre-start");
  h.clear();
  h.exit("svc", "main", 1);
  h.exit("svc", "post-stop");
  h.exit("svc", "pre-start");
  assert.deepEqual(h.events, [
    "stopping JOB=svc INSTANCE= RESULT=ok",
    "starting JOB=svc INSTANCE=",
    "started JOB=svc INSTANCE=",
  ]);
  assert.deepEqual(h.spawner.spawns.map((p) => p.process), [
    "pre-start",
    "main",
    "post-stop",
    "pre-start",
    "main",
  ]);
});

Deno.test("a main process dying during post-start respawns once the hook ends", () => {
  const h = new EngineHarness({ svc: "respawn\nexec daemon\npost-start exec wait-ready" });
  h.start("svc");
  h.exit("svc", "main", 1);
  assert.equal(h.state("svc"), "start/post-start");
  h.exit("svc", "post-start");
  assert.ok(h.messages().includes("svc goal changed from start to respawn"));
  assert.equal(h.state("svc"), "start/post-start");
  assert.equal(h.spawner.spawns.filter((p) => p.process === "main").length, 2);
});

Deno.test("expect fork: the forked child becomes the main process", () => {
  const h = new EngineHarness({ d: "expect fork\nexec daemon" });
  h.start("d", [], "w");
  const parent = h.pid("d");
  assert.equal(h.state("d"), "start/spawned");
  h.feed({ type: "forkTracked", pid: parent, newPid: 4242 });
  assert.equal(h.state("d"), "start/running");
  assert.deepEqual(h.engine.status("d").processes, [{ process: "main", pid: 4242 }]);
  assert.ok(h.messages().includes(`d main process (${parent}) became new process (4242)`));
  h.feed({ type: "processExited", pid: 4242, status: { code: 0 }, now: 0 });
  assert.equal(h.state("d"), "stop/waiting");
});

Deno.test("expect daemon settles on the tracked pid; other settle inputs are ignored", () => {
  const h = new EngineHarness({ d: "expect daemon\nexec daemon" });
  h.start("d");
  const parent = h.pid("d");
  h.feed({ type: "stopped", pid: parent });
  assert.equal(h.state("d"), "start/spawned");
  h.feed({ type: "forkTracked", pid: parent, newPid: 5151 });
  assert.deepEqual(h.engine.status("d").processes, [{ process: "main", pid: 5151 }]);
  h.feed({ type: "forkTracked", pid: 5151, newPid: 6000 });
  assert.deepEqual(h.engine.status("d").processes, [{ process: "main", pid: 5151 }]);
});

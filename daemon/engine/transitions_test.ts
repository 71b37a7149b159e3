import assert from "node:assert/strict";
import { defaultJobClass } from "../../parser/parse_job.ts";
import { newInstance } from "./job_machine.ts";
import { FROM, NEXT, nextState, nextStep } from "./transitions.ts";
import { type Instance, JOB_STATES, type JobState } from "./types.ts";

Deno.test("FROM lists exactly the predecessors the NEXT table can produce", () => {
  const derived = new Map<JobState, Set<JobState>>(JOB_STATES.map((s) => [s, new Set()]));
  for (const from of JOB_STATES) {
    for (const entry of Object.values(NEXT[from])) {
      if (entry === null) continue;
      const targets = typeof entry === "string" ? [entry] : [entry.then, entry.otherwise];
      for (const to of targets) derived.get(to)!.add(from);
    }
  }
  for (const state of JOB_STATES) {
    assert.deepEqual([...derived.get(state)!].sort(), [...FROM[state]].sort(), state);
  }
});

Deno.test("nextState() takes pre-stop only when the main process is alive", () => {
  const cls = {
    ...defaultJobClass("svc"),
    processes: { main: { script: false, command: "d", line: 1 } },
  };
  const running = { ...newInstance(1, cls, ""), state: "running" as const, goal: "stop" as const };
  assert.equal(nextState(running), "stopping");
  assert.equal(nextState({ ...running, pids: { main: 42 } }), "pre-stop");
  assert.equal(
    nextState({ ...running, cls: defaultJobClass("abstract"), pids: { main: 42 } }),
    "stopping",
  );
});

Deno.test("nextState() returns to running from pre-stop unless a full restart is pending", () => {
  const cls = defaultJobClass("svc");
  const preStop = {
    ...newInstance(1, cls, ""),
    state: "pre-stop" as const,
    goal: "start" as const,
  };
  assert.equal(nextState(preStop), "running");
  assert.equal(nextState({ ...preStop, restarting: true }), "stopping");
});

Deno.test("nextState() has no successor for waiting with goal stop", () => {
  assert.equal(nextState(newInstance(1, defaultJobClass("j"), "")), null);
});

Deno.test("nextStep() consumes a respawn goal: the step leaves the instance with goal start", () => {
  const inst: Instance = {
    ...newInstance(1, defaultJobClass("j"), ""),
    state: "running",
    goal: "respawn",
  };
  assert.deepEqual(nextStep(inst), { state: "stopping", goal: "start" });
  assert.equal(inst.goal, "respawn", "computing the step changes nothing");
  assert.deepEqual(nextStep({ ...inst, goal: "stop" }), { state: "stopping", goal: "stop" });
  assert.equal(nextStep({ ...inst, state: "waiting", goal: "stop" }), null);
});

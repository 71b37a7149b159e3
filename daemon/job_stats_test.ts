import assert from "node:assert/strict";
import { JobStats } from "./job_stats.ts";
import type { Instance } from "./engine/types.ts";
import { newInstance } from "./engine/job_machine.ts";
import { parseJobConfig } from "../parser/parse_job.ts";

function started(name: string, env: readonly string[]): Instance {
  const inst = newInstance(1, parseJobConfig("exec x\n", { name }), "");
  return { ...inst, goal: "start", state: "pre-start", env };
}

Deno.test("the instances a burst starts share one start-event list; each still reads right", () => {
  const stats = new JobStats(() => 0);
  stats.stateChanged(started("a", ["UPSTART_EVENTS=startup"]), "starting");
  stats.stateChanged(started("b", ["JOB=b", "UPSTART_EVENTS=startup"]), "starting");
  stats.stateChanged(started("c", ["UPSTART_EVENTS=runlevel started"]), "starting");
  stats.stateChanged(started("d", ["UPSTART_EVENTS="]), "starting");
  stats.stateChanged(started("e", []), "starting");
  assert.equal(stats.get("a", "")?.startEvents, stats.get("b", "")?.startEvents);
  assert.deepEqual(stats.get("a", "")?.startEvents, ["startup"]);
  assert.deepEqual(stats.get("c", "")?.startEvents, ["runlevel", "started"]);
  assert.deepEqual(stats.get("d", "")?.startEvents, []);
  assert.deepEqual(stats.get("e", "")?.startEvents, []);
  assert.deepEqual(stats.get("a", "")?.startEvents, ["startup"], "unchanged by later starts");
});

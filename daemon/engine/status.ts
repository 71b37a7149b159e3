/**
 * Status records for `initctl status`/`list` (see docs/tools.md#status-line).
 *
 * @module
 */

import { STATUS_ORDER } from "./transitions.ts";
import type { Instance, StatusEntry } from "./types.ts";

/**
 * The status of a live instance. The internal goal `respawn` shows as `start`.
 *
 * @param inst the instance
 * @returns its status line data
 */
export function instanceStatus(inst: Instance): StatusEntry {
  const processes = [];
  for (const process of STATUS_ORDER) {
    const pid = inst.pids[process] ?? 0;
    if (pid > 0) processes.push({ process, pid });
  }
  return {
    job: inst.cls.name,
    instance: inst.name,
    goal: inst.goal === "stop" ? "stop" : "start",
    state: inst.state,
    processes,
  };
}

/**
 * `JOB stop/waiting`: a job (or instance) that has no live instance.
 *
 * @param job the class name
 * @param instance the instance name, `""` for the class line
 * @returns the status line data
 */
export function idleStatus(job: string, instance = ""): StatusEntry {
  return { job, instance, goal: "stop", state: "waiting", processes: [] };
}

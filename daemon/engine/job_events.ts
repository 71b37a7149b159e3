/**
 * The environment of the four job events `starting`, `started`, `stopping`, `stopped`
 * (see docs/events.md#job-events), in Upstart's exact order: `JOB`, `INSTANCE`, then for the stop
 * events `RESULT`, `PROCESS` and `EXIT_STATUS` or `EXIT_SIGNAL`, then the exported variables not
 * already present.
 *
 * @module
 */

import { signalName } from "../../parser/signals.ts";
import { envKey } from "./environment.ts";
import type { ExitStatus, Instance } from "./types.ts";

/** The job events, by name. */
export type JobEventName = "starting" | "started" | "stopping" | "stopped";

/**
 * `EXIT_STATUS=n` or `EXIT_SIGNAL=NAME` for an exit status (a number when the signal has no name).
 *
 * @param status how the process ended
 * @returns the variable
 */
export function exitVariable(status: ExitStatus): string {
  if ("code" in status) return `EXIT_STATUS=${status.code}`;
  return `EXIT_SIGNAL=${signalName(status.signal) ?? String(status.signal)}`;
}

/**
 * Builds a job event's environment.
 *
 * @param inst the instance emitting it
 * @param name which job event
 * @returns the `KEY=VALUE` list, in order
 */
export function jobEventEnvironment(inst: Instance, name: JobEventName): string[] {
  const env = [`JOB=${inst.cls.name}`, `INSTANCE=${inst.name}`];
  if (name === "stopping" || name === "stopped") {
    if (inst.failed) {
      env.push("RESULT=failed");
      const process = inst.failedProcess ?? "respawn";
      env.push(`PROCESS=${process}`);
      if (process !== "respawn" && inst.exitStatus !== null) {
        env.push(exitVariable(inst.exitStatus));
      }
    } else {
      env.push("RESULT=ok");
    }
  }
  if (inst.cls.export.length === 0) return env;
  const present = new Set(env.map(envKey));
  for (const name of inst.cls.export) {
    if (present.has(name)) continue;
    const entry = inst.env.find((e) => envKey(e) === name && e.includes("="));
    if (entry === undefined) continue;
    env.push(entry);
    present.add(name);
  }
  return env;
}

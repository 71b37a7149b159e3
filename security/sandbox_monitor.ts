/**
 * Finding the job's process under bwrap's monitor (see `sandbox.ts`).
 *
 * The daemon spawns the monitor; the job is the monitor's only child, cloned a few milliseconds
 * later. `ProcessSpawner.spawn()` is synchronous and returns the pid the job is supervised by,
 * so this waits for the clone, sleeping in short steps rather than spinning.
 *
 * @module
 */

import { firstChild, readProcStat } from "../sys/procfs.ts";

const SLEEP = new Int32Array(new SharedArrayBuffer(4));
const STEP_MS = 0.1;

/**
 * Waits for the first child of `monitor`.
 *
 * @param monitor The bwrap monitor's pid.
 * @param timeoutMs How long to wait at most.
 * @returns The child's pid, or `null` when the monitor ended (or stayed childless) first.
 */
export function waitForSandboxChild(monitor: number, timeoutMs = 2000): number | null {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const first = firstChild(monitor);
    if (first !== null) return first;
    const stat = readProcStat(monitor);
    if (stat === null || stat.state === "Z" || performance.now() > until) return null;
    Atomics.wait(SLEEP, 0, 0, STEP_MS);
  }
}

/**
 * initctl's result formats: the docs/tools.md#status-line status line byte for byte, the `list`
 * listing, and the single JSON document of `--json`.
 *
 * @module
 */

import type { InstanceStatus, Result } from "../protocol/methods.ts";
import { PROCESS_NAMES } from "../parser/types.ts";

/** The order live processes are listed in (see docs/tools.md#status-line). */
export const PROCESS_ORDER: readonly string[] = PROCESS_NAMES;

// When one of these is the first live process, the first line omits its name.
const UNNAMED_FIRST: ReadonlySet<string> = new Set(["main", "pre-start", "post-stop"]);

/** The jobs of a `job.list` result. */
export type JobListing = Result<"job.list">["jobs"];

function byProcessOrder(a: { process: string }, b: { process: string }): number {
  return PROCESS_ORDER.indexOf(a.process) - PROCESS_ORDER.indexOf(b.process);
}

/**
 * The status of one instance as `start`, `stop`, `status` and `list` print it
 * (see docs/tools.md#status-line): `NAME [(INSTANCE)] GOAL/STATE`, the first live process on that
 * line (`, process PID` or `, (PNAME) process PID`), each further one on its
 * own line as `⇥PNAME process PID`.
 *
 * @param status the instance's status
 * @returns the lines, joined by newlines, without a final newline
 *
 * @example Usage
 * ```ts
 * import { formatStatus } from "./output.ts";
 * formatStatus({
 *   job: "poststart", instance: "", goal: "start", state: "post-start",
 *   processes: [{ process: "post-start", pid: 7 }, { process: "main", pid: 6 }],
 * }); // "poststart start/post-start, process 6\n\tpost-start process 7"
 * ```
 */
export function formatStatus(status: InstanceStatus): string {
  let text = status.instance === ""
    ? `${status.job} ${status.goal}/${status.state}`
    : `${status.job} (${status.instance}) ${status.goal}/${status.state}`;
  // Plain loops, and a sort only for more than one process: `initctl list` formats every
  // instance before V8 has compiled any of this (docs/platform.md#start-up-costs).
  const processes = status.processes.length > 1
    ? [...status.processes].sort(byProcessOrder)
    : status.processes;
  for (let i = 0; i < processes.length; i++) {
    const p = processes[i] as InstanceStatus["processes"][number];
    if (i > 0) text += `\n\t${p.process} process ${p.pid}`;
    else if (UNNAMED_FIRST.has(p.process)) text += `, process ${p.pid}`;
    else text += `, (${p.process}) process ${p.pid}`;
  }
  return text;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `items` are in order by `key` already. */
function sortedBy<T>(items: readonly T[], key: (item: T) => string): boolean {
  for (let i = 1; i < items.length; i++) {
    if (key(items[i - 1] as T) > key(items[i] as T)) return false;
  }
  return true;
}

const jobKey = (j: JobListing[number]) => j.job;
const instanceKey = (i: InstanceStatus) => i.instance;

/**
 * A listing in a stable order: jobs by name, instances by name (Upstart's own
 * order was its hash table's, so any fixed order is compatible). What is in order already is
 * only checked, in one pass: sorting 500 jobs takes about a millisecond before V8 has compiled
 * the comparison, and the daemon sends them sorted.
 *
 * @param jobs the `job.list` result
 * @returns a sorted copy
 */
export function sortListing(jobs: JobListing): JobListing {
  const sorted = sortedBy(jobs, jobKey)
    ? [...jobs]
    : [...jobs].sort((a, b) => compareText(a.job, b.job));
  return sorted.map((j) => ({
    job: j.job,
    instances: sortedBy(j.instances, instanceKey)
      ? [...j.instances]
      : [...j.instances].sort((a, b) => compareText(a.instance, b.instance)),
  }));
}

/**
 * The `initctl list` output: one status line per instance, `NAME stop/waiting`
 * for a job without instances (see docs/tools.md#job-commands).
 *
 * @param jobs the `job.list` result
 * @returns the lines, each ending in a newline
 */
export function formatListing(jobs: JobListing): string {
  const lines: string[] = [];
  for (const j of sortListing(jobs)) {
    if (j.instances.length === 0) lines.push(`${j.job} stop/waiting`);
    for (const inst of j.instances) lines.push(formatStatus(inst));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/**
 * The one JSON document a `--json` query prints.
 *
 * @param value the document
 * @returns compact JSON and a newline
 */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

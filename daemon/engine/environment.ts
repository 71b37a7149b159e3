/**
 * Environment tables (see docs/behaviour.md#environment): the instance environment a start request
 * builds, and the environment every spawned process gets.
 *
 * Tables are ordered `KEY=VALUE` lists; setting a key that exists replaces it in place (Upstart's
 * `environ_set`), so order is stable and the first position of a key wins.
 *
 * @module
 */

import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import type { Instance } from "./types.ts";

/** The key of a `KEY=VALUE` entry (the whole entry when it has no `=`). */
export function envKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * Sets entries into a table, replacing existing keys in place and appending new ones.
 *
 * @param table the table to change (mutated)
 * @param entries `KEY=VALUE` entries, applied in order
 */
export function envSetAll(table: string[], entries: readonly string[]): void {
  for (const entry of entries) {
    const key = envKey(entry);
    let at = 0;
    while (at < table.length && !hasKey(table[at]!, key)) at++;
    if (at === table.length) table.push(entry);
    else table[at] = entry;
  }
}

/**
 * `envKey(entry) === key` for a `key` without `=` (an {@linkcode envKey}), without cutting the
 * entry: tables are searched for every entry set, several times per job started.
 */
function hasKey(entry: string, key: string): boolean {
  return entry.startsWith(key) &&
    (entry.length === key.length || entry.charCodeAt(key.length) === 61 /* = */);
}

/**
 * Whether every entry is a `KEY=VALUE` pair with a non-empty key (Upstart's `environ_all_valid`).
 *
 * @param env the entries to check
 * @returns true when all are valid
 */
export function envValid(env: readonly string[]): boolean {
  return env.every((e) => e.indexOf("=") > 0);
}

/**
 * The defaults of a class: the global table, then the class's `env` entries in file order
 * (see docs/behaviour.md#environment steps 1–2). A bare `env KEY` copies KEY from init's own
 * environment and is dropped when init has no such variable.
 *
 * @param global the global job environment table
 * @param cls the job class
 * @param initEnv init's own environment
 * @returns a new table
 */
export function classEnvironment(
  global: readonly string[],
  cls: JobClassSpec,
  initEnv: ReadonlyMap<string, string>,
): string[] {
  const table = [...global];
  for (const entry of cls.env) {
    if (entry.includes("=")) {
      envSetAll(table, [entry]);
    } else {
      const value = initEnv.get(entry);
      if (value !== undefined) envSetAll(table, [`${entry}=${value}`]);
    }
  }
  return table;
}

/**
 * The environment of one process of an instance (see docs/behaviour.md#environment "Process
 * environment"): the instance environment, then the stop environment for pre-stop and post-stop,
 * then `UPSTART_JOB`, `UPSTART_INSTANCE` and, in user mode, `UPSTART_SESSION`.
 *
 * @param inst the instance
 * @param process which process is spawned
 * @param session the session address (user mode), or null
 * @returns a new table
 */
export function processEnvironment(
  inst: Instance,
  process: ProcessName,
  session: string | null,
): string[] {
  const table = [...inst.env];
  if (inst.stopEnv !== null && (process === "pre-stop" || process === "post-stop")) {
    envSetAll(table, inst.stopEnv);
  }
  envSetAll(table, [`UPSTART_JOB=${inst.cls.name}`, `UPSTART_INSTANCE=${inst.name}`]);
  if (session !== null) envSetAll(table, [`UPSTART_SESSION=${session}`]);
  return table;
}

/**
 * How logs and errors name an instance: `JOB`, or `JOB (INSTANCE)` when the name is not empty.
 *
 * @param job the class name
 * @param instance the instance name
 * @returns the display name
 */
export function displayName(job: string, instance: string): string {
  return instance === "" ? job : `${job} (${instance})`;
}

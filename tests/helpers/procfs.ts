/**
 * What integration tests read from `/proc`: process states, command lines,
 * children and environments. Deno grants `/proc` only with `--allow-all`, so
 * it is read through `sys/procfs.ts`.
 *
 * @module
 */

import {
  listChildren,
  listPids,
  readCmdline,
  readEnviron,
  readProcStat,
} from "../../sys/procfs.ts";

/** The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, …), or null when gone. */
export function procState(pid: number): string | null {
  return readProcStat(pid)?.state ?? null;
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = procState(pid);
  return state !== null && state !== "Z" && state !== "X";
}

/** The argv of a process (empty when gone or a zombie). */
export function cmdline(pid: number): string[] {
  return readCmdline(pid) ?? [];
}

/** Direct children of a process, from every thread's `children` file. */
export function childrenOf(pid: number): number[] {
  return [...new Set(listChildren(pid))];
}

/** Pids of every process whose environment holds exactly `entry` (`KEY=VALUE`). */
export function pidsWithEnv(entry: string): number[] {
  return listPids().filter((pid) => readEnviron(pid)?.includes(entry) ?? false);
}

/**
 * What integration tests read from `/proc`: process states, command lines,
 * children and environments. Deno grants `/proc` only with `--allow-all`, so
 * it is read through the daemon's own libc bindings.
 *
 * @module
 */

import { listDir, readText } from "../../daemon/supervisor/libc.ts";

/** The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, …), or null when gone. */
export function procState(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) || null;
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = procState(pid);
  return state !== null && state !== "Z" && state !== "X";
}

/** The argv of a process (empty when gone or a zombie). */
export function cmdline(pid: number): string[] {
  const text = readText(`/proc/${pid}/cmdline`);
  if (text === null || text === "") return [];
  return text.replace(/\0$/, "").split("\0");
}

/** Direct children of a process, from every thread's `children` file. */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = listDir(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out = new Set<number>();
  for (const tid of tasks) {
    const text = readText(`/proc/${pid}/task/${tid}/children`) ?? "";
    for (const word of text.split(" ")) if (word !== "") out.add(Number(word));
  }
  return [...out];
}

/** Pids of every process whose environment holds exactly `entry` (`KEY=VALUE`). */
export function pidsWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const name of listDir("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    const environ = readText(`/proc/${name}/environ`);
    if (environ !== null && environ.split("\0").includes(entry)) out.push(Number(name));
  }
  return out;
}

/**
 * Readers of `/proc`: process states, children, environments and command lines, shared by the
 * reaper, the fork tracker, the sandbox monitor and the tests.
 *
 * Every read goes through libc (`libc.ts`): Deno 2.9 refuses `/proc` to its own file APIs
 * unless run with `--allow-all`. A process can end between two reads, so every reader returns
 * `null` (or an empty list) for a process that is gone instead of throwing.
 *
 * @module
 */

import { listDir, readLink, readText } from "./libc.ts";

/** A pid, or `"self"` for the calling process. */
export type ProcPid = number | "self";

/**
 * Children of process `pid` ("self" for the caller), across all its threads: a child belongs to
 * the thread that forked it, or to whichever thread the kernel picked when re-parenting it.
 */
export function listChildren(pid: ProcPid = "self"): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = listDir(`/proc/${pid}/task`);
  } catch {
    return out; // the process is gone
  }
  for (const task of tasks) {
    const text = readText(`/proc/${pid}/task/${task}/children`);
    if (text === null) continue; // the thread ended meanwhile
    for (const word of text.split(" ")) {
      const child = Number(word);
      if (word !== "" && Number.isInteger(child)) out.push(child);
    }
  }
  return out;
}

/** The first child listed by the main thread of `pid`, or `null` when it has none (or is gone). */
export function firstChild(pid: number): number | null {
  const first = readText(`/proc/${pid}/task/${pid}/children`)?.trim().split(" ")[0] ?? "";
  return first === "" ? null : Number(first);
}

/** Fields of `/proc/PID/stat` the supervisor uses. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** `R`, `S`, `D`, `Z`, `T`, … */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** Nice value (−20…19). */
  readonly nice: number;
  /** Start time in clock ticks after boot. */
  readonly startTime: number;
}

/** Parses `/proc/PID/stat` text (the command name may contain spaces and parentheses). */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state); starttime is field 22.
  const num = (i: number) => Number(rest[i - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? "?",
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    nice: num(19),
    startTime: num(22),
  };
}

/** `/proc/PID/stat` of a live (or zombie) process, or null once it is gone. */
export function readProcStat(pid: ProcPid): ProcStat | null {
  const text = readText(`/proc/${pid}/stat`);
  return text === null ? null : parseProcStat(text);
}

/** `/proc/PID/status` text (capabilities, ids, groups), or null once the process is gone. */
export function readStatus(pid: ProcPid): string | null {
  return readText(`/proc/${pid}/status`);
}

/** The environment of a process (`KEY=VALUE` entries), or null when gone or unreadable. */
export function readEnviron(pid: ProcPid): string[] | null {
  const text = readText(`/proc/${pid}/environ`);
  return text === null ? null : text.split("\0");
}

/** The argv of a process; empty for a zombie or a kernel thread, null when gone. */
export function readCmdline(pid: ProcPid): string[] | null {
  const text = readText(`/proc/${pid}/cmdline`);
  if (text === null) return null;
  return text === "" ? [] : text.replace(/\0$/, "").split("\0");
}

/** Pids of every process visible in this `/proc`. */
export function listPids(): number[] {
  return listDir("/proc").filter((name) => /^[0-9]+$/.test(name)).map(Number);
}

/** Pids that have an open pidfd in this process: the children Deno itself is waiting for. */
export function pidfdPids(): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = listDir("/proc/self/fd");
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      if (readLink(`/proc/self/fd/${fd}`) !== "anon_inode:[pidfd]") continue;
    } catch {
      continue; // closed meanwhile (including the directory's own fd)
    }
    const m = /^Pid:\s*(-?\d+)/m.exec(readText(`/proc/self/fdinfo/${fd}`) ?? "");
    if (m !== null) out.add(Number(m[1]));
  }
  return out;
}

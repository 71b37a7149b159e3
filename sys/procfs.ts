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

/** Every descendant of process `pid`, breadth first (children, then theirs), from /proc. */
export function listDescendants(pid: ProcPid = "self"): number[] {
  const out: number[] = [];
  const queue = listChildren(pid);
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...listChildren(p));
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

/** One line of `/proc/PID/mountinfo`. */
export interface MountInfo {
  readonly id: number;
  readonly parent: number;
  /** Where it is mounted (octal escapes such as `\040` decoded). */
  readonly mountPoint: string;
  /** Per-mount options (`rw,nosuid,...`). */
  readonly options: string;
  readonly fsType: string;
  readonly source: string;
}

const unescapeMount = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** Parses `/proc/PID/mountinfo` text, in the kernel's order (parents before children). */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    if (fields.length < 10 || dash < 0) continue;
    out.push({
      id: Number(fields[0]),
      parent: Number(fields[1]),
      mountPoint: unescapeMount(fields[4]!),
      options: fields[5]!,
      fsType: fields[dash + 1] ?? "",
      source: unescapeMount(fields[dash + 2] ?? ""),
    });
  }
  return out;
}

/** The mounts this process sees, or an empty list when `/proc` is not mounted. */
export function readMountInfo(pid: ProcPid = "self"): MountInfo[] {
  const text = readText(`/proc/${pid}/mountinfo`);
  return text === null ? [] : parseMountInfo(text);
}

/** The inode of the initial PID namespace (the kernel's PROC_PID_INIT_INO). */
const INITIAL_PID_NS = "pid:[4026531836]";

/**
 * Whether this process lives in the machine's own PID namespace (false inside a container or
 * `unshare --pid`); `null` when `/proc` cannot tell.
 */
export function inInitialPidNamespace(): boolean | null {
  try {
    return readLink("/proc/self/ns/pid") === INITIAL_PID_NS;
  } catch {
    return null;
  }
}

/** What fds 0, 1 and 2 of this process are (`/dev/console`, `pipe:[…]`, …); `null` for a closed one. */
export function stdioTargets(): (string | null)[] {
  return [0, 1, 2].map((fd) => {
    try {
      return readLink(`/proc/self/fd/${fd}`);
    } catch {
      return null;
    }
  });
}

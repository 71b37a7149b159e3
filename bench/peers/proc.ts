/**
 * The process table as the benchmark sees it: a snapshot of `/proc/<pid>/stat`,
 * descendants by parent pid, the service processes (`sleep 100000`) among
 * them, and a process's proportional set size from `smaps_rollup`.
 *
 * Services are found by ancestry, never by name alone: the bench is a child
 * subreaper, so everything a manager starts stays below the bench's own pid.
 *
 * @module
 */

import { listDir, readText } from "./_libc.ts";

/** One line of the process table. */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** One-letter state from `stat` (`R`, `S`, `Z`…). */
  readonly state: string;
  /** The kernel's 15-character command name. */
  readonly comm: string;
}

/** What every benchmarked service runs. */
export const SERVICE_ARGV: readonly [string, string] = ["sleep", "100000"];

/**
 * Parses one `/proc/<pid>/stat` line; `null` when it is malformed. The command
 * name may hold spaces and parentheses, so it runs to the last `)`.
 */
export function parseStat(text: string): ProcInfo | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(" ");
  const ppid = Number(rest[1]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || rest[0] === undefined) return null;
  return { pid, ppid, state: rest[0], comm: text.slice(open + 1, close) };
}

/** Reads every process's `stat` now. Processes that vanish while reading are skipped. */
export function scanProcesses(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  for (const name of listDir("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const text = readText(`/proc/${name}/stat`);
    const info = text === null ? null : parseStat(text);
    if (info !== null) table.set(info.pid, info);
  }
  return table;
}

/** Every process below `root` in `table` (children first, breadth-first), without `root`. */
export function descendantsOf(table: ReadonlyMap<number, ProcInfo>, root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const p of table.values()) {
    const list = kids.get(p.ppid);
    if (list === undefined) kids.set(p.ppid, [p.pid]);
    else list.push(p.pid);
  }
  const out: number[] = [];
  const queue = [root];
  for (let at = 0; at < queue.length; at++) {
    for (const k of kids.get(queue[at]!) ?? []) {
      out.push(k);
      queue.push(k);
    }
  }
  return out;
}

/** Splits a NUL-separated `/proc/<pid>/cmdline`. */
export function parseCmdline(text: string): string[] {
  const parts = text.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** True for `sleep 100000` as any manager spells it (`sleep`, `/usr/bin/sleep`). */
export function isServiceArgv(argv: readonly string[]): boolean {
  return argv.length === 2 && argv[0]!.split("/").at(-1) === SERVICE_ARGV[0] &&
    argv[1] === SERVICE_ARGV[1];
}

/** The `Pss:` figure of a `smaps_rollup` text in KiB, or `null` when absent. */
export function parsePssKiB(smapsRollup: string): number | null {
  const m = /^Pss:\s+(\d+) kB$/m.exec(smapsRollup);
  return m === null ? null : Number(m[1]);
}

/** A process's PSS in KiB, or `null` when it is gone or unreadable. */
export function pssKiB(pid: number): number | null {
  const text = readText(`/proc/${pid}/smaps_rollup`);
  return text === null ? null : parsePssKiB(text);
}

/** The children of `pid` listed by its thread `tid` (`/proc/PID/task/TID/children`). */
export function childrenOf(pid: number, tid = pid): number[] {
  const text = readText(`/proc/${pid}/task/${tid}/children`);
  if (text === null) return [];
  const out: number[] = [];
  for (const w of text.split(" ")) if (w !== "") out.push(Number(w));
  return out;
}

/**
 * The children of `pid` listed by all its threads: a child started from a thread other than
 * the main one (daybreak's spawns on worker threads) is listed by that thread alone.
 */
export function childrenOfAll(pid: number): number[] {
  let tids: string[];
  try {
    tids = listDir(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.length === 1 ? childrenOf(pid) : tids.flatMap((tid) => childrenOf(pid, Number(tid)));
}

/** The parent pid of `pid`, or `null` when it is gone. */
export function parentOf(pid: number): number | null {
  const text = readText(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text)?.ppid ?? null;
}

/**
 * Finds the live service processes below one root (the bench itself), cheaply
 * enough to poll every few milliseconds with hundreds of services.
 *
 * It walks `/proc/PID/task/PID/children` down from the root instead of reading
 * every process's `stat`. Only the root's other threads are read too: Deno and
 * Node spawn from their main thread, and the single-threaded supervisors have
 * no other. A pid counts as a service once its argv is `sleep 100000` (a forked
 * child that has not exec'd yet still shows its parent's argv), and stays one
 * while its parent lists it. A process seen as the parent of a service is a
 * supervisor: it is never a service, so its argv is not read again. Both
 * caches forget pids that leave the tree, so a recycled pid is judged afresh.
 */
export class ServiceFinder {
  readonly #root: number;
  #services = new Set<number>();
  #supervisors = new Set<number>();

  constructor(root: number) {
    this.#root = root;
  }

  /** The pids of the services running (or exited but not yet reaped) now. */
  services(): Set<number> {
    const services = new Set<number>();
    const seen = new Set<number>();
    const parent = new Map<number, number>();
    const queue: number[] = [];
    for (const tid of listDir(`/proc/${this.#root}/task`)) {
      queue.push(...childrenOf(this.#root, Number(tid)));
    }
    for (let at = 0; at < queue.length; at++) {
      const pid = queue[at]!;
      seen.add(pid);
      if (!this.#supervisors.has(pid) && (this.#services.has(pid) || this.#isService(pid))) {
        services.add(pid);
        continue;
      }
      for (const k of childrenOfAll(pid)) {
        queue.push(k);
        parent.set(k, pid);
      }
    }
    const supervisors = new Set([...this.#supervisors].filter((p) => seen.has(p)));
    for (const pid of services) {
      const p = parent.get(pid);
      if (p !== undefined) supervisors.add(p);
    }
    this.#services = services;
    this.#supervisors = supervisors;
    return services;
  }

  /**
   * The services among the children of `parent` alone (one read per thread), for
   * watching a single supervisor; `null` when `parent` is gone. Updates nothing.
   */
  servicesUnder(parent: number): Set<number> | null {
    if (readText(`/proc/${parent}/stat`) === null) return null;
    const out = new Set<number>();
    for (const pid of childrenOfAll(parent)) {
      if (this.#services.has(pid) || this.#isService(pid)) out.add(pid);
    }
    return out;
  }

  #isService(pid: number): boolean {
    const text = readText(`/proc/${pid}/cmdline`);
    return text !== null && text !== "" && isServiceArgv(parseCmdline(text));
  }
}

/**
 * Sums the PSS of `pids` and names what was counted, e.g.
 * `"runsvdir + 100 runsv"`. Processes that are gone are left out.
 */
export function measurePss(
  pids: readonly number[],
  table: ReadonlyMap<number, ProcInfo>,
): { kib: number; scope: string } {
  let kib = 0;
  const counts = new Map<string, number>();
  for (const pid of pids) {
    const v = pssKiB(pid);
    if (v === null) continue;
    kib += v;
    const comm = table.get(pid)?.comm ?? "?";
    counts.set(comm, (counts.get(comm) ?? 0) + 1);
  }
  const scope = [...counts].map(([comm, k]) => (k === 1 ? comm : `${k} ${comm}`)).join(" + ");
  return { kib, scope };
}

/** Open descriptors of `pids`, summed (entries of `/proc/PID/fd`; unreadable ones count 0). */
export function countFds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += listDir(`/proc/${pid}/fd`).length;
    } catch {
      // gone, or not ours to read
    }
  }
  return total;
}

/** `root` and its descendants that are not services or zombies: a manager's own processes. */
export function managerTree(root: number, table: ReadonlyMap<number, ProcInfo>): number[] {
  const own = [root, ...descendantsOf(table, root)];
  return own.filter((pid) => {
    const p = table.get(pid);
    return p !== undefined && p.state !== "Z" && p.comm !== SERVICE_ARGV[0];
  });
}

/**
 * `expect stop|fork|daemon` without ptrace (see docs/behaviour.md#expect,
 * docs/behaviour.md#fix-expect).
 *
 * The daemon is a child subreaper, so whatever a job's main process leaves behind is re-parented
 * to it. While the main process runs, its descendants are followed through
 * `/proc/PID/task/TID/children`; processes that were re-parented to the daemon are attributed to
 * the job by session or process group (inherited from a known member), or, failing that (a
 * short-lived intermediate that called `setsid()` before we saw it), by the job's
 * `UPSTART_JOB`/`UPSTART_INSTANCE` entries in `/proc/PID/environ`.
 *
 * Once the main process has exited, the surviving top-level process is the tracked pid:
 * immediately for `fork`; for `daemon` as soon as a survivor is known to be a grandchild or later,
 * or after a grace period (the program forked only once). A `script` wrapper's extra fork needs
 * no special case: whatever survives the shell is tracked. Nothing waits forever: a main process
 * that never forks is itself tracked after the settle time, and one that exits leaving nothing
 * behind yields `null`.
 *
 * @module
 */

import type { ExitStatus, TrackedProcess } from "../ports.ts";
import { getpid, kill, LibcError } from "../../sys/libc.ts";
import { listChildren, type ProcStat, readEnviron, readProcStat } from "../../sys/procfs.ts";
import type { Reaper } from "./reaper.ts";

/** The spawned main process, as the tracker needs it. */
export interface TrackedMain {
  readonly pid: number;
  /** Resolves as soon as the process is collected (no output draining). */
  readonly status: Promise<ExitStatus>;
  /** What the job should see as the process's exit (may wait for its log output). */
  readonly exited: Promise<ExitStatus>;
  /** The job environment, to recognise its processes (`KEY=VALUE`). */
  readonly env: readonly string[];
}

/** Bounds of the tracker. */
export interface ForkTrackerOptions {
  readonly reaper: Reaper;
  /** How long a main process that has not forked (or stopped) is waited for. Default 5000 ms. */
  readonly settleMs?: number;
  /** `expect daemon`: how long a first-level survivor gets to fork again. Default 1000 ms. */
  readonly graceMs?: number;
}

/** Pids some tracker has already handed out (or is considering), so no two jobs share one. */
const CLAIMED = new Set<number>();

const SIGCONT = 18;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fast polling at first (programs fork early), then slower. */
function pollDelay(elapsed: number): number {
  if (elapsed < 50) return 2;
  if (elapsed < 500) return 10;
  return 50;
}

/** How long looks must find no survivor after main ended before tracking gives up. */
const EMPTY_CONFIRM_MS = 60;

function alive(stat: ProcStat | null): stat is ProcStat {
  return stat !== null && stat.state !== "Z" && stat.state !== "X";
}

/** The job-identifying entries of an environment: its UPSTART_JOB/INSTANCE, else all of it. */
function identity(env: readonly string[]): string[] {
  const ids = env.filter((e) => e.startsWith("UPSTART_JOB=") || e.startsWith("UPSTART_INSTANCE="));
  return ids.length > 0 ? ids : [...env];
}

function environOf(pid: number): Set<string> | null {
  const env = readEnviron(pid);
  return env === null ? null : new Set(env);
}

/**
 * Follows `main` until the pid to supervise is known (`expect fork` or `daemon`).
 * Resolves `null` when everything exited; never rejects.
 */
export async function trackForks(
  main: TrackedMain,
  mode: "fork" | "daemon",
  options: ForkTrackerOptions,
): Promise<TrackedProcess | null> {
  const { reaper } = options;
  const settleMs = options.settleMs ?? 5000;
  const graceMs = options.graceMs ?? 1000;
  const self = getpid();
  const start = performance.now();
  const mainStat = readProcStat(main.pid);
  const ids = identity(main.env);

  const known = new Set<number>([main.pid]);
  const deep = new Set<number>(); // known to be a grandchild of main or deeper
  // Written from promise callbacks, hence an object (narrowing does not see those writes).
  const run = { exitedAt: null as number | null, wake: null as (() => void) | null };
  // Looks begun after main was seen dead; main's orphans all show up in the first one.
  let looksSinceDeath = 0;
  main.status.then(() => {
    run.exitedAt = performance.now();
    run.wake?.();
  });

  const adopt = (pid: number, depth2: boolean) => {
    known.add(pid);
    if (depth2) deep.add(pid);
  };

  // Depth of a process first met as an orphan of ours. If main was still alive after the
  // orphan was listed, its own children were still its children, so the orphan's parent was
  // someone else. Main's children are re-parented the moment it dies, so the first look begun
  // after its death finds them; anything that appears later lost a parent of its own. In that
  // first look, a session led by a third process means an intermediate that called setsid() and
  // forked again.
  const orphanIsDeep = (pid: number, stat: ProcStat, mainAlive: boolean): boolean => {
    if (mainAlive || looksSinceDeath > 0) return true;
    return stat.session !== pid && stat.session !== main.pid;
  };

  const mainAlive = () => run.exitedAt === null && alive(readProcStat(main.pid));

  /** One look at the tree; returns whether main was alive when it began. */
  const follow = (): boolean => {
    const aliveBefore = mainAlive();
    for (const pid of [...known]) {
      if (pid !== main.pid && !alive(readProcStat(pid))) continue;
      for (const child of listChildren(pid)) {
        if (known.has(child) || CLAIMED.has(child)) continue;
        if (readProcStat(child) !== null) adopt(child, pid !== main.pid);
      }
    }
    const candidates: [number, ProcStat][] = [];
    for (const pid of reaper.adoptsOrphans ? listChildren() : []) {
      if (known.has(pid) || CLAIMED.has(pid)) continue;
      const stat = readProcStat(pid);
      if (!alive(stat)) continue;
      if (mainStat !== null && stat.startTime < mainStat.startTime) continue;
      candidates.push([pid, stat]);
    }
    const aliveAfter = aliveBefore && mainAlive();
    for (const [pid, stat] of candidates) {
      if (reaper.isDenoChild(pid)) continue;
      let ours = known.has(stat.session) || known.has(stat.pgrp);
      if (!ours) {
        const environ = environOf(pid);
        ours = environ !== null && ids.every((e) => environ.has(e));
      }
      if (ours) adopt(pid, orphanIsDeep(pid, stat, aliveAfter));
    }
    return aliveBefore;
  };

  const hand = (pid: number): TrackedProcess => {
    CLAIMED.add(pid);
    const exited = reaper.waitOrphan(pid);
    exited.then(() => CLAIMED.delete(pid));
    return { pid, exited };
  };

  for (;;) {
    const aliveBefore = follow();
    const now = performance.now();
    const exitedAt = run.exitedAt;
    if (exitedAt === null) {
      if (now - start >= settleMs) return { pid: main.pid, exited: main.exited };
    } else {
      const roots: [number, ProcStat][] = [];
      for (const pid of known) {
        if (pid === main.pid) continue;
        const stat = readProcStat(pid);
        if (alive(stat) && (stat.ppid === self || !known.has(stat.ppid))) roots.push([pid, stat]);
      }
      // Only orphans of ours can be waited for; a survivor elsewhere cannot be supervised.
      const ours = roots.filter(([, s]) => s.ppid === self).sort((a, b) =>
        a[1].startTime - b[1].startTime || a[0] - b[0]
      );
      // /proc/*/children is read racily (a re-parented orphan can be missing from one look), so
      // "nothing survived" is only concluded once looks have come up empty for a while.
      if (ours.length === 0) {
        if (now - exitedAt >= EMPTY_CONFIRM_MS) return null;
      } else {
        if (mode === "fork") return hand(ours[0]![0]);
        const deepest = ours.find(([pid]) => deep.has(pid));
        if (deepest !== undefined) return hand(deepest[0]);
        if (now - exitedAt >= graceMs || now - start >= settleMs) return hand(ours[0]![0]);
      }
    }
    if (!aliveBefore) looksSinceDeath++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      run.wake = resolve;
      timer = setTimeout(resolve, pollDelay(now - start));
    });
    clearTimeout(timer);
    run.wake = null;
  }
}

/**
 * `expect stop`: waits for the main process to stop itself (SIGSTOP), then sends SIGCONT and
 * resolves with it. A process that never stops is accepted after the settle time; one that
 * exits first yields `null`.
 */
export async function trackStop(
  main: TrackedMain,
  options: Pick<ForkTrackerOptions, "settleMs">,
): Promise<TrackedProcess | null> {
  const settleMs = options.settleMs ?? 5000;
  const start = performance.now();
  const run = { done: false };
  main.status.then(() => run.done = true);
  for (;;) {
    if (run.done) return null;
    const stat = readProcStat(main.pid);
    if (stat === null || stat.state === "Z") {
      await main.status;
      return null;
    }
    const elapsed = performance.now() - start;
    if (stat.state === "T" || elapsed >= settleMs) {
      if (stat.state === "T") {
        try {
          kill(main.pid, SIGCONT);
        } catch (e) {
          if (!(e instanceof LibcError && e.code === "ESRCH")) throw e;
        }
      }
      return { pid: main.pid, exited: main.exited };
    }
    await sleep(pollDelay(elapsed));
  }
}

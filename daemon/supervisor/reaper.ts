/**
 * Orphan reaping next to Deno's own child handling (platform notes §3 "Coexistence").
 *
 * The daemon becomes a child subreaper (or is PID 1), so processes that leave their job's tree
 * are re-parented to it. Deno waits for the children it spawned through their pidfds; a global
 * `waitpid(-1)` would steal those exits (their `status` then rejects with ECHILD). So on every
 * SIGCHLD the reaper lists the daemon's children from `/proc/self/task/TID/children` and reaps,
 * by pid, only zombies that are not Deno's: neither registered with {@linkcode Reaper.own} nor
 * holding an open pidfd in this process.
 *
 * @module
 */

import type { ExitStatus } from "../ports.ts";
import {
  getpid,
  isChildSubreaper,
  LibcError,
  setChildSubreaper,
  waitpidNoHang,
} from "../../sys/libc.ts";
import { listChildren, pidfdPids, readProcStat } from "../../sys/procfs.ts";

/** Called with each reaped orphan. */
export type OrphanExitListener = (pid: number, status: ExitStatus) => void;

/**
 * Children some other part of init waits for by pid itself (the container's main process):
 * no Reaper reaps them, whichever instance runs (see docs/container.md).
 */
const claimed = new Set<number>();

/** Keeps every Reaper away from child `pid` until {@linkcode releaseChild}. */
export function claimChild(pid: number): void {
  claimed.add(pid);
}

/** Undoes {@linkcode claimChild} once the claimant has collected the child's status. */
export function releaseChild(pid: number): void {
  claimed.delete(pid);
}

/** Exits kept for late askers (a tracked daemon may die before anyone waits for it). */
const RECENT_LIMIT = 256;

/** Options of {@linkcode Reaper.start}. */
export interface ReaperStartOptions {
  /** Become a child subreaper (ignored as PID 1, which is one already). Default true. */
  readonly subreaper?: boolean;
}

/** Reaps orphaned zombies by pid and reports their exits. */
export class Reaper {
  readonly #own = new Set<number>();
  readonly #listeners = new Set<OrphanExitListener>();
  readonly #waiters = new Map<number, ((s: ExitStatus) => void)[]>();
  readonly #recent = new Map<number, ExitStatus>();
  #started = false;
  #adopts = false;
  readonly #onSignal = () => {
    try {
      this.scan();
    } catch {
      // Reaping must never take the daemon down; the next SIGCHLD scans again.
    }
  };

  /**
   * Starts listening to SIGCHLD and, unless PID 1, becomes a child subreaper. Idempotent.
   *
   * @throws {LibcError} when prctl fails (the listener is installed anyway; orphans then go to
   * the real init and {@linkcode adoptsOrphans} stays false).
   */
  start(options: ReaperStartOptions = {}): void {
    if (this.#started) return;
    // Listen first: even when prctl fails, zombies of processes still parented here get reaped.
    Deno.addSignalListener("SIGCHLD", this.#onSignal);
    this.#started = true;
    if (getpid() === 1) {
      this.#adopts = true;
    } else if (options.subreaper ?? true) {
      setChildSubreaper(true);
      this.#adopts = true;
    } else {
      this.#adopts = isChildSubreaper();
    }
    this.scan();
  }

  /** Stops listening (the subreaper flag stays: it cannot be undone safely for running jobs). */
  stop(): void {
    if (!this.#started) return;
    Deno.removeSignalListener("SIGCHLD", this.#onSignal);
    this.#started = false;
  }

  /** true when orphans are re-parented to this process (subreaper or PID 1). */
  get adoptsOrphans(): boolean {
    return this.#adopts;
  }

  /** Marks `pid` as Deno's own child: never reaped here. */
  own(pid: number): void {
    this.#own.add(pid);
  }

  /** Undoes {@linkcode own} once Deno has collected the child's status. */
  disown(pid: number): void {
    this.#own.delete(pid);
  }

  /** true when `pid` is a child Deno waits for (registered, or holding a pidfd). */
  isDenoChild(pid: number, pidfds?: Set<number>): boolean {
    return this.#own.has(pid) || (pidfds ?? pidfdPids()).has(pid);
  }

  /** Subscribes to orphan exits; returns the unsubscribe function. */
  onOrphanExit(listener: OrphanExitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the exit of orphan `pid`, including one reaped shortly before the call.
   * Only meaningful for a pid that is (or was) a child of this process and not Deno's.
   */
  waitOrphan(pid: number): Promise<ExitStatus> {
    const seen = this.#recent.get(pid);
    if (seen !== undefined) {
      const now = readProcStat(pid);
      // A live process under that pid is a newer one: the recorded exit is stale.
      if (now === null || now.state === "Z") return Promise.resolve(seen);
      this.#recent.delete(pid);
    }
    return new Promise((resolve) => {
      const list = this.#waiters.get(pid) ?? [];
      list.push(resolve);
      this.#waiters.set(pid, list);
      this.scan();
    });
  }

  /** Current children that are not Deno's (live or zombie). */
  orphans(): number[] {
    const kids = listChildren().filter((pid) => !this.#own.has(pid) && !claimed.has(pid));
    if (kids.length === 0) return kids;
    const pidfds = pidfdPids();
    return kids.filter((pid) => !pidfds.has(pid));
  }

  /** Reaps every orphaned zombie now. Called on SIGCHLD; safe to call at any time. */
  scan(): void {
    let pidfds: Set<number> | null = null;
    for (const pid of listChildren()) {
      if (this.#own.has(pid) || claimed.has(pid)) continue;
      if (readProcStat(pid)?.state !== "Z") continue;
      pidfds ??= pidfdPids();
      if (pidfds.has(pid)) continue;
      this.#reap(pid);
    }
  }

  #reap(pid: number): void {
    let status: ExitStatus | null;
    try {
      const got = waitpidNoHang(pid);
      if (got.pid !== pid || got.status === null) return;
      status = got.status;
    } catch (e) {
      if (e instanceof LibcError && e.code === "ECHILD") return; // someone else collected it
      throw e;
    }
    this.#recent.set(pid, status);
    if (this.#recent.size > RECENT_LIMIT) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    const waiting = this.#waiters.get(pid);
    this.#waiters.delete(pid);
    for (const resolve of waiting ?? []) resolve(status);
    for (const listener of this.#listeners) {
      try {
        listener(pid, status);
      } catch {
        // a listener's failure must not stop reaping
      }
    }
  }
}

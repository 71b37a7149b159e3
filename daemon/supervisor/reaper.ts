/**
 * The daemon's one reaper: its own job processes by pid, and orphans, next to Deno's own child
 * handling.
 *
 * Job processes are spawned through `posix_spawn` (`fd_spawner.ts`) and registered with
 * {@linkcode Reaper.watch}: Deno does not know them, so the reaper collects them by pid and
 * hands each its status. On SIGCHLD, `waitid(WNOWAIT)` names each ended child without reaping
 * it; watched pids and orphans are then reaped by pid, so no status is ever taken from a child
 * Deno itself waits for (one spawned with `Deno.Command`). When such a child is the one named,
 * the reaper falls back to checking each watched pid and scanning for orphans as below.
 *
 * The daemon becomes a child subreaper (or is PID 1), so processes that leave their job's tree
 * are re-parented to it. Deno waits for the children it spawned through their pidfds; a global
 * `waitpid(-1)` would steal those exits (their `status` then rejects with ECHILD). So on every
 * SIGCHLD the reaper lists the daemon's children from `/proc/self/task/TID/children` and reaps,
 * by pid, only zombies that are not Deno's: neither registered with {@linkcode Reaper.own} nor
 * holding an open pidfd in this process.
 *
 * A spawn on a worker thread (`FdSpawner.spawnAsync`) creates the child before the JS thread
 * learns its pid, and the child may end in between. While such spawns are under way
 * ({@linkcode Reaper.spawnStarted}), the exit of a child nobody watches is reaped but held back
 * (bounded) for a later {@linkcode Reaper.watch}; once the last of them has ended, exits still
 * held are real orphans and are reported as such.
 *
 * @module
 */

import type { ExitStatus } from "../ports.ts";
import {
  getpid,
  isChildSubreaper,
  LibcError,
  peekEndedChild,
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

/**
 * Exits held while spawns are under way: a few per spawn in flight at most, unless real orphans
 * end meanwhile; beyond this the oldest are reported as orphans at once.
 */
const EARLY_LIMIT = 1024;

/** Period of the scan that runs while anyone waits (see {@linkcode Reaper.watch}). */
const KEEP_ALIVE_MS = 1000;

/** Options of {@linkcode Reaper.start}. */
export interface ReaperStartOptions {
  /** Become a child subreaper (ignored as PID 1, which is one already). Default true. */
  readonly subreaper?: boolean;
  /**
   * Keep Deno's event loop alive from the start, before anything is watched (default true: a
   * container's init waits for its main process with nothing else pending). The daemon, whose
   * control socket keeps its loop alive, passes false, so that its first timer comes after its
   * first spawn (see {@linkcode Reaper.start}).
   */
  readonly idleKeepAlive?: boolean;
}

/** Reaps orphaned zombies by pid and reports their exits. */
export class Reaper {
  readonly #own = new Set<number>();
  readonly #watched = new Map<number, (status: ExitStatus) => void>();
  #listening = false;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  /** The keep-alive timer is to be armed at the end of the current run. */
  #arming = false;
  readonly #listeners = new Set<OrphanExitListener>();
  readonly #waiters = new Map<number, ((s: ExitStatus) => void)[]>();
  readonly #recent = new Map<number, ExitStatus>();
  /** Exits of unwatched children reaped while spawns were under way, by pid, oldest first. */
  readonly #early = new Map<number, ExitStatus>();
  /** Spawns under way whose pid the JS thread does not know yet. */
  #spawning = 0;
  #started = false;
  #idleKeepAlive = true;
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
    this.#started = true;
    this.#idleKeepAlive = options.idleKeepAlive ?? true;
    this.#listen();
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
    this.#started = false;
    this.#listen();
  }

  /**
   * Listens to SIGCHLD while started or while anyone waits (a spawner used without a started
   * reaper, as in tests, still learns of its exits; an idle one holds no listener).
   */
  #listen(): void {
    const waiting = this.#watched.size > 0 || this.#waiters.size > 0;
    const want = this.#started || waiting;
    if (want !== this.#listening) {
      if (want) Deno.addSignalListener("SIGCHLD", this.#onSignal);
      else Deno.removeSignalListener("SIGCHLD", this.#onSignal);
      this.#listening = want;
    }
    // A signal listener does not keep Deno's event loop alive; a slow timer does (and is a
    // safety net should a SIGCHLD ever be missed). Without `idleKeepAlive`, not before the first
    // wait: in Deno 2.9 the first timer starts the Node layer (docs/platform.md#start-up-costs),
    // which a starting daemon would otherwise pay before its first job. Kept while started, so
    // that a respawn (the last watched pid gone, a new one watched) does not clear and set it.
    // Armed once the current run is over: a first watch comes with the first spawn of what may
    // be a burst, whose next spawns should go out before the Node layer loads.
    const keep = waiting || (this.#started && this.#idleKeepAlive);
    if (keep && this.#keepAlive === undefined && !this.#arming) {
      this.#arming = true;
      queueMicrotask(() => {
        if (!this.#arming) return; // no longer wanted: stopped meanwhile
        this.#arming = false;
        this.#keepAlive ??= setInterval(this.#onSignal, KEEP_ALIVE_MS);
      });
    } else if (!want) {
      this.#arming = false;
      if (this.#keepAlive === undefined) return;
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /**
   * Reaps child `pid` when it ends and calls `onExit` with its status (once). The pid must be a
   * child of this process that Deno does not wait for (one spawned through `posix_spawn`).
   */
  watch(pid: number, onExit: (status: ExitStatus) => void): void {
    const early = this.#early.get(pid);
    if (early !== undefined) {
      // It ended before its spawn told us its pid.
      this.#early.delete(pid);
      onExit(early);
      return;
    }
    const seen = this.#recent.get(pid);
    if (seen !== undefined && readProcStat(pid) === null) {
      // Reaped as an orphan between its spawn and this call (an asynchronous spawn).
      this.#recent.delete(pid);
      onExit(seen);
      return;
    }
    this.#watched.set(pid, onExit);
    this.#listen();
    this.#reapWatched(pid);
  }

  /**
   * A spawn whose pid arrives later is under way: from now until the matching
   * {@linkcode spawnEnded}, exits of children nobody watches are held for {@linkcode watch}.
   */
  spawnStarted(): void {
    this.#spawning++;
  }

  /**
   * The spawn announced by {@linkcode spawnStarted} has ended (its pid, if any, is watched by
   * now). After the last one, exits still held belong to real orphans and are reported.
   */
  spawnEnded(): void {
    if (this.#spawning === 0) return;
    if (--this.#spawning > 0) return;
    for (const [pid, status] of [...this.#early]) {
      this.#early.delete(pid);
      this.#reported(pid, status);
    }
  }

  /**
   * Whether the keep-alive timer runs, or is armed at the end of the current run (see
   * {@linkcode ReaperStartOptions.idleKeepAlive}).
   */
  get keepingAlive(): boolean {
    return this.#keepAlive !== undefined || this.#arming;
  }

  /** Exits held for a spawn under way (see {@linkcode spawnStarted}). */
  get held(): number {
    return this.#early.size;
  }

  /** Stops watching `pid` (it is then reaped as an orphan). */
  unwatch(pid: number): void {
    this.#watched.delete(pid);
    this.#listen();
  }

  /** Pids watched now. */
  get watching(): number {
    return this.#watched.size;
  }

  /** Reaps watched `pid` if it has ended; true when it was collected (or is gone). */
  #reapWatched(pid: number): boolean {
    const onExit = this.#watched.get(pid);
    if (onExit === undefined) return false;
    let status: ExitStatus;
    try {
      const got = waitpidNoHang(pid);
      if (got.pid !== pid || got.status === null) return false;
      status = got.status;
    } catch (e) {
      if (!(e instanceof LibcError && e.code === "ECHILD")) throw e;
      // Not ours to wait for any more: report it as killed rather than wait forever.
      status = { signal: 9 };
    }
    this.#watched.delete(pid);
    this.#listen();
    try {
      onExit(status);
    } catch {
      // a watcher's failure must not stop reaping
    }
    return true;
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

  /**
   * true when `pid` is a child someone waits for: a watched one, or Deno's (registered, or
   * holding a pidfd). Such a child is never an orphan.
   */
  isDenoChild(pid: number, pidfds?: Set<number>): boolean {
    return this.#watched.has(pid) || this.#own.has(pid) || (pidfds ?? pidfdPids()).has(pid);
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
    const early = this.#early.get(pid);
    if (early !== undefined) {
      // Held for a spawn under way, but asked for as an orphan: it is one.
      this.#early.delete(pid);
      this.#reported(pid, early);
    }
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
      this.#listen();
      this.scan();
    });
  }

  /** Current children that are not Deno's (live or zombie). */
  orphans(): number[] {
    const kids = listChildren().filter((pid) =>
      !this.#own.has(pid) && !this.#watched.has(pid) && !claimed.has(pid)
    );
    if (kids.length === 0) return kids;
    const pidfds = pidfdPids();
    return kids.filter((pid) => !pidfds.has(pid));
  }

  /**
   * Reaps every ended watched child and orphaned zombie now. Called on SIGCHLD; safe to call at
   * any time. Costs one `waitid` per ended child, whatever the number of children, unless an
   * ended child is Deno's (then {@linkcode fullScan}).
   */
  scan(): void {
    for (;;) {
      const pid = peekEndedChild();
      if (pid <= 0) return;
      if (this.#watched.has(pid)) {
        if (!this.#reapWatched(pid)) return this.fullScan();
        continue;
      }
      // A claimed child stays a zombie until its claimant waits: look past it the slow way.
      if (claimed.has(pid) || this.#own.has(pid) || pidfdPids().has(pid)) return this.fullScan();
      if (!this.#reap(pid)) return this.fullScan();
    }
  }

  /** Checks every watched pid and every child: the slow path of {@linkcode scan}. */
  fullScan(): void {
    for (const pid of [...this.#watched.keys()]) this.#reapWatched(pid);
    let pidfds: Set<number> | null = null;
    for (const pid of listChildren()) {
      if (this.#own.has(pid) || this.#watched.has(pid) || claimed.has(pid)) continue;
      if (readProcStat(pid)?.state !== "Z") continue;
      pidfds ??= pidfdPids();
      if (pidfds.has(pid)) continue;
      this.#reap(pid);
    }
  }

  /** Reaps orphan `pid`; false when it was not there to reap. */
  #reap(pid: number): boolean {
    let status: ExitStatus | null;
    try {
      const got = waitpidNoHang(pid);
      if (got.pid !== pid || got.status === null) return false;
      status = got.status;
    } catch (e) {
      if (e instanceof LibcError && e.code === "ECHILD") return false; // someone else collected it
      throw e;
    }
    if (this.#spawning > 0) {
      // Perhaps a child whose spawn has not told us its pid yet: hold its exit for watch().
      this.#early.set(pid, status);
      if (this.#early.size > EARLY_LIMIT) {
        const [oldest, st] = this.#early.entries().next().value!;
        this.#early.delete(oldest);
        this.#reported(oldest, st);
      }
      return true;
    }
    this.#reported(pid, status);
    return true;
  }

  /** Records orphan `pid`'s exit and tells whoever waits for it. */
  #reported(pid: number, status: ExitStatus): void {
    this.#recent.set(pid, status);
    if (this.#recent.size > RECENT_LIMIT) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    const waiting = this.#waiters.get(pid);
    this.#waiters.delete(pid);
    this.#listen();
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

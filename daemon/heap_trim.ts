/**
 * Gives the heap back after a burst of spawns (see docs/behaviour.md#memory). Starting hundreds
 * of jobs at once (start-up, a runlevel, a reload) leaves V8's heap grown with the garbage of the
 * burst; V8 shrinks it on its own only after several seconds of low allocation (its memory
 * reducer), and until then the daemon holds megabytes it no longer needs. Once spawns have been
 * quiet for a moment after a burst, one full collection returns them at once: a few ms of GC,
 * once per burst, never while jobs keep starting and never when idle.
 *
 * A burst is over when its last process exists, not when the engine asked for it: the spawner
 * queues a burst's spawns and makes a few at a time (daemon/supervisor/fd_spawner.ts), so at
 * 2,000 jobs most of them are still queued, and the pids still to arrive at the engine, seconds
 * after the last request. Quiet therefore starts once the spawner has nothing queued or under
 * way ({@linkcode HeapTrimPorts.spawnsPending}); a collection before that would leave the rest
 * of the burst's garbage in the heap.
 *
 * Answered requests make garbage too, and a big one a lot of it: `initctl list` at 2,000 jobs
 * leaves about 1 MB, mostly its reply text, which lives in V8's large-object space until V8's
 * next full collection, and V8 lets the heap grow by tens of megabytes before it makes one. So
 * once requests have been quiet for the same moment, the heap is collected too when it has grown
 * by {@linkcode HeapTrimOptions.minGrowthBytes} since the last collection; requests never delay
 * the collection after a burst of spawns (a client polling all the time would keep it off).
 *
 * The collection is V8's `gc()`, which the launcher exposes with `--expose-gc` (bin/init); when it
 * is absent (tests, another launcher) nothing is done.
 *
 * @module
 */

/** What {@linkcode HeapTrim} needs from outside: the clock and the collection. */
export interface HeapTrimPorts {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms`. */
  setTimer(ms: number, fn: () => void): void;
  /** One full garbage collection. */
  collect(): void;
  /** Spawns still queued or under way (a spawner that makes them all at once: always 0). */
  spawnsPending?(): number;
  /** Bytes of the JS heap in use; without it, answered requests never lead to a collection. */
  heapUsed?(): number;
}

/** Options of {@linkcode HeapTrim}. */
export interface HeapTrimOptions {
  /** How long spawns must have been quiet before the collection. Default 300 ms. */
  readonly quietMs?: number;
  /** How many spawns make a burst worth a collection. Default 50. */
  readonly minSpawns?: number;
  /** Heap growth since the last collection that makes requests worth one. Default 16 MiB. */
  readonly minGrowthBytes?: number;
}

/** How often a burst still under way in the spawner is looked at again (ms). */
const BUSY_RECHECK_MS = 50;

/** Counts spawns and collects once after each burst, or after requests that grew the heap. */
export class HeapTrim {
  readonly #ports: HeapTrimPorts;
  readonly #quietMs: number;
  readonly #minSpawns: number;
  readonly #minGrowth: number;
  #spawns = 0;
  #last = 0;
  #lastRequest = 0;
  /** Heap in use right after the last collection (or at construction). */
  #baseline: number;
  #armed = false;
  /** Collections made so far. */
  collections = 0;

  constructor(ports: HeapTrimPorts, options: HeapTrimOptions = {}) {
    this.#ports = ports;
    this.#quietMs = options.quietMs ?? 300;
    this.#minSpawns = options.minSpawns ?? 50;
    this.#minGrowth = options.minGrowthBytes ?? 16 << 20;
    this.#baseline = this.#heapUsed();
  }

  /** A process was spawned. Cheap: at most one timer is armed at a time. */
  spawned(): void {
    this.#spawns++;
    this.#last = this.#ports.now();
    if (this.#spawns >= this.#minSpawns && !this.#armed) this.#arm(this.#quietMs);
  }

  /** A request was answered. Cheap: at most one timer is armed at a time. */
  answered(): void {
    if (this.#ports.heapUsed === undefined) return;
    this.#lastRequest = this.#ports.now();
    if (!this.#armed) this.#arm(this.#quietMs);
  }

  #arm(ms: number): void {
    this.#armed = true;
    this.#ports.setTimer(ms, () => this.#check());
  }

  #check(): void {
    if ((this.#ports.spawnsPending?.() ?? 0) > 0) {
      // The burst goes on in the spawner; a collection now (≈90 ms at 500 jobs) would also hold
      // up the spawns still queued. Looked at again soon, so that quiet counts from about the
      // burst's end.
      this.#last = this.#ports.now();
      this.#arm(Math.min(this.#quietMs, BUSY_RECHECK_MS));
      return;
    }
    const burst = this.#spawns >= this.#minSpawns;
    const quiet = this.#ports.now() - (burst ? this.#last : this.#lastRequest);
    if (quiet < this.#quietMs) {
      this.#arm(this.#quietMs - quiet);
      return;
    }
    this.#armed = false;
    if (!burst && this.#heapUsed() - this.#baseline < this.#minGrowth) return;
    this.#spawns = 0;
    this.collections++;
    try {
      this.#ports.collect();
    } catch {
      // A collection that fails changes nothing the daemon needs.
    }
    this.#baseline = this.#heapUsed();
  }

  #heapUsed(): number {
    try {
      return this.#ports.heapUsed?.() ?? 0;
    } catch {
      return 0;
    }
  }
}

/**
 * V8's `gc()` when the runtime exposes it (`--v8-flags=--expose-gc`), else null. The
 * `last-resort` flavour is the collection that also compacts the heap and releases its empty
 * pages: a plain `gc()` frees the garbage but keeps the pages (measured at 500 jobs: the plain
 * one returned nothing, this one 5 MB of heap and 7 MB of the process's memory).
 */
export function exposedGc(): (() => void) | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== "function") return null;
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}

/**
 * Gives the heap back after a burst of spawns (see docs/behaviour.md#memory). Starting hundreds
 * of jobs at once (start-up, a runlevel, a reload) leaves V8's heap grown with the garbage of the
 * burst; V8 shrinks it on its own only after several seconds of low allocation (its memory
 * reducer), and until then the daemon holds megabytes it no longer needs. Once spawns have been
 * quiet for a moment after a burst, one full collection returns them at once: a few ms of GC,
 * once per burst, never while jobs keep starting and never when idle.
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
  /**
   * Whether spawns asked for are still under way (queued for a blocking thread, say): the burst
   * has not ended, however long ago the last was asked for. Absent: never.
   */
  busy?(): boolean;
}

/** Options of {@linkcode HeapTrim}. */
export interface HeapTrimOptions {
  /** How long spawns must have been quiet before the collection. Default 300 ms. */
  readonly quietMs?: number;
  /** How many spawns make a burst worth a collection. Default 50. */
  readonly minSpawns?: number;
}

/** How often a burst still under way is looked at again (ms). */
const BUSY_RECHECK_MS = 50;

/** Counts spawns and collects once after each burst. */
export class HeapTrim {
  readonly #ports: HeapTrimPorts;
  readonly #quietMs: number;
  readonly #minSpawns: number;
  #spawns = 0;
  #last = 0;
  #armed = false;
  /** Collections made so far. */
  collections = 0;

  constructor(ports: HeapTrimPorts, options: HeapTrimOptions = {}) {
    this.#ports = ports;
    this.#quietMs = options.quietMs ?? 300;
    this.#minSpawns = options.minSpawns ?? 50;
  }

  /** A process was spawned. Cheap: at most one timer is armed at a time. */
  spawned(): void {
    this.#spawns++;
    this.#last = this.#ports.now();
    if (this.#spawns >= this.#minSpawns && !this.#armed) this.#arm(this.#quietMs);
  }

  #arm(ms: number): void {
    this.#armed = true;
    this.#ports.setTimer(ms, () => this.#check());
  }

  #check(): void {
    // A collection mid-burst (≈90 ms at 500 jobs) would hold up the spawns still queued. Looked
    // at again soon, so that the quiet time counts from about the burst's end.
    if (this.#ports.busy?.() === true) {
      this.#last = this.#ports.now();
      this.#arm(Math.min(this.#quietMs, BUSY_RECHECK_MS));
      return;
    }
    const quiet = this.#ports.now() - this.#last;
    if (quiet < this.#quietMs) {
      this.#arm(this.#quietMs - quiet);
      return;
    }
    this.#armed = false;
    this.#spawns = 0;
    this.collections++;
    try {
      this.#ports.collect();
    } catch {
      // A collection that fails changes nothing the daemon needs.
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

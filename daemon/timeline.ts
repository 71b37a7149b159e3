/**
 * The timeline: every state change of every job instance, with its monotonic
 * time, in a ring buffer of bounded size (the oldest changes are dropped
 * first). `initctl timeline` draws it. See docs/seeing.md#the-timeline.
 *
 * @module
 */

import type { JobState } from "./engine/types.ts";

/** One state change. */
export interface Transition {
  /** Sequence number, from 1; gaps at the start mean older changes were dropped. */
  readonly seq: number;
  /** Monotonic milliseconds (the daemon clock). */
  readonly t: number;
  readonly job: string;
  readonly instance: string;
  readonly from: JobState;
  readonly to: JobState;
  /** The goal at that moment (`respawn` shows as `start`). */
  readonly goal: "start" | "stop";
  /**
   * On leaving `starting`: the job whose job event (`started db`, …) started this instance,
   * when one did; null otherwise.
   */
  readonly cause: string | null;
}

/** How many changes are kept by default. */
export const DEFAULT_CAPACITY = 10_000;

/** The strings kept per change, in this order after its time. */
const WIDTH = 6;

/**
 * A bounded record of state changes. Kept as columns, not one object per change: a job's start
 * makes about six changes, and an object each (with its boxed time) cost 128 bytes against 56 here
 * (docs/behaviour.md#memory). `entries()` makes the objects when they are asked for.
 */
export class Timeline {
  readonly #now: () => number;
  readonly #capacity: number;
  /** Times, one per change (unboxed doubles). */
  readonly #t: number[] = [];
  /** job, instance, from, to, goal, cause: WIDTH slots per change. */
  readonly #fields: (string | null)[] = [];
  #count = 0;
  #next = 0;
  #seq = 0;
  /** Monotonic ms when the timeline began (the daemon's start). */
  readonly origin: number;
  /** Wall-clock ms (Unix epoch) matching `origin`. */
  readonly wallOrigin: number;

  /**
   * @param now the monotonic clock, ms
   * @param capacity how many changes to keep
   * @param wallNow the wall clock, ms since the epoch
   */
  constructor(now: () => number, capacity = DEFAULT_CAPACITY, wallNow: () => number = Date.now) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1: ${capacity}`);
    this.#now = now;
    this.#capacity = Math.floor(capacity);
    this.origin = now();
    this.wallOrigin = wallNow();
  }

  /** Records a change at the current time (into the columns: no object is kept or made). */
  record(change: Omit<Transition, "seq" | "t">): void {
    ++this.#seq;
    const i = this.#next;
    this.#t[i] = this.#now();
    const f = this.#fields;
    const at = i * WIDTH;
    f[at] = change.job;
    f[at + 1] = change.instance;
    f[at + 2] = change.from;
    f[at + 3] = change.to;
    f[at + 4] = change.goal;
    f[at + 5] = change.cause;
    this.#next = (i + 1) % this.#capacity;
    if (this.#count < this.#capacity) this.#count++;
  }

  /** The kept changes, oldest first. */
  entries(): Transition[] {
    const out: Transition[] = [];
    const first = this.#count < this.#capacity ? 0 : this.#next;
    const f = this.#fields;
    for (let k = 0; k < this.#count; k++) {
      const i = (first + k) % this.#capacity;
      const at = i * WIDTH;
      out.push({
        seq: this.#seq - this.#count + 1 + k,
        t: this.#t[i]!,
        job: f[at]!,
        instance: f[at + 1]!,
        from: f[at + 2] as JobState,
        to: f[at + 3] as JobState,
        goal: f[at + 4] as "start" | "stop",
        cause: f[at + 5] ?? null,
      });
    }
    return out;
  }

  /** How many changes were dropped for lack of room. */
  get dropped(): number {
    return this.#seq - this.#count;
  }

  /** The current monotonic time. */
  now(): number {
    return this.#now();
  }
}

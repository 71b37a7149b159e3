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

/** A bounded record of state changes. */
export class Timeline {
  readonly #now: () => number;
  readonly #capacity: number;
  readonly #ring: Transition[] = [];
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

  /** Records a change at the current time. */
  record(change: Omit<Transition, "seq" | "t">): Transition {
    const entry: Transition = { seq: ++this.#seq, t: this.#now(), ...change };
    if (this.#ring.length < this.#capacity) this.#ring.push(entry);
    else this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.#capacity;
    return entry;
  }

  /** The kept changes, oldest first. */
  entries(): Transition[] {
    if (this.#ring.length < this.#capacity) return [...this.#ring];
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  /** How many changes were dropped for lack of room. */
  get dropped(): number {
    return this.#seq - this.#ring.length;
  }

  /** The current monotonic time. */
  now(): number {
    return this.#now();
  }
}

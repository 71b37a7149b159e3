/**
 * A manual monotonic clock implementing the {@linkcode Clock} port: timers fire, in due order,
 * only when a test calls `advance()`.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../../daemon/ports.ts";

interface FakeTimer {
  readonly due: number;
  readonly fn: () => void;
}

/**
 * Fake monotonic time in milliseconds.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "./fake_clock.ts";
 * const fired: string[] = [];
 * const clock = new FakeClock();
 * clock.setTimer(5000, () => fired.push("kill"));
 * clock.advance(4999);
 * assert.deepEqual(fired, []);
 * clock.advance(1);
 * assert.deepEqual(fired, ["kill"]);
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextHandle = 1;
  readonly #timers = new Map<TimerHandle, FakeTimer>();

  /** @param options the start time */
  constructor(options: { start?: number } = {}) {
    this.#now = options.start ?? 0;
  }

  /** Current monotonic time in ms. */
  now(): number {
    return this.#now;
  }

  /** Arms a timer `ms` from now. */
  setTimer(ms: number, fn: () => void): TimerHandle {
    const handle = this.#nextHandle++;
    this.#timers.set(handle, { due: this.#now + ms, fn });
    return handle;
  }

  /** Cancels a timer; unknown handles are ignored. */
  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle);
  }

  /** Handles of armed timers, earliest first (ties in the order they were armed). */
  get pending(): TimerHandle[] {
    return [...this.#timers].sort(([ha, a], [hb, b]) => a.due - b.due || ha - hb).map(([h]) => h);
  }

  /** When a timer is due, or undefined when not armed. */
  dueAt(handle: TimerHandle): number | undefined {
    return this.#timers.get(handle)?.due;
  }

  /**
   * Moves time forward, firing every timer that falls due on the way (including timers armed by
   * the callbacks), each at its own due time.
   *
   * @param ms how far to go
   */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.pending[0];
      if (next === undefined) break;
      const timer = this.#timers.get(next)!;
      if (timer.due > target) break;
      this.#now = Math.max(this.#now, timer.due);
      this.#timers.delete(next);
      timer.fn();
    }
    this.#now = target;
  }
}

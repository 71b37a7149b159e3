/**
 * A manual monotonic clock for engine tests: timers armed by `armTimer` effects fire, in due
 * order, only when a test calls `advance()`.
 *
 * @module
 */

/**
 * Fake monotonic time in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const fired: string[] = [];
 * const clock = new FakeClock({ onFire: (id) => fired.push(id) });
 * clock.arm("kill", 5000);
 * clock.advance(4999); // fired: []
 * clock.advance(1); // fired: ["kill"]
 * ```
 */
export class FakeClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<string, { due: number; seq: number }>();
  #onFire: (id: string) => void;

  /**
   * @param options start time and what to call when a timer fires
   */
  constructor(options: { start?: number; onFire?: (id: string) => void } = {}) {
    this.#now = options.start ?? 0;
    this.#onFire = options.onFire ?? (() => {});
  }

  /** Current monotonic time in ms. */
  get now(): number {
    return this.#now;
  }

  /** Sets the callback for fired timers (the harness routes them to the engine). */
  set onFire(fn: (id: string) => void) {
    this.#onFire = fn;
  }

  /** Arms (or re-arms) a timer `ms` from now. */
  arm(id: string, ms: number): void {
    this.#timers.set(id, { due: this.#now + ms, seq: this.#seq++ });
  }

  /** Cancels a timer; unknown ids are ignored. */
  cancel(id: string): void {
    this.#timers.delete(id);
  }

  /** Ids of armed timers, earliest first. */
  get pending(): string[] {
    return [...this.#timers].sort(([, a], [, b]) => a.due - b.due || a.seq - b.seq).map(([id]) =>
      id
    );
  }

  /** When a timer is due, or undefined when not armed. */
  dueAt(id: string): number | undefined {
    return this.#timers.get(id)?.due;
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
      const due = this.#timers.get(next)!.due;
      if (due > target) break;
      this.#now = Math.max(this.#now, due);
      this.#timers.delete(next);
      this.#onFire(next);
    }
    this.#now = target;
  }
}

/**
 * The real {@linkcode Clock}: `performance.now()` and the runtime's timers.
 *
 * @module
 */

import type { Clock } from "./ports.ts";

/** Monotonic time and timers of the running process. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms) as unknown as number,
  clearTimer: (h) => clearTimeout(h),
};

/**
 * Collapses repeated lines of the daemon's log: a job in a respawn loop once wrote megabytes a minute of the same few lines. Lines are "similar" when
 * they differ only in their numbers (PIDs, statuses, delays) — so each job's lines, which name
 * the job, are limited on their own. Of each kind of line at most `burst` are written per
 * `windowMs`; the rest are counted, and when the window ends one line says how many were
 * suppressed, so that nothing is dropped without a word.
 *
 * @module
 */

import type { LogPriority } from "./options.ts";

/** Where admitted lines (and the summaries) go. */
export type LogEmit = (priority: LogPriority, message: string) => void;

/** Timers, for tests. */
export interface LimiterTimers {
  now(): number;
  /** Calls `fn` after `ms`; the returned function cancels it. Must not keep the process alive. */
  after(ms: number, fn: () => void): () => void;
}

/** Options of {@linkcode LogLimiter}. */
export interface LogLimiterOptions {
  /** Similar lines written per window. @default 10 */
  readonly burst?: number;
  /** Window length. @default 10_000 */
  readonly windowMs?: number;
  /** Kinds of lines tracked at once (the oldest are forgotten first). @default 1024 */
  readonly maxKinds?: number;
  readonly timers?: LimiterTimers;
}

const SYSTEM_TIMERS: LimiterTimers = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const id = setTimeout(fn, ms);
    Deno.unrefTimer(id);
    return () => clearTimeout(id);
  },
};

interface Kind {
  readonly priority: LogPriority;
  start: number;
  written: number;
  suppressed: number;
  last: string;
  cancel: (() => void) | null;
}

/**
 * The kind of a line: its priority and its text with every run of digits as `#`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineKind } from "./log_limiter.ts";
 * assert.equal(lineKind("warn", "web main process (12) ended"), lineKind("warn", "web main process (977) ended"));
 * assert.notEqual(lineKind("warn", "web ended"), lineKind("warn", "db ended"));
 * ```
 */
export function lineKind(priority: LogPriority, message: string): string {
  return `${priority} ${message.replace(/[0-9]+/g, "#")}`;
}

/**
 * A rate limiter in front of the daemon log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LogLimiter } from "./log_limiter.ts";
 * const out: string[] = [];
 * const limiter = new LogLimiter((_p, m) => out.push(m), { burst: 2 });
 * for (let i = 0; i < 5; i++) limiter.log("warn", `job main process (${i}) ended`);
 * limiter.flush();
 * assert.deepEqual(out, [
 *   "job main process (0) ended",
 *   "job main process (1) ended",
 *   "3 similar messages suppressed (last: job main process (4) ended)",
 * ]);
 * ```
 */
export class LogLimiter {
  readonly #emit: LogEmit;
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #maxKinds: number;
  readonly #timers: LimiterTimers;
  readonly #kinds = new Map<string, Kind>();

  constructor(emit: LogEmit, options: LogLimiterOptions = {}) {
    this.#emit = emit;
    this.#burst = options.burst ?? 10;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxKinds = options.maxKinds ?? 1024;
    this.#timers = options.timers ?? SYSTEM_TIMERS;
  }

  /** Writes the line, or counts it when its kind is over its budget. */
  log(priority: LogPriority, message: string): void {
    const key = lineKind(priority, message);
    const now = this.#timers.now();
    let kind = this.#kinds.get(key);
    if (kind !== undefined && now - kind.start >= this.#windowMs) {
      this.#close(kind);
      kind.start = now;
      kind.written = 0;
    }
    if (kind === undefined) {
      this.#makeRoom(now);
      kind = { priority, start: now, written: 0, suppressed: 0, last: "", cancel: null };
      this.#kinds.set(key, kind);
    }
    if (kind.written < this.#burst) {
      kind.written++;
      this.#emit(priority, message);
      return;
    }
    kind.suppressed++;
    kind.last = message;
    if (kind.cancel === null) {
      const due = kind.start + this.#windowMs - now;
      const k = kind;
      kind.cancel = this.#timers.after(Math.max(0, due), () => {
        k.cancel = null;
        this.#close(k);
      });
    }
  }

  /** Writes every pending summary now (e.g. before the daemon exits). */
  flush(): void {
    for (const kind of this.#kinds.values()) this.#close(kind);
  }

  /** Writes a kind's summary, if it suppressed anything, and cancels its timer. */
  #close(kind: Kind): void {
    kind.cancel?.();
    kind.cancel = null;
    if (kind.suppressed === 0) return;
    const n = kind.suppressed;
    kind.suppressed = 0;
    const noun = n === 1 ? "message" : "messages";
    this.#emit(kind.priority, `${n} similar ${noun} suppressed (last: ${kind.last})`);
  }

  /** Forgets kinds whose window is over, then the oldest, to stay within `maxKinds`. */
  #makeRoom(now: number): void {
    if (this.#kinds.size < this.#maxKinds) return;
    for (const [key, kind] of this.#kinds) {
      if (now - kind.start >= this.#windowMs) {
        this.#close(kind);
        this.#kinds.delete(key);
      }
    }
    for (const [key, kind] of this.#kinds) {
      if (this.#kinds.size < this.#maxKinds) break;
      this.#close(kind);
      this.#kinds.delete(key);
    }
  }
}

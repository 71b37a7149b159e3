/**
 * Event-loop protection (see docs/behaviour.md#event-loops): counts the starts of each job that
 * its own events caused, directly or through other jobs, and holds a job whose count passes the
 * limit within the window, so that a job file that triggers itself cannot run forever. Pure: the
 * time comes in as an argument.
 *
 * @module
 */

/** How many self-caused starts are allowed, over what window, and how long a hold lasts. */
export interface LoopLimit {
  /** Self-caused starts allowed within `windowMs`; one more trips the guard. */
  readonly starts: number;
  readonly windowMs: number;
  /** How long event starts of a tripped job are ignored. */
  readonly holdMs: number;
}

/** The default: as Upstart's respawn limit, 10 in 5 s; held for 10 s. */
export const DEFAULT_LOOP_LIMIT: LoopLimit = { starts: 10, windowMs: 5000, holdMs: 10_000 };

/** The most job names an event's lineage keeps (the newest). */
export const LINEAGE_MAX = 64;

/**
 * A lineage extended with more names (deduplicated; the oldest dropped past
 * {@linkcode LINEAGE_MAX}). Returns `base` itself when nothing is new, so that events of one
 * instance share one array.
 */
export function extendLineage(
  base: readonly string[],
  more: Iterable<string>,
): readonly string[] {
  let out: string[] | null = null;
  for (const name of more) {
    if ((out ?? base).includes(name)) continue;
    out ??= [...base];
    out.push(name);
  }
  if (out === null) return base;
  return out.length > LINEAGE_MAX ? out.slice(out.length - LINEAGE_MAX) : out;
}

/** A {@linkcode LoopGuard}'s counts as plain data. */
export interface LoopGuardState {
  readonly recent: readonly (readonly [string, readonly number[]])[];
  readonly heldUntil: readonly (readonly [string, number])[];
}

/** What the guard says of one self-caused start. */
export type LoopVerdict =
  /** Allowed. */
  | { readonly kind: "ok" }
  /** This start passed the limit: refuse it, and say so once. */
  | { readonly kind: "tripped"; readonly starts: number }
  /** The job is held: refuse it quietly. */
  | { readonly kind: "held" };

/**
 * Per-job counts of self-caused starts.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoopGuard } from "./loop_guard.ts";
 * const guard = new LoopGuard({ starts: 2, windowMs: 1000, holdMs: 5000 });
 * assert.equal(guard.selfStart("a", 0).kind, "ok");
 * assert.equal(guard.selfStart("a", 10).kind, "ok");
 * assert.equal(guard.selfStart("a", 20).kind, "tripped");
 * assert.equal(guard.selfStart("a", 30).kind, "held");
 * assert.equal(guard.selfStart("a", 5020).kind, "ok");
 * ```
 */
export class LoopGuard {
  readonly limit: LoopLimit;
  readonly #recent = new Map<string, number[]>();
  readonly #heldUntil = new Map<string, number>();

  constructor(limit: LoopLimit = DEFAULT_LOOP_LIMIT) {
    this.limit = limit;
  }

  /**
   * Counts one start of `job` caused by its own events at time `now` (ms).
   *
   * @returns whether to start it
   */
  selfStart(job: string, now: number): LoopVerdict {
    const until = this.#heldUntil.get(job);
    if (until !== undefined) {
      if (now < until) return { kind: "held" };
      this.#heldUntil.delete(job);
    }
    const since = now - this.limit.windowMs;
    const times = (this.#recent.get(job) ?? []).filter((t) => t > since);
    times.push(now);
    if (times.length > this.limit.starts) {
      this.#recent.delete(job);
      this.#heldUntil.set(job, now + this.limit.holdMs);
      return { kind: "tripped", starts: times.length };
    }
    this.#recent.set(job, times);
    return { kind: "ok" };
  }

  /** Whether a job is held at `now`. */
  isHeld(job: string, now: number): boolean {
    return (this.#heldUntil.get(job) ?? -Infinity) > now;
  }

  /** The counts as plain data (a re-exec's snapshot, docs/reexec.md); times in ms. */
  exportState(): LoopGuardState {
    return {
      recent: [...this.#recent].map(([job, times]) => [job, [...times]] as const),
      heldUntil: [...this.#heldUntil],
    };
  }

  /** Takes counts {@linkcode exportState} gave, each time moved by `shiftMs` (a new clock). */
  importState(state: LoopGuardState, shiftMs = 0): void {
    this.#recent.clear();
    this.#heldUntil.clear();
    for (const [job, times] of state.recent) this.#recent.set(job, times.map((t) => t + shiftMs));
    for (const [job, until] of state.heldUntil) this.#heldUntil.set(job, until + shiftMs);
  }

  /** Forgets a job's counts (its class was removed). */
  forget(job: string): void {
    this.#recent.delete(job);
    this.#heldUntil.delete(job);
  }
}

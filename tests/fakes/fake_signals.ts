/**
 * A fake {@linkcode Signals}: tests `raise()` a signal and every subscriber hears it at once.
 *
 * @module
 */

import type { SignalName, Signals } from "../../daemon/ports.ts";

/**
 * Signals raised by the test.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeSignals } from "./fake_signals.ts";
 * const signals = new FakeSignals();
 * let heard = 0;
 * const off = signals.subscribe("SIGHUP", () => heard++);
 * signals.raise("SIGHUP");
 * off();
 * signals.raise("SIGHUP");
 * assert.equal(heard, 1);
 * ```
 */
export class FakeSignals implements Signals {
  readonly #subscribers = new Map<SignalName, Set<() => void>>();

  subscribe(signal: SignalName, fn: () => void): () => void {
    const set = this.#subscribers.get(signal) ?? new Set();
    this.#subscribers.set(signal, set);
    const entry = () => fn();
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Delivers a signal to its subscribers. */
  raise(signal: SignalName): void {
    for (const fn of [...(this.#subscribers.get(signal) ?? [])]) fn();
  }

  /** Signals that currently have a subscriber, sorted. */
  get subscribed(): SignalName[] {
    return [...this.#subscribers].filter(([, s]) => s.size > 0).map(([n]) => n).sort();
  }
}

/**
 * A `start on`/`stop on` expression being evaluated over time, plus the event references it
 * holds (see docs/events.md#evaluation): every event a satisfied leaf took is blocked from
 * finishing until the tree is reset. That is the "partial `and` holds the event" quirk.
 *
 * @module
 */

import { EventExprState, sharedEventNames } from "./event_operator.ts";
import type { EventExpr } from "../../parser/types.ts";
import type { QueuedEvent } from "./event_queue.ts";

/** An {@linkcode ExprTracker} as plain data: node values, leaf events and held events by id. */
export interface TrackerState {
  readonly values: number[];
  readonly events: (number | null)[];
  readonly held: number[];
}

/**
 * Tracks one expression and the blocks it holds on events.
 *
 * @example Usage
 * ```ts
 * import { ExprTracker } from "./expr_tracker.ts";
 * import { EventQueue } from "./event_queue.ts";
 * const tracker = new ExprTracker({
 *   kind: "and",
 *   left: { kind: "match", event: "a", args: [] },
 *   right: { kind: "match", event: "b", args: [] },
 * });
 * const b = new EventQueue().add("b", []);
 * tracker.offer(b, null); // false; b.blockers is now 1
 * tracker.reset(); // b.blockers is 0 again
 * ```
 */
export class ExprTracker {
  /** Event names the expression mentions; other events cannot affect it. */
  readonly names: ReadonlySet<string>;
  readonly #state: EventExprState<QueuedEvent>;
  #held: QueuedEvent[] = [];

  /** @param expr the expression */
  constructor(expr: EventExpr) {
    this.names = sharedEventNames(expr);
    this.#state = new EventExprState<QueuedEvent>(expr);
  }

  /**
   * Offers an event; newly taken events become held (their blocker count goes up).
   *
   * @param event the event
   * @param env `$VAR` expansion variables (the instance environment for `stop on`, null for
   *   `start on`)
   * @returns true when the whole expression is now true
   */
  offer(event: QueuedEvent, env: ReadonlyMap<string, string> | null): boolean {
    const result = this.#state.offer(event, env);
    if (result.matched) {
      for (const held of this.#state.heldEvents()) {
        if (this.#held.includes(held)) continue;
        this.#held.push(held);
        held.blockers++;
      }
    }
    return result.fired;
  }

  /** Events on the true branches, in tree order (see docs/events.md#evaluation). */
  trueEvents(): QueuedEvent[] {
    return this.#state.trueEvents();
  }

  /** Some leaf is satisfied but not the whole expression. */
  get partial(): boolean {
    return this.#state.partial;
  }

  /** Events currently held. */
  get held(): readonly QueuedEvent[] {
    return this.#held;
  }

  /** The tracker as plain data, events by id (docs/reexec.md). */
  exportState(): TrackerState {
    return { ...this.#state.exportState((e) => e.id), held: this.#held.map((e) => e.id) };
  }

  /**
   * Restores {@linkcode exportState}'s data; `lookup` gives the live event of an id. Blocker
   * counts are not touched: they are restored with the events.
   */
  importState(state: TrackerState, lookup: (id: number) => QueuedEvent): void {
    this.#state.importState(state, lookup);
    this.#held = state.held.map(lookup);
  }

  /** Makes the whole tree false and drops every held reference. */
  reset(): void {
    for (const event of this.#held) event.blockers--;
    this.#held = [];
    this.#state.reset();
  }
}

/**
 * Events and their life cycle (see docs/events.md#job-events): pending → handling → finished. An
 * event finishes once nothing blocks it; jobs waiting in `starting`/`stopping` on it and `emit`
 * callers are then released. This mirrors Upstart's `event_poll()`: the queue is drained until a
 * pass changes nothing, so events queued while handling others are handled in the same drain.
 *
 * @module
 */

import type { EventLike } from "../../parser/types.ts";
import type { InstanceId, WaiterId } from "./types.ts";

/** Something waiting for an event to finish. */
export type EventWaiter =
  /** An instance blocked in `starting`/`stopping` on its own job event. */
  | { readonly kind: "job"; readonly instanceId: InstanceId }
  /** An `emit` caller. */
  | { readonly kind: "emit"; readonly waiterId: WaiterId };

/** Where an event is in its life cycle. */
export type EventProgress = "pending" | "handling" | "finished";

/** One emitted event. Mutable bookkeeping, owned by the queue and the engine. */
export interface QueuedEvent extends EventLike {
  readonly id: number;
  readonly name: string;
  readonly env: readonly string[];
  progress: EventProgress;
  /** How many holders keep it from finishing (jobs it started/stopped, satisfied leaves). */
  blockers: number;
  /** A job it started or stopped failed during that transition. */
  failed: boolean;
  readonly waiters: EventWaiter[];
  /**
   * The jobs whose transitions led to this event (see docs/behaviour.md#event-loops): a job
   * event carries its instance's lineage plus the job itself; an event emitted from outside
   * has none.
   */
  readonly lineage: readonly string[];
}

/**
 * The `NAME/failed` event that follows a failed event (see docs/events.md#job-events), with a copy
 * of its environment; none for an event that did not fail or whose name already ends in `/failed`.
 *
 * @param event a finished event
 * @returns the follow-up event's name and environment, or null
 */
export function failureEvent(event: QueuedEvent): { name: string; env: string[] } | null {
  if (!event.failed || event.name.endsWith("/failed")) return null;
  return { name: `${event.name}/failed`, env: [...event.env] };
}

/** What the drain calls back into. */
export interface EventHandlers {
  /** Offer a newly pending event to every job (stop conditions first). */
  handle(event: QueuedEvent): void;
  /** Release the waiters of an event that just finished. */
  finish(event: QueuedEvent): void;
}

/**
 * The FIFO of live events.
 *
 * @example Usage
 * ```ts
 * import { EventQueue } from "./event_queue.ts";
 * const queue = new EventQueue();
 * queue.add("startup", []);
 * const seen: string[] = [];
 * queue.drain({ handle: (e) => seen.push(`handle ${e.name}`), finish: (e) => seen.push(`finish ${e.name}`) });
 * // seen: ["handle startup", "finish startup"]
 * ```
 */
export class EventQueue {
  #nextId = 1;
  #events: QueuedEvent[] = [];
  readonly #byId = new Map<number, QueuedEvent>();

  /**
   * Queues an event as pending.
   *
   * @param name the event name
   * @param env its `KEY=VALUE` variables, in order
   * @param waiter something to release when it finishes
   * @param lineage the jobs that led to it
   * @returns the queued event
   */
  add(
    name: string,
    env: readonly string[],
    waiter?: EventWaiter,
    lineage: readonly string[] = [],
  ): QueuedEvent {
    const event: QueuedEvent = {
      id: this.#nextId++,
      name,
      env,
      progress: "pending",
      blockers: 0,
      failed: false,
      waiters: waiter === undefined ? [] : [waiter],
      lineage,
    };
    this.#events.push(event);
    this.#byId.set(event.id, event);
    return event;
  }

  /**
   * A live (not yet finished) event by id.
   *
   * @param id the event id
   * @returns the event, or undefined once finished
   */
  get(id: number): QueuedEvent | undefined {
    return this.#byId.get(id);
  }

  /** Live events in queue order. */
  get events(): readonly QueuedEvent[] {
    return this.#events;
  }

  /** Live events and the next id as plain data (docs/reexec.md). */
  exportState(): { nextId: number; events: QueuedEvent[] } {
    return {
      nextId: this.#nextId,
      events: this.#events.map((e) => ({ ...e, env: [...e.env], waiters: [...e.waiters] })),
    };
  }

  /**
   * Replaces the whole queue with {@linkcode exportState}'s data. The events are taken as they
   * are: whatever else refers to them (expression state) must see the same objects.
   */
  importState(state: { nextId: number; events: readonly QueuedEvent[] }): void {
    this.#nextId = state.nextId;
    this.#events = [...state.events];
    this.#byId.clear();
    for (const e of this.#events) this.#byId.set(e.id, e);
  }

  /**
   * Handles pending events and finishes unblocked ones until a whole pass changes nothing, or
   * until `budget` events have been handled (docs/behaviour.md#event-loops): the rest stay
   * queued for a later drain.
   *
   * @param handlers what to do with each event
   * @param budget the most events to handle in this drain
   * @returns true when the queue is settled, false when the budget ran out first
   */
  drain(handlers: EventHandlers, budget = Infinity): boolean {
    let handled = 0;
    let again = true;
    let settled = true;
    while (again) {
      again = false;
      let finished = 0;
      // Events queued by the handlers are appended and reached by this same pass.
      for (let i = 0; i < this.#events.length; i++) {
        const event = this.#events[i]!;
        if (event.progress === "pending") {
          if (handled >= budget) {
            settled = false;
            break;
          }
          handled++;
          event.progress = "handling";
          handlers.handle(event);
          again = true;
        }
        if (event.progress === "handling" && event.blockers <= 0) {
          event.progress = "finished";
          this.#byId.delete(event.id);
          finished++;
          handlers.finish(event);
          again = true;
        }
      }
      if (finished > 0) this.#events = this.#events.filter((e) => e.progress !== "finished");
      if (!settled) return false;
    }
    return true;
  }

  /** Whether a drain would do anything: an event is pending, or handled and unblocked. */
  get unsettled(): boolean {
    return this.#events.some((e) =>
      e.progress === "pending" || (e.progress === "handling" && e.blockers <= 0)
    );
  }
}

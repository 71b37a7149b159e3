/**
 * The registered job classes (see docs/configuration.md#reload) and an index from event name to the
 * classes whose `start on`/`stop on` mention it, so an event is offered only to classes it can
 * affect.
 *
 * A class that is replaced or removed while it has instances keeps its old definition until its
 * last instance returns to waiting; the new definition (or the removal) waits in `pending`.
 *
 * @module
 */

import type { JobClassSpec } from "../../parser/types.ts";
import { sharedEventNames } from "./event_operator.ts";
import { ExprTracker } from "./expr_tracker.ts";
import type { InstanceId } from "./types.ts";
import { stringifyDeep } from "./plain_data.ts";

/** One job name and its registered definition. */
export interface ClassSlot {
  readonly name: string;
  /** Registration order; events are offered to classes in this order. */
  readonly seq: number;
  /** The definition in effect: new instances and `start on` use it. */
  spec: JobClassSpec;
  /** undefined: nothing pending; a spec: replace when idle; null: remove when idle. */
  pending: JobClassSpec | null | undefined;
  /** Evaluation state of `spec.startOn`. */
  startOn: ExprTracker | null;
  /** Instance name → id, in creation order. */
  readonly instances: Map<string, InstanceId>;
  /** Event names this slot is indexed under. */
  indexed: ReadonlySet<string>;
}

/** The names of a slot indexed under none (one set for all: never modified). */
const NO_NAMES: ReadonlySet<string> = new Set();

/** How `upsert`/`remove` went. */
export type TableChange = "added" | "replaced" | "deferred" | "unchanged" | "removed" | "unknown";

/** The class registry. */
export class ClassTable {
  readonly #slots = new Map<string, ClassSlot>();
  readonly #index = new Map<string, ClassSlot[]>();
  readonly #specsOf: (slot: ClassSlot) => readonly JobClassSpec[];
  #seq = 0;

  /** @param specsOf the definitions the live instances of a slot run */
  constructor(specsOf: (slot: ClassSlot) => readonly JobClassSpec[]) {
    this.#specsOf = specsOf;
  }

  /** A slot by job name. */
  get(name: string): ClassSlot | undefined {
    return this.#slots.get(name);
  }

  /** All slots in registration order. */
  all(): IterableIterator<ClassSlot> {
    return this.#slots.values();
  }

  /** Slots whose expressions mention `event`, in registration order (do not mutate). */
  candidates(event: string): readonly ClassSlot[] {
    return this.#index.get(event) ?? [];
  }

  /**
   * Registers or replaces a definition; replacement is deferred while instances exist.
   *
   * @param spec the new definition
   * @returns what happened
   */
  upsert(spec: JobClassSpec): TableChange {
    const slot = this.#slots.get(spec.name);
    if (slot === undefined) {
      const fresh: ClassSlot = {
        name: spec.name,
        seq: this.#seq++,
        spec,
        pending: undefined,
        startOn: spec.startOn === null ? null : new ExprTracker(spec.startOn),
        instances: new Map(),
        indexed: NO_NAMES,
      };
      this.#slots.set(spec.name, fresh);
      this.reindex(fresh);
      return "added";
    }
    if (sameSpec(slot.spec, spec)) {
      if (slot.pending === undefined) return "unchanged";
      slot.pending = undefined;
      this.reindex(slot);
      return "unchanged";
    }
    slot.pending = spec;
    return this.settle(slot) ? "replaced" : "deferred";
  }

  /**
   * Removes a definition, or marks it for removal when its last instance stops.
   *
   * @param name the job name
   * @returns what happened
   */
  remove(name: string): TableChange {
    const slot = this.#slots.get(name);
    if (slot === undefined) return "unknown";
    slot.pending = null;
    return this.settle(slot) ? "removed" : "deferred";
  }

  /**
   * Applies a pending change once no live instance runs the definition in effect (a removal
   * waits for every instance).
   *
   * @param slot the slot
   * @returns true when a pending change was applied
   */
  settle(slot: ClassSlot): boolean {
    if (slot.pending === undefined) return false;
    const specs = this.#specsOf(slot);
    const busy = slot.pending === null ? specs.length > 0 : specs.some((s) => s === slot.spec);
    if (busy) {
      this.reindex(slot);
      return false;
    }
    slot.startOn?.reset();
    if (slot.pending === null) {
      this.#slots.delete(slot.name);
      this.#unindex(slot);
      return true;
    }
    slot.spec = slot.pending;
    slot.pending = undefined;
    slot.startOn = slot.spec.startOn === null ? null : new ExprTracker(slot.spec.startOn);
    this.reindex(slot);
    return true;
  }

  /**
   * Recomputes the event names a slot is indexed under: its definitions' expressions and the
   * `stop on` of every definition its instances run.
   *
   * @param slot the slot
   */
  reindex(slot: ClassSlot): void {
    // The expressions' own name sets; merged into a new set only when there are several, so
    // that a job with one `start on` keeps the set its expression's shape shares.
    const sets: ReadonlySet<string>[] = [];
    const add = (spec: JobClassSpec | null | undefined, withStart: boolean) => {
      if (spec === null || spec === undefined) return;
      if (withStart && spec.startOn !== null) sets.push(sharedEventNames(spec.startOn));
      if (spec.stopOn !== null) sets.push(sharedEventNames(spec.stopOn));
    };
    add(slot.spec, true);
    add(slot.pending, false);
    for (const spec of this.#specsOf(slot)) add(spec, false);
    const names = sets.length === 1 ? sets[0]! : new Set(sets.flatMap((set) => [...set]));
    for (const name of slot.indexed) {
      if (!names.has(name)) this.#drop(name, slot);
    }
    for (const name of names) {
      if (slot.indexed.has(name)) continue;
      const list = this.#index.get(name) ?? [];
      let at = list.length;
      while (at > 0 && list[at - 1]!.seq > slot.seq) at--;
      list.splice(at, 0, slot);
      this.#index.set(name, list);
    }
    slot.indexed = names;
  }

  /** The next registration number (for a snapshot, docs/reexec.md). */
  get nextSeq(): number {
    return this.#seq;
  }

  /**
   * Replaces every slot with restored ones (a re-exec, docs/reexec.md), in registration order,
   * and rebuilds the event index. Instances must be restored first: the index reads them.
   */
  restore(slots: readonly ClassSlot[], nextSeq: number): void {
    this.#slots.clear();
    this.#index.clear();
    this.#seq = nextSeq;
    for (const slot of [...slots].sort((a, b) => a.seq - b.seq)) {
      slot.indexed = NO_NAMES;
      this.#slots.set(slot.name, slot);
      this.reindex(slot);
    }
  }

  #unindex(slot: ClassSlot): void {
    for (const name of slot.indexed) this.#drop(name, slot);
    slot.indexed = NO_NAMES;
  }

  #drop(name: string, slot: ClassSlot): void {
    const list = this.#index.get(name);
    if (list === undefined) return;
    const next = list.filter((s) => s !== slot);
    if (next.length === 0) this.#index.delete(name);
    else this.#index.set(name, next);
  }
}

/**
 * Whether two definitions are identical (a reload of an unchanged file changes nothing). Not
 * `JSON.stringify`: a deep `start on` overflows its stack (see plain_data.ts).
 */
function sameSpec(a: JobClassSpec, b: JobClassSpec): boolean {
  return a === b || stringifyDeep(a) === stringifyDeep(b);
}

/**
 * The engine's whole state as plain, JSON-able data, and back (docs/reexec.md): what a re-exec
 * of the daemon hands to its next image. Restoring a snapshot gives an engine that answers every
 * later input exactly as the original would (`snapshot_test.ts` checks it with random runs).
 *
 * - Definitions are stored once each in `specs` and referenced by index, so that instances still
 *   running an older definition than their class keep it, and shared definitions stay shared
 *   (the engine compares them by identity).
 * - Events are stored with their bookkeeping (progress, blockers, waiters); everything that refers
 *   to an event (`start on`/`stop on` state, instances' `blocking`) does so by id.
 * - Timers are only named here (their owners); how long each has left belongs to the driver,
 *   which owns the clock (`daemon/reexec.ts`).
 * - Respawn windows hold monotonic seconds; a new image's clock starts elsewhere, so
 *   {@linkcode restoreParts} shifts them by the difference.
 *
 * @module
 */

import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import type { ClassSlot } from "./class_table.ts";
import type { EventProgress, EventWaiter, QueuedEvent } from "./event_queue.ts";
import { ExprTracker, type TrackerState } from "./expr_tracker.ts";
import type { LoopGuardState } from "./loop_guard.ts";
import { cloneDeep } from "./plain_data.ts";
import type { RuntimeParts } from "./runtime.ts";
import type { Instance, InstanceId } from "./types.ts";

/** The format's version; a new image refuses snapshots of another. */
export const SNAPSHOT_VERSION = 1;

/** One registered class. */
export interface ClassSnapshot {
  readonly name: string;
  /** The `.conf` file it came from (for the log when it is gone after the re-exec). */
  readonly file: string | null;
  readonly seq: number;
  /** Index into `specs`. */
  readonly spec: number;
  /** Index of the definition waiting to replace it, `"remove"`, or null for none. */
  readonly pending: number | "remove" | null;
  readonly startOn: TrackerState | null;
  /** Instance name and id, in creation order. */
  readonly instances: readonly (readonly [string, InstanceId])[];
}

/** One instance: the engine's record with its definition by index, and its `stop on` state. */
export type InstanceSnapshot = Omit<Instance, "cls"> & {
  readonly cls: number;
  readonly stopOn: TrackerState | null;
};

/** One live event. */
export interface EventSnapshot {
  readonly id: number;
  readonly name: string;
  readonly env: readonly string[];
  readonly progress: EventProgress;
  readonly blockers: number;
  readonly failed: boolean;
  readonly waiters: readonly EventWaiter[];
  /** The jobs that led to the event (docs/behaviour.md#event-loops). */
  readonly lineage: readonly string[];
}

/** The engine as plain data. */
export interface EngineSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly specs: readonly JobClassSpec[];
  readonly classes: readonly ClassSnapshot[];
  readonly classSeq: number;
  /** In the engine's own order (which `stopAll` follows). */
  readonly instances: readonly InstanceSnapshot[];
  readonly nextInstanceId: number;
  readonly events: readonly EventSnapshot[];
  readonly nextEventId: number;
  readonly pidOwner: readonly (readonly [number, InstanceId, ProcessName])[];
  /** Armed timers and their owners (null: the session-end timer). */
  readonly timerOwner: readonly (readonly [string, InstanceId | null])[];
  readonly globalEnv: readonly string[];
  readonly respawnDisabled: boolean;
  /** Each instance's lineage, the loop guard's counts and its time (docs/behaviour.md#event-loops). */
  readonly lineage?: readonly (readonly [InstanceId, readonly string[]])[];
  readonly loops?: LoopGuardState | null;
  readonly now?: number;
}

/** Options of {@linkcode restoreParts}. */
export interface RestoreOptions {
  /** New clock minus old clock, ms: shifts respawn windows (0 within one process). */
  readonly clockShiftMs?: number;
}

/** A snapshot that cannot be restored. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(`cannot restore the engine state: ${message}`);
    this.name = "SnapshotError";
  }
}

/** The plain data of the engine's tables. */
export function snapshotParts(parts: RuntimeParts): EngineSnapshot {
  const specs: JobClassSpec[] = [];
  const index = new Map<JobClassSpec, number>();
  const ref = (spec: JobClassSpec): number => {
    let at = index.get(spec);
    if (at === undefined) {
      at = specs.push(spec) - 1;
      index.set(spec, at);
    }
    return at;
  };
  const classes = parts.slots.map((slot): ClassSnapshot => ({
    name: slot.name,
    file: slot.spec.file,
    seq: slot.seq,
    spec: ref(slot.spec),
    pending: slot.pending === undefined
      ? null
      : slot.pending === null
      ? "remove"
      : ref(slot.pending),
    startOn: slot.startOn?.exportState() ?? null,
    instances: [...slot.instances],
  }));
  const instances = [...parts.instances.values()].map((inst): InstanceSnapshot => ({
    ...inst,
    cls: ref(inst.cls),
    stopOn: parts.stopOn.get(inst.id)?.exportState() ?? null,
  }));
  // Not structuredClone: a deep `start on` overflows its stack (see plain_data.ts).
  return cloneDeep({
    version: SNAPSHOT_VERSION,
    specs,
    classes,
    classSeq: parts.classSeq,
    instances,
    nextInstanceId: parts.nextId,
    events: parts.events.events.map((e): EventSnapshot => ({
      id: e.id,
      name: e.name,
      env: e.env,
      progress: e.progress,
      blockers: e.blockers,
      failed: e.failed,
      waiters: e.waiters,
      lineage: e.lineage,
    })),
    nextEventId: parts.events.nextId,
    pidOwner: [...parts.pidOwner].map(([pid, o]) => [pid, o.id, o.process] as const),
    timerOwner: [...parts.timerOwner],
    globalEnv: parts.globalEnv,
    respawnDisabled: parts.respawnDisabled,
    lineage: [...parts.lineage],
    loops: parts.loops,
    now: parts.now,
  });
}

/**
 * Live tables from a snapshot.
 *
 * @throws {SnapshotError} for another version or dangling references
 */
export function restoreParts(snap: EngineSnapshot, options: RestoreOptions = {}): RuntimeParts {
  if (snap.version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(`version ${String(snap.version)}, expected ${SNAPSHOT_VERSION}`);
  }
  const snapData = cloneDeep(snap);
  const specs = snapData.specs;
  const spec = (i: number): JobClassSpec => {
    const s = specs[i];
    if (s === undefined) throw new SnapshotError(`no definition ${i}`);
    return s;
  };
  const events: QueuedEvent[] = snapData.events.map((e) => ({
    ...e,
    env: [...e.env],
    waiters: [...e.waiters],
    lineage: [...(e.lineage ?? [])],
  }));
  const byId = new Map(events.map((e) => [e.id, e]));
  const lookup = (id: number): QueuedEvent => {
    const e = byId.get(id);
    if (e === undefined) throw new SnapshotError(`no event ${id}`);
    return e;
  };
  const tracker = (expr: ExprTracker | null, state: TrackerState | null) => {
    if (expr !== null && state !== null) expr.importState(state, lookup);
    return expr;
  };
  const shiftMs = options.clockShiftMs ?? 0;
  const shift = Math.round(shiftMs / 1000);
  const instances = new Map<InstanceId, Instance>();
  const stopOn = new Map<InstanceId, ExprTracker>();
  for (const { stopOn: state, cls, ...rest } of snapData.instances) {
    const inst: Instance = {
      ...rest,
      cls: spec(cls),
      respawn: {
        ...rest.respawn,
        since: rest.respawn.since === null ? null : rest.respawn.since + shift,
        lastExitAt: rest.respawn.lastExitAt === null ? null : rest.respawn.lastExitAt + shift,
      },
    };
    instances.set(inst.id, inst);
    const t = tracker(inst.cls.stopOn === null ? null : new ExprTracker(inst.cls.stopOn), state);
    if (t !== null && state !== null) stopOn.set(inst.id, t);
  }
  const slots = snapData.classes.map((c): ClassSlot => {
    const s = spec(c.spec);
    for (const [, id] of c.instances) {
      if (!instances.has(id)) throw new SnapshotError(`no instance ${id} of ${c.name}`);
    }
    return {
      name: c.name,
      seq: c.seq,
      spec: s,
      pending: c.pending === null ? undefined : c.pending === "remove" ? null : spec(c.pending),
      startOn: tracker(s.startOn === null ? null : new ExprTracker(s.startOn), c.startOn),
      instances: new Map(c.instances),
      indexed: new Set(),
    };
  });
  return {
    instances,
    slots,
    classSeq: snapData.classSeq,
    stopOn,
    pidOwner: new Map(snapData.pidOwner.map(([pid, id, process]) => [pid, { id, process }])),
    timerOwner: new Map(snapData.timerOwner),
    events: { nextId: snapData.nextEventId, events },
    nextId: snapData.nextInstanceId,
    globalEnv: snapData.globalEnv,
    respawnDisabled: snapData.respawnDisabled,
    lineage: new Map(snapData.lineage ?? []),
    loops: snapData.loops === undefined || snapData.loops === null ? null : {
      recent: snapData.loops.recent.map(([job, times]) => [job, times.map((t) => t + shiftMs)]),
      heldUntil: snapData.loops.heldUntil.map(([job, until]) => [job, until + shiftMs]),
    },
    now: (snapData.now ?? 0) + shiftMs,
  };
}

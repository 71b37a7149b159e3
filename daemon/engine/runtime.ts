/**
 * The engine's mutable tables and the queue-draining loop behind `Engine` (see the model in
 * `engine.ts`): instances and their `stop on` state, pid and timer ownership, the event queue,
 * and the application of `step()` outputs. `Engine` validates requests, then calls in here.
 *
 * @module
 */

import { eventEnvironment } from "./event_operator.ts";
import { envToMap, expand, ExpansionError } from "../../parser/expand.ts";
import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import { type ClassSlot, ClassTable } from "./class_table.ts";
import { classEnvironment, envSetAll } from "./environment.ts";
import { EVENT_FAILED_MESSAGE, InvariantError, JOB_FAILED_MESSAGES } from "./errors.ts";
import { EventQueue, type EventWaiter, failureEvent, type QueuedEvent } from "./event_queue.ts";
import { ExprTracker } from "./expr_tracker.ts";
import { extendLineage, LoopGuard, type LoopGuardState } from "./loop_guard.ts";
import { type MachineOptions, newInstance, step, type StepContext } from "./job_machine.ts";
import { idleStatus, instanceStatus } from "./status.ts";
import { STATUS_ORDER } from "./transitions.ts";
import type {
  Blocked,
  Effect,
  Input,
  Instance,
  InstanceId,
  MachineInput,
  MachineOutput,
  WaiterId,
} from "./types.ts";

/** The id of the logout grace timer (see docs/behaviour.md#user-session). */
export const SESSION_END_TIMER = "session-end";

/** Process and timer inputs (`Input` without the request kinds). */
export type RuntimeInput = Exclude<Input, { type: "goal" | "event" }>;

/** The engine's tables as live objects: what a snapshot is made from (`snapshot.ts`). */
export interface RuntimeParts {
  readonly instances: ReadonlyMap<InstanceId, Instance>;
  readonly slots: readonly ClassSlot[];
  readonly classSeq: number;
  readonly stopOn: ReadonlyMap<InstanceId, ExprTracker>;
  readonly pidOwner: ReadonlyMap<number, { id: InstanceId; process: ProcessName }>;
  readonly timerOwner: ReadonlyMap<string, InstanceId | null>;
  readonly events: { nextId: number; events: QueuedEvent[] };
  readonly nextId: number;
  readonly globalEnv: readonly string[];
  readonly respawnDisabled: boolean;
  /**
   * The jobs that led to each instance, and the loop guard's counts
   * (docs/behaviour.md#event-loops).
   */
  readonly lineage: ReadonlyMap<InstanceId, readonly string[]>;
  readonly loops: LoopGuardState | null;
  /** The engine's idea of the time when the snapshot was taken (monotonic ms). */
  readonly now: number;
}

function replace<K, V>(into: Map<K, V>, from: ReadonlyMap<K, V>): void {
  into.clear();
  for (const [k, v] of from) into.set(k, v);
}

/** Instances, events and their draining. */
export class Runtime {
  readonly machine: MachineOptions;
  readonly classes: ClassTable;
  readonly instances = new Map<InstanceId, Instance>();
  readonly initEnv: ReadonlyMap<string, string>;
  /** The global job environment table (see docs/behaviour.md#environment). */
  globalEnv: readonly string[];
  /** Respawning is disabled once the session ends (see docs/behaviour.md#user-session). */
  respawnDisabled = false;
  /** Self-caused start counting (docs/behaviour.md#event-loops); null when disabled. */
  loops: LoopGuard | null = new LoopGuard();
  /** The time loop counting uses, in monotonic ms (set by the caller: there is no clock here). */
  now = 0;
  /** The most events one transaction handles; the rest wait for `Engine.resume()`. */
  eventBudget = Infinity;

  /** Whether queued events wait for another drain (the budget ran out). */
  get eventsUnsettled(): boolean {
    return this.#events.unsettled;
  }
  /** The jobs whose events led to each instance's current start or stop. */
  readonly #lineage = new Map<InstanceId, readonly string[]>();
  readonly #slotOf = new Map<InstanceId, ClassSlot>();
  readonly #stopOn = new Map<InstanceId, ExprTracker>();
  readonly #pidOwner = new Map<number, { id: InstanceId; process: ProcessName }>();
  /** Timer id → owning instance; null for the session-end timer. */
  readonly #timerOwner = new Map<string, InstanceId | null>();
  readonly #events = new EventQueue();
  /** `$VAR` lookup maps of instance environments (immutable arrays), built once per array. */
  readonly #envMaps = new WeakMap<readonly string[], ReadonlyMap<string, string>>();
  #nextId = 1;
  #out: Effect[] | null = null;
  /** Successful notifications whose status is filled in when the transaction ends. */
  #okNotifies: { index: number; waiterId: WaiterId; inst: Instance }[] = [];

  /**
   * @param machine the state machine options
   * @param initEnv init's own environment
   * @param globalEnv the initial global job environment table
   */
  constructor(
    machine: MachineOptions,
    initEnv: ReadonlyMap<string, string>,
    globalEnv: readonly string[],
  ) {
    this.machine = machine;
    this.initEnv = initEnv;
    this.globalEnv = globalEnv;
    this.classes = new ClassTable((slot) => this.#specsOf(slot));
  }

  /** The live tables, for a snapshot (`snapshot.ts`); not to be mutated. */
  exportParts(): RuntimeParts {
    return {
      instances: this.instances,
      slots: [...this.classes.all()],
      classSeq: this.classes.nextSeq,
      stopOn: this.#stopOn,
      pidOwner: this.#pidOwner,
      timerOwner: this.#timerOwner,
      events: this.#events.exportState(),
      nextId: this.#nextId,
      globalEnv: this.globalEnv,
      respawnDisabled: this.respawnDisabled,
      lineage: this.#lineage,
      loops: this.loops?.exportState() ?? null,
      now: this.now,
    };
  }

  /** Replaces every table with restored ones (`snapshot.ts`); the engine must be fresh. */
  importParts(parts: RuntimeParts): void {
    this.#events.importState(parts.events);
    this.instances.clear();
    for (const [id, inst] of parts.instances) this.instances.set(id, inst);
    this.#slotOf.clear();
    for (const slot of parts.slots) {
      for (const id of slot.instances.values()) this.#slotOf.set(id, slot);
    }
    this.classes.restore(parts.slots, parts.classSeq);
    replace(this.#stopOn, parts.stopOn);
    replace(this.#pidOwner, parts.pidOwner);
    replace(this.#timerOwner, parts.timerOwner);
    this.#nextId = parts.nextId;
    this.globalEnv = parts.globalEnv;
    this.respawnDisabled = parts.respawnDisabled;
    replace(this.#lineage, parts.lineage);
    this.now = parts.now;
    if (parts.loops !== null) this.loops?.importState(parts.loops);
  }

  /** Arms the logout grace timer; when it fires every instance is stopped. */
  armSessionEndTimer(ms: number): void {
    this.#timerOwner.set(SESSION_END_TIMER, null);
    this.push({ type: "armTimer", id: SESSION_END_TIMER, ms });
  }

  #specsOf(slot: ClassSlot): JobClassSpec[] {
    return [...slot.instances.values()].map((id) => this.instances.get(id)!.cls);
  }

  /**
   * Runs a mutation, drains the event queue, and returns every effect produced, in order.
   *
   * @throws {InvariantError} when called from inside another transaction
   */
  transaction(mutate: () => void): Effect[] {
    if (this.#out !== null) throw new InvariantError("engine called from inside an engine call");
    const out: Effect[] = [];
    this.#out = out;
    this.#okNotifies = [];
    try {
      mutate();
      this.#events.drain({
        handle: (e) => this.#handleEvent(e),
        finish: (e) => this.#finishEvent(e),
      }, this.eventBudget);
      // Like initctl, report the status as it is once the request's effects are done.
      for (const n of this.#okNotifies) {
        const inst = this.instances.get(n.inst.id);
        const status = inst === undefined
          ? idleStatus(n.inst.cls.name, n.inst.name)
          : instanceStatus(inst);
        out[n.index] = { type: "notify", waiterId: n.waiterId, result: { ok: true, status } };
      }
    } finally {
      this.#out = null;
    }
    return out;
  }

  /** Adds an effect to the current transaction. */
  push(effect: Effect): void {
    this.#out?.push(effect);
  }

  /** Adds a log effect; an `info` one only when wanted (MachineOptions.logsInfo). */
  log(level: "info" | "warn" | "error", message: string): void {
    if (level === "info" && !(this.machine.logsInfo?.() ?? true)) return;
    this.push({ type: "log", level, message });
  }

  /** Creates an instance in `waiting` (Upstart's `job_new()`). */
  create(slot: ClassSlot, name: string): InstanceId {
    const id = this.#nextId++;
    this.instances.set(id, newInstance(id, slot.spec, name));
    this.#slotOf.set(id, slot);
    slot.instances.set(name, id);
    if (slot.spec.stopOn !== null) this.#stopOn.set(id, new ExprTracker(slot.spec.stopOn));
    return id;
  }

  /**
   * The common top half of a start/stop request (Upstart's job_class_start & co.): set the
   * environments, release what the instance held, hold the new events and waiter, change goal.
   */
  request(
    id: InstanceId,
    fields: Partial<Pick<Instance, "startEnv" | "stopEnv" | "restarting">>,
    events: readonly QueuedEvent[],
    waiterEntry: Blocked | null,
    goals: readonly ("start" | "stop")[],
  ): void {
    const inst = this.instances.get(id);
    if (inst === undefined) return;
    this.#release(inst, inst.blocking, false);
    const blocking: Blocked[] = [];
    for (const event of events) {
      event.blockers++;
      blocking.push({ kind: "event", eventId: event.id });
    }
    if (waiterEntry !== null) blocking.push(waiterEntry);
    this.instances.set(id, { ...inst, ...fields, blocking });
    for (const goal of goals) this.#run(id, { type: "goal", goal });
  }

  #run(id: InstanceId, input: MachineInput): void {
    const inst = this.instances.get(id);
    const slot = this.#slotOf.get(id);
    if (inst === undefined || slot === undefined) return;
    const ctx: StepContext = {
      options: this.machine,
      respawnDisabled: this.respawnDisabled,
      latestClass: slot.pending ?? slot.spec,
    };
    let result;
    try {
      result = step(inst, input, ctx);
    } catch (e) {
      if (!(e instanceof InvariantError)) throw e;
      this.log("error", `BUG: ${e.message}`);
      return;
    }
    this.#commit(inst, result.instance, slot);
    for (const output of result.outputs) this.#output(result.instance, output);
  }

  #commit(before: Instance, after: Instance, slot: ClassSlot): void {
    this.instances.set(after.id, after);
    for (const process of STATUS_ORDER) {
      const was = before.pids[process] ?? 0;
      const now = after.pids[process] ?? 0;
      if (was === now) continue;
      if (was > 0 && this.#pidOwner.get(was)?.id === after.id) this.#pidOwner.delete(was);
      if (now > 0) this.#pidOwner.set(now, { id: after.id, process });
    }
    if (before.cls !== after.cls) {
      this.#stopOn.get(after.id)?.reset();
      this.#stopOn.delete(after.id);
      if (after.cls.stopOn !== null) this.#stopOn.set(after.id, new ExprTracker(after.cls.stopOn));
      this.classes.settle(slot);
      this.classes.reindex(slot);
    }
  }

  #output(inst: Instance, output: MachineOutput): void {
    switch (output.type) {
      case "jobEvent": {
        const w: EventWaiter | undefined = output.block
          ? { kind: "job", instanceId: inst.id }
          : undefined;
        const lineage = extendLineage(this.#lineage.get(inst.id) ?? [], [inst.cls.name]);
        this.queueEvent(output.name, output.env, w, lineage);
        return;
      }
      case "release":
        return this.#release(inst, output.entries, output.failed);
      case "destroyed":
        return this.#destroy(inst);
      case "armTimer":
        this.#timerOwner.set(output.id, inst.id);
        return this.push(output);
      case "cancelTimer":
        this.#timerOwner.delete(output.id);
        return this.push(output);
      default:
        return this.push(output);
    }
  }

  /** Upstart's `job_finished()` bottom half: unblock events, answer waiters. */
  #release(inst: Instance, entries: readonly Blocked[], failed: boolean): void {
    for (const entry of entries) {
      if (entry.kind === "event") {
        const event = this.#events.get(entry.eventId);
        if (event === undefined) continue;
        if (failed) event.failed = true;
        event.blockers--;
      } else if (failed) {
        const message = JOB_FAILED_MESSAGES[entry.method];
        this.push({
          type: "notify",
          waiterId: entry.waiterId,
          result: { ok: false, code: "JobFailed", message },
        });
      } else {
        const index = this.#out?.length ?? 0;
        const status = instanceStatus(inst);
        this.push({ type: "notify", waiterId: entry.waiterId, result: { ok: true, status } });
        this.#okNotifies.push({ index, waiterId: entry.waiterId, inst });
      }
    }
  }

  #destroy(inst: Instance): void {
    const slot = this.#slotOf.get(inst.id);
    this.instances.delete(inst.id);
    this.#slotOf.delete(inst.id);
    this.#lineage.delete(inst.id);
    this.#stopOn.get(inst.id)?.reset();
    this.#stopOn.delete(inst.id);
    for (const pid of Object.values(inst.pids)) {
      if (pid !== undefined && this.#pidOwner.get(pid)?.id === inst.id) this.#pidOwner.delete(pid);
    }
    if (slot === undefined) return;
    slot.instances.delete(inst.name);
    this.classes.settle(slot);
  }

  /** Queues an event as pending. */
  queueEvent(
    name: string,
    env: readonly string[],
    w?: EventWaiter,
    lineage: readonly string[] = [],
  ): void {
    this.#events.add(name, env, w, lineage);
    this.push({ type: "eventEmitted", name, env });
  }

  #handleEvent(event: QueuedEvent): void {
    this.log("info", `Handling ${event.name} event`);
    for (const slot of [...this.classes.candidates(event.name)]) {
      // Stop conditions first, so an event in both stops an instance and starts it again.
      // Map iteration tolerates instances destroyed meanwhile.
      for (const id of slot.instances.values()) this.#offerStop(id, event);
      const tracker = slot.startOn;
      if (tracker === null || !tracker.names.has(event.name)) continue;
      if (this.classes.get(slot.name) !== slot) continue;
      if (tracker.offer(event, null)) this.#startFromEvent(slot, tracker);
    }
  }

  #offerStop(id: InstanceId, event: QueuedEvent): void {
    const tracker = this.#stopOn.get(id);
    const inst = this.instances.get(id);
    if (tracker === undefined || inst === undefined || !tracker.names.has(event.name)) return;
    let vars = this.#envMaps.get(inst.env);
    if (vars === undefined) {
      vars = envToMap(inst.env);
      this.#envMaps.set(inst.env, vars);
    }
    if (!tracker.offer(event, vars)) return;
    if (inst.goal !== "stop") {
      const events = tracker.trueEvents();
      const stopEnv = eventEnvironment(events, { eventsVar: "UPSTART_STOP_EVENTS" });
      const lineage = extendLineage(this.#lineage.get(id) ?? [], events.flatMap((e) => e.lineage));
      this.#lineage.set(id, lineage);
      this.request(id, { stopEnv }, events, null, ["stop"]);
    }
    tracker.reset();
  }

  #startFromEvent(slot: ClassSlot, tracker: ExprTracker): void {
    const events = tracker.trueEvents();
    const env = classEnvironment(this.globalEnv, slot.spec, this.initEnv);
    envSetAll(env, eventEnvironment(events, { eventsVar: "UPSTART_EVENTS" }));
    let name: string;
    try {
      // (No map of the environment for a template without variables: most jobs' "".)
      const template = slot.spec.instance;
      name = template.includes("$") ? expand(template, envToMap(env)) : template;
    } catch (e) {
      if (!(e instanceof ExpansionError)) throw e;
      this.log("warn", `Failed to obtain ${slot.name} instance: ${e.message}`);
      tracker.reset();
      return;
    }
    const existing = slot.instances.get(name);
    if (existing !== undefined && this.instances.get(existing)?.goal !== "stop") {
      tracker.reset();
      return;
    }
    const lineage = extendLineage([], events.flatMap((e) => e.lineage));
    if (lineage.includes(slot.name) && !this.#allowSelfStart(slot.name, events)) {
      tracker.reset();
      return;
    }
    const id = existing ?? this.create(slot, name);
    this.#lineage.set(id, lineage);
    this.request(id, { startEnv: env }, events, null, ["start"]);
    tracker.reset();
  }

  /** Forgets what led to an instance (a start or stop asked for by a client). */
  clearLineage(id: InstanceId): void {
    this.#lineage.delete(id);
  }

  /**
   * Counts a start of `job` that its own events caused; false when the job is held for looping
   * (docs/behaviour.md#event-loops). The hold is logged once, when it begins.
   */
  #allowSelfStart(job: string, events: readonly QueuedEvent[]): boolean {
    if (this.loops === null) return true;
    const verdict = this.loops.selfStart(job, this.now);
    if (verdict.kind === "ok") return true;
    if (verdict.kind === "tripped") {
      const { windowMs, holdMs } = this.loops.limit;
      const cause = events.map(describeEvent).join(" and ");
      this.log(
        "warn",
        `${job} started by its own events ${verdict.starts} times within ${windowMs / 1000}s ` +
          `(event loop, last on ${cause}): ignoring its start events for ${holdMs / 1000}s`,
      );
    }
    return false;
  }

  #finishEvent(event: QueuedEvent): void {
    for (const w of event.waiters) {
      if (w.kind === "job") {
        this.#run(w.instanceId, { type: "eventFinished" });
      } else if (event.failed) {
        const result = { ok: false, code: "EventFailed", message: EVENT_FAILED_MESSAGE } as const;
        this.push({ type: "notify", waiterId: w.waiterId, result });
      } else {
        this.push({ type: "notify", waiterId: w.waiterId, result: { ok: true, status: null } });
      }
    }
    const failure = failureEvent(event);
    if (failure !== null) this.queueEvent(failure.name, failure.env, undefined, event.lineage);
  }

  /** Routes a process or timer input to its instance. */
  route(input: RuntimeInput): void {
    switch (input.type) {
      case "processExited": {
        const owner = this.#pidOwner.get(input.pid);
        if (owner === undefined) return;
        const { status, now } = input;
        return this.#run(owner.id, { type: "exited", process: owner.process, status, now });
      }
      case "spawned":
      case "spawnFailed":
        return this.#run(input.instance, input);
      case "securityLoaded":
        return this.#run(input.instance, {
          type: "securityLoaded",
          ok: input.ok,
          message: input.message ?? "",
        });
      case "forkTracked":
      case "stopped": {
        const owner = this.#pidOwner.get(input.pid);
        if (owner === undefined || owner.process !== "main") return;
        const m: MachineInput = input.type === "stopped"
          ? { type: "stopped" }
          : { type: "forkTracked", newPid: input.newPid };
        return this.#run(owner.id, m);
      }
      case "timer": {
        const owner = this.#timerOwner.get(input.id);
        this.#timerOwner.delete(input.id);
        if (owner === null) return this.stopAll();
        if (owner !== undefined) this.#run(owner, { type: "timer", id: input.id });
        return;
      }
    }
  }

  /** Sets the goal of every instance to stop (session end). */
  stopAll(): void {
    for (const [id, inst] of [...this.instances]) {
      if (inst.goal !== "stop") this.#run(id, { type: "goal", goal: "stop" });
    }
  }
}

/** `NAME JOB=… INSTANCE=…` of an event, cut short for the log. */
function describeEvent(e: QueuedEvent): string {
  const vars = e.env.filter((v) => v.startsWith("JOB=") || v.startsWith("INSTANCE="));
  const text = [e.name, ...vars].join(" ");
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

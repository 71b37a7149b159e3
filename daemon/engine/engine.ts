/**
 * The engine: job classes, instances and events, driven by requests and inputs, answering with
 * effects. It does no I/O and has no clock.
 *
 * ## The model (see docs/events.md#evaluation, docs/behaviour.md#runtime)
 *
 * 1. A **class** (`JobClassSpec`) has zero or more **instances**, keyed by the instance name
 *    expanded from its `instance` template. An instance has a **goal** (start/stop; internally
 *    respawn) and a **state** (the eleven states of `types.ts`). Instances are created by a start
 *    request and destroyed when they return to `waiting`.
 * 2. **Goal changes** only move an instance out of the two resting states, `waiting` and
 *    `running`; in any other state the new goal is obeyed when the current step completes. The
 *    next state is `NEXT[state][goal]` (`transitions.ts`); entering a state performs `ENTRY`:
 *    spawn a process, emit a job event, or signal the main process. `job_machine.ts` `step()` is
 *    pure and is the only writer of `Instance.state`.
 * 3. **Events** go pending → handling → finished (`event_queue.ts`). Handling offers an event to
 *    every instance's `stop on` (with that instance's environment for `$VAR`), then to the class's
 *    `start on` (no environment). Satisfied leaves hold the event; a fired expression makes the
 *    instance hold the events on its true branches until it *finishes* its transition (service:
 *    running; task and stop: waiting). `starting`/`stopping` block their own job until they
 *    finish. A finished event releases its waiters; if a job it affected failed, `NAME/failed`
 *    follows.
 * 4. Every public call validates, then mutates, then drains the event queue until nothing changes
 *    (dinit's `process_queues()`), and returns the effects in order. Process ends, spawns and
 *    timers come back through `dispatch()`.
 * 5. Waiters (`waiterId`) receive one `notify` effect when their request finishes; its status is
 *    taken at the end of the call that finished it, as `initctl` would fetch it.
 * 6. Event loops (docs/behaviour.md#event-loops): each event carries the jobs that led to it; a
 *    job started too often by its own events is held (`loop_guard.ts`, with the time the caller
 *    gives through `setNow()`), and one call handles at most `eventBudget` events, leaving the
 *    rest for `resume()`.
 *
 * ## Upstart bug fixes and their options (see docs/behaviour.md#upstart-fixes)
 *
 * Every fix is off by default: each one changes what some job file written for Upstart does,
 * and the rule is to default a fix on only when it cannot.
 *
 * - `restartKeepsEnv` (see docs/behaviour.md#fix-restart): `restart` without `K=V` keeps the
 *   instance's environment (with `K=V`, they are applied over it). Off: a job checking
 *   `$UPSTART_EVENTS` to tell an event start from a manual one would see a restarted instance
 *   differently.
 * - `restartFullCycle` (see docs/behaviour.md#fix-restart): `restart` always runs the whole stop
 *   cycle (Upstart's pre-stop goal flip makes it a no-op) and loads a changed definition when
 *   re-entering `starting`. Off: a job with a pre-stop would now really restart. Without it, a
 *   restart of a job whose definition changed logs a warning.
 * - `stopInterruptsHooks` (see docs/behaviour.md#fix-hooks): a stop during pre-start/post-start
 *   sends `kill signal` to the hook's process group, then SIGKILL after `kill timeout`; that exit
 *   is not a failure. Off: the `{ stop; exit 0; }` idiom in pre-start would race the signal.
 * - `hookTimeout` (see docs/behaviour.md#fix-hooks, seconds, 0 = none): hooks running longer are
 *   signalled the same way and their exit counts as usual (a timed-out pre-start fails the job).
 * - `respawnBackoff` (see docs/behaviour.md#fix-respawn, `{baseMs, maxMs}` or null): instead of
 *   `respawning too fast, stopped`, respawn after a delay doubling each time, reset once the job
 *   ran for the respawn interval.
 *
 * @module
 */

import { envToMap, expand, ExpansionError } from "../../parser/expand.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import { classEnvironment, displayName, envSetAll, envValid } from "./environment.ts";
import { EngineError } from "./errors.ts";
import type { EventWaiter } from "./event_queue.ts";
import type { RespawnBackoff } from "./exit_rules.ts";
import type { MachineOptions } from "./job_machine.ts";
import { DEFAULT_LOOP_LIMIT, LoopGuard, type LoopLimit } from "./loop_guard.ts";
import { Runtime } from "./runtime.ts";
import {
  type EngineSnapshot,
  type RestoreOptions,
  restoreParts,
  snapshotParts,
} from "./snapshot.ts";
import { idleStatus, instanceStatus } from "./status.ts";
import type {
  Blocked,
  Effect,
  Input,
  Instance,
  StatusEntry,
  WaiterId,
  WaitMethod,
} from "./types.ts";

/** Constructor options of `Engine`. */
export interface EngineOptions {
  /** init's own environment, `KEY=VALUE`: source of `env KEY` and the default global table. */
  readonly initEnv?: readonly string[];
  /**
   * The global job environment table (see docs/behaviour.md#environment). @default PATH and TERM
   * from `initEnv`
   */
  readonly globalEnv?: readonly string[];
  /** User mode: `UPSTART_SESSION` given to every process. @default null */
  readonly sessionAddress?: string | null;
  /** docs/behaviour.md#fix-restart fix, see the module doc. @default false */
  readonly restartKeepsEnv?: boolean;
  /** docs/behaviour.md#fix-restart fix, see the module doc. @default false */
  readonly restartFullCycle?: boolean;
  /** docs/behaviour.md#fix-hooks fix, see the module doc. @default false */
  readonly stopInterruptsHooks?: boolean;
  /** docs/behaviour.md#fix-hooks fix: hook time limit in seconds, 0 = none. @default 0 */
  readonly hookTimeout?: number;
  /** docs/behaviour.md#fix-respawn fix, see the module doc. @default null */
  readonly respawnBackoff?: RespawnBackoff | null;
  /**
   * How long `session-end` jobs may run on logout before everything stops (see
   * docs/behaviour.md#user-session). @default 5000
   */
  readonly logoutGraceMs?: number;
  /** Observer of every state change (the daemon's timeline, docs/seeing.md); never throws. */
  readonly onStateChange?: MachineOptions["onStateChange"];
  /** Whether `info` log effects are wanted now; absent: always (see MachineOptions). */
  readonly logsInfo?: MachineOptions["logsInfo"];
  /**
   * Event-loop protection (docs/behaviour.md#event-loops); null turns it off.
   * @default DEFAULT_LOOP_LIMIT
   */
  readonly loopLimit?: LoopLimit | null;
  /**
   * The most events one call handles before it returns with the rest still queued, to be
   * handled by `resume()` (docs/behaviour.md#event-loops). @default 10000
   */
  readonly eventBudget?: number;
}

/** Options of requests that may wait for completion. */
export interface RequestOptions {
  /** Receive a `notify` effect when the request finishes. */
  readonly waiterId?: WaiterId;
  /**
   * Address this instance name directly instead of expanding the `instance` template: how
   * `initctl` run inside a job with no job argument acts on its own instance (see
   * docs/behaviour.md#from-inside-a-job).
   */
  readonly instance?: string;
}

/**
 * The pure Upstart engine. See the module documentation for the model.
 *
 * @example Usage
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { defaultJobClass } from "../../parser/parse_job.ts";
 * const engine = new Engine({ initEnv: ["PATH=/bin"] });
 * engine.setClasses([defaultJobClass("abstract")]);
 * engine.start("abstract", []);
 * engine.status("abstract", []).state; // "running"
 * ```
 */
export class Engine {
  readonly #rt: Runtime;
  readonly #restartKeepsEnv: boolean;
  readonly #logoutGraceMs: number;

  /** @param options environment and docs/behaviour.md#upstart-fixes fix switches */
  constructor(options: EngineOptions = {}) {
    const initEnv = envToMap(options.initEnv ?? []);
    const globalEnv = options.globalEnv ??
      ["PATH", "TERM"].flatMap((k) => {
        const v = initEnv.get(k);
        return v === undefined ? [] : [`${k}=${v}`];
      });
    const machine = {
      stopInterruptsHooks: options.stopInterruptsHooks ?? false,
      hookTimeoutMs: (options.hookTimeout ?? 0) * 1000,
      respawnBackoff: options.respawnBackoff ?? null,
      restartFullCycle: options.restartFullCycle ?? false,
      sessionAddress: options.sessionAddress ?? null,
      onStateChange: options.onStateChange,
      logsInfo: options.logsInfo,
    };
    this.#rt = new Runtime(machine, initEnv, [...globalEnv]);
    this.#restartKeepsEnv = options.restartKeepsEnv ?? false;
    const loopLimit = options.loopLimit === undefined ? DEFAULT_LOOP_LIMIT : options.loopLimit;
    this.#rt.loops = loopLimit === null ? null : new LoopGuard(loopLimit);
    this.#rt.eventBudget = options.eventBudget ?? 10_000;
    this.#logoutGraceMs = options.logoutGraceMs ?? 5000;
  }

  // --- re-exec (docs/reexec.md) ---------------------------------------------------------------

  /** The whole state as plain, JSON-able data (`snapshot.ts`). Call between requests. */
  snapshot(): EngineSnapshot {
    return snapshotParts(this.#rt.exportParts());
  }

  /**
   * An engine in the state `snapshot` describes, with `options` (the switches are not part of a
   * snapshot: the new image reads them from its command line again).
   *
   * @throws {SnapshotError} when the snapshot cannot be restored
   */
  static restore(
    snapshot: EngineSnapshot,
    options: EngineOptions = {},
    restore: RestoreOptions = {},
  ): Engine {
    const engine = new Engine(options);
    engine.#rt.importParts(restoreParts(snapshot, restore));
    return engine;
  }

  /**
   * Tells the engine the time, in monotonic ms, for its event-loop counting (it has no clock of
   * its own): the driver calls this before each request and input.
   */
  setNow(ms: number): void {
    this.#rt.now = ms;
  }

  /** Whether queued events wait for {@linkcode resume} (a call ran out of its event budget). */
  hasPendingEvents(): boolean {
    return this.#rt.eventsUnsettled;
  }

  /** Goes on handling queued events (up to the budget again). */
  resume(): Effect[] {
    return this.#rt.transaction(() => {});
  }

  // --- configuration --------------------------------------------------------------------------

  /**
   * Makes `classes` the whole configuration: adds and replaces them, removes the others
   * (see docs/configuration.md#reload; replacement and removal wait for running instances).
   *
   * @param classes every job class
   * @returns effects (releasing events held by replaced expressions may finish them)
   */
  setClasses(classes: readonly JobClassSpec[]): Effect[] {
    return this.#rt.transaction(() => {
      const names = new Set(classes.map((c) => c.name));
      for (const cls of classes) this.#rt.classes.upsert(cls);
      for (const slot of [...this.#rt.classes.all()]) {
        if (!names.has(slot.name)) this.#rt.classes.remove(slot.name);
      }
    });
  }

  /** Adds or replaces one class. */
  upsertClass(cls: JobClassSpec): Effect[] {
    return this.#rt.transaction(() => void this.#rt.classes.upsert(cls));
  }

  /** Removes one class (when its last instance stops, if it has any). */
  removeClass(name: string): Effect[] {
    return this.#rt.transaction(() => void this.#rt.classes.remove(name));
  }

  /** The definition in effect for a job, if registered. */
  getClass(name: string): JobClassSpec | undefined {
    return this.#rt.classes.get(name)?.spec;
  }

  /** Replaces the global job environment table (affects instances started afterwards). */
  setGlobalEnv(env: readonly string[]): void {
    if (!envValid(env)) throw EngineError.badEnv();
    this.#rt.globalEnv = [...env];
  }

  /** The global job environment table. */
  getGlobalEnv(): string[] {
    return [...this.#rt.globalEnv];
  }

  // --- requests -------------------------------------------------------------------------------

  /**
   * Starts an instance (`initctl start JOB K=V…`, docs/tools.md#job-commands).
   *
   * @throws {EngineError} UnknownJob, InvalidArgs, UnknownParameter, AlreadyStarted
   */
  start(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    const { slot, table, name } = this.#resolve(job, env, opts.instance);
    const id = slot.instances.get(name);
    const inst = id === undefined ? undefined : this.#rt.instances.get(id);
    // A respawning instance counts as started (Upstart would accept and then misbehave).
    if (inst !== undefined && inst.goal !== "stop") {
      throw EngineError.alreadyStarted(job, displayName(job, name));
    }
    return this.#rt.transaction(() => {
      const target = id ?? this.#rt.create(slot, name);
      this.#rt.clearLineage(target);
      this.#rt.request(target, { startEnv: table }, [], waiter(opts, "start"), ["start"]);
    });
  }

  /**
   * Stops an instance; `env` becomes its stop environment (see docs/behaviour.md#environment).
   *
   * @throws {EngineError} UnknownJob, InvalidArgs, UnknownParameter, UnknownInstance,
   *   AlreadyStopped
   */
  stop(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    const inst = this.#lookup(job, env, opts.instance);
    if (inst.goal === "stop") throw EngineError.alreadyStopped(job, displayName(job, inst.name));
    return this.#rt.transaction(() => {
      this.#rt.request(inst.id, { stopEnv: [...env] }, [], waiter(opts, "stop"), ["stop"]);
    });
  }

  /**
   * Restarts an instance: goal stop then start, the environment rebuilt from the defaults and
   * `env` (or kept, with `restartKeepsEnv`).
   *
   * @throws {EngineError} UnknownJob, InvalidArgs, UnknownParameter, UnknownInstance,
   *   AlreadyStopped (naming the instance, as Upstart's code does)
   */
  restart(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    const { slot, table } = this.#resolve(job, env, opts.instance);
    const inst = this.#lookup(job, env, opts.instance);
    if (inst.goal === "stop") throw EngineError.alreadyStopped(job, inst.name);
    return this.#rt.transaction(() => {
      let startEnv: readonly string[] | null = table;
      if (this.#restartKeepsEnv) {
        const kept = [...inst.env];
        envSetAll(kept, env);
        startEnv = env.length === 0 ? null : kept;
      }
      const full = this.#rt.machine.restartFullCycle;
      if (slot.pending !== undefined && !full) {
        this.#rt.log(
          "warn",
          `${displayName(job, inst.name)} definition changed; restart keeps the old one`,
        );
      }
      const fields = { startEnv, stopEnv: null, restarting: full };
      this.#rt.request(inst.id, fields, [], waiter(opts, "restart"), ["stop", "start"]);
    });
  }

  /**
   * `initctl reload`: the reload signal to the main process only; no state changes (see
   * docs/behaviour.md#stopping).
   *
   * @throws {EngineError} UnknownJob, InvalidArgs, UnknownParameter, UnknownInstance, NotRunning
   */
  reload(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    const inst = this.#lookup(job, env, opts.instance);
    const pid = inst.pids.main ?? 0;
    const display = displayName(job, inst.name);
    if (pid <= 0) throw EngineError.notRunning(job, display);
    const signal = inst.cls.reloadSignal;
    return [{ type: "kill", pid, signal, group: false }];
  }

  /**
   * Emits an event (`initctl emit`, docs/tools.md#event-and-config-commands). With a waiter,
   * `notify` follows when the event finishes; `EventFailed` if a job it started or stopped failed.
   *
   * @throws {EngineError} InvalidArgs
   */
  emit(name: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    if (name === "") throw EngineError.emptyName();
    if (!envValid(env)) throw EngineError.badEnv();
    return this.#rt.transaction(() => {
      const w: EventWaiter | undefined = opts.waiterId === undefined
        ? undefined
        : { kind: "emit", waiterId: opts.waiterId };
      this.#rt.queueEvent(name, [...env], w);
    });
  }

  /**
   * Ends a user session (see docs/behaviour.md#user-session): emit `session-end TYPE=…`, disable
   * respawning, and stop every instance — on logout only after `logoutGraceMs` when some job starts
   * on `session-end`.
   */
  sessionEnd(type: "shutdown" | "logout"): Effect[] {
    return this.#rt.transaction(() => {
      this.#rt.queueEvent("session-end", [`TYPE=${type}`]);
      this.#rt.respawnDisabled = true;
      const waits = [...this.#rt.classes.all()].some((s) => s.startOn?.names.has("session-end"));
      if (type === "logout" && waits) {
        this.#rt.armSessionEndTimer(this.#logoutGraceMs);
      } else {
        this.#rt.stopAll();
      }
    });
  }

  /**
   * Feeds an input from the process or timer layer (or a request without waiter).
   *
   * @param input what happened
   * @returns the effects
   */
  dispatch(input: Input): Effect[] {
    switch (input.type) {
      case "goal":
        return input.goal === "start"
          ? this.start(input.job, input.env)
          : this.stop(input.job, input.env);
      case "event":
        return this.emit(input.name, input.env);
      default:
        return this.#rt.transaction(() => this.#rt.route(input));
    }
  }

  // --- queries --------------------------------------------------------------------------------

  /**
   * One instance's status; a job with no such instance and no `K=V` is `stop/waiting`.
   *
   * @throws {EngineError} UnknownJob, InvalidArgs, UnknownParameter, UnknownInstance
   */
  status(job: string, env: readonly string[] = [], opts: RequestOptions = {}): StatusEntry {
    const { slot, name } = this.#resolve(job, env, opts.instance);
    const id = slot.instances.get(name);
    const inst = id === undefined ? undefined : this.#rt.instances.get(id);
    if (inst !== undefined) return instanceStatus(inst);
    if (env.length === 0 && opts.instance === undefined) return idleStatus(job);
    throw EngineError.unknownInstance(job, name);
  }

  /** Every instance of every job; a job without instances gives one `stop/waiting` line. */
  list(): StatusEntry[] {
    const out: StatusEntry[] = [];
    for (const slot of this.#rt.classes.all()) {
      if (slot.instances.size === 0) out.push(idleStatus(slot.name));
      for (const id of slot.instances.values()) {
        out.push(instanceStatus(this.#rt.instances.get(id)!));
      }
    }
    return out;
  }

  /**
   * The live instances of a job.
   *
   * @throws {EngineError} UnknownJob
   */
  instancesOf(job: string): Instance[] {
    const slot = this.#rt.classes.get(job);
    if (slot === undefined) throw EngineError.unknownJob(job);
    return [...slot.instances.values()].map((id) => this.#rt.instances.get(id)!);
  }

  /**
   * Replaces a live instance's environment (`initctl set-env` run inside a job,
   * docs/tools.md#environment-commands). The new table is what later processes of the instance see.
   *
   * @throws {EngineError} UnknownJob, UnknownInstance
   */
  editInstanceEnv(job: string, instance: string, edit: (env: string[]) => string[]): void {
    const inst = this.instancesOf(job).find((i) => i.name === instance);
    if (inst === undefined) throw EngineError.unknownInstance(job, instance);
    this.#rt.instances.set(inst.id, { ...inst, env: edit([...inst.env]) });
  }

  /** Whether any instance exists (the session may exit when none does). */
  hasInstances(): boolean {
    return this.#rt.instances.size > 0;
  }

  #resolve(job: string, env: readonly string[], instance?: string) {
    const slot = this.#rt.classes.get(job);
    if (slot === undefined) throw EngineError.unknownJob(job);
    if (!envValid(env)) throw EngineError.badEnv();
    const table = classEnvironment(this.#rt.globalEnv, slot.spec, this.#rt.initEnv);
    envSetAll(table, env);
    if (instance !== undefined) return { slot, table, name: instance };
    try {
      return { slot, table, name: expand(slot.spec.instance, envToMap(table)) };
    } catch (e) {
      if (e instanceof ExpansionError) throw EngineError.expansion(job, e.message, slot.spec.usage);
      throw e;
    }
  }

  #lookup(job: string, env: readonly string[], instance?: string): Instance {
    const { slot, name } = this.#resolve(job, env, instance);
    const id = slot.instances.get(name);
    const inst = id === undefined ? undefined : this.#rt.instances.get(id);
    if (inst === undefined) throw EngineError.unknownInstance(job, name);
    return inst;
  }
}

function waiter(opts: RequestOptions, method: WaitMethod): Blocked | null {
  return opts.waiterId === undefined ? null : { kind: "waiter", waiterId: opts.waiterId, method };
}

/**
 * The pure job state machine: `step(instance, input, context)` returns the next instance and the
 * outputs, in order. It does no I/O and keeps no state of its own. `Stepper.changeState()` below
 * is the only code that writes `Instance.state`. Upstart's `job_change_goal`, `job_change_state`,
 * `job_next_state`, `job_failed` and `job_finished` map onto its methods; the process and timer
 * inputs (`job_process_terminated` & co.) are handled in `process_inputs.ts`.
 *
 * @module
 */

import type { JobClassSpec, ProcessName, ProcessSpec } from "../../parser/types.ts";
import { signalName } from "../../parser/signals.ts";
import { displayName, processEnvironment } from "./environment.ts";
import { EMPTY_WINDOW, type RespawnBackoff } from "./exit_rules.ts";
import { InvariantError } from "./errors.ts";
import { jobEventEnvironment, type JobEventName } from "./job_events.ts";
import {
  onExited,
  onSecurityLoaded,
  onSettled,
  onSpawned,
  onSpawnFailed,
  onTimer,
} from "./process_inputs.ts";
import {
  BLOCKING_EVENTS,
  ENTRY,
  FROM,
  GUARDS,
  HOOK_STATE,
  INTERRUPTIBLE_HOOKS,
  nextStep,
  type Step,
} from "./transitions.ts";
import type {
  ExitStatus,
  FailedProcess,
  Goal,
  Instance,
  InstanceId,
  InstanceTimer,
  JobState,
  LogLevel,
  MachineInput,
  MachineOutput,
  TimerKind,
} from "./types.ts";

/** Behaviour switches of the machine; see the fix list at the top of `engine.ts`. */
export interface MachineOptions {
  /**
   * docs/behaviour.md#fix-hooks: a stop signals running pre-start/post-start hooks (then SIGKILL
   * after kill timeout).
   */
  readonly stopInterruptsHooks: boolean;
  /**
   * docs/behaviour.md#fix-hooks: hook processes running longer are signalled, then killed; 0 = no
   * limit.
   */
  readonly hookTimeoutMs: number;
  /**
   * docs/behaviour.md#fix-respawn: back off instead of giving up when respawning too fast; null =
   * give up.
   */
  readonly respawnBackoff: RespawnBackoff | null;
  /**
   * docs/behaviour.md#fix-restart: `restart` runs the whole stop cycle and loads a changed
   * definition.
   */
  readonly restartFullCycle: boolean;
  /** `UPSTART_SESSION` for every process (user mode), or null. */
  readonly sessionAddress: string | null;
  /** Told of every state change, the instance already in its new state (docs/seeing.md). */
  readonly onStateChange?: ((instance: Instance, from: JobState) => void) | undefined;
  /**
   * Whether `info` log lines are wanted now (the daemon's log priority); absent: always. The
   * lines of a change are not built when not wanted: a job's start makes about nine.
   */
  readonly logsInfo?: (() => boolean) | undefined;
}

/** What a step may read besides the instance. */
export interface StepContext {
  readonly options: MachineOptions;
  /** Respawning is disabled (the session is ending, docs/behaviour.md#user-session). */
  readonly respawnDisabled: boolean;
  /** The newest definition of the instance's class, adopted by a full-cycle restart. */
  readonly latestClass: JobClassSpec;
}

/**
 * The empty list every instance starts with and goes back to: one for all, never modified (every
 * change makes a new list, as the record itself is immutable).
 */
const NONE: readonly never[] = Object.freeze([]);

/** The result of one step. */
export interface StepResult {
  readonly instance: Instance;
  readonly outputs: readonly MachineOutput[];
}

/** The instance being changed by a step (a private copy). */
export type Draft = { -readonly [K in Exclude<keyof Instance, "pids">]: Instance[K] } & {
  pids: Partial<Record<ProcessName, number>>;
};

/** The primitives `process_inputs.ts` builds on. */
export interface MachineOps {
  readonly draft: Draft;
  readonly ctx: StepContext;
  /** `JOB` or `JOB (INSTANCE)`. */
  readonly display: string;
  /** Adds a log line; an `info` one only when wanted ({@linkcode MachineOptions.logsInfo}). */
  log(level: LogLevel, message: string): void;
  /** Upstart's `job_change_goal()`: may induce a move from waiting or running. */
  changeGoal(goal: Goal): void;
  /** The next step per `NEXT` and `GOAL_AFTER_STEP`; computes only, changes nothing. */
  next(): Step;
  /** Applies a step's goal (a `respawn` goal becomes `start`) and returns its state. */
  take(step: Step): JobState;
  /** Takes the next step: `changeState(take(next()))`. */
  advance(): void;
  /** Upstart's `job_change_state()`: enters states until one has to wait. */
  changeState(target: JobState): void;
  /** Upstart's `job_finished()`. */
  finish(failed: boolean): void;
  /** Upstart's `job_failed()`. */
  fail(process: FailedProcess, status: ExitStatus | null): void;
  /** Sends a signal to a process's group, logging it. */
  signal(process: ProcessName, signal: number): void;
  /** Signals a hook because of a stop (see docs/behaviour.md#fix-hooks) and arms its kill timer. */
  interrupt(process: ProcessName): void;
  armTimer(kind: TimerKind, process: ProcessName | null, ms: number): void;
  cancelTimer(kind: TimerKind, process: ProcessName | null): void;
  hasTimer(kind: TimerKind): boolean;
}

/**
 * A fresh instance in `waiting` with goal stop, as Upstart's `job_new()` makes it.
 *
 * @param id the engine's id for it
 * @param cls the definition it runs with
 * @param name the instance name
 * @returns the instance
 */
export function newInstance(id: InstanceId, cls: JobClassSpec, name: string): Instance {
  return {
    id,
    cls,
    name,
    goal: "stop",
    state: "waiting",
    env: NONE,
    startEnv: null,
    stopEnv: null,
    pids: {},
    securityPending: false,
    failed: false,
    failedProcess: null,
    exitStatus: null,
    blocker: null,
    blocking: NONE,
    interrupted: NONE,
    timers: NONE,
    respawn: EMPTY_WINDOW,
    restarting: false,
  };
}

/**
 * Applies one input to one instance.
 *
 * @param inst the instance before
 * @param input what happened
 * @param ctx options and the class's newest definition
 * @returns the instance after, and the outputs in order
 * @throws {InvariantError} when the tables forbid a transition (an engine bug)
 */
export function step(inst: Instance, input: MachineInput, ctx: StepContext): StepResult {
  const stepper = new Stepper(inst, ctx);
  stepper.run(input);
  return { instance: stepper.draft, outputs: stepper.out };
}

class Stepper implements MachineOps {
  readonly draft: Draft;
  readonly out: MachineOutput[] = [];
  readonly ctx: StepContext;
  /** Whether `info` lines are wanted in this step ({@linkcode MachineOptions.logsInfo}). */
  readonly #infoWanted: boolean;

  constructor(inst: Instance, ctx: StepContext) {
    this.draft = { ...inst, pids: { ...inst.pids } };
    this.ctx = ctx;
    this.#infoWanted = ctx.options.logsInfo?.() ?? true;
  }

  run(input: MachineInput): void {
    switch (input.type) {
      case "goal":
        return this.changeGoal(input.goal);
      case "eventFinished":
        if (this.draft.blocker === null) return;
        this.draft.blocker = null;
        return this.advance();
      case "spawned":
        return onSpawned(this, input.process, input.pid);
      case "spawnFailed":
        return onSpawnFailed(this, input.process, input.reason);
      case "exited":
        return onExited(this, input.process, input.status, input.now);
      case "securityLoaded":
        return onSecurityLoaded(this, input.ok, input.message);
      case "forkTracked":
        return onSettled(this, input.newPid);
      case "stopped":
        return onSettled(this, null);
      case "timer":
        return onTimer(this, input.id);
    }
  }

  get display(): string {
    return displayName(this.draft.cls.name, this.draft.name);
  }

  log(level: LogLevel, message: string): void {
    if (level === "info" && !this.#infoWanted) return;
    this.out.push({ type: "log", level, message });
  }

  // --- goal and state -------------------------------------------------------------------------

  changeGoal(goal: Goal): void {
    const d = this.draft;
    if (d.goal === goal) return;
    this.log("info", `${this.display} goal changed from ${d.goal} to ${goal}`);
    d.goal = goal;
    // Goal changes only induce a move from the two resting states (see docs/behaviour.md#states).
    if (goal === "start" && d.state === "waiting") this.advance();
    else if (goal === "stop" && d.state === "running") this.advance();
    else if (goal === "stop") this.#stopRequested();
  }

  next(): Step {
    const d = this.draft;
    const step = nextStep(d);
    if (step === null) {
      throw new InvariantError(
        `${this.display}: no next state from ${d.state} with goal ${d.goal}`,
      );
    }
    return step;
  }

  take(step: Step): JobState {
    const d = this.draft;
    if (d.goal !== step.goal) {
      this.log("info", `${this.display} goal changed from ${d.goal} to ${step.goal}`);
      d.goal = step.goal;
    }
    return step.state;
  }

  advance(): void {
    this.changeState(this.take(this.next()));
  }

  changeState(target: JobState): void {
    const d = this.draft;
    let to: JobState | null = target;
    while (to !== null && d.state !== to) {
      if (!FROM[to].includes(d.state)) {
        throw new InvariantError(`${this.display}: illegal transition ${d.state} → ${to}`);
      }
      // docs/behaviour.md#fix-respawn back-off: a respawn waits in post-stop until its timer fires.
      if (to === "starting" && d.state === "post-stop" && this.hasTimer("respawn")) return;
      this.log("info", `${this.display} state changed from ${d.state} to ${to}`);
      const old = d.state;
      d.state = to;
      this.ctx.options.onStateChange?.(d, old);
      to = this.#enter(to, old);
    }
  }

  /** Performs the entry action of a state; returns the state to move on to, or null to wait. */
  #enter(state: JobState, old: JobState): JobState | null {
    const d = this.draft;
    const action = ENTRY[state];
    switch (action.kind) {
      case "emit":
        return this.#enterEmitting(action.event, old);
      case "kill":
        if (!GUARDS.mainAlive(d)) return this.take(this.next());
        this.signal("main", d.cls.killSignal);
        this.armTimer("kill", "main", d.cls.killTimeout * 1000);
        return null;
      case "run": {
        if (action.process === "security") {
          if (d.cls.apparmorLoad === null) return this.take(this.next());
          d.securityPending = true;
          this.out.push({
            type: "loadSecurity",
            instanceId: d.id,
            job: d.cls.name,
            instance: d.name,
            profile: d.cls.apparmorLoad,
          });
          return null;
        }
        const spec = d.cls.processes[action.process];
        if (spec === undefined) return this.take(this.next());
        this.spawn(action.process, spec);
        return null;
      }
    }
  }

  #enterEmitting(event: JobEventName, old: JobState): JobState | null {
    const d = this.draft;
    switch (event) {
      case "starting":
        if (d.restarting) {
          if (this.ctx.options.restartFullCycle && this.ctx.latestClass !== d.cls) {
            d.cls = this.ctx.latestClass;
            this.log("info", `${this.display} restarting with its new definition`);
          }
          d.restarting = false;
        }
        if (d.startEnv !== null) {
          d.env = d.startEnv;
          d.startEnv = null;
        }
        d.stopEnv = null;
        d.failed = false;
        d.failedProcess = null;
        d.exitStatus = null;
        break;
      case "started":
        if (old === "pre-stop") {
          // The stop was cancelled (see docs/behaviour.md#from-inside-a-job): no event, the stop
          // request is finished.
          d.stopEnv = null;
          this.finish(false);
          return null;
        }
        break;
      case "stopped":
        this.#emitJobEvent(event);
        this.finish(false);
        for (const timer of d.timers) this.out.push({ type: "cancelTimer", id: timer.id });
        d.timers = NONE;
        this.out.push({ type: "destroyed" });
        return null;
    }
    this.#emitJobEvent(event);
    if (event === "started" && !d.cls.task) this.finish(false);
    return null;
  }

  #emitJobEvent(name: JobEventName): void {
    const block = BLOCKING_EVENTS.has(name);
    if (block) this.draft.blocker = name === "starting" ? "starting" : "stopping";
    const env = jobEventEnvironment(this.draft, name);
    this.out.push({ type: "jobEvent", name, env, block });
  }

  /** Upstart's `job_finished()`: release events and waiters held by the instance. */
  finish(failed: boolean): void {
    const d = this.draft;
    if (d.blocking.length === 0) return;
    this.out.push({ type: "release", entries: d.blocking, failed });
    d.blocking = NONE;
  }

  /** Upstart's `job_failed()`: only the first failure of a cycle is recorded. */
  fail(process: FailedProcess, status: ExitStatus | null): void {
    const d = this.draft;
    if (d.failed) return;
    d.failed = true;
    d.failedProcess = process;
    d.exitStatus = status;
    this.finish(true);
  }

  /** Goal became stop outside `running`: the docs/behaviour.md#upstart-fixes fixes act here. */
  #stopRequested(): void {
    const d = this.draft;
    if (this.hasTimer("respawn")) {
      this.cancelTimer("respawn", null);
      if (d.state === "post-stop" && d.pids["post-stop"] === undefined) {
        this.advance();
        return;
      }
    }
    if (!this.ctx.options.stopInterruptsHooks) return;
    for (const hook of INTERRUPTIBLE_HOOKS) {
      if (HOOK_STATE[hook] === d.state && (d.pids[hook] ?? 0) > 0) this.interrupt(hook);
    }
  }

  // --- processes ------------------------------------------------------------------------------

  spawn(process: ProcessName, spec: ProcessSpec): void {
    const d = this.draft;
    const env = processEnvironment(d, process, this.ctx.options.sessionAddress);
    this.out.push({
      type: "spawn",
      instanceId: d.id,
      job: d.cls.name,
      instance: d.name,
      process,
      spec,
      cls: d.cls,
      env,
    });
    d.pids[process] = 0;
  }

  signal(process: ProcessName, signal: number): void {
    const pid = this.draft.pids[process] ?? 0;
    const name = signalName(signal) ?? String(signal);
    this.log("info", `Sending ${name} signal to ${this.display} ${process} process (${pid})`);
    this.out.push({ type: "kill", pid, signal, group: true });
  }

  interrupt(process: ProcessName): void {
    const d = this.draft;
    if (d.interrupted.includes(process)) return;
    d.interrupted = [...d.interrupted, process];
    this.signal(process, d.cls.killSignal);
    this.armTimer("kill", process, d.cls.killTimeout * 1000);
  }

  // --- timers ---------------------------------------------------------------------------------

  #timerId(kind: TimerKind, process: ProcessName | null): string {
    return `${this.draft.id}:${kind}:${process ?? "-"}`;
  }

  hasTimer(kind: TimerKind): boolean {
    return this.draft.timers.some((t) => t.kind === kind);
  }

  armTimer(kind: TimerKind, process: ProcessName | null, ms: number): void {
    const id = this.#timerId(kind, process);
    if (this.draft.timers.some((t) => t.id === id)) this.cancelTimer(kind, process);
    const timer: InstanceTimer = { id, kind, process };
    this.draft.timers = [...this.draft.timers, timer];
    this.out.push({ type: "armTimer", id, ms });
  }

  cancelTimer(kind: TimerKind, process: ProcessName | null): void {
    const id = this.#timerId(kind, process);
    if (!this.draft.timers.some((t) => t.id === id)) return;
    this.draft.timers = this.draft.timers.filter((t) => t.id !== id);
    this.out.push({ type: "cancelTimer", id });
  }
}

/**
 * The job state machine as data (see docs/behaviour.md#states): Upstart's `job_next_state()` as the
 * `NEXT` table, its entry actions as `ENTRY`, the legal predecessors as `FROM`, and the per-process
 * failure rules of docs/behaviour.md#exits. `job_machine.ts` interprets these tables; nothing here
 * has behaviour.
 *
 * @module
 */

import { PROCESS_NAMES, type ProcessName } from "../../parser/types.ts";
import type { Goal, Instance, JobState } from "./types.ts";

/** A transition that depends on the instance: `when` holds → `then`, else `otherwise`. */
export interface GuardedNext {
  readonly when: GuardName;
  readonly then: JobState;
  readonly otherwise: JobState;
}

/** The next state for one goal; null where Upstart asserts the pair cannot happen. */
export type NextEntry = JobState | GuardedNext | null;

/**
 * Next state when the current state's work is done, or when a goal change induces a move from a
 * resting state (see docs/behaviour.md#states table). The `respawn` column applies with the goal
 * reset to `start`.
 *
 * daybreak differs from Upstart in one cell: `spawned` × `respawn` is `stopping`. Upstart never
 * sets that goal there and so runs post-start for a main process that already died.
 */
export const NEXT: Readonly<Record<JobState, Readonly<Record<Goal, NextEntry>>>> = {
  waiting: { start: "starting", stop: null, respawn: null },
  starting: { start: "security", stop: "stopping", respawn: null },
  security: { start: "pre-start", stop: "stopping", respawn: null },
  "pre-start": { start: "spawned", stop: "stopping", respawn: null },
  spawned: { start: "post-start", stop: "stopping", respawn: "stopping" },
  "post-start": { start: "running", stop: "stopping", respawn: "stopping" },
  running: {
    // Only a respawn reaches `stopping` with goal start (the main process died).
    start: "stopping",
    stop: { when: "mainAlive", then: "pre-stop", otherwise: "stopping" },
    respawn: "stopping",
  },
  "pre-stop": {
    start: { when: "restartPending", then: "stopping", otherwise: "running" },
    stop: "stopping",
    respawn: "stopping",
  },
  stopping: { start: "killed", stop: "killed", respawn: "killed" },
  killed: { start: "post-stop", stop: "post-stop", respawn: "post-stop" },
  "post-stop": { start: "starting", stop: "waiting", respawn: "starting" },
};

/** Names of the pure guard predicates used by `NEXT`. */
export type GuardName = "mainAlive" | "restartPending";

/** The guards themselves. */
export const GUARDS: Readonly<Record<GuardName, (inst: Instance) => boolean>> = {
  /** The job defines a main process and it is alive (Upstart checks `pid > 0`). */
  mainAlive: (inst) => inst.cls.processes.main !== undefined && (inst.pids.main ?? 0) > 0,
  /**
   * A `restart` with `restartFullCycle` must not be cancelled by the goal flip (see
   * docs/behaviour.md#fix-restart).
   */
  restartPending: (inst) => inst.restarting,
};

/**
 * Legal predecessors of each state, the assertions of Upstart's `job_change_state()`.
 * `waiting` is also the state a new instance is created in.
 */
export const FROM: Readonly<Record<JobState, readonly JobState[]>> = {
  waiting: ["post-stop"],
  starting: ["waiting", "post-stop"],
  security: ["starting"],
  "pre-start": ["security"],
  spawned: ["pre-start"],
  "post-start": ["spawned"],
  running: ["post-start", "pre-stop"],
  "pre-stop": ["running"],
  stopping: ["starting", "security", "pre-start", "spawned", "post-start", "running", "pre-stop"],
  killed: ["stopping"],
  "post-stop": ["killed"],
};

/** What entering a state does (see docs/behaviour.md#states "What entering each state does"). */
export type EntryAction =
  /** Emit a job event; a blocking one holds the instance here until the event finishes. */
  | { readonly kind: "emit"; readonly event: "starting" | "started" | "stopping" | "stopped" }
  /** Run a process if the job defines it; otherwise move straight on. */
  | { readonly kind: "run"; readonly process: ProcessName }
  /** Signal the main process if alive and arm the kill timer; otherwise move straight on. */
  | { readonly kind: "kill" };

/** Entry action per state. */
export const ENTRY: Readonly<Record<JobState, EntryAction>> = {
  waiting: { kind: "emit", event: "stopped" },
  starting: { kind: "emit", event: "starting" },
  security: { kind: "run", process: "security" },
  "pre-start": { kind: "run", process: "pre-start" },
  spawned: { kind: "run", process: "main" },
  "post-start": { kind: "run", process: "post-start" },
  running: { kind: "emit", event: "started" },
  "pre-stop": { kind: "run", process: "pre-stop" },
  stopping: { kind: "emit", event: "stopping" },
  killed: { kind: "kill" },
  "post-stop": { kind: "run", process: "post-stop" },
};

/** Job events that hold the emitting instance until they finish (see docs/events.md#job-events). */
export const BLOCKING_EVENTS: ReadonlySet<string> = new Set(["starting", "stopping"]);

/** The state each hook process runs in. */
export const HOOK_STATE: Readonly<Partial<Record<ProcessName, JobState>>> = {
  "pre-start": "pre-start",
  "post-start": "post-start",
  "pre-stop": "pre-stop",
  "post-stop": "post-stop",
};

/**
 * Processes whose non-zero exit or death by signal fails the job (see docs/behaviour.md#exits).
 * `main` has its own rules; `security` failures come through `securityLoaded`.
 */
export const EXIT_FAILS_JOB: Readonly<Record<ProcessName, boolean>> = {
  main: false,
  security: true,
  "pre-start": true,
  "post-start": false,
  "pre-stop": false,
  "post-stop": true,
};

/**
 * Processes whose spawn failure fails the job and sets the goal to stop (see
 * docs/behaviour.md#exits).
 */
export const SPAWN_FAILURE_FAILS_JOB: Readonly<Record<ProcessName, boolean>> = {
  main: true,
  security: true,
  "pre-start": true,
  "post-start": false,
  "pre-stop": false,
  "post-stop": true,
};

/** Hooks a stop may interrupt under `stopInterruptsHooks` (see docs/behaviour.md#fix-hooks). */
export const INTERRUPTIBLE_HOOKS: readonly ProcessName[] = ["pre-start", "post-start"];

/** Hooks `hookTimeout` applies to (see docs/behaviour.md#fix-hooks). */
export const TIMED_HOOKS: readonly ProcessName[] = [
  "pre-start",
  "post-start",
  "pre-stop",
  "post-stop",
];

/** Order of processes in status output (see docs/tools.md#status-line). */
export const STATUS_ORDER: readonly ProcessName[] = PROCESS_NAMES;

/**
 * The goal an instance has once it takes a step (see docs/behaviour.md#states). A `respawn` goal
 * lasts one step: the step out of the state the main process died in, after which the instance is
 * starting again. Upstart made this change inside `job_next_state()`; here it is a transition of
 * its own.
 */
export const GOAL_AFTER_STEP: Readonly<Record<Goal, Goal>> = {
  start: "start",
  stop: "stop",
  respawn: "start",
};

/** One step of the machine: the state to enter and the goal the instance has from then on. */
export interface Step {
  readonly state: JobState;
  readonly goal: Goal;
}

/**
 * The step an instance takes when its current state's work is done.
 *
 * @param inst the instance whose current state and goal pick the cell
 * @returns the step, or null when the pair is impossible
 */
export function nextStep(inst: Instance): Step | null {
  const state = nextState(inst);
  return state === null ? null : { state, goal: GOAL_AFTER_STEP[inst.goal] };
}

/**
 * Resolves a `NEXT` cell for an instance.
 *
 * @param inst the instance whose current state and goal pick the cell
 * @returns the next state, or null when the pair is impossible
 */
export function nextState(inst: Instance): JobState | null {
  const entry = NEXT[inst.state][inst.goal];
  if (entry === null || typeof entry === "string") return entry;
  return GUARDS[entry.when](inst) ? entry.then : entry.otherwise;
}

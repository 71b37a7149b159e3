/**
 * The engine's data model: goals, states, instances, and the inputs and effects that connect the
 * pure engine to the daemon's process and timer layers (see docs/behaviour.md#runtime).
 *
 * Everything here is plain, readonly data. `job_machine.ts` is the only writer of
 * `Instance.state`; `engine.ts` owns the tables of classes, instances and events.
 *
 * @module
 */

import type { JobClassSpec, ProcessName, ProcessSpec } from "../../parser/types.ts";
import type { ExitStatus } from "../ports.ts";

export type { ExitStatus };

/**
 * What an instance is heading for. `respawn` is internal (see docs/behaviour.md#states): set when
 * the main process died while a post-start or pre-stop process was still running; never shown to
 * users.
 */
export type Goal = "start" | "stop" | "respawn";

/** The goal as `initctl status` shows it. */
export type ShownGoal = "start" | "stop";

/**
 * The eleven classic Upstart states (see docs/behaviour.md#states). The 1.13 transient `-ing`
 * states (`pre-starting`, `spawning`, …) are collapsed into the state they precede, as the spec
 * allows.
 */
export type JobState =
  | "waiting"
  | "starting"
  | "security"
  | "pre-start"
  | "spawned"
  | "post-start"
  | "running"
  | "pre-stop"
  | "stopping"
  | "killed"
  | "post-stop";

/** Every state, in lifecycle order. */
export const JOB_STATES: readonly JobState[] = [
  "waiting",
  "starting",
  "security",
  "pre-start",
  "spawned",
  "post-start",
  "running",
  "pre-stop",
  "stopping",
  "killed",
  "post-stop",
];

/** Identifies one instance for its whole life; never reused by an engine. */
export type InstanceId = number;

/** Identifies a caller waiting for a request to finish (an RPC request id, say). */
export type WaiterId = string | number;

/**
 * Which request a waiter made; it picks the `JobFailed` message (see docs/tools.md#error-messages).
 */
export type WaitMethod = "start" | "stop" | "restart";

/**
 * Something an instance holds until it finishes its transition (Upstart's `job->blocking`):
 * an event that started or stopped it, or a caller waiting for the request.
 */
export type Blocked =
  | { readonly kind: "event"; readonly eventId: number }
  | { readonly kind: "waiter"; readonly waiterId: WaiterId; readonly method: WaitMethod };

/** Why a timer was armed. */
export type TimerKind = "kill" | "hook" | "respawn";

/** A timer an instance has armed; `id` is what `armTimer` and the `timer` input carry. */
export interface InstanceTimer {
  readonly id: string;
  readonly kind: TimerKind;
  /** The process a `kill` or `hook` timer is about. */
  readonly process: ProcessName | null;
}

/**
 * The respawn rate-limit window (see docs/behaviour.md#respawn) and the optional back-off (see
 * docs/behaviour.md#fix-respawn).
 */
export interface RespawnWindow {
  /** Start of the window, whole monotonic seconds; null before the first respawn. */
  readonly since: number | null;
  readonly count: number;
  /** Consecutive back-off steps taken; 0 when not backing off. */
  readonly backoffLevel: number;
  /** Monotonic seconds of the last abnormal main exit while backing off. */
  readonly lastExitAt: number | null;
  /** The delay before the next `starting`, in ms; 0 = none. */
  readonly delayMs: number;
}

/** Why an instance failed: a process, or `respawn` when the respawn limit was hit. */
export type FailedProcess = ProcessName | "respawn";

/**
 * One job instance (see docs/behaviour.md#instances). Immutable: every change produces a new
 * record.
 */
export interface Instance {
  readonly id: InstanceId;
  /**
   * The definition this instance runs with; kept until it returns to waiting (see
   * docs/configuration.md#reload).
   */
  readonly cls: JobClassSpec;
  /** Instance name; `""` for single-instance jobs. */
  readonly name: string;
  readonly goal: Goal;
  readonly state: JobState;
  /**
   * The instance environment (see docs/behaviour.md#environment), installed on entering `starting`.
   */
  readonly env: readonly string[];
  /** Environment to install at the next `starting`; null keeps `env`. */
  readonly startEnv: readonly string[] | null;
  /** Extra variables for pre-stop and post-stop (see docs/behaviour.md#environment). */
  readonly stopEnv: readonly string[] | null;
  /**
   * Live processes. A value of 0 means a spawn was requested and its pid is not known yet
   * (the `spawned` input has not arrived).
   */
  readonly pids: Readonly<Partial<Record<ProcessName, number>>>;
  /** A `loadSecurity` effect is outstanding. */
  readonly securityPending: boolean;
  readonly failed: boolean;
  readonly failedProcess: FailedProcess | null;
  /** How the failing process ended; null for spawn failures and respawn give-ups. */
  readonly exitStatus: ExitStatus | null;
  /** The job event this instance waits on (`starting` or `stopping`), if any. */
  readonly blocker: "starting" | "stopping" | null;
  readonly blocking: readonly Blocked[];
  /**
   * Hook processes signalled because of a stop (see docs/behaviour.md#fix-hooks fix): their exit is
   * no failure.
   */
  readonly interrupted: readonly ProcessName[];
  readonly timers: readonly InstanceTimer[];
  readonly respawn: RespawnWindow;
  /** A restart in progress that must run the whole stop cycle (`restartFullCycle`). */
  readonly restarting: boolean;
}

/** One line of `initctl status` / `list` as data (see docs/tools.md#status-line). */
export interface StatusEntry {
  readonly job: string;
  /** `""` for single-instance jobs and for jobs without instances. */
  readonly instance: string;
  readonly goal: ShownGoal;
  readonly state: JobState;
  /** Live processes in the fixed order main, pre-start, post-start, pre-stop, post-stop, security. */
  readonly processes: readonly { readonly process: ProcessName; readonly pid: number }[];
}

/** Daemon log priorities (see docs/behaviour.md#daemon-log). */
export type LogLevel = "debug" | "info" | "message" | "warn" | "error";

/**
 * Stable codes of `EngineError` (see docs/tools.md#error-messages; the RPC layer maps them to wire
 * codes).
 */
export type EngineErrorCode =
  | "UnknownJob"
  | "UnknownInstance"
  | "AlreadyStarted"
  | "AlreadyStopped"
  | "JobFailed"
  | "EventFailed"
  | "NotRunning"
  | "UnknownParameter"
  | "InvalidArgs";

/** What a waiter is told when its request finishes. */
export type NotifyResult =
  | {
    readonly ok: true;
    /** The instance's status once the request finished; null for `emit`. */
    readonly status: StatusEntry | null;
  }
  | { readonly ok: false; readonly code: EngineErrorCode; readonly message: string };

/**
 * What the engine asks the outside world to do. Returned, in order, by every mutating call.
 */
export type Effect =
  | {
    readonly type: "spawn";
    readonly instanceId: InstanceId;
    readonly job: string;
    readonly instance: string;
    readonly process: ProcessName;
    readonly spec: ProcessSpec;
    readonly cls: JobClassSpec;
    /** Complete process environment, `KEY=VALUE`. */
    readonly env: readonly string[];
  }
  | {
    /** Load the AppArmor profile (`apparmor load`); answer with `securityLoaded`. */
    readonly type: "loadSecurity";
    readonly instanceId: InstanceId;
    readonly job: string;
    readonly instance: string;
    readonly profile: string;
  }
  | {
    readonly type: "kill";
    readonly pid: number;
    readonly signal: number;
    /** Signal the whole process group of `pid` (see docs/behaviour.md#stopping). */
    readonly group: boolean;
  }
  | { readonly type: "eventEmitted"; readonly name: string; readonly env: readonly string[] }
  | { readonly type: "armTimer"; readonly id: string; readonly ms: number }
  | { readonly type: "cancelTimer"; readonly id: string }
  | { readonly type: "notify"; readonly waiterId: WaiterId; readonly result: NotifyResult }
  | { readonly type: "log"; readonly level: LogLevel; readonly message: string };

/** Inputs from the process and timer layers (and, for convenience, requests). */
export type Input =
  | {
    /** A start or stop request without a waiter; same as `start()`/`stop()`. */
    readonly type: "goal";
    readonly job: string;
    readonly env: readonly string[];
    readonly goal: ShownGoal;
  }
  | { readonly type: "event"; readonly name: string; readonly env: readonly string[] }
  | {
    readonly type: "processExited";
    readonly pid: number;
    readonly status: ExitStatus;
    /**
     * Monotonic ms when it was reaped; drives the respawn limit (see docs/behaviour.md#respawn).
     */
    readonly now: number;
  }
  | {
    /** The spawn of a `spawn` effect succeeded (the program was executed). */
    readonly type: "spawned";
    readonly instance: InstanceId;
    readonly process: ProcessName;
    readonly pid: number;
  }
  | {
    readonly type: "spawnFailed";
    readonly instance: InstanceId;
    readonly process: ProcessName;
    /** Upstart's text, e.g. `unable to execute: No such file or directory`. */
    readonly reason: string;
  }
  | { readonly type: "timer"; readonly id: string }
  | {
    readonly type: "securityLoaded";
    readonly instance: InstanceId;
    readonly ok: boolean;
    readonly message?: string;
  }
  | {
    /**
     * `expect fork`/`daemon`: the process layer settled on the pid to supervise (see
     * docs/behaviour.md#expect); the instance leaves `spawned`.
     */
    readonly type: "forkTracked";
    readonly pid: number;
    readonly newPid: number;
  }
  | {
    /**
     * `expect stop`: the main process raised SIGSTOP. The process layer continues it
     * (`ports.ts` `SpawnedProcess.tracked`); the instance leaves `spawned`.
     */
    readonly type: "stopped";
    readonly pid: number;
  };

/** Inputs of the pure state machine (`job_machine.ts`), already routed to one instance. */
export type MachineInput =
  | { readonly type: "goal"; readonly goal: "start" | "stop" }
  | { readonly type: "eventFinished" }
  | { readonly type: "spawned"; readonly process: ProcessName; readonly pid: number }
  | { readonly type: "spawnFailed"; readonly process: ProcessName; readonly reason: string }
  | {
    readonly type: "exited";
    readonly process: ProcessName;
    readonly status: ExitStatus;
    readonly now: number;
  }
  | { readonly type: "securityLoaded"; readonly ok: boolean; readonly message: string }
  | { readonly type: "forkTracked"; readonly newPid: number }
  | { readonly type: "stopped" }
  | { readonly type: "timer"; readonly id: string };

/**
 * What a step asks of the engine besides plain effects: queue a job event (blocking the
 * instance on it when `block`), release what the instance holds, or forget the instance.
 */
export type MachineRequest =
  | {
    readonly type: "jobEvent";
    readonly name: "starting" | "started" | "stopping" | "stopped";
    readonly env: readonly string[];
    readonly block: boolean;
  }
  | { readonly type: "release"; readonly entries: readonly Blocked[]; readonly failed: boolean }
  | { readonly type: "destroyed" };

/** Everything a step produces, in order. */
export type MachineOutput = Effect | MachineRequest;

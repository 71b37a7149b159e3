/**
 * The methods of the control protocol shared by the daemon and the CLI:
 * JSON-RPC 2.0 method names, their wire types and the protocol's constants. See
 * `docs/rpc.md`; the errors are in `errors.ts`, the zod schemas every request is
 * validated with in `schemas.ts`.
 *
 * This module loads no zod (nor any npm package): the CLI and the daemon's start-up
 * path use it, and zod costs tens of milliseconds to load (docs/platform.md#start-up-costs); the
 * daemon loads `schemas.ts` only for its request dispatcher (`daemon/rpc/dispatcher.ts`).
 *
 * @module
 */

import type { ProcessName } from "../parser/types.ts";

/**
 * Protocol version, bumped on incompatible changes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROTOCOL_VERSION } from "./methods.ts";
 * assert.equal(PROTOCOL_VERSION, 1);
 * ```
 */
export const PROTOCOL_VERSION = 1;

// The size limit lives with the framing, and the codes in a dependency-free module, so that
// the CLI can use them without zod.
export { MAX_REQUEST_BYTES } from "./framing.ts";
export { ERROR_CODES, type ErrorName } from "./errors.ts";

// The wire types are written out, and each schema (`schemas.ts`) is checked against them, so
// that the types need no zod.

/**
 * Identifies the calling job instance (initctl run inside a job,
 * docs/behaviour.md#from-inside-a-job).
 */
export interface CallerInstance {
  job: string;
  instance: string;
}

/** What the final phase of a shutdown ends with (`daemon.shutdown`). */
export type PowerAction = "poweroff" | "halt" | "reboot";

/** One live process of an instance. */
export interface ProcessStatus {
  process: ProcessName;
  pid: number;
}

/** The status of one instance: what a docs/tools.md#status-line status line prints. */
export interface InstanceStatus {
  job: string;
  instance: string;
  goal: "start" | "stop";
  state: string;
  processes: ProcessStatus[];
}

/**
 * Selects one instance of a job: by `env` (the instance name is expanded from
 * the class defaults plus `env`, docs/behaviour.md#instances), or, when `instance` is given, by
 * that instance name directly (initctl run inside a job with no JOB argument
 * acts on its own instance, docs/behaviour.md#from-inside-a-job, sending `UPSTART_INSTANCE` here).
 */
export interface JobRequest {
  job: string;
  env: string[];
  instance?: string | undefined;
}
/** {@linkcode JobRequest} as sent: `env` defaults to none. */
export interface JobRequestIn {
  job: string;
  env?: string[] | undefined;
  instance?: string | undefined;
}
/** A job request that may wait for the job to reach its goal. */
export interface WaitingJobRequest extends JobRequest {
  wait: boolean;
}
/** {@linkcode WaitingJobRequest} as sent: `wait` defaults to true. */
export interface WaitingJobRequestIn extends JobRequestIn {
  wait?: boolean | undefined;
}

/** An argument of an event match in `start on`/`stop on`, as JSON. */
export type MatchArgJson =
  | { kind: "positional"; value: string }
  | { kind: "named"; name: string; op: "=" | "!="; value: string };

/** An event expression, as JSON. */
export type EventExprJson =
  | { kind: "match"; event: string; args: MatchArgJson[] }
  | { kind: "and" | "or"; left: EventExprJson; right: EventExprJson };

/** A leaf of a condition, flat: `job` is the job a job event names, `null` when none. */
export interface ConditionLeafJson {
  event: string;
  job: string | null;
  env: string[];
}

/**
 * One job's configuration, as `show-config` prints it. The trees `startOn`/`stopOn` are sent
 * only up to {@linkcode MAX_WIRE_EXPR_DEPTH} levels (else `null`); the shallow forms — the
 * canonical text and the flat list of leaves — always (see `docs/rpc.md`). `error` is set, and
 * the rest left empty, when this one job could not be shown.
 */
export interface JobConfig {
  name: string;
  emits: string[];
  startOn: EventExprJson | null;
  stopOn: EventExprJson | null;
  file: string | null;
  fields: Record<string, unknown>;
  startOnText?: string | null | undefined;
  stopOnText?: string | null | undefined;
  startOnLeaves?: ConditionLeafJson[] | undefined;
  stopOnLeaves?: ConditionLeafJson[] | undefined;
  error?: string | undefined;
}

/** Expressions deeper than this are sent as text and leaves only, never as a nested tree. */
export const MAX_WIRE_EXPR_DEPTH = 64;

/** One recorded state change of `daemon.timeline`; `t` is monotonic ms (compare with `now`). */
export interface TransitionRecord {
  seq: number;
  t: number;
  job: string;
  instance: string;
  from: string;
  to: string;
  goal: "start" | "stop";
  /** The job whose event started the instance, when it left `starting`. */
  cause: string | null;
}

/** The extra facts of `job.details` (`status --verbose`). Times are wall-clock ms since the epoch. */
export interface InstanceDetails {
  startedAt: number | null;
  uptimeMs: number | null;
  startDurationMs: number | null;
  respawns: number;
  lastExit: {
    process: ProcessName;
    pid: number;
    code: number | null;
    signal: number | null;
    at: number;
  } | null;
  startEvents: string[];
  logPath: string | null;
}

/** The result of `daemon.timeline`. */
export interface TimelineResult {
  /** Monotonic ms of the daemon's start, and the wall clock then. */
  origin: number;
  wallOrigin: number;
  now: number;
  /** Changes dropped from the front for lack of room. */
  dropped: number;
  transitions: TransitionRecord[];
}

/** The methods behind `initctl timeline` and `initctl status --verbose` (docs/seeing.md). */
export type SeeingMethod = "daemon.timeline" | "job.details";

/** A method's params (in: as sent; out: defaults applied) and result. */
interface Types<In, Out, R> {
  in: In;
  out: Out;
  result: R;
}
/** The `{}` of a method without params or result. */
type Empty = Record<string, never>;
type EnvScope = { caller?: CallerInstance | undefined; global: boolean };
type EnvScopeIn = { caller?: CallerInstance | undefined; global?: boolean | undefined };

/** The types of every method. */
export interface MethodTypes {
  "job.start": Types<WaitingJobRequestIn, WaitingJobRequest, { status: InstanceStatus }>;
  "job.stop": Types<WaitingJobRequestIn, WaitingJobRequest, { status: InstanceStatus }>;
  "job.restart": Types<WaitingJobRequestIn, WaitingJobRequest, { status: InstanceStatus }>;
  "job.reload": Types<JobRequestIn, JobRequest, Empty>;
  "job.status": Types<JobRequestIn, JobRequest, { status: InstanceStatus }>;
  "job.list": Types<
    Empty | undefined,
    Empty,
    { jobs: { job: string; instances: InstanceStatus[] }[] }
  >;
  "job.showConfig": Types<
    { job?: string | undefined } | undefined,
    { job?: string | undefined },
    { jobs: JobConfig[] }
  >;
  "job.checkConfig": Types<
    {
      job?: string | undefined;
      ignoreEvents?: string[] | undefined;
      warn?: boolean | undefined;
    } | undefined,
    { job?: string | undefined; ignoreEvents: string[]; warn: boolean },
    {
      jobs: { job: string; problems: string[] }[];
      files: { file: string; job: string | null; message: string }[];
    }
  >;
  "job.usage": Types<{ job: string }, { job: string }, { usage: string }>;
  "job.logPath": Types<JobRequestIn, JobRequest, { path: string | null }>;
  "event.emit": Types<
    { name: string; env?: string[] | undefined; wait?: boolean | undefined },
    { name: string; env: string[]; wait: boolean },
    Empty
  >;
  "conf.reload": Types<Empty | undefined, Empty, Empty>;
  "daemon.version": Types<
    Empty | undefined,
    Empty,
    { upstart: string; daybreak: string; protocol: number }
  >;
  "daemon.logPriority": Types<
    { priority?: string | undefined } | undefined,
    { priority?: string | undefined },
    { priority: string }
  >;
  "daemon.notifyDiskWriteable": Types<Empty | undefined, Empty, Empty>;
  "daemon.shutdown": Types<{ action: PowerAction }, { action: PowerAction }, Empty>;
  "daemon.reexec": Types<Empty | undefined, Empty, Empty>;
  "env.list": Types<EnvScopeIn | undefined, EnvScope, { env: string[] }>;
  "env.get": Types<EnvScopeIn & { name: string }, EnvScope & { name: string }, { value: string }>;
  "env.set": Types<
    EnvScopeIn & { vars: string[]; retain?: boolean | undefined },
    EnvScope & { vars: string[]; retain: boolean },
    Empty
  >;
  "env.unset": Types<EnvScopeIn & { names: string[] }, EnvScope & { names: string[] }, Empty>;
  "env.reset": Types<EnvScopeIn | undefined, EnvScope, Empty>;
  "daemon.timeline": Types<Empty | undefined, Empty, TimelineResult>;
  "job.details": Types<
    JobRequestIn,
    JobRequest,
    { status: InstanceStatus; details: InstanceDetails }
  >;
}

/** A method name. */
export type Method = keyof MethodTypes;
/** The params a method takes (before defaults are applied). */
export type ParamsIn<M extends Method> = MethodTypes[M]["in"];
/** The params a handler receives (defaults applied). */
export type Params<M extends Method> = MethodTypes[M]["out"];
/** The result of a method. */
export type Result<M extends Method> = MethodTypes[M]["result"];

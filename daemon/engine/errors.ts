/**
 * Domain errors of the engine, with stable codes and Upstart's exact messages (spec §12.2).
 *
 * @module
 */

import type { EngineErrorCode, WaitMethod } from "./types.ts";

/** Extra data an error carries for the CLI (e.g. the job's `usage` text). */
export interface EngineErrorData {
  /** The job the request named, when known. */
  readonly job?: string;
  /** The job's `usage` stanza, printed as a second line after expansion errors (spec §7.3). */
  readonly usage?: string;
}

/**
 * A request the engine refused, or a request that failed later (for `notify`).
 *
 * @example Usage
 * ```ts
 * import { EngineError } from "./errors.ts";
 * const err = EngineError.unknownJob("nosuch");
 * err.code; // "UnknownJob"
 * err.message; // "Unknown job: nosuch"
 * ```
 */
export class EngineError extends Error {
  /** Stable code; the RPC layer maps it to a wire error code. */
  readonly code: EngineErrorCode;
  readonly data: EngineErrorData;

  /**
   * @param code the stable code
   * @param message Upstart's message text
   * @param data extra data for the caller
   */
  constructor(code: EngineErrorCode, message: string, data: EngineErrorData = {}) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.data = data;
  }

  /** `Unknown job: NAME`. */
  static unknownJob(job: string): EngineError {
    return new EngineError("UnknownJob", `Unknown job: ${job}`, { job });
  }

  /** `Unknown instance: NAME`; NAME is empty for single-instance jobs (note the trailing space). */
  static unknownInstance(job: string, instance: string): EngineError {
    return new EngineError("UnknownInstance", `Unknown instance: ${instance}`, { job });
  }

  /** `Job is already running: DISPLAYNAME`. */
  static alreadyStarted(job: string, display: string): EngineError {
    return new EngineError("AlreadyStarted", `Job is already running: ${display}`, { job });
  }

  /** `Job has already been stopped: NAME`. */
  static alreadyStopped(job: string, name: string): EngineError {
    return new EngineError("AlreadyStopped", `Job has already been stopped: ${name}`, { job });
  }

  /** `Job is not running: DISPLAYNAME` (reload without a main process). */
  static notRunning(job: string, display: string): EngineError {
    return new EngineError("NotRunning", `Job is not running: ${display}`, { job });
  }

  /** An instance-name expansion failure, e.g. `Unknown parameter: NAME`. */
  static expansion(job: string, message: string, usage: string | null): EngineError {
    return new EngineError(
      "UnknownParameter",
      message,
      usage === null ? { job } : { job, usage },
    );
  }

  /** `Env must be KEY=VALUE pairs`. */
  static badEnv(): EngineError {
    return new EngineError("InvalidArgs", "Env must be KEY=VALUE pairs");
  }

  /** `Name may not be empty string`. */
  static emptyName(): EngineError {
    return new EngineError("InvalidArgs", "Name may not be empty string");
  }
}

/** The `JobFailed` message for each request kind. */
export const JOB_FAILED_MESSAGES: Readonly<Record<WaitMethod, string>> = {
  start: "Job failed to start",
  stop: "Job failed while stopping",
  restart: "Job failed to restart",
};

/** The `EventFailed` message. */
export const EVENT_FAILED_MESSAGE = "Event failed";

/**
 * A broken engine invariant (an impossible transition). The daemon logs it and lives on.
 */
export class InvariantError extends Error {
  /**
   * @param message what was violated
   */
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

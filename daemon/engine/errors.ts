/**
 * Domain errors of the engine, with stable codes and Upstart's exact messages, both taken
 * from the protocol's one error table (see `docs/rpc.md#errors`).
 *
 * @module
 */

import { errorMessage, type ErrorName } from "../../protocol/errors.ts";
import type { EngineErrorCode, WaitMethod } from "./types.ts";

/** Extra data an error carries for the CLI (e.g. the job's `usage` text). */
export interface EngineErrorData {
  /** The job the request named, when known. */
  readonly job?: string;
  /**
   * The job's `usage` stanza, printed as a second line after expansion errors (see
   * docs/tools.md#job-commands).
   */
  readonly usage?: string;
  /** The instance name a request selected, for `UnknownInstance`. */
  readonly instance?: string;
}

/** The protocol error each engine code stands for, unless an error names another. */
export const PROTOCOL_ERROR_OF: Readonly<Record<EngineErrorCode, ErrorName>> = {
  UnknownJob: "UnknownJob",
  UnknownInstance: "UnknownInstance",
  AlreadyStarted: "AlreadyStarted",
  AlreadyStopped: "AlreadyStopped",
  JobFailed: "JobFailed",
  EventFailed: "EventFailed",
  NotRunning: "NotRunning",
  UnknownParameter: "UnknownParameter",
  InvalidArgs: "InvalidEnv",
};

/**
 * A request the engine refused, or a request that failed later (for `notify`).
 *
 * @example Usage
 * ```ts
 * import { EngineError } from "./errors.ts";
 * const err = EngineError.unknownJob("nosuch");
 * err.code; // "UnknownJob"
 * err.error; // "UnknownJob", its row in the protocol's error table
 * err.message; // "Unknown job: nosuch"
 * ```
 */
export class EngineError extends Error {
  /** Stable code; the RPC layer maps it to a wire error code. */
  readonly code: EngineErrorCode;
  /** The protocol error it travels as (the RPC layer maps by this, never by the message). */
  readonly error: ErrorName;
  readonly data: EngineErrorData;

  /**
   * @param code the stable code
   * @param message Upstart's message text
   * @param data extra data for the caller
   * @param error the protocol error, when it is not the one the code stands for
   */
  constructor(
    code: EngineErrorCode,
    message: string,
    data: EngineErrorData = {},
    error: ErrorName = PROTOCOL_ERROR_OF[code],
  ) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.error = error;
    this.data = data;
  }

  /** `Unknown job: NAME`. */
  static unknownJob(job: string): EngineError {
    return new EngineError("UnknownJob", errorMessage("UnknownJob", { job }), { job });
  }

  /** `Unknown instance: NAME`; NAME is empty for single-instance jobs (note the trailing space). */
  static unknownInstance(job: string, instance: string): EngineError {
    return new EngineError(
      "UnknownInstance",
      errorMessage("UnknownInstance", { instance }),
      { job, instance },
    );
  }

  /** `Job is already running: DISPLAYNAME`. */
  static alreadyStarted(job: string, display: string): EngineError {
    return new EngineError("AlreadyStarted", errorMessage("AlreadyStarted", { job: display }), {
      job,
    });
  }

  /** `Job has already been stopped: NAME`. */
  static alreadyStopped(job: string, name: string): EngineError {
    return new EngineError("AlreadyStopped", errorMessage("AlreadyStopped", { job: name }), {
      job,
    });
  }

  /** `Job is not running: DISPLAYNAME` (reload without a main process). */
  static notRunning(job: string, display: string): EngineError {
    return new EngineError("NotRunning", errorMessage("NotRunning", { job: display }), { job });
  }

  /** An instance-name expansion failure, e.g. `Unknown parameter: NAME`. */
  static expansion(job: string, message: string, usage: string | null): EngineError {
    return new EngineError(
      "UnknownParameter",
      errorMessage("UnknownParameter", { text: message }),
      usage === null ? { job } : { job, usage },
    );
  }

  /** `Env must be KEY=VALUE pairs`. */
  static badEnv(): EngineError {
    return new EngineError("InvalidArgs", errorMessage("InvalidEnv"));
  }

  /** `Name may not be empty string`: an invalid argument that travels as `EmptyName`. */
  static emptyName(): EngineError {
    return new EngineError("InvalidArgs", errorMessage("EmptyName"), {}, "EmptyName");
  }
}

/** The `JobFailed` message for each request kind. */
export const JOB_FAILED_MESSAGES: Readonly<Record<WaitMethod, string>> = {
  start: errorMessage("JobFailed", { how: "to start" }),
  stop: errorMessage("JobFailed", { how: "while stopping" }),
  restart: errorMessage("JobFailed", { how: "to restart" }),
};

/** The `EventFailed` message. */
export const EVENT_FAILED_MESSAGE: string = errorMessage("EventFailed");

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

/**
 * The JSON-RPC error codes of the control protocol, named after Upstart's
 * D-Bus errors (spec §12.2). Dependency-free so that the CLI can use the
 * codes at run time without loading zod; `protocol.ts` re-exports them.
 *
 * @module
 */

/**
 * Error codes (JSON-RPC server-error range), named after Upstart's errors.
 * The `message` of an error response is Upstart's exact text, which the CLI
 * prints after `PROGNAME: `.
 */
export const ERROR_CODES = {
  InvalidParams: -32602,
  UnknownJob: -32001,
  UnknownInstance: -32002,
  AlreadyStarted: -32003,
  AlreadyStopped: -32004,
  JobFailed: -32005,
  EventFailed: -32006,
  PermissionDenied: -32007,
  NotRunning: -32008,
  UnknownParameter: -32009,
  NoSuchVariable: -32010,
  InvalidPriority: -32011,
  NotPermissible: -32012,
  InvalidJobClass: -32013,
  InvalidEnv: -32014,
  EmptyName: -32015,
  Internal: -32603,
} as const;

/** The name of an error code. */
export type ErrorName = keyof typeof ERROR_CODES;

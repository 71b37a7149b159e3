/**
 * The one error table of the control protocol: each error's name (after
 * Upstart's D-Bus errors, see `docs/rpc.md#errors`), its JSON-RPC code, the
 * exit status the CLI gives it, and its message template. Errors travel by
 * code: the daemon picks a name, the wire carries the code, the CLI prints the
 * message as it came and exits with the table's status. Nobody compares
 * message text.
 *
 * Dependency-free, so that the CLI can use it at run time without loading zod.
 *
 * @module
 */

/**
 * Exit status of every failure, usage errors included (see `docs/rpc.md#errors`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT_FAILURE } from "./errors.ts";
 * assert.equal(EXIT_FAILURE, 1);
 * ```
 */
export const EXIT_FAILURE = 1;

/** One row of the table. */
export interface ErrorEntry {
  /** The JSON-RPC error code (server-error range, or the standard ones). */
  readonly code: number;
  /** The exit status of the CLI when the daemon answers with this error. */
  readonly exit: number;
  /**
   * Upstart's text; `{key}` is replaced by {@linkcode errorMessage}. The CLI prints the
   * message after `PROGNAME: `, so it must stay byte-identical.
   */
  readonly message: string;
}

/**
 * Every error, by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERRORS } from "./errors.ts";
 * assert.equal(ERRORS.UnknownJob.code, -32001);
 * assert.equal(ERRORS.UnknownJob.exit, 1);
 * ```
 */
export const ERRORS = {
  // JSON-RPC's own errors: a line that is not JSON, or not a request.
  ParseError: { code: -32700, exit: EXIT_FAILURE, message: "Parse error" },
  InvalidRequest: { code: -32600, exit: EXIT_FAILURE, message: "Invalid request: {detail}" },
  MethodNotFound: { code: -32601, exit: EXIT_FAILURE, message: "Method not found" },
  InvalidParams: { code: -32602, exit: EXIT_FAILURE, message: "Invalid params: {detail}" },
  UnknownJob: { code: -32001, exit: EXIT_FAILURE, message: "Unknown job: {job}" },
  // Empty for a single-instance job: the text then ends in a space, as Upstart's does.
  UnknownInstance: { code: -32002, exit: EXIT_FAILURE, message: "Unknown instance: {instance}" },
  AlreadyStarted: { code: -32003, exit: EXIT_FAILURE, message: "Job is already running: {job}" },
  AlreadyStopped: {
    code: -32004,
    exit: EXIT_FAILURE,
    message: "Job has already been stopped: {job}",
  },
  // {how}: `to start`, `while stopping` or `to restart`.
  JobFailed: { code: -32005, exit: EXIT_FAILURE, message: "Job failed {how}" },
  EventFailed: { code: -32006, exit: EXIT_FAILURE, message: "Event failed" },
  // {what}: e.g. `modify job: web`, `emit an event` (see daemon/rpc/authorize.ts).
  PermissionDenied: {
    code: -32007,
    exit: EXIT_FAILURE,
    message: "You do not have permission to {what}",
  },
  NotRunning: { code: -32008, exit: EXIT_FAILURE, message: "Job is not running: {job}" },
  // The expander's own text, e.g. `Unknown parameter: NAME`.
  UnknownParameter: { code: -32009, exit: EXIT_FAILURE, message: "{text}" },
  NoSuchVariable: { code: -32010, exit: EXIT_FAILURE, message: "No such variable: {name}" },
  InvalidPriority: {
    code: -32011,
    exit: EXIT_FAILURE,
    message: "The log priority given was not recognised",
  },
  NotPermissible: {
    code: -32012,
    exit: EXIT_FAILURE,
    message: "Not permissible to modify PID 1 job environment",
  },
  InvalidJobClass: { code: -32013, exit: EXIT_FAILURE, message: "Invalid job class: {job}" },
  InvalidEnv: { code: -32014, exit: EXIT_FAILURE, message: "Env must be KEY=VALUE pairs" },
  EmptyName: { code: -32015, exit: EXIT_FAILURE, message: "Name may not be empty string" },
  Internal: { code: -32603, exit: EXIT_FAILURE, message: "Internal error" },
} as const satisfies Record<string, ErrorEntry>;

/** The name of an error. */
export type ErrorName = keyof typeof ERRORS;

/**
 * The JSON-RPC code of each error, by name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ERROR_CODES } from "./errors.ts";
 * assert.equal(ERROR_CODES.PermissionDenied, -32007);
 * ```
 */
export const ERROR_CODES: { readonly [N in ErrorName]: (typeof ERRORS)[N]["code"] } = Object
  .fromEntries(
    Object.entries(ERRORS).map(([name, e]) => [name, e.code]),
  ) as { [N in ErrorName]: (typeof ERRORS)[N]["code"] };

const NAME_OF_CODE = new Map<number, ErrorName>(
  (Object.keys(ERRORS) as ErrorName[]).map((name) => [ERRORS[name].code, name]),
);

/**
 * The error a JSON-RPC code stands for.
 *
 * @param code a wire code
 * @returns its name, or `null` for a code outside the table
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorNameOf } from "./errors.ts";
 * assert.equal(errorNameOf(-32002), "UnknownInstance");
 * assert.equal(errorNameOf(7), null);
 * ```
 */
export function errorNameOf(code: number): ErrorName | null {
  return NAME_OF_CODE.get(code) ?? null;
}

/**
 * The CLI's exit status for a wire code; codes outside the table exit with `EXIT_FAILURE`.
 *
 * @param code a wire code
 * @returns the exit status
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitStatusOf } from "./errors.ts";
 * assert.equal(exitStatusOf(-32005), 1);
 * ```
 */
export function exitStatusOf(code: number): number {
  const name = errorNameOf(code);
  return name === null ? EXIT_FAILURE : ERRORS[name].exit;
}

/**
 * Fills in an error's message template.
 *
 * @param name the error
 * @param values the template's `{key}` values; a key without a value is left as it is
 * @returns the message
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorMessage } from "./errors.ts";
 * assert.equal(errorMessage("UnknownJob", { job: "web" }), "Unknown job: web");
 * ```
 */
export function errorMessage(
  name: ErrorName,
  values: Readonly<Record<string, string>> = {},
): string {
  return ERRORS[name].message.replace(
    /\{(\w+)\}/g,
    (whole, key: string) => Object.hasOwn(values, key) ? values[key] as string : whole,
  );
}

/**
 * An error answer of the protocol, on either side of the socket: the daemon's handlers throw
 * it with a name from the table, the client rejects with it when the daemon answers with an
 * error. `message` is Upstart's exact text, which the CLI prints after `PROGNAME: `.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RpcError } from "./errors.ts";
 * const e = RpcError.of("UnknownJob", { job: "web" });
 * assert.equal(e.code, -32001);
 * assert.equal(e.message, "Unknown job: web");
 * assert.equal(new RpcError(-32001, "Unknown job: db").codeName, "UnknownJob");
 * ```
 */
export class RpcError extends Error {
  /** The JSON-RPC error code. */
  readonly code: number;
  /** The code's name in the table, or `null` for a code outside it. */
  readonly codeName: ErrorName | null;
  /** The error's `data` member, if any. */
  readonly data: unknown;

  /**
   * @param code the error's name in the table, or a raw JSON-RPC code
   * @param message the text (default: the name's template, unfilled)
   * @param data the error's `data` member
   */
  constructor(code: ErrorName | number, message?: string, data?: unknown) {
    const name = typeof code === "number" ? errorNameOf(code) : code;
    super(message ?? (name === null ? "Unknown error" : ERRORS[name].message));
    this.name = "RpcError";
    this.code = typeof code === "number" ? code : ERRORS[code].code;
    this.codeName = name;
    this.data = data;
  }

  /**
   * An error from the table with its template filled in.
   *
   * @param name the error
   * @param values the template's values
   * @returns the error
   */
  static of(name: ErrorName, values: Readonly<Record<string, string>> = {}): RpcError {
    return new RpcError(name, errorMessage(name, values));
  }

  /** The CLI's exit status for this error. */
  get exitStatus(): number {
    return exitStatusOf(this.code);
  }
}

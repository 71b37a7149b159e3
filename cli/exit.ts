/**
 * What initctl prints for an error and its exit status (see docs/tools.md#conventions): every
 * error goes to stderr as `PROGNAME: MESSAGE`, usage errors add Upstart's
 * ``Try `PROGNAME --help' for more information.``; the daemon's errors exit
 * with the status of their row in the protocol's error table
 * (`protocol/errors.ts`), everything else with `EXIT_FAILURE`.
 *
 * @module
 */

import type { CliOutput } from "./io.ts";
import { ConnectionError, RpcError } from "../protocol/client.ts";
import { EXIT_FAILURE } from "../protocol/errors.ts";

export { EXIT_FAILURE };

/** A mistake in the command line (`missing job name`, `invalid option: -x`, …). */
export class UsageError extends Error {
  /** @param message Upstart's text, without the program name */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure found by initctl itself, worded as Upstart words it (`Env must be KEY=VALUE pairs`). */
export class CommandError extends Error {
  /** @param message the text printed after `PROGNAME: ` */
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

/**
 * One error line as libnih prints it: `PROG: MESSAGE`, except that the space
 * is left out when the message's first word ends with `:` (see docs/tools.md#conventions).
 *
 * @param prog the program name
 * @param message the message; multi-line messages are kept as they are
 * @returns the line(s), ending in a newline
 */
export function errorText(prog: string, message: string): string {
  const firstWord = /^\S*/.exec(message)?.[0] ?? "";
  const sep = firstWord.endsWith(":") ? "" : " ";
  return `${prog}:${sep}${message}\n`;
}

/**
 * The hint libnih prints after a usage error.
 *
 * @param prog the program name
 * @returns the line, ending in a newline
 */
export function helpHint(prog: string): string {
  return `Try \`${prog} --help' for more information.\n`;
}

/**
 * Prints an error and returns the exit status for it.
 *
 * @param error what a command threw
 * @param prog the program name (`initctl`, `start`, …)
 * @param io where to print
 * @returns the exit status
 */
export function reportError(error: unknown, prog: string, io: CliOutput): number {
  if (error instanceof RpcError) {
    io.err(errorText(prog, error.message));
    return error.exitStatus;
  }
  if (error instanceof UsageError) {
    io.err(errorText(prog, error.message) + helpHint(prog));
  } else if (error instanceof CommandError || error instanceof ConnectionError) {
    io.err(errorText(prog, error.message));
  } else {
    const text = error instanceof Error ? error.message : String(error);
    io.err(errorText(prog, `internal error: ${text}`));
  }
  return EXIT_FAILURE;
}

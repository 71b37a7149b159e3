/**
 * The sole map from an error to what initctl prints and its exit status
 * (spec §7.1): every error goes to stderr as `PROGNAME: MESSAGE` and exits 1,
 * usage errors add Upstart's ``Try `PROGNAME --help' for more information.``
 *
 * @module
 */

import type { CliOutput } from "./io.ts";
import { ConnectionError, RpcError } from "./client.ts";

/** Exit status of every failure, usage errors included (spec §7.1). */
export const EXIT_FAILURE = 1;

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
 * is left out when the message's first word ends with `:` (spec §7.1).
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
 * @returns the exit status (always `EXIT_FAILURE`)
 */
export function reportError(error: unknown, prog: string, io: CliOutput): number {
  if (error instanceof UsageError) {
    io.err(errorText(prog, error.message) + helpHint(prog));
  } else if (
    error instanceof RpcError || error instanceof CommandError || error instanceof ConnectionError
  ) {
    io.err(errorText(prog, error.message));
  } else {
    const text = error instanceof Error ? error.message : String(error);
    io.err(errorText(prog, `internal error: ${text}`));
  }
  return EXIT_FAILURE;
}

/**
 * Event commands (see docs/tools.md#event-and-config-commands): `emit [-n] EVENT [KEY=VALUE]...`.
 *
 * @module
 */

import { checkEnvPairs, type CommandContext } from "../context.ts";
import { CommandError, UsageError } from "../exit.ts";
import { errorMessage } from "../../protocol/errors.ts";

/**
 * `emit [-n] EVENT [KEY=VALUE]...`: emits the event with its variables in the
 * given order and, unless `-n`, waits until it has finished. Prints nothing.
 * The name and variables are checked here first, in the daemon's order.
 *
 * @param ctx the command's context
 * @returns the exit status
 * @throws {UsageError} `missing event name`
 * @throws {CommandError} `Name may not be empty string`, `Env must be KEY=VALUE pairs`
 */
export async function emit(ctx: CommandContext): Promise<number> {
  const [name, ...env] = ctx.args.positionals;
  if (name === undefined) throw new UsageError("missing event name");
  if (name === "") throw new CommandError(errorMessage("EmptyName"));
  checkEnvPairs(env);
  const client = await ctx.client();
  await client.call("event.emit", { name, env, wait: !ctx.args.has("no-wait") });
  return 0;
}

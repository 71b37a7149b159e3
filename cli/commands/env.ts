/**
 * Environment commands (see docs/tools.md#environment-commands): `list-env`, `get-env`, `set-env`,
 * `unset-env`, `reset-env`. Inside a job they act on that instance's
 * environment unless `-g`; outside, on the global job environment.
 *
 * @module
 */

import { callerInstance, type CommandContext } from "../context.ts";
import { UsageError } from "../exit.ts";
import { jsonText } from "../output.ts";

/** The `caller` and `global` params every env method takes. */
function scope(
  ctx: CommandContext,
): { global: boolean; caller?: { job: string; instance: string } } {
  const global = ctx.args.has("global");
  const caller = global ? null : callerInstance(ctx.env);
  return caller === null ? { global } : { global, caller: { ...caller } };
}

function variableNames(ctx: CommandContext): string[] {
  const names = ctx.args.positionals;
  if (names.length === 0) throw new UsageError("missing variable name");
  return names;
}

// Upstart sorts whole `KEY=VALUE` strings with `strcoll`; this is the C locale's byte order
// (UTF-16 order equals it outside surrogate pairs).
function compareEntries(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `list-env [-g]`: prints `KEY=VALUE` lines sorted by key.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function listEnv(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const { env } = await client.call("env.list", scope(ctx));
  const sorted = [...env].sort(compareEntries);
  if (ctx.json) ctx.io.out(jsonText({ env: sorted }));
  else if (!ctx.quiet && sorted.length > 0) ctx.io.out(`${sorted.join("\n")}\n`);
  return 0;
}

/**
 * `get-env [-g] VARIABLE`: prints the bare value.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function getEnv(ctx: CommandContext): Promise<number> {
  const [name] = variableNames(ctx);
  const client = await ctx.client();
  const { value } = await client.call("env.get", { name: name as string, ...scope(ctx) });
  if (ctx.json) ctx.io.out(jsonText({ name, value }));
  else if (!ctx.quiet) ctx.io.out(`${value}\n`);
  return 0;
}

/**
 * `set-env [-g] [-r] VARIABLE[=VALUE]...`: `VARIABLE` alone sets it empty;
 * `-r` keeps existing values.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function setEnv(ctx: CommandContext): Promise<number> {
  const vars = variableNames(ctx).map((v) => v.includes("=") ? v : `${v}=`);
  const client = await ctx.client();
  await client.call("env.set", { vars, retain: ctx.args.has("retain"), ...scope(ctx) });
  return 0;
}

/**
 * `unset-env [-g] VARIABLE...`.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function unsetEnv(ctx: CommandContext): Promise<number> {
  const names = variableNames(ctx);
  const client = await ctx.client();
  await client.call("env.unset", { names, ...scope(ctx) });
  return 0;
}

/**
 * `reset-env [-g]`: back to the environment the daemon started with.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function resetEnv(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  await client.call("env.reset", scope(ctx));
  return 0;
}
